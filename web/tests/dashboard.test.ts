import { describe, expect, it } from "vitest";
import type { CaseBreakdown, Precision, RankingReport, TrendReport } from "../src/dashboard/api";
import {
  addMonths,
  dayRange,
  daysBeforeMonthEnd,
  filterToQuery,
  monthOf,
  monthRange,
  placeFilter,
  queryToFilter,
  addWeeks,
  shanghaiWeek,
  weekOf,
  weekRange,
} from "../src/dashboard/filters";
import { filterChips, kpis, percent } from "../src/dashboard/format";
import {
  dayOption,
  filterOf,
  precisionOption,
  rankingOption,
  blockHistoryOption,
  gradesOption,
  sourceOption,
  squadOption,
  trendOption,
  typeOption,
  worstFirst,
  type Item,
} from "../src/dashboard/options";

const indicators = (over: Record<string, unknown> = {}) => ({
  squad_id: 1,
  violation_type: null,
  cases: 10,
  dismissed: 0,
  closed: 8,
  closed_on_time: 6,
  reviewed: 8,
  reworked: 1,
  extended: 2,
  overdue: 1,
  flagged_evidence: 0,
  closure_rate: 0.8,
  on_time_closure_rate: 0.6,
  extension_rate: 0.2,
  rework_rate: 0.125,
  self_correction_rate: null,
  mean_minutes_to_accept: 12.4,
  mean_minutes_to_handle: 300,
  ...over,
});

const seriesData = (option: unknown, index = 0): Item[] =>
  (option as { series: { data: Item[] }[] }).series[index]!.data;

describe("filters", () => {
  it("bounds a Shanghai month, a day, and the days before a month's end", () => {
    expect(monthRange("2026-12")).toEqual({
      from: "2026-12-01T00:00:00+08:00",
      to: "2027-01-01T00:00:00+08:00",
    });
    expect(dayRange("2026-02-28")).toEqual({
      from: "2026-02-28T00:00:00+08:00",
      to: "2026-03-01T00:00:00+08:00",
    });
    expect(daysBeforeMonthEnd("2026-03", 90)).toEqual({
      from: "2026-01-01T00:00:00+08:00",
      to: "2026-04-01T00:00:00+08:00",
    });
  });

  it("bounds an ISO week, Monday to Monday, across a year's turn", () => {
    expect(weekRange("2026-W01")).toEqual({
      from: "2025-12-29T00:00:00+08:00",
      to: "2026-01-05T00:00:00+08:00",
    });
    expect(weekRange("2026-W49")?.from).toBe("2026-11-30T00:00:00+08:00");
    expect(weekRange("2026-49")).toBeNull();
  });

  it("steps months and reads only a valid month from the route", () => {
    expect(addMonths("2026-01", -1)).toBe("2025-12");
    expect(addMonths("2026-12", 1)).toBe("2027-01");
    expect(monthOf({ month: "2026-07" })).toBe("2026-07");
    expect(monthOf({ month: "2026-13" }, new Date("2026-12-03T17:00:00Z"))).toBe("2026-12");
    // 17:00 UTC on the 31st is already the 1st in Shanghai.
    expect(monthOf({}, new Date("2026-12-31T17:00:00Z"))).toBe("2027-01");
  });

  it("round-trips a filter through the route query and drops junk", () => {
    const filter = { squad_id: 3, type: "05-05", overdue: true, ...monthRange("2026-11") };
    const query = filterToQuery(filter);
    expect(query).toEqual({
      squad_id: "3",
      type: "05-05",
      overdue: "true",
      from: "2026-11-01T00:00:00+08:00",
      to: "2026-12-01T00:00:00+08:00",
    });
    expect(queryToFilter(query)).toEqual(filter);
    expect(queryToFilter({ squad_id: "x", camera_id: "-1", subject_id: ["7"], title: "t", overdue: "maybe" })).toEqual({
      subject_id: 7,
    });
    expect(queryToFilter({ block_id: "12" })).toEqual({ block_id: 12 });
  });

  it("opens the month's cases of a grade's subjects from its slice", () => {
    const row = { squad_id: 4, grades: { A: 3, B: 0, C: 1, D: 2 } } as never;
    const option = gradesOption(row, "2026-11") as { series: { data: { name: string; filter: unknown }[] }[] };
    expect(option.series[0]!.data.map((d) => d.name)).toEqual(["A级", "C级", "D级"]);
    expect(option.series[0]!.data[2]!.filter).toEqual({
      subject_grade: "D",
      squad_id: 4,
      ...monthRange("2026-11"),
    });
  });

  it("opens a block's own cases of a month from its score history", () => {
    const option = blockHistoryOption(
      { items: [{ month: "2026-11", score: 96 }] } as never,
      12,
    ) as { series: { data: { filter: unknown }[] }[] };
    expect(option.series[0]!.data[0]!.filter).toEqual({ block_id: 12, ...monthRange("2026-11") });
  });

  it("finds a repeat place's cases within 50 m, of its type, over its span", () => {
    expect(
      placeFilter({
        centre: { lng: 121.39947, lat: 30.99955 },
        violation_type: "05-05",
        first_at: "2026-11-20T08:00:00+08:00",
        last_at: "2026-11-25T09:30:00+08:00",
      }),
    ).toEqual({
      near: "121.399470,30.999550",
      radius_m: 50,
      type: "05-05",
      from: "2026-11-20T00:00:00.000Z",
      to: "2026-11-25T01:30:01.000Z",
    });
  });
});

