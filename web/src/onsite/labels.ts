// What a photo's check and an on-site step mean, in the officer's words.
import type { EvidenceRead } from "../api";

export const FLAG_ZH: Record<string, string> = {
  far_from_case: "拍摄地点距案发地过远",
  outside_task_window: "不在任务时段内拍摄",
  no_location: "照片无位置信息",
  no_capture_time: "照片无拍摄时间",
  clock_mismatch: "手机时间与照片时间不符",
  camera_not_reviewed: "摄像头未经法制审核",
};

export const REJECT_ZH: Record<string, string> = {
  object_missing: "文件未上传成功",
  too_large: "文件过大",
  type_mismatch: "文件类型不符",
  not_an_image: "不是图片",
  corrupt_image: "图片已损坏",
  decompression_bomb: "图片尺寸异常",
  grant_expired: "上传授权已过期",
};

export const PURPOSE_ZH: Record<string, string> = {
  report: "上报照片",
  verification: "核查照片",
  recheck: "复查照片",
  other: "其他",
};

export interface CheckLabel {
  text: string;
  tone: "pending" | "ok" | "warn" | "bad";
}

/** A photo's check as a tag: 校验中, 已通过, a flag, or why it was refused. */
export function checkLabel(e: Pick<EvidenceRead, "status" | "flags" | "reject_reason">): CheckLabel {
  if (e.status === "granted" || e.status === "processing") return { text: "校验中", tone: "pending" };
  if (e.status === "rejected" || e.status === "purged") {
    const why = e.reject_reason ? REJECT_ZH[e.reject_reason] : "";
    return { text: `未通过${why ? "：" + why : ""}`, tone: "bad" };
  }
  if (e.flags.length) return { text: e.flags.map((f) => FLAG_ZH[f] ?? f).join("；"), tone: "warn" };
  return { text: "已通过", tone: "ok" };
}

export const OUTCOMES = [
  { value: "not_found", label: "现场未发现" },
  { value: "corrected_on_site", label: "当场整改" },
  { value: "rectification_ordered", label: "责令限期整改" },
  { value: "case_filed", label: "立案查处" },
] as const;
export type OutcomeValue = (typeof OUTCOMES)[number]["value"];

/** A local time from a `datetime-local` input as RFC 3339 with the phone's offset. */
export function withOffset(local: string): string {
  const d = new Date(local);
  const minutes = -d.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const hh = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, "0");
  const mm = String(Math.abs(minutes) % 60).padStart(2, "0");
  const pad = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:00`;
  return `${date}T${time}${sign}${hh}:${mm}`;
}

/** `datetime-local` value `days` from now at 18:00 (the end of a working day). */
export function daysFromNow(days: number, now = new Date()): string {
  const d = new Date(now.getTime() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T18:00`;
}
