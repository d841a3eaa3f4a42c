// Chinese map apps (高德, 腾讯) take GCJ-02; our cases carry WGS-84 from phones and cameras.
// The standard published transform (accurate to a metre or two inside China); points
// outside China are left unchanged, as the maps themselves do.

export interface Point {
  lng: number;
  lat: number;
  coord_type?: "wgs84" | "gcj02" | "bd09";
}

const A = 6378245.0; // Krasovsky 1940 semi-major axis
const EE = 0.00669342162296594323; // its eccentricity squared
const X_PI = (Math.PI * 3000.0) / 180.0;

export function outOfChina(lng: number, lat: number): boolean {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function transformLng(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

export function wgs84ToGcj02(lng: number, lat: number): [number, number] {
  if (outOfChina(lng, lat)) return [lng, lat];
  let dLat = transformLat(lng - 105.0, lat - 35.0);
  let dLng = transformLng(lng - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLng = (dLng * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lng + dLng, lat + dLat];
}

export function bd09ToGcj02(lng: number, lat: number): [number, number] {
  const x = lng - 0.0065;
  const y = lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
  return [z * Math.cos(theta), z * Math.sin(theta)];
}

/** The point in GCJ-02, whatever it was given in (WGS-84 when unsaid). */
export function toGcj02(p: Point): [number, number] {
  if (p.coord_type === "gcj02") return [p.lng, p.lat];
  if (p.coord_type === "bd09") return bd09ToGcj02(p.lng, p.lat);
  return wgs84ToGcj02(p.lng, p.lat);
}

const fixed = (n: number) => n.toFixed(6);

/** 高德 URI API: opens the app (callnative) or its web page, navigating to the spot. */
export function amapNavigationUrl(p: Point, name: string): string {
  const [lng, lat] = toGcj02(p);
  const to = `${fixed(lng)},${fixed(lat)},${name}`;
  return `https://uri.amap.com/navigation?to=${encodeURIComponent(to)}&mode=car&coordinate=gaode&callnative=1&src=offsite`;
}

/** 腾讯地图 URI API: a route plan to the spot. Its `referer` is the deployment's
 *  developer key (`OFFSITE_TENCENT_MAP_KEY`); without one there is no link (""). */
export function tencentNavigationUrl(p: Point, name: string, key: string): string {
  if (!key) return "";
  const [lng, lat] = toGcj02(p);
  const q = new URLSearchParams({
    type: "drive",
    to: name,
    tocoord: `${fixed(lat)},${fixed(lng)}`,
    referer: key,
  });
  return `https://apis.map.qq.com/uri/v1/routeplan?${q.toString()}`;
}
