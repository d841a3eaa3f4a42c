"""The console's base layer setting: its coordinate system, and the only tile host the
page's Content-Security-Policy lets images come from."""

import pytest

from api.map.basemap import base_of, tile_source
from api.webapp import page_policy
from domain.geo import CoordType
from offsite.settings import MapSettings, SettingsError


def test_no_base_layer_by_default_and_no_tile_host() -> None:
    settings = MapSettings()
    assert base_of(settings).tile_url is None
    assert tile_source(settings) is None
    assert "img-src 'self' data: blob: http://s3:9000;" in page_policy("http://s3:9000")


@pytest.mark.parametrize(
    ("base", "datum", "host"),
    [
        ("tianditu", CoordType.wgs84, "https://*.tianditu.gov.cn"),
        ("amap", CoordType.gcj02, "https://*.is.autonavi.com"),
        ("tencent", CoordType.gcj02, "https://*.map.gtimg.com"),
    ],
)
def test_each_base_names_its_datum_and_its_tile_host(
    base: str, datum: CoordType, host: str
) -> None:
    settings = MapSettings(base=base, tianditu_key="k" * 32)
    assert base_of(settings).coord_type is datum
    assert tile_source(settings) == host
    policy = page_policy("http://s3:9000", tile_source(settings))
    assert f"img-src 'self' data: blob: http://s3:9000 {host};" in policy
    assert host not in policy.split("connect-src")[1]  # images only


def test_an_own_tile_server_replaces_the_public_one() -> None:
    settings = MapSettings(base="amap", tile_url="http://10.1.2.3:8080/{z}/{x}/{y}.png")
    assert base_of(settings).tile_url == "http://10.1.2.3:8080/{z}/{x}/{y}.png"
    assert tile_source(settings) == "http://10.1.2.3:8080"


def test_tianditu_needs_its_key_and_unknown_bases_are_refused() -> None:
    with pytest.raises(SettingsError):
        MapSettings.from_env({"OFFSITE_MAP_BASE": "tianditu"})
    with pytest.raises(SettingsError):
        MapSettings.from_env({"OFFSITE_MAP_BASE": "google"})
    key = base_of(MapSettings(base="tianditu", tianditu_key="abc")).tile_url or ""
    assert "tk=abc" in key
