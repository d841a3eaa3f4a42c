// The dashboard's calls (GET /api/v1/stats, /blocks, /hotspots, /reports), typed from the
// OpenAPI document. Every figure already follows the caller's jurisdiction.
import { api, type CasePage } from "../api";
import type { components } from "../api/schema";
import { filterToQuery, type CaseFilter } from "./filters";

type S = components["schemas"];
export type Indicators = S["Indicators"];
export type IndicatorReport = S["IndicatorReport"];
export type RankingReport = S["RankingReport"];
export type RankedSquad = S["RankedSquad"];
export type TrendReport = S["TrendReport"];
export type CaseBreakdown = S["CaseBreakdown"];
export type PrecisionReport = S["PrecisionReport"];
export type Precision = S["Precision"];
export type ProgrammeReport = S["ProgrammeReport"];
export type ProgrammeFigures = S["ProgrammeFigures"];
export type RepeatOffenderReport = S["RepeatOffenderReport"];
export type RepeatOffender = S["RepeatOffender"];
export type BlockRanking = S["Ranking"];
export type ScoreList = S["ScoreList"];
export type HotspotList = S["HotspotList"];
export type HotspotItem = S["HotspotItem"];
export type RepeatPlaceList = S["RepeatPlaceList"];
export type RepeatPlaceItem = S["RepeatPlaceItem"];
export type PriorityList = S["PriorityList"];
export type PriorityItem = S["PriorityItem"];
export type CoordType = S["CoordType"];

/** The caller's jurisdiction as one row: the district, or a squad role's own squad. */
export const districtIndicators = (month: string) =>
  api.get<IndicatorReport>("/api/v1/stats/indicators", { period: month, group_by: "district" });
export const squadRanking = (month: string) =>
  api.get<RankingReport>("/api/v1/stats/ranking", { month });
export const indicatorTrend = (end: string, months = 12) =>
  api.get<TrendReport>("/api/v1/stats/trend", { end, months });
export const caseBreakdown = (month: string) =>
  api.get<CaseBreakdown>("/api/v1/stats/cases", { period: month });
export const cameraPrecision = (month: string) =>
  api.get<PrecisionReport>("/api/v1/stats/precision", { period: month });
export const programmeFigures = (month: string) =>
  api.get<ProgrammeReport>("/api/v1/stats/programmes", { month });
export const repeatOffenders = (month: string, limit = 20) =>
  api.get<RepeatOffenderReport>("/api/v1/stats/repeat-offenders", { month, limit });
export const blockRanking = (month: string) =>
  api.get<BlockRanking>("/api/v1/blocks/ranking", { month });
export const blockScores = (blockId: number) =>
  api.get<ScoreList>(`/api/v1/blocks/${blockId}/scores`);
export const hotspots = (week: string, coordType: CoordType) =>
  api.get<HotspotList>("/api/v1/hotspots", { week, coord_type: coordType });
export const hotspotCells = (week: string, coordType: CoordType) =>
  api.get<GeoJSON.FeatureCollection>("/api/v1/hotspots/geojson", { week, coord_type: coordType });
export const repeatPlaces = (coordType: CoordType) =>
  api.get<RepeatPlaceList>("/api/v1/hotspots/places", { coord_type: coordType });
export const patrolPriorities = (squadId: number, week: string, coordType: CoordType) =>
  api.get<PriorityList>(`/api/v1/squads/${squadId}/patrol-priorities`, { week, coord_type: coordType });

/** One page of the cases behind a chart, newest first. */
export const filteredCases = (filter: CaseFilter, cursor?: string, limit = 50) =>
  api.get<CasePage>("/api/v1/cases", { ...filterToQuery(filter), limit, cursor });

/** The month's assessment workbook (月度考评), saved under its own name: the download
 *  needs the bearer token, so it is read as a blob rather than followed as a link. */
export async function downloadMonthlyReport(month: string): Promise<void> {
  const blob = await api.getBlob(`/api/v1/reports/monthly/${month}`);
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `月度考评-${month}.xlsx`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
