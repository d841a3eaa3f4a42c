"""Generate the demo Minhang squad and grid-cell GeoJSON seed files.

Run once by hand (``python storage/seed/make_minhang_geojson.py``); the app reads
the committed output, this script is kept for the record so the data can be
regenerated or tweaked.

The boundaries are APPROXIMATE, FOR DEMO ONLY: a hand-drawn district outline
split into the Voronoi cells of rough town/subdistrict centres. They are not
the official administrative boundaries. The codes follow the statistical
township code pattern (310112 + 3 digits) but are unverified.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import shapely
from shapely.affinity import scale
from shapely.geometry import MultiPoint, Point, Polygon, box, mapping

NOTE = "approximate, for demo only"
OUT_DIR = Path(__file__).resolve().parent
SQUADS_FILE = OUT_DIR / "minhang_squads.geojson"
GRIDS_FILE = OUT_DIR / "minhang_grids.geojson"

EARTH_RADIUS_M = 6371008.8
CELL_SIZE_M = 100.0
DECIMALS = 6
REF_LAT = 31.1  # Voronoi is computed on lng scaled by cos(REF_LAT) so cells look isotropic.

# (code, name_zh, name_en, kind, centre lng, centre lat)
SQUADS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("310112001", "江川路街道", "Jiangchuan Road Subdistrict", "subdistrict", 121.40, 31.00),
    ("310112006", "古美街道", "Gumei Subdistrict", "subdistrict", 121.40, 31.15),
    ("310112008", "新虹街道", "Xinhong Subdistrict", "subdistrict", 121.32, 31.20),
    ("310112009", "浦锦街道", "Pujin Subdistrict", "subdistrict", 121.50, 31.09),
    ("310112101", "莘庄镇", "Xinzhuang Town", "town", 121.37, 31.11),
    ("310112102", "七宝镇", "Qibao Town", "town", 121.34, 31.15),
    ("310112103", "颛桥镇", "Zhuanqiao Town", "town", 121.41, 31.06),
    ("310112106", "华漕镇", "Huacao Town", "town", 121.29, 31.22),
    ("310112107", "虹桥镇", "Hongqiao Town", "town", 121.38, 31.19),
    ("310112108", "梅陇镇", "Meilong Town", "town", 121.43, 31.12),
    ("310112110", "吴泾镇", "Wujing Town", "town", 121.46, 31.05),
    ("310112112", "马桥镇", "Maqiao Town", "town", 121.36, 31.02),
    ("310112114", "浦江镇", "Pujiang Town", "town", 121.53, 31.05),
    ("310112501", "莘庄工业区", "Xinzhuang Industrial Zone", "industrial_zone", 121.33, 31.07),
)

# Hand-drawn outline: a NW-SE band from Huacao (near Hongqiao airport) down to
# Pujiang east of the Huangpu river. Roughly lng 121.26..121.57, lat 30.97..31.25.
DISTRICT_OUTLINE = Polygon(
    [
        (121.262, 31.238),
        (121.300, 31.250),
        (121.345, 31.240),
        (121.390, 31.215),
        (121.410, 31.190),
        (121.440, 31.165),
        (121.455, 31.135),
        (121.480, 31.115),
        (121.520, 31.110),
        (121.555, 31.090),
        (121.570, 31.050),
        (121.560, 31.000),
        (121.520, 30.975),
        (121.470, 30.985),
        (121.420, 30.970),
        (121.370, 30.980),
        (121.330, 31.010),
        (121.300, 31.060),
        (121.290, 31.110),
        (121.275, 31.160),
        (121.260, 31.200),
    ]
)


def round_geometry(geom: Any) -> Any:
    """Snap to a 1e-6 degree grid (keeps validity and shared edges), then round for output."""
    snapped = shapely.set_precision(geom, 10.0**-DECIMALS)
    return shapely.transform(snapped, lambda xy: xy.round(DECIMALS))


def squad_polygons() -> list[Any]:
    """Voronoi cells of the squad centres clipped to the outline, in SQUADS order."""
    x_factor = math.cos(math.radians(REF_LAT))
    centres = [Point(lng, lat) for *_, lng, lat in SQUADS]
    squashed = scale(MultiPoint(centres), xfact=x_factor, yfact=1.0, origin=(0, 0))
    outline = scale(DISTRICT_OUTLINE, xfact=x_factor, yfact=1.0, origin=(0, 0))
    cells = shapely.get_parts(shapely.voronoi_polygons(squashed, extend_to=outline))
    result = []
    for centre in centres:
        # voronoi_polygons does not promise input order, so match by containment.
        (cell,) = [c for c in cells if c.contains(scale(centre, xfact=x_factor, origin=(0, 0)))]
        clipped = scale(cell.intersection(outline), xfact=1.0 / x_factor, origin=(0, 0))
        result.append(round_geometry(clipped))
    return result


def grid_cells(squad: Any, centre: Point) -> list[Any]:
    """Four 100 m x 100 m cells in a 2x2 block around the centre, inside ``squad``."""
    dlat = math.degrees(CELL_SIZE_M / EARTH_RADIUS_M)
    dlng = dlat / math.cos(math.radians(centre.y))
    block = box(centre.x - dlng, centre.y - dlat, centre.x + dlng, centre.y + dlat)
    if not squad.contains(block):
        centre = squad.representative_point()
    x0, y0 = centre.x - dlng, centre.y - dlat
    # Row-major from the south-west corner: serials 1..4.
    cells = [
        round_geometry(
            box(x0 + col * dlng, y0 + row * dlat, x0 + (col + 1) * dlng, y0 + (row + 1) * dlat)
        )
        for row in range(2)
        for col in range(2)
    ]
    if not all(squad.covers(cell) for cell in cells):
        raise RuntimeError(f"grid cell outside its squad near {centre}")
    return cells


def feature(geom: Any, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geom)}


def collection(name: str, features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "name": name, "description": NOTE, "features": features}


def build() -> tuple[dict[str, Any], dict[str, Any]]:
    """Build the squads and grids FeatureCollections."""
    squad_features, grid_features = [], []
    for (code, name_zh, name_en, kind, lng, lat), polygon in zip(
        SQUADS, squad_polygons(), strict=True
    ):
        if not (polygon.is_valid and polygon.geom_type == "Polygon"):
            raise RuntimeError(f"squad {code}: bad polygon {shapely.is_valid_reason(polygon)}")
        squad_features.append(
            feature(
                polygon,
                {
                    "code": code,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "kind": kind,
                    "centre": [lng, lat],
                    "note": NOTE,
                },
            )
        )
        for serial, cell in enumerate(grid_cells(polygon, Point(lng, lat)), start=1):
            grid_features.append(
                feature(
                    cell,
                    {
                        "code": f"{code}-{serial:04d}",
                        "squad_code": code,
                        "name_zh": f"{name_zh}第{serial}网格",
                        "note": NOTE,
                    },
                )
            )
    return collection("minhang_squads", squad_features), collection("minhang_grids", grid_features)


def write(path: Path, fc: dict[str, Any]) -> None:
    """Write valid GeoJSON with one feature per line, so diffs stay readable."""
    header = json.dumps({k: v for k, v in fc.items() if k != "features"}, ensure_ascii=False)
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in fc["features"]]
    body = ",\n".join(lines)
    path.write_text(f'{header[:-1]}, "features": [\n{body}\n]}}\n', encoding="utf-8")


def main() -> None:
    squads, grids = build()
    write(SQUADS_FILE, squads)
    write(GRIDS_FILE, grids)


if __name__ == "__main__":
    main()
