import { describe, expect, it } from "vitest";
import { addWeeks, dayLabel, daysOf, mondayOf, shanghaiParts, shiftSpan, weekOf } from "../src/util/week";

describe("ISO weeks in Shanghai time", () => {
  it("puts an instant in its Shanghai week, across the UTC day line", () => {
    expect(weekOf(Date.parse("2026-12-02T06:00:00Z"))).toBe("2026-W49");
    // Sunday 23:30 UTC is Monday 07:30 in Shanghai: the next week.
    expect(weekOf(Date.parse("2026-12-06T23:30:00Z"))).toBe("2026-W50");
    expect(weekOf(Date.parse("2026-12-06T15:59:00Z"))).toBe("2026-W49");
  });

  it("handles years whose week 1 starts in December, and week 53", () => {
    expect(weekOf(Date.parse("2024-12-30T04:00:00Z"))).toBe("2025-W01");
    expect(weekOf(Date.parse("2026-12-31T04:00:00Z"))).toBe("2026-W53");
    expect(mondayOf("2025-W01")).toBe("2024-12-30");
    expect(mondayOf("2026-W53")).toBe("2026-12-28");
    expect(mondayOf("2025-W53")).toBeNull();
    expect(mondayOf("2026-W00")).toBeNull();
    expect(mondayOf("nonsense")).toBeNull();
  });

  it("steps weeks over the year's end", () => {
    expect(addWeeks("2026-W53", 1)).toBe("2027-W01");
    expect(addWeeks("2027-W01", -1)).toBe("2026-W53");
    expect(addWeeks("2026-W49", -1)).toBe("2026-W48");
  });

  it("lists the week's days and labels them", () => {
    const days = daysOf("2026-W49");
    expect(days).toEqual(["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"]);
    expect(dayLabel(days[2] as string, 2)).toBe("周三 12/02");
  });

  it("reads shifts in Shanghai time and writes them with +08:00", () => {
    expect(shanghaiParts("2026-11-30T23:00:00Z")).toEqual({ day: "2026-12-01", time: "07:00" });
    expect(shiftSpan("2026-12-01", "07:00", "19:00")).toEqual({
      starts_at: "2026-12-01T07:00:00+08:00",
      ends_at: "2026-12-01T19:00:00+08:00",
    });
    // A night shift ends the next morning.
    expect(shiftSpan("2026-12-06", "19:00", "07:00").ends_at).toBe("2026-12-07T07:00:00+08:00");
  });
});
