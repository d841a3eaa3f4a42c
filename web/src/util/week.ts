// ISO weeks (`2026-W49`) as the roster API counts them: Monday 00:00 to Monday 00:00,
// Shanghai time (UTC+8 all year, no summer time), whatever the phone's own zone.
const OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;
const WEEK_RE = /^(\d{4})-W(\d{2})$/;

/** The Shanghai calendar day of an instant as a UTC-midnight Date (for date arithmetic). */
function shanghaiDate(ms: number): Date {
  const d = new Date(ms + OFFSET_MS);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** The ISO week holding the instant ``ms``, in Shanghai time. */
export function weekOf(ms: number): string {
  const day = shanghaiDate(ms);
  const weekday = (day.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(day.getTime() + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const firstMonday = firstThursday.getTime() - ((firstThursday.getUTCDay() + 6) % 7) * DAY_MS;
  const number = Math.floor((thursday.getTime() - firstMonday) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(number).padStart(2, "0")}`;
}

/** The week's Monday as YYYY-MM-DD, or null when ``week`` is not an ISO week. */
export function mondayOf(week: string): string | null {
  const m = WEEK_RE.exec(week);
  if (!m) return null;
  const year = Number(m[1]);
  const number = Number(m[2]);
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * DAY_MS + (number - 1) * 7 * DAY_MS;
  if (number < 1 || weekOf(monday - OFFSET_MS) !== week) return null;
  return new Date(monday).toISOString().slice(0, 10);
}

/** The week ``n`` weeks after ``week`` (before, when negative). */
export function addWeeks(week: string, n: number): string {
  const monday = mondayOf(week);
  if (!monday) return week;
  return weekOf(Date.parse(`${monday}T00:00:00+08:00`) + n * 7 * DAY_MS);
}

/** The seven days of the week, Monday first, as YYYY-MM-DD. */
export function daysOf(week: string): string[] {
  const monday = mondayOf(week);
  if (!monday) return [];
  const start = Date.parse(`${monday}T00:00:00Z`);
  return Array.from({ length: 7 }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}

/** The Shanghai day (YYYY-MM-DD) and time (HH:mm) of an instant. */
export function shanghaiParts(iso: string): { day: string; time: string } {
  const shifted = new Date(Date.parse(iso) + OFFSET_MS).toISOString();
  return { day: shifted.slice(0, 10), time: shifted.slice(11, 16) };
}

/** A shift from a day and two Shanghai clock times; an end not after the start is the
 *  next day's (a night shift 19:00–07:00). RFC 3339 with +08:00, as the API takes it. */
export function shiftSpan(day: string, start: string, end: string): { starts_at: string; ends_at: string } {
  const startsAt = `${day}T${start}:00+08:00`;
  let endDay = day;
  if (end <= start) endDay = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
  return { starts_at: startsAt, ends_at: `${endDay}T${end}:00+08:00` };
}

const WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/** "周三 12/03" for a YYYY-MM-DD day of a week (index 0 = Monday). */
export function dayLabel(day: string, index: number): string {
  return `${WEEKDAYS[index] ?? ""} ${day.slice(5, 7)}/${day.slice(8, 10)}`;
}
