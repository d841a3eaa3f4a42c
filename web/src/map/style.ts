// How the console draws things: case colours by state and overdue, officer freshness.
export const STATE_COLOURS: Record<string, string> = {
  pending_triage: "#f59e0b",
  dispatched: "#2563eb",
  in_progress: "#7c3aed",
  awaiting_rectification: "#0d9488",
  filed: "#64748b",
  pending_review: "#16a34a",
};
export const OVERDUE_COLOUR = "#dc2626";

export const STATE_LABELS: Record<string, string> = {
  pending_triage: "待受理",
  dispatched: "已派遣",
  in_progress: "处置中",
  awaiting_rectification: "限期整改",
  filed: "已立案",
  pending_review: "待核查",
};

export function caseColour(state: string, overdue: boolean): string {
  return overdue ? OVERDUE_COLOUR : (STATE_COLOURS[state] ?? "#475569");
}

/** A position older than this fades: the phone has stopped reporting. */
export const STALE_AFTER_MS = 5 * 60 * 1000;

export const isStale = (locatedAt: string, now: number): boolean =>
  now - Date.parse(locatedAt) > STALE_AFTER_MS;

/** The pixel size of a cluster's bubble for its count (log scale, 28..64 px). */
export const clusterSize = (count: number): number =>
  Math.round(Math.min(64, 28 + 8 * Math.log10(Math.max(1, count))));
