// The deadline as an officer reads it: time left, or how long it is overdue.

export interface Countdown {
  text: string;
  overdue: boolean;
  /** Under an hour left: shown in orange. */
  soon: boolean;
}

function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  if (days > 0) return `${days}天${hours}小时`;
  if (hours > 0) return `${hours}小时${minutes}分`;
  return `${minutes}分${String(seconds).padStart(2, "0")}秒`;
}

export function countdown(dueAt: string | null | undefined, now: number, overdue = false): Countdown {
  if (!dueAt) return { text: overdue ? "已超期" : "无期限", overdue, soon: false };
  const left = Date.parse(dueAt) - now;
  if (left <= 0) return { text: `已超期 ${span(-left)}`, overdue: true, soon: false };
  return { text: `剩余 ${span(left)}`, overdue, soon: left < 3600_000 };
}

const shanghai = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** "12/03 14:05" in Shanghai time, whatever the phone's zone. */
export function shortTime(iso: string | null | undefined): string {
  return iso ? shanghai.format(new Date(iso)) : "—";
}
