// The desk's emergency calls (突发事件): the open ones, who can go, 派警, and the case's
// timeline; every position in the map's coordinate system.
import { api, getCase } from "../api";
import type { components } from "../api/schema";
import type { CoordType } from "./layers";

type S = components["schemas"];
export type EmergencyRead = S["EmergencyRead"];
export type CandidateRead = S["CandidateRead"];
export type ResponderRead = S["ResponderRead"];
export type TimelineEntry = S["TimelineEntry"];
export type Track = S["Track"];

export const emergencies = (coordType: CoordType) =>
  api.get<S["EmergencyList"]>("/api/v1/emergencies", { coord_type: coordType });

export const candidates = (caseId: number, coordType: CoordType) =>
  api.get<S["CandidateList"]>(`/api/v1/cases/${caseId}/responders/candidates`, {
    coord_type: coordType,
    limit: 20,
  });

export const timeline = (caseId: number) =>
  api.get<S["Timeline"]>(`/api/v1/cases/${caseId}/timeline`);

/** Declare the case an emergency at its current version (commander, admin). */
export async function declare(caseId: number, reason: string): Promise<void> {
  const { version } = await getCase(caseId);
  await api.command(`/api/v1/cases/${caseId}/emergency`, { version, reason });
}

/** 派警: send the officers at once; the first leads when the case has no officer. */
export async function send(caseId: number, officerIds: number[]): Promise<void> {
  const { version } = await getCase(caseId);
  await api.command(`/api/v1/cases/${caseId}/responders`, { version, officer_ids: officerIds });
}

/** The officer's track over the last `hours` (the replay of today's shift). */
export const track = (userId: number, coordType: CoordType, hours = 12, now = Date.now()) =>
  api.get<Track>(`/api/v1/users/${userId}/track`, {
    from: new Date(now - hours * 3600_000).toISOString(),
    to: new Date(now + 60_000).toISOString(),
    coord_type: coordType,
  });

export const RESPONDER_LABELS: Record<string, string> = {
  dispatched: "已派遣",
  acknowledged: "已响应",
  arrived: "已到场",
};

export const ARRIVAL_LABELS: Record<string, string> = { position: "定位到场", check_in: "签到" };

export function distanceZh(m: number | null | undefined): string {
  if (m === null || m === undefined) return "位置未知";
  return m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`;
}

export function durationZh(s: number | null | undefined): string {
  if (s === null || s === undefined) return "";
  const t = Math.round(s);
  return t < 60 ? `${t} 秒` : `${Math.floor(t / 60)} 分 ${t % 60} 秒`;
}

export const clockZh = (at: string): string =>
  new Date(at).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
