import { describe, expect, it } from "vitest";
import {
  amapNavigationUrl,
  bd09ToGcj02,
  tencentNavigationUrl,
  toGcj02,
  wgs84ToGcj02,
} from "../src/geo/coords";

describe("WGS-84 to GCJ-02", () => {
  it("matches the published transform", () => {
    // Reference values of the widely used coordtransform library.
    const [lng, lat] = wgs84ToGcj02(116.404, 39.915);
    expect(lng).toBeCloseTo(116.41024449916938, 9);
    expect(lat).toBeCloseTo(39.91640428150164, 9);
  });

  it("shifts a point in Minhang by a few hundred metres, east and south", () => {
    const [lng, lat] = wgs84ToGcj02(121.3994755, 30.9995505);
    expect(lng - 121.3994755).toBeGreaterThan(0.003);
    expect(lng - 121.3994755).toBeLessThan(0.006);
    expect(lat - 30.9995505).toBeLessThan(-0.001);
    expect(lat - 30.9995505).toBeGreaterThan(-0.004);
  });

  it("leaves points outside China alone", () => {
    expect(wgs84ToGcj02(2.3522, 48.8566)).toEqual([2.3522, 48.8566]);
  });

  it("takes GCJ-02 as it is and converts BD-09", () => {
    expect(toGcj02({ lng: 121.4, lat: 31.0, coord_type: "gcj02" })).toEqual([121.4, 31.0]);
    const [lng, lat] = bd09ToGcj02(116.404, 39.915);
    expect(lng).toBeCloseTo(116.39762729119315, 9);
    expect(lat).toBeCloseTo(39.90865673957631, 9);
  });
});

describe("navigation links", () => {
  const spot = { lng: 121.3994755, lat: 30.9995505, coord_type: "wgs84" as const };

  it("opens 高德 at the GCJ-02 point", () => {
    const url = new URL(amapNavigationUrl(spot, "江川路 101 号"));
    expect(url.host).toBe("uri.amap.com");
    const [lng, lat, name] = url.searchParams.get("to")!.split(",");
    const [gLng, gLat] = wgs84ToGcj02(spot.lng, spot.lat);
    expect(Number(lng)).toBeCloseTo(gLng, 5);
    expect(Number(lat)).toBeCloseTo(gLat, 5);
    expect(name).toBe("江川路 101 号");
    expect(url.searchParams.get("coordinate")).toBe("gaode");
  });

  it("opens 腾讯地图 with lat,lng in GCJ-02", () => {
    const url = new URL(tencentNavigationUrl(spot, "江川路", "KEY12-ABCDE"));
    const [lat, lng] = url.searchParams.get("tocoord")!.split(",").map(Number);
    const [gLng, gLat] = wgs84ToGcj02(spot.lng, spot.lat);
    expect(lat).toBeCloseTo(gLat, 5);
    expect(lng).toBeCloseTo(gLng, 5);
    expect(url.searchParams.get("referer")).toBe("KEY12-ABCDE");
  });

  it("offers no 腾讯地图 link without the deployment's key", () => {
    expect(tencentNavigationUrl(spot, "江川路", "")).toBe("");
  });
});
