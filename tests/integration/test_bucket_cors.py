"""The bucket's CORS rule for the app's origins: phones POST photos straight to the
bucket from the app's page (another origin), so `offsite migrate` sets the rule from
S3_CORS_ORIGINS, here against the embedded SeaweedFS, which has PutBucketCors."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from offsite.cli import _bucket_cors
from offsite.settings import Settings
from storage.objects import CorsOutcome, ObjectStore, cors_configuration, cors_origins

APP = "https://cg.example.gov.cn"


def test_origins_are_read_deduplicated_and_checked() -> None:
    spec = f" {APP} , https://CG.example.gov.cn/, http://10.1.2.3:8000,,"
    assert cors_origins(spec) == [APP, "http://10.1.2.3:8000"]
    assert cors_origins("") == []
    for bad in (
        "cg.example.gov.cn",
        "https://cg.example.gov.cn/app/",
        "*",
        "ftp://x",
        "https://*.x",
    ):
        with pytest.raises(ValueError, match="not an origin"):
            cors_origins(bad)
    rule = cors_configuration([APP]).decode()
    assert f"<AllowedOrigin>{APP}</AllowedOrigin>" in rule
    assert "<AllowedMethod>POST</AllowedMethod>" in rule


def _preflight(store: ObjectStore, origin: str) -> httpx.Response:
    return httpx.options(
        f"{store.upload_url()}/evidence/1/photo.jpg",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )


async def test_migrate_sets_the_rule_and_the_store_enforces_it(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ObjectStore(settings.s3)
    store.ensure_bucket()
    with_origins = msgspec.structs.replace(
        settings,
        s3=msgspec.structs.replace(settings.s3, cors_origins=f"{APP},http://10.1.2.3:8000"),
    )
    try:
        await _bucket_cors(store, with_origins)
        assert f"CORS allows {APP}, http://10.1.2.3:8000" in capsys.readouterr().out
        assert APP in (store.cors_rule() or "")
        allowed = _preflight(store, APP)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == APP
        refused = _preflight(store, "https://elsewhere.example")
        assert refused.headers.get("access-control-allow-origin") is None
        # Setting it again (every migrate) is the same rule, not a second one.
        assert store.ensure_cors([APP]) is CorsOutcome.set
        rule = store.cors_rule() or ""
        assert rule.count("<CORSRule>") == 1 and "10.1.2.3" not in rule
    finally:
        store.drop_cors()  # the other tests' browsers come from other origins
    assert store.cors_rule() is None


async def test_without_origins_the_bucket_is_left_as_it_is(settings: Settings) -> None:
    store = ObjectStore(settings.s3)
    store.ensure_bucket()
    await _bucket_cors(store, settings)  # S3_CORS_ORIGINS unset in the test stack
    assert store.cors_rule() is None
    # The embedded store's default answers any origin (what the browser tests rely on).
    assert _preflight(store, "http://127.0.0.1:1234").headers.get("access-control-allow-origin")
