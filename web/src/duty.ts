// On duty (在岗): the command centre sees where on-duty officers are. While on duty and
// the app is open and visible, the position goes to PUT /api/v1/me/duty every minute
// and when the officer has moved far; nothing is tracked while the app is hidden.
import { ref } from "vue";
import { api } from "./api";
import { distanceM, toPosition } from "./geo/position";
import type { Position } from "./offline/outbox";

export const DUTY_KEY = "offsite.onDuty";
export const EVERY_MS = 60_000;
export const MOVED_M = 100;
const AT_MOST_EVERY_MS = 10_000;

export const onDuty = ref(localStorage.getItem(DUTY_KEY) === "1");
let timer: ReturnType<typeof setInterval> | null = null;
let watch: number | null = null;
let last: { at: number; where: Position } | null = null;

async function send(on: boolean, where: Position | null): Promise<void> {
  await api.request("PUT", "/api/v1/me/duty", { body: { on_duty: on, location: where } });
  if (where) last = { at: Date.now(), where };
}

/** Go on or off duty (the server's answer decides; a failure leaves it as it was). */
export async function setDuty(on: boolean, where: Position | null): Promise<void> {
  await send(on, where);
  onDuty.value = on;
  localStorage.setItem(DUTY_KEY, on ? "1" : "0");
  if (on) start();
  else stop();
}

/** Whether a position is worth sending: the minute is up (`periodic`), or the officer has
 *  moved at least MOVED_M (but not more often than every 10 s). */
export function worthSending(
  previous: { at: number; where: Position } | null,
  here: Position,
  now: number,
  periodic: boolean,
): boolean {
  if (!previous) return true;
  const age = now - previous.at;
  if (periodic) return age >= EVERY_MS - 1000;
  return distanceM(previous.where, here) >= MOVED_M && age >= AT_MOST_EVERY_MS;
}

function report(p: GeolocationPosition, periodic: boolean): void {
  const here = toPosition(p);
  if (worthSending(last, here, Date.now(), periodic)) {
    // A lost update is not retried: the next one a minute later says more.
    send(true, here).catch(() => undefined);
  }
}

function start(): void {
  if (!("geolocation" in navigator) || document.visibilityState === "hidden") return;
  stop();
  timer = setInterval(() => {
    navigator.geolocation.getCurrentPosition((p) => report(p, true), () => undefined, {
      maximumAge: 30_000,
      timeout: 20_000,
    });
  }, EVERY_MS);
  watch = navigator.geolocation.watchPosition((p) => report(p, false), () => undefined, {
    enableHighAccuracy: true,
  });
}

function stop(): void {
  if (timer !== null) clearInterval(timer);
  if (watch !== null) navigator.geolocation.clearWatch(watch);
  timer = watch = null;
}

/** At start-up: an officer who was on duty keeps reporting while the app is visible. */
export function resumeDuty(): void {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") stop();
    else if (onDuty.value && api.session) start();
  });
  if (onDuty.value && api.session) start();
}

/** What the server says (GET /me) wins over what this phone remembered. */
export function knowDuty(on: boolean): void {
  onDuty.value = on;
  localStorage.setItem(DUTY_KEY, on ? "1" : "0");
  if (on) start();
  else stop();
}
