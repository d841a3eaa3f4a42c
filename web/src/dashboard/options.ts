// The dashboard's chart options, built from the API's payloads. Pure functions (tested
// with Vitest): every data item carries the case filter of what it counts, so a click on
// it opens /dashboard/list with exactly those cases.
import type { ChartOption } from "../charts/echarts";
import type {
  BlockRanking,
  CaseBreakdown,
  Precision,
  ProgrammeFigures,
  RankingReport,
  ScoreList,
  TrendReport,
} from "./api";
import { dayRange, monthRange, type CaseFilter } from "./filters";
import { SOURCE_LABELS } from "./format";

/** A chart's data item: its value, its label, and the cases behind it. */
export interface Item {
  value: number | null;
  name: string;
  filter?: CaseFilter;
  /** 美丽街区: the block whose history a click shows. */
  blockId?: number;
}

/** The case filter a clicked data item carries, if any. */
export function filterOf(item: unknown): CaseFilter | null {
  if (item && typeof item === "object" && "filter" in item) {
    const filter = (item as Item).filter;
    if (filter && typeof filter === "object") return filter;
  }
  return null;
}

const BLUE = "#1677ff";
const pct = (rate: number | null | undefined) =>
  rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10;

const horizontal = (
  names: string[],
  data: Item[],
  unit: string,
  colour = BLUE,
  max?: number,
): ChartOption => ({
  tooltip: { trigger: "item" },
  grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
  xAxis: { type: "value", name: unit, max, minInterval: 1 },
  yAxis: { type: "category", data: names, inverse: true },
  series: [{ type: "bar", data, itemStyle: { color: colour }, label: { show: true, position: "right" } }],
});

/** The squads by score, best on top, each labelled with last month's rank; squads not
 * assessed this month (不参评: no score) are left to the table. */
export function rankingOption(report: RankingReport): ChartOption {
  const range = monthRange(report.month);
  const scored = report.items.filter(
    (r): r is typeof r & { rank: number; score: number } => r.rank !== null && r.score !== null,
  );
  const names = scored.map(
    (r) => `${r.rank}. ${r.squad_name}（上月${r.previous_rank === null ? "—" : `第${r.previous_rank}`}）`,
  );
  const data = scored.map((r) => ({
    value: Math.round(r.score * 10) / 10,
    name: r.squad_name,
    filter: { squad_id: r.squad_id, ...range },
  }));
  return horizontal(names, data, "得分");
}

const TREND_SERIES = [
  ["closure_rate", "结案率"],
  ["on_time_closure_rate", "按期结案率"],
  ["rework_rate", "返工率"],
] as const;

/** 结案率, 按期结案率 and 返工率 month by month (percent); a click opens that month. */
export function trendOption(report: TrendReport): ChartOption {
  const byMonth = new Map(report.items.map((i) => [i.month, i.indicators]));
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: report.months },
    yAxis: { type: "value", name: "%", min: 0, max: 100 },
    series: TREND_SERIES.map(([key, name]) => ({
      type: "line" as const,
      name,
      connectNulls: false,
      showSymbol: true,
      symbolSize: 7,
      data: report.months.map((m) => ({
        value: pct(byMonth.get(m)?.[key]),
        name: m,
        filter: monthRange(m),
      })),
    })),
  };
}

/** Cases by source (来源), a pie. */
export function sourceOption(b: CaseBreakdown, month: string): ChartOption {
  const range = monthRange(month);
  return {
    tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
    legend: { bottom: 0 },
    series: [
      {
        type: "pie",
        radius: ["35%", "65%"],
        data: b.by_source.map((s) => ({
          value: s.cases,
          name: SOURCE_LABELS[s.source] ?? s.source,
          filter: { source: s.source, ...range },
        })),
      },
    ],
  };
}

/** Cases by violation type, most first. */
export function typeOption(b: CaseBreakdown, month: string): ChartOption {
  const range = monthRange(month);
  const rows = [...b.by_type].sort((x, y) => y.cases - x.cases);
  return horizontal(
    rows.map((t) => t.name_zh),
    rows.map((t) => ({ value: t.cases, name: t.name_zh, filter: { type: t.violation_type, ...range } })),
    "件",
  );
}

/** Cases by squad (those not yet placed in one are 未分派). */
export function squadOption(b: CaseBreakdown, month: string): ChartOption {
  const range = monthRange(month);
  const rows = [...b.by_squad].sort((x, y) => y.cases - x.cases);
  const names = rows.map((s) => s.squad_name ?? "未分派");
  return horizontal(
    names,
    rows.map((s, i) => ({
      value: s.cases,
      name: names[i]!,
      filter: s.squad_id === null ? { ...range } : { squad_id: s.squad_id, ...range },
    })),
    "件",
    "#0891b2",
  );
}

/** Every day of the month from the 1st to the last day counted, days without cases as 0
 *  (the API lists only the days that had some). */
export function everyDay(byDay: CaseBreakdown["by_day"]): CaseBreakdown["by_day"] {
  const last = byDay.map((d) => d.day).sort().at(-1);
  if (!last) return [];
  const counted = new Map(byDay.map((d) => [d.day, d.cases]));
  const days = Number(last.slice(8, 10));
  return Array.from({ length: days }, (_, i) => {
    const day = `${last.slice(0, 8)}${String(i + 1).padStart(2, "0")}`;
    return { day, cases: counted.get(day) ?? 0 };
  });
}

