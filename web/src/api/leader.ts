// The squad leader's calls: the board, the officer picker, review and the month's figures.
import { api, type CaseDetail, type CasePage } from "./index";
import { newIdempotencyKey } from "./client";
import type { components } from "./schema";

export type OfficerLoad = components["schemas"]["OfficerLoad"];
export type TimelineEntry = components["schemas"]["TimelineEntry"];
export type Indicators = components["schemas"]["Indicators"];
export type ViolationTypeRead = components["schemas"]["ViolationTypeRead"];
export type GridRead = components["schemas"]["GridRead"];
export type Shortfall = components["schemas"]["Shortfall"];
export type EmergencyRead = components["schemas"]["EmergencyRead"];
type MissedList = components["schemas"]["MissedList"];
type EmergencyList = components["schemas"]["EmergencyList"];
type OfficerPage = components["schemas"]["OfficerPage"];
type Timeline = components["schemas"]["Timeline"];
type IndicatorReport = components["schemas"]["IndicatorReport"];
type ViolationTypePage = components["schemas"]["ViolationTypePage"];
type GridPage = components["schemas"]["GridPage"];

export interface BoardFilter {
  state?: string;
  overdue?: boolean;
  unassigned?: boolean;
  type?: string;
  grid?: number;
}

/** One page of the board, newest first; `cursor` is the last page's `next_cursor`. */
export const boardCases = (filter: BoardFilter, limit = 100, cursor?: string) =>
  api.get<CasePage>("/api/v1/cases", { ...filter, limit, cursor });
export const squadOfficers = (squadId: number) =>
  api.get<OfficerPage>(`/api/v1/squads/${squadId}/officers`);
export const caseTimeline = (id: number) => api.get<Timeline>(`/api/v1/cases/${id}/timeline`);
export const violationTypes = () => api.get<ViolationTypePage>("/api/v1/violation-types");
export const squadGrids = (squadId: number) =>
  api.get<GridPage>("/api/v1/grids", { squad_id: squadId, limit: 200 });

/** The month's indicators of the caller's squad (Shanghai month), or null when it had no cases. */
export async function monthIndicators(squadId: number, now = new Date()): Promise<Indicators | null> {
  const month = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
  }).format(now);
  const report = await api.get<IndicatorReport>("/api/v1/stats/indicators", {
    period: month,
    squad_id: squadId,
  });
  return report.items.find((i) => i.squad_id === squadId) ?? null;
}

type Versioned = Pick<CaseDetail, "id" | "version">;

export const assignCase = (c: Versioned, officerId: number, key = newIdempotencyKey()) =>
  api.command<CaseDetail>(`/api/v1/cases/${c.id}/assign`, { version: c.version, officer_id: officerId }, key);
export const closeCase = (c: Versioned, note: string, key = newIdempotencyKey()) =>
  api.command<CaseDetail>(`/api/v1/cases/${c.id}/close`, { version: c.version, note }, key);
export const returnCase = (c: Versioned, reason: string, key = newIdempotencyKey()) =>
  api.command<CaseDetail>(`/api/v1/cases/${c.id}/return`, { version: c.version, reason }, key);

/** A Shanghai calendar day as YYYY-MM-DD, ``days`` after ``at``'s. */
export function shanghaiDay(at: Date, days = 0): string {
  const shifted = new Date(at.getTime() + days * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(shifted);
}

/** Planned check-ins (巡查签到) that fell short over the last ``days`` days, today included. */
export const missedCheckins = (squadId: number, days = 7, now = new Date()) =>
  api.get<MissedList>(`/api/v1/squads/${squadId}/checkins/missed`, {
    from: shanghaiDay(now, 1 - days),
    to: shanghaiDay(now),
  });

/** Open emergencies (突发事件) of the caller's squad, with their responders. */
export const openEmergencies = () => api.get<EmergencyList>("/api/v1/emergencies");