describe("format", () => {
  it("writes rates and the KPI cards", () => {
    expect(percent(0.8)).toBe("80.0%");
    expect(percent(null)).toBe("—");
    const cards = Object.fromEntries(kpis(indicators() as never).map((k) => [k.key, k.value]));
    expect(cards).toMatchObject({
      closure: "80.0%",
      "on-time": "60.0%",
      rework: "12.5%",
      extension: "20.0%",
      "self-correction": "—",
      accept: "12分钟",
      handle: "5.0小时",
      cases: "10",
    });
    expect(kpis(undefined).find((k) => k.key === "cases")?.value).toBe("0");
  });

  it("labels a filter's parts in Chinese", () => {
    expect(filterChips({ source: "camera", from: "2026-11-01T00:00:00+08:00" })).toEqual([
      "来源：视频发现",
      "自：2026/11/1 00:00",
    ]);
  });
});

describe("chart options", () => {
  it("ranks squads best on top with last month's rank, each bar a squad's month", () => {
    const report: RankingReport = {
      month: "2026-11",
      refreshed_at: null,
      items: [
        { rank: 1, previous_rank: 2, score: 91.25, squad_id: 4, squad_name: "江川路中队", indicators: indicators() as never },
        { rank: 2, previous_rank: null, score: 70, squad_id: 5, squad_name: "莘庄中队", indicators: indicators() as never },
        { rank: null, previous_rank: 1, score: null, squad_id: 6, squad_name: "七宝中队", indicators: indicators() as never },
      ],
    };
    const option = rankingOption(report) as { yAxis: { data: string[]; inverse: boolean } };
    // 七宝 had nothing to assess (不参评): in the table, not on the chart.
    expect(option.yAxis.data).toEqual(["1. 江川路中队（上月第2）", "2. 莘庄中队（上月—）"]);
    expect(option.yAxis.inverse).toBe(true);
    const [first] = seriesData(option);
    expect(first).toEqual({
      value: 91.3,
      name: "江川路中队",
      filter: { squad_id: 4, ...monthRange("2026-11") },
    });
    expect(filterOf(first)).toEqual(first!.filter);
    expect(filterOf({ value: 1 })).toBeNull();
  });

  it("draws the trend in percent with a gap for a month without figures", () => {
    const report: TrendReport = {
      months: ["2026-10", "2026-11"],
      items: [{ month: "2026-11", squad_id: null, indicators: indicators() as never }],
    };
    const option = trendOption(report);
    expect(seriesData(option, 0).map((d) => d.value)).toEqual([null, 80]);
    expect(seriesData(option, 2).map((d) => d.value)).toEqual([null, 12.5]);
    expect(seriesData(option, 1)[1]!.filter).toEqual(monthRange("2026-11"));
  });

  it("splits the month's cases by source, type, squad and day with their filters", () => {
    const b: CaseBreakdown = {
      start: "",
      end: "",
      refreshed_at: null,
      total: 5,
      by_source: [{ source: "camera", cases: 3 }, { source: "patrol", cases: 2 }],
      by_type: [
        { violation_type: "05-05", name_zh: "乱设摊", cases: 1 },
        { violation_type: "05-04", name_zh: "店外经营", cases: 4 },
      ],
      by_squad: [{ squad_id: null, squad_name: null, cases: 5 }],
      by_day: [{ day: "2026-11-03", cases: 5 }],
    };
    const range = monthRange("2026-11");
    expect(seriesData(sourceOption(b, "2026-11"))[0]).toEqual({
      value: 3,
      name: "视频发现",
      filter: { source: "camera", ...range },
    });
    expect(seriesData(typeOption(b, "2026-11")).map((d) => d.filter?.type)).toEqual(["05-04", "05-05"]);
    expect(seriesData(squadOption(b, "2026-11"))[0]).toEqual({ value: 5, name: "未分派", filter: range });
    // The days without cases are drawn as 0, from the 1st.
    const days = seriesData(dayOption(b));
    expect(days.map((d) => d.value)).toEqual([0, 0, 5]);
    expect(days[2]!.filter).toEqual(dayRange("2026-11-03"));
  });

  it("puts the worst camera rule first and opens its camera's alerts", () => {
    const p = (camera: number | null, precision: number | null, alerts = 4): Precision => ({
      camera_id: camera,
      zone_key: "门口",
      violation_type: "05-05",
      alerts,
      false_positives: 1,
      undecided: 0,
      precision,
    });
    const rows = [p(1, 0.9), p(2, null, 9), p(3, 0.5), p(null, 0.5, 8)];
    expect(worstFirst(rows).map((r) => r.camera_id)).toEqual([null, 3, 1, 2]);
    const data = seriesData(precisionOption(rows, "2026-11", { "05-05": "乱设摊" }));
    expect(data[1]).toEqual({
      value: 50,
      name: "探头#3 · 门口 · 乱设摊",
      filter: { source: "camera", type: "05-05", camera_id: 3, ...monthRange("2026-11") },
    });
    expect(data[0]!.filter).not.toHaveProperty("camera_id");
  });
});

describe("weeks", () => {
  it("steps ISO weeks across a year's turn and defaults to the last complete week", () => {
    expect(addWeeks("2026-W01", -1)).toBe("2025-W52");
    expect(addWeeks("2020-W53", 1)).toBe("2021-W01");
    expect(addWeeks("2026-W49", 0)).toBe("2026-W49");
    // Thursday 3 December 2026 is in week 49; Monday 00:30 Shanghai is Sunday in UTC.
    expect(shanghaiWeek(new Date("2026-12-03T02:00:00Z"))).toBe("2026-W49");
    expect(shanghaiWeek(new Date("2026-11-29T16:30:00Z"))).toBe("2026-W49");
    expect(weekOf({}, new Date("2026-12-03T02:00:00Z"))).toBe("2026-W48");
    expect(weekOf({ week: "2026-W40" })).toBe("2026-W40");
  });
});
