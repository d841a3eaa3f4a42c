"""The base layers (底图) the console can draw, and what each needs: its tile URL, its
coordinate system (the overlays are asked in it), and the host the page's
Content-Security-Policy must let images come from."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

from domain.geo import CoordType, LngLat, from_wgs84
from offsite.settings import MapSettings

# 闵行区 as a whole: its centre (WGS-84) and the zoom that shows it on 1920×1080.
DISTRICT_CENTRE = LngLat(121.42, 31.08)
DISTRICT_ZOOM = 12


class Base(msgspec.Struct, frozen=True, kw_only=True):
    name_zh: str
    coord_type: CoordType
    tile_url: str | None
    label_url: str | None = None
    subdomains: str = ""
    attribution: str = ""
    max_zoom: int = 18


_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
)


def base_of(settings: MapSettings) -> Base:
    """The configured base layer; ``OFFSITE_MAP_TILE_URL`` replaces its public URL."""
    own = settings.tile_url or None
    match settings.base:
        case "tianditu":
            url = _TIANDITU.replace("{tk}", settings.tianditu_key)
            return Base(
                name_zh="天地图",
                coord_type=CoordType.wgs84,  # CGCS2000, within centimetres of WGS-84
                tile_url=own or url.replace("{layer}", "vec"),
                label_url=None if own else url.replace("{layer}", "cva"),
                subdomains="" if own else "01234567",
                attribution="© 天地图 国家地理信息公共服务平台",
            )
        case "amap":
            return Base(
                name_zh="高德地图",
                coord_type=CoordType.gcj02,
                tile_url=own
                or "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                "&style=8&x={x}&y={y}&z={z}",
                subdomains="" if own else "1234",
                attribution="© 高德地图",
            )
        case "tencent":
            return Base(
                name_zh="腾讯地图",
                coord_type=CoordType.gcj02,
                tile_url=own
                or "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&type=vector&styleid=0",
                subdomains="" if own else "0123",
                attribution="© 腾讯地图",
            )
    return Base(name_zh="辖区图", coord_type=CoordType.wgs84, tile_url=None)


def tile_source(settings: MapSettings) -> str | None:
    """The CSP source for the base layer's tiles (``https://*.tianditu.gov.cn``), or None."""
    base = base_of(settings)
    if base.tile_url is None:
        return None
    parts = urlsplit(base.tile_url)
    host = parts.netloc
    if "{s}" in host:  # t{s}.tianditu.gov.cn: any subdomain of the rest
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def district_view(coord_type: CoordType) -> tuple[list[float], int]:
    """The district's centre in ``coord_type`` and the zoom showing the whole of it."""
    p = from_wgs84(DISTRICT_CENTRE, coord_type)
    return [round(p.lng, 7), round(p.lat, 7)], DISTRICT_ZOOM
