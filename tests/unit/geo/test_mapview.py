import pytest

from domain.errors import InvalidInput
from domain.geo import CoordType, LngLat, wgs84_to_gcj02
from domain.geo.mapview import BBox, cluster_cell_deg


def test_a_bbox_reads_west_south_east_north() -> None:
    assert BBox.parse("121.3,31.0,121.5,31.2") == BBox(121.3, 31.0, 121.5, 31.2)


@pytest.mark.parametrize(
    "text",
    ["", "1,2,3", "121.5,31,121.3,31.2", "a,b,c,d", "nan,31,121,32", "0,0,1,1", "121,31,121,31"],
)
def test_bad_bboxes_are_refused_with_a_code(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        BBox.parse(text)
    assert raised.value.code == "bbox_invalid"


def test_a_gcj02_bbox_is_moved_back_onto_wgs84() -> None:
    sw, ne = LngLat(121.30, 31.00), LngLat(121.50, 31.20)
    g_sw, g_ne = wgs84_to_gcj02(sw), wgs84_to_gcj02(ne)
    box = BBox(g_sw.lng, g_sw.lat, g_ne.lng, g_ne.lat).to_wgs84(CoordType.gcj02)
    assert abs(box.min_lng - sw.lng) < 1e-4 and abs(box.max_lat - ne.lat) < 1e-4


def test_cells_halve_with_every_zoom_level() -> None:
    assert cluster_cell_deg(10) == pytest.approx(2 * cluster_cell_deg(11))
    assert cluster_cell_deg(0) == 90.0
