import { describe, expect, it } from "vitest";
import { EVERY_MS, worthSending } from "../src/duty";
import { distanceM } from "../src/geo/position";

const here = { lng: 121.4, lat: 31.0, coord_type: "wgs84" as const };
const north = (m: number) => ({ ...here, lat: here.lat + m / 111_195 });

describe("position updates while on duty", () => {
  it("measures metres between points", () => {
    expect(distanceM(here, north(100))).toBeGreaterThan(99);
    expect(distanceM(here, north(100))).toBeLessThan(101);
  });

  it("sends the first position at once, then every minute", () => {
    expect(worthSending(null, here, 0, false)).toBe(true);
    const last = { at: 0, where: here };
    expect(worthSending(last, here, 30_000, true)).toBe(false);
    expect(worthSending(last, here, EVERY_MS, true)).toBe(true);
  });

  it("sends sooner when the officer has moved far, but not in a burst", () => {
    const last = { at: 0, where: here };
    expect(worthSending(last, north(40), 20_000, false)).toBe(false); // a few steps
    expect(worthSending(last, north(150), 20_000, false)).toBe(true); // down the street
    expect(worthSending(last, north(150), 5_000, false)).toBe(false); // 5 s after the last
  });
});
