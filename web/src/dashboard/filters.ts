// What a dashboard click asks for, as /dashboard/list's query string and as the query of
// GET /api/v1/cases. Pure: the charts build a filter, the list page reads it back.

/** The filters of GET /api/v1/cases a chart can name (all optional, all strings on the URL). */
export interface CaseFilter {
  squad_id?: number;
  type?: string;
  source?: string;
  state?: string;
  overdue?: boolean;
  cell?: string;
  camera_id?: number;
  subject_id?: number;
  /** The cases of subjects graded so now (A-D). */
  subject_grade?: string;
  /** The cases inside a street block (美丽街区). */
  block_id?: number;
  /** `lng,lat` (WGS-84) with `radius_m`: a repeat place (高发点位). */
  near?: string;
  radius_m?: number;
  /** ISO date-times with the Shanghai offset, `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
}

const NUMBERS = ["squad_id", "camera_id", "subject_id", "block_id", "radius_m"] as const;
const STRINGS = ["type", "source", "state", "cell", "near", "from", "to", "subject_grade"] as const;

/** The filter as a route query (no empty keys, numbers and booleans as text). */
export function filterToQuery(filter: CaseFilter): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined && value !== null && value !== "") query[key] = String(value);
  }
  return query;
}

type RouteQuery = Record<string, string | null | (string | null)[] | undefined>;

const first = (v: RouteQuery[string]): string | undefined => {
  const s = Array.isArray(v) ? v[0] : v;
  return s === null || s === undefined || s === "" ? undefined : s;
};

/** A route query read back as a filter; what is not a filter (or not a number where one
 *  is wanted) is left out, so a hand-edited URL cannot send junk to the API. */
export function queryToFilter(query: RouteQuery): CaseFilter {
  const filter: CaseFilter = {};
  for (const key of NUMBERS) {
    const text = first(query[key]);
    const value = text === undefined ? NaN : Number(text);
    if (Number.isFinite(value) && value > 0) filter[key] = value;
  }
  for (const key of STRINGS) {
    const text = first(query[key]);
    if (text !== undefined) filter[key] = text;
  }
  const overdue = first(query.overdue);
  if (overdue === "true" || overdue === "false") filter.overdue = overdue === "true";
  return filter;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Midnight of a Shanghai calendar day as an ISO date-time with its offset. */
const shanghaiMidnight = (year: number, month: number, day: number) =>
  `${year}-${pad(month)}-${pad(day)}T00:00:00+08:00`;

/** `from`/`to` of a Shanghai month (YYYY-MM), the way the stats endpoints bound it. */
export function monthRange(month: string): { from: string; to: string } {
  const [year, mon] = month.split("-").map(Number) as [number, number];
  const next = mon === 12 ? [year + 1, 1] : [year, mon + 1];
  return { from: shanghaiMidnight(year, mon, 1), to: shanghaiMidnight(next[0]!, next[1]!, 1) };
}

/** `from`/`to` of a Shanghai day (YYYY-MM-DD). */
export function dayRange(day: string): { from: string; to: string } {
  const [year, mon, d] = day.split("-").map(Number) as [number, number, number];
  const next = new Date(Date.UTC(year, mon - 1, d + 1));
  return {
    from: shanghaiMidnight(year, mon, d),
    to: shanghaiMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()),
  };
}

/** `from`/`to` of the ``days`` days up to a month's end (repeat offenders count 90). */
export function daysBeforeMonthEnd(month: string, days: number): { from: string; to: string } {
  const { to } = monthRange(month);
  const [year, mon] = to.slice(0, 7).split("-").map(Number) as [number, number];
  const start = new Date(Date.UTC(year, mon - 1, 1 - days));
  return {
    from: shanghaiMidnight(start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate()),
    to,
  };
}

/** The Shanghai month of an instant, YYYY-MM. */
export function shanghaiMonth(at: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
  }).format(at);
}

/** The month ``delta`` months after ``month`` (YYYY-MM). */
export function addMonths(month: string, delta: number): string {
  const [year, mon] = month.split("-").map(Number) as [number, number];
  const index = year * 12 + (mon - 1) + delta;
  return `${Math.floor(index / 12)}-${pad((index % 12) + 1)}`;
}

/** A valid YYYY-MM from the route, or the current Shanghai month. */
export function monthOf(query: RouteQuery, now: Date = new Date()): string {
  const text = first(query.month);
  return text && /^\d{4}-(0[1-9]|1[0-2])$/.test(text) ? text : shanghaiMonth(now);
}

/** `from`/`to` of an ISO week (YYYY-Www, Monday to Monday, Shanghai): a hotspot's week. */
export function weekRange(week: string): { from: string; to: string } | null {
  const found = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!found) return null;
  const [year, number] = [Number(found[1]), Number(found[2])];
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday = new Date(Date.UTC(year, 0, 4 - ((jan4.getUTCDay() + 6) % 7) + (number - 1) * 7));
  const next = new Date(monday.getTime() + 7 * 86_400_000);
  const at = (d: Date) => shanghaiMidnight(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  return { from: at(monday), to: at(next) };
}

/** The cases of a repeat place: within 50 m of its centre (WGS-84), its type, its span. */
export function placeFilter(place: {
  centre: { lng: number; lat: number };
  violation_type: string;
  first_at: string;
  last_at: string;
}): CaseFilter {
  const end = new Date(new Date(place.last_at).getTime() + 1000).toISOString();
  return {
    near: `${place.centre.lng.toFixed(6)},${place.centre.lat.toFixed(6)}`,
    radius_m: 50,
    type: place.violation_type,
    from: new Date(place.first_at).toISOString(),
    to: end,
  };
}

/** The ISO week (YYYY-Www) of a Shanghai calendar day given as its UTC midnight. */
function isoWeekOfDay(day: Date): string {
  const thursday = new Date(day.getTime() + (3 - ((day.getUTCDay() + 6) % 7)) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${pad(week)}`;
}

/** The ISO week ``delta`` weeks after ``week``. */
export function addWeeks(week: string, delta: number): string | null {
  const range = weekRange(week);
  if (!range) return null;
  const [y, m, d] = range.from.slice(0, 10).split("-").map(Number) as [number, number, number];
  return isoWeekOfDay(new Date(Date.UTC(y, m - 1, d + 7 * delta)));
}

/** The Shanghai ISO week of an instant. */
export function shanghaiWeek(at: Date = new Date()): string {
  const [y, m, d] = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" })
    .format(at)
    .split("-")
    .map(Number) as [number, number, number];
  return isoWeekOfDay(new Date(Date.UTC(y, m - 1, d)));
}

/** A valid YYYY-Www from the route, or the last complete week (the API's default). */
export function weekOf(query: RouteQuery, now: Date = new Date()): string {
  const text = first(query.week);
  if (text && weekRange(text)) return text;
  return addWeeks(shanghaiWeek(now), -1) as string;
}
