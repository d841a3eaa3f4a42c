"""Health, readiness, request ids, the OpenAPI document, and the error-code catalogue."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api.error_codes import ERROR_CODES
from offsite.settings import Settings
from openapi.export import DOCUMENT, INTEGRATOR_DOCUMENT, integrator_document, render
from storage.objects import ObjectStore
from tests.integration.conftest import AppClient

pytestmark = pytest.mark.usefixtures("database")
ROOT = Path(__file__).parents[2]


async def test_healthz(client: AppClient) -> None:
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_readyz_needs_every_service(client: AppClient, settings: Settings) -> None:
    store = ObjectStore(settings.s3)
    store.ensure_bucket()
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "redis": "ok",
        "object_storage": "ok",
    }


async def test_readyz_reports_a_missing_bucket(settings: Settings) -> None:
    import msgspec

    from tests.integration.conftest import app_client

    elsewhere = msgspec.structs.replace(
        settings, s3=msgspec.structs.replace(settings.s3, bucket="no-such-bucket-here")
    )
    async with app_client(elsewhere) as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready"
    assert response.json()["checks"]["object_storage"].startswith("error")


async def test_request_id_is_echoed_or_made(client: AppClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "phone-abc-123"})
    assert given.headers["X-Request-ID"] == "phone-abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])


async def test_unknown_route_has_an_error_code(client: AppClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_served_openapi_matches_the_exported_file(client: AppClient) -> None:
    served = (await client.get("/schema/openapi.json")).json()
    assert render(served) == DOCUMENT.read_text(), "run `make openapi` and commit the result"
    integrator = render(integrator_document(served))
    assert integrator == INTEGRATOR_DOCUMENT.read_text(), "run `make openapi` and commit the result"


def test_every_raised_error_code_is_documented() -> None:
    raised = set()
    pattern = re.compile(
        r"(?:InvalidInput|Unauthenticated|Forbidden|NotFound|Conflict|RateLimited|Unavailable)"
        r"\(\s*\"([a-z_]+)\""
    )
    for folder in ("api", "domain", "storage", "integrations", "jobs", "offsite", "vision"):
        for path in (ROOT / folder).rglob("*.py"):
            raised |= set(pattern.findall(path.read_text()))
    assert raised, "the pattern found nothing: it is broken"
    assert raised - set(ERROR_CODES) == set()
    document = json.loads(DOCUMENT.read_text())
    assert set(document["components"]["schemas"]["ErrorCode"]["enum"]) == set(ERROR_CODES)
