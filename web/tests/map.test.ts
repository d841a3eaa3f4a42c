import { describe, expect, it } from "vitest";
import { bboxOf } from "../src/map/layers";
import { caseColour, clusterSize, isStale, OVERDUE_COLOUR, STALE_AFTER_MS } from "../src/map/style";

describe("the console map", () => {
  it("asks for the visible box clamped to the range the API takes", () => {
    expect(bboxOf(121.3, 31.0, 121.5, 31.2)).toBe("121.300000,31.000000,121.500000,31.200000");
    expect(bboxOf(-200, -90, 200, 90)).toBe("72.004000,0.829300,137.834700,55.827100");
  });

  it("draws overdue cases red whatever their state", () => {
    expect(caseColour("dispatched", true)).toBe(OVERDUE_COLOUR);
    expect(caseColour("dispatched", false)).not.toBe(OVERDUE_COLOUR);
  });

  it("fades a position older than five minutes", () => {
    const now = Date.parse("2026-12-02T08:00:00Z");
    expect(isStale(new Date(now - STALE_AFTER_MS + 1000).toISOString(), now)).toBe(false);
    expect(isStale(new Date(now - STALE_AFTER_MS - 1000).toISOString(), now)).toBe(true);
  });

  it("grows a cluster's bubble with its count, within bounds", () => {
    expect(clusterSize(1)).toBe(28);
    expect(clusterSize(100)).toBeGreaterThan(clusterSize(10));
    expect(clusterSize(10_000_000)).toBe(64);
  });
});
