// How the dashboard writes its figures (Chinese labels, percentages, durations).
import type { Indicators } from "./api";

/** A rate in [0, 1] as a percentage with one decimal, "—" when nothing was measured. */
export const percent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;

/** Minutes as 分钟 under two hours, else 小时 with one decimal. */
export function duration(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined) return "—";
  return minutes < 120 ? `${Math.round(minutes)}分钟` : `${(minutes / 60).toFixed(1)}小时`;
}

export const SOURCE_LABELS: Record<string, string> = {
  camera: "视频发现",
  alarm: "报警",
  patrol: "巡查上报",
  complaint: "市民投诉",
  inspection: "例行检查",
  audit: "督查",
};

export const TREND_LABELS: Record<string, string> = {
  new: "新增",
  persistent: "持续",
  intermittent: "间歇",
  fading: "减弱",
};

export const PRIORITY_KINDS: Record<string, string> = {
  hotspot: "高发区域",
  repeat_place: "高发点位",
  subject: "重点对象",
};

/** The KPI cards of the overview, in the order a leader reads them. */
export interface Kpi {
  key: string;
  label: string;
  value: string;
}

export function kpis(row: Indicators | undefined): Kpi[] {
  return [
    { key: "closure", label: "结案率", value: percent(row?.closure_rate) },
    { key: "on-time", label: "按期结案率", value: percent(row?.on_time_closure_rate) },
    { key: "rework", label: "返工率", value: percent(row?.rework_rate) },
    { key: "extension", label: "延期率", value: percent(row?.extension_rate) },
    { key: "self-correction", label: "自治率", value: percent(row?.self_correction_rate) },
    { key: "accept", label: "平均受理时长", value: duration(row?.mean_minutes_to_accept) },
    { key: "handle", label: "平均处置时长", value: duration(row?.mean_minutes_to_handle) },
    { key: "cases", label: "案件数", value: String(row?.cases ?? 0) },
  ];
}

const FILTER_LABELS: Record<string, string> = {
  squad_id: "中队",
  type: "类型",
  source: "来源",
  state: "状态",
  overdue: "超期",
  cell: "网格单元",
  camera_id: "探头",
  subject_id: "监管对象",
  block_id: "街区",
  subject_grade: "对象等级",
  near: "位置",
  radius_m: "半径(米)",
  from: "自",
  to: "至",
};

/** The filter's parts as people read them (times as Shanghai dates). */
export function filterChips(filter: Record<string, unknown>): string[] {
  return Object.entries(filter)
    .filter(([, v]) => v !== undefined)
    .map(([key, value]) => {
      let text = String(value);
      if (key === "source") text = SOURCE_LABELS[text] ?? text;
      if (key === "overdue") text = value ? "是" : "否";
      if (key === "from" || key === "to") {
        text = new Intl.DateTimeFormat("zh-CN", {
          timeZone: "Asia/Shanghai",
          dateStyle: "short",
          timeStyle: "short",
        }).format(new Date(text));
      }
      return `${FILTER_LABELS[key] ?? key}：${text}`;
    });
}
