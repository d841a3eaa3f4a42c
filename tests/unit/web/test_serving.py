"""The mobile app under /app/: files, history fallback, caching, and no 500 when unbuilt."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient

from api.errors import EXCEPTION_HANDLERS
from api.security import BearerAuthMiddleware
from api.webapp import IMMUTABLE, page_policy, webapp_handlers

INDEX = '<!doctype html><html lang="zh-CN"><script src="/app/assets/index-AbC123.js"></script>'


def _client(dist: Path) -> TestClient[Litestar]:
    app = Litestar(
        route_handlers=webapp_handlers(dist, page_policy("http://s3.example:9000/")),
        middleware=[DefineMiddleware(BearerAuthMiddleware)],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    return TestClient(app)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-AbC123.js").write_text("console.log('城管');" * 50)
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("outside the bundle")
    return tmp_path


def test_the_page_and_any_app_path_answer_index_without_sign_in(dist: Path) -> None:
    with _client(dist) as client:
        for path in ("/app", "/app/", "/app/login", "/app/tasks/42", "/app/index.html"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            assert response.text == INDEX
            assert response.headers["content-type"].startswith("text/html")
            assert response.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_immutable_and_gzipped(dist: Path) -> None:
    with _client(dist) as client:
        response = client.get("/app/assets/index-AbC123.js", headers={"accept-encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["content-encoding"] == "gzip"
        assert "javascript" in response.headers["content-type"]
        assert "城管" in response.text  # httpx decoded the gzip
        plain = client.get("/app/assets/index-AbC123.js", headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert len(gzip.compress(plain.content)) < len(plain.content)


def test_other_files_are_revalidated(dist: Path) -> None:
    with _client(dist) as client:
        response = client.get("/app/favicon.svg")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"


def test_a_missing_asset_is_a_404_not_the_page(dist: Path) -> None:
    with _client(dist) as client:
        response = client.get("/app/assets/index-Old999.js")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_nothing_outside_the_bundle_is_served(dist: Path) -> None:
    with _client(dist) as client:
        for path in ("/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/..%2fsecret.txt"):
            response = client.get(path)
            assert "outside the bundle" not in response.text, path


def test_unbuilt_app_is_a_clear_503(tmp_path: Path) -> None:
    with _client(tmp_path / "missing") as client:
        for path in ("/app/", "/app/tasks/1"):
            response = client.get(path)
            assert response.status_code == 503
            assert response.json()["code"] == "app_not_built"


def test_the_app_runs_its_own_scripts_and_reaches_only_the_object_store(dist: Path) -> None:
    with _client(dist) as client:
        policy = client.get("/app/").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "connect-src 'self' http://s3.example:9000;" in policy
    assert "img-src 'self' data: blob: http://s3.example:9000;" in policy


def test_the_page_names_its_charset_once(dist: Path) -> None:
    with _client(dist) as client:
        page = client.get("/app/").headers["content-type"]
        script = client.get("/app/assets/index-AbC123.js").headers["content-type"]
    assert page.count("charset") == 1 and "utf-8" in page
    assert script.count("charset") == 1


def test_the_page_carries_the_deployments_settings_escaped(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html><head><title>t</title></head><body></body></html>")
    settings = {"tencent-map-key": 'KEY12-"<x>', "unset": ""}
    app = Litestar(route_handlers=webapp_handlers(tmp_path, page_policy("http://s3"), settings))
    with TestClient(app) as client:
        for encoding in ("gzip", "identity"):
            page = client.get("/app/tasks/1", headers={"accept-encoding": encoding}).text
            assert (
                '<meta name="offsite:tencent-map-key" content="KEY12-&quot;&lt;x&gt;" /></head>'
                in page
            )
            assert "offsite:unset" not in page
