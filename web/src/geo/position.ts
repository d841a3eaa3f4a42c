// The phone's position from the browser (navigator.geolocation gives WGS-84).
import type { Position } from "../offline/outbox";

export const LAST_POSITION_KEY = "offsite.lastPosition";

/** The phone's position now, or null when it is refused, unavailable or too slow. */
export function currentPosition(timeoutMs = 8000): Promise<Position | null> {
  if (!("geolocation" in navigator)) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => {
        const here = toPosition(p);
        localStorage.setItem(LAST_POSITION_KEY, JSON.stringify(here));
        resolve(here);
      },
      () => resolve(null),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30_000 },
    );
  });
}

export function toPosition(p: GeolocationPosition): Position {
  const round = (x: number) => Math.round(x * 1e7) / 1e7;
  return { lng: round(p.coords.longitude), lat: round(p.coords.latitude), coord_type: "wgs84" };
}

/** The last position this phone had (for a report made where the position is not
 *  available now), or null. */
export function lastPosition(): Position | null {
  try {
    const raw = localStorage.getItem(LAST_POSITION_KEY);
    return raw ? (JSON.parse(raw) as Position) : null;
  } catch {
    return null;
  }
}

/** Metres between two points (haversine; plenty for "has the officer moved"). */
export function distanceM(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}
