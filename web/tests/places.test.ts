import { describe, expect, it } from "vitest";
import { addressOf, lookupText, positionOf, type Place } from "../src/geo/places";

const place = (over: Partial<Place>): Place => ({
  kind: "subject",
  kind_label_zh: "监管对象",
  id: 1,
  name: "张记面馆",
  address: "江川路 12 号",
  location: { lng: 121.4, lat: 31.0, coord_type: "wgs84" },
  squad_id: 1,
  ...over,
});

describe("typed-address lookup", () => {
  it("looks up two characters or more, trimmed and bounded", () => {
    expect(lookupText(" 江 ")).toBeNull();
    expect(lookupText("   ")).toBeNull();
    expect(lookupText(" 江川 ")).toBe("江川");
    expect(lookupText("路".repeat(80))).toHaveLength(64);
  });

  it("makes the picked place the report's position, in WGS-84", () => {
    expect(positionOf(place({}))).toEqual({ lng: 121.4, lat: 31.0, coord_type: "wgs84" });
  });

  it("writes a subject's street address and name, an area's name", () => {
    expect(addressOf(place({}))).toBe("江川路 12 号（张记面馆）");
    expect(addressOf(place({ kind: "block", address: "", name: "江川路美丽街区" }))).toBe("江川路美丽街区");
    expect(addressOf(place({ kind: "grid", address: "310112001-0001", name: "江川一网格" }))).toBe("江川一网格");
  });
});
