// A typed address looked up in the district's own places (`GET /api/v1/places`: subjects,
// street blocks, grid cells), for a report where the browser's position is missing or
// wrong; no outside geocoder is needed, so it works on an isolated government network.
import type { components } from "../api/schema";
import type { Position } from "../offline/outbox";

export type Place = components["schemas"]["PlaceRead"];

/** Shortest text worth a lookup (one Chinese character matches too much). */
export const MIN_LOOKUP_CHARS = 2;
export const MAX_LOOKUP_CHARS = 64;

/** The text to look up, or null when it is too short (or only spaces). */
export function lookupText(typed: string): string | null {
  const text = typed.trim().slice(0, MAX_LOOKUP_CHARS);
  return [...text].length >= MIN_LOOKUP_CHARS ? text : null;
}

/** The report's position: the place's point, asked for in WGS-84 like the browser's. */
export function positionOf(place: Place): Position {
  return { lng: place.location.lng, lat: place.location.lat, coord_type: "wgs84" };
}

/** The report's address once the officer picks a place: a subject's name and street
 *  address, an area's name (the officer may add to it before sending). */
export function addressOf(place: Place): string {
  if (place.kind === "subject" && place.address) return `${place.address}（${place.name}）`;
  return place.name;
}