/** Cases day by day; a click opens that day's cases. */
export function dayOption(b: CaseBreakdown): ChartOption {
  const days = everyDay(b.by_day);
  return {
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: days.map((d) => d.day.slice(5)) },
    yAxis: { type: "value", name: "件", minInterval: 1 },
    series: [
      {
        type: "line",
        showSymbol: true,
        symbolSize: 7,
        areaStyle: { opacity: 0.15 },
        data: days.map((d) => ({ value: d.cases, name: d.day, filter: dayRange(d.day) })),
      },
    ],
  };
}

/** A camera rule's name as people read it. */
export const precisionLabel = (p: Precision, typeNames: Record<string, string> = {}) =>
  `${p.camera_id === null ? "未知探头" : `探头#${p.camera_id}`}${p.zone_key ? ` · ${p.zone_key}` : ""} · ${
    typeNames[p.violation_type] ?? p.violation_type
  }`;

/** Worst first: the lowest precision on top, rules with nothing decided yet last. */
export function worstFirst(items: Precision[]): Precision[] {
  return [...items].sort((a, b) => {
    if (a.precision === null || b.precision === null) {
      return a.precision === null ? (b.precision === null ? b.alerts - a.alerts : 1) : -1;
    }
    return a.precision - b.precision || b.alerts - a.alerts;
  });
}

/** Precision (准确率 %) per camera, zone and type, worst on top. */
export function precisionOption(
  items: Precision[],
  month: string,
  typeNames: Record<string, string> = {},
): ChartOption {
  const range = monthRange(month);
  const rows = worstFirst(items);
  const names = rows.map((p) => precisionLabel(p, typeNames));
  return horizontal(
    names,
    rows.map((p, i) => ({
      value: pct(p.precision),
      name: names[i]!,
      filter: {
        source: "camera",
        type: p.violation_type,
        ...(p.camera_id === null ? {} : { camera_id: p.camera_id }),
        ...range,
      },
    })),
    "%",
    "#d97706",
    100,
  );
}

/** 美丽街区: the blocks by score, best on top; a click shows the block's history. */
export function blockOption(ranking: BlockRanking): ChartOption {
  const rows = ranking.blocks.slice(0, 20);
  return horizontal(
    rows.map((b) => `${b.rank}. ${b.name}`),
    rows.map((b) => ({ value: Math.round(b.score * 10) / 10, name: b.name, blockId: b.id })),
    "得分",
    "#059669",
  );
}

/** One block's monthly score; a click opens the block's cases of that month. */
export function blockHistoryOption(scores: ScoreList, blockId: number): ChartOption {
  const rows = [...scores.items].sort((a, b) => a.month.localeCompare(b.month));
  return {
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: rows.map((r) => r.month) },
    yAxis: { type: "value", name: "得分", max: 100 },
    series: [
      {
        type: "line",
        showSymbol: true,
        symbolSize: 7,
        data: rows.map((r) => ({
          value: r.score,
          name: r.month,
          filter: { block_id: blockId, ...monthRange(r.month) },
        })),
      },
    ],
  };
}

/** 违法建筑: the year's stock demolished against its target (m²), per squad. */
export function structuresOption(
  rows: ProgrammeFigures[],
  month: string,
  squadNames: Record<number, string>,
): ChartOption {
  const squads = rows.filter((r) => r.squad_id !== null);
  const year = month.slice(0, 4);
  const yearRange = { from: `${year}-01-01T00:00:00+08:00`, to: monthRange(month).to };
  const names = squads.map((r) => squadNames[r.squad_id as number] ?? `中队${r.squad_id}`);
  const item = (r: ProgrammeFigures, i: number, value: number | null) => ({
    value,
    name: names[i]!,
    filter: { squad_id: r.squad_id as number, ...yearRange },
  });
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", name: "m²" },
    series: [
      {
        type: "bar",
        name: "年度已拆除存量",
        data: squads.map((r, i) => item(r, i, r.structures.year_stock_demolished_m2)),
        itemStyle: { color: "#dc2626" },
      },
      {
        type: "bar",
        name: "年度目标",
        data: squads.map((r, i) => item(r, i, r.structures.year_stock_target_m2)),
        itemStyle: { color: "#cbd5e1" },
      },
    ],
  };
}

/** Subjects by grade (A best … D worst) of the caller's jurisdiction; a slice opens the
 *  month's cases of that grade's subjects. */
export function gradesOption(row: ProgrammeFigures | undefined, month: string): ChartOption {
  const grades = Object.entries(row?.grades ?? {})
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => a.localeCompare(b));
  const colours: Record<string, string> = { A: "#16a34a", B: "#65a30d", C: "#f97316", D: "#dc2626" };
  return {
    tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
    legend: { bottom: 0 },
    series: [
      {
        type: "pie",
        radius: ["35%", "65%"],
        data: grades.map(([grade, count]) => ({
          value: count,
          name: `${grade}级`,
          itemStyle: { color: colours[grade] ?? BLUE },
          // A slice opens the month's cases of the subjects of that grade.
          filter: {
            subject_grade: grade,
            ...(row?.squad_id ? { squad_id: row.squad_id } : {}),
            ...monthRange(month),
          },
        })),
      },
    ],
  };
}
