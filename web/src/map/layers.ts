// The console map's layers as the API serves them (GET /api/v1/map/...), typed from the
// OpenAPI document. Every layer is asked in the base layer's coordinate system.
import { api } from "../api";
import type { components } from "../api/schema";

type S = components["schemas"];
export type MapConfig = S["MapConfig"];
export type CoordType = S["CoordType"];
export type SquadLayer = S["SquadLayer"];
export type GridLayer = S["GridLayer"];
export type BlockLayer = S["BlockLayer"];
export type SubjectLayer = S["SubjectLayer"];
export type CameraLayer = S["CameraLayer"];
export type OfficerLayer = S["OfficerLayer"];
export type OfficerFeature = S["OfficerFeature"];
export type CaseLayer = S["CaseLayer"];
export type CaseFeature = S["CaseFeature"];
export type CaseProperties = S["CaseProperties"];
export type ClusterProperties = S["ClusterProperties"];

export const mapConfig = () => api.get<MapConfig>("/api/v1/map/config");

const layer =
  <T>(name: string) =>
  (coordType: CoordType, query: Record<string, string | number> = {}) =>
    api.get<T>(`/api/v1/map/${name}`, { coord_type: coordType, ...query });

export const squadLayer = layer<SquadLayer>("squads");
export const gridLayer = layer<GridLayer>("grids");
export const blockLayer = layer<BlockLayer>("blocks");
export const subjectLayer = layer<SubjectLayer>("subjects");
export const cameraLayer = layer<CameraLayer>("cameras");
export const officerLayer = layer<OfficerLayer>("officers");
export const caseLayer = layer<CaseLayer>("cases");

/** `west,south,east,north` of the visible map, clamped to the range the API takes. */
export function bboxOf(west: number, south: number, east: number, north: number): string {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const w = clamp(west, 72.004, 137.8347);
  const e = clamp(east, 72.004, 137.8347);
  const s = clamp(south, 0.8293, 55.8271);
  const n = clamp(north, 0.8293, 55.8271);
  return [w, s, e, n].map((v) => v.toFixed(6)).join(",");
}
