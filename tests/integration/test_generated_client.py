"""A client generated from ``openapi/integrator.json`` by openapi-python-client works
against the app: a complaint in (and again), the feed, and the case, all parsed into the
generated models."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from domain.org import Role
from jobs.outbox import relay_feed
from openapi.export import INTEGRATOR_DOCUMENT
from tests.factories import make_user
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

PACKAGE = "offsite_integrator_client"
# Formatting the generated code (ruff, by default) only costs time here.
GENERATOR_CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"


class Generated:
    """The generated package's modules the test calls."""

    def __init__(self) -> None:
        self.client = importlib.import_module(f"{PACKAGE}.client")
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.api = {
            name: importlib.import_module(f"{PACKAGE}.api.integrator.{name}")
            for name in ("submit_complaint", "list_case_events", "read_case_integrator")
        }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    if importlib.util.find_spec("openapi_python_client") is None:
        pytest.skip("openapi-python-client is not installed: pip install -e '.[dev]'")
    root = tmp_path_factory.mktemp("generated")
    config = root / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    command = [sys.executable, "-m", "openapi_python_client", "generate"]
    command += ["--path", str(INTEGRATOR_DOCUMENT), "--config", str(config), "--meta", "none"]
    command += ["--output-path", str(root / PACKAGE)]
    made = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    # The generator still exits 0 when it has to leave an endpoint or a model out.
    assert "Warning" not in made.stdout + made.stderr, made.stdout + made.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        yield Generated()
    for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
        del sys.modules[name]


async def _api_key(client: AppClient, scopes: list[str]) -> str:
    """A new key with ``scopes``, issued by an admin the way operators do it."""
    admin = await login(client, await make_user(Role.admin))
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=bearer(admin),
        json={"name": "generated client", "scopes": scopes},
    )
    assert issued.status_code == 201, issued.text
    key: str = issued.json()["api_key"]
    return key


def _integrator(gen: Generated, client: AppClient, api_key: str) -> Any:
    """The generated client, sending its own ``Authorization`` header to the app in
    process. The transport goes in through ``httpx_args``: ``set_async_httpx_client``
    would replace the client's headers, and with them the key."""
    # Litestar types its ASGI scope more narrowly than httpx's plain mappings.
    app: Any = client.app
    return gen.client.AuthenticatedClient(
        base_url=str(client.base_url),
        token=api_key,
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.ASGITransport(app=app)},
    )


def _complaint(gen: Generated, external_id: str) -> Any:
    models = gen.models
    return models.ComplaintIn(
        external_id=external_id,
        category="乱设摊",
        text="小区门口有人摆摊卖水果，占用人行道",
        location=models.Location(lng=121.36948, lat=31.10955, coord_type=models.CoordType.WGS84),
        address="七莘路 1000 号",
        complainant=models.Complainant(name="张三丰", phone="13812345678"),
    )


async def test_intake_feed_and_case_through_the_generated_client(
    generated: Generated, client: AppClient
) -> None:
    gen, models = generated, generated.models
    key = await _api_key(client, ["complaints:write", "events:read", "cases:read"])
    api = _integrator(gen, client, key)
    submit = gen.api["submit_complaint"]
    events = gen.api["list_case_events"]
    read_case = gen.api["read_case_integrator"]

    # Where the feed stands now, so only this test's changes are read below.
    await relay_feed(client.app.state.runtime)
    cursor = 0
    while True:
        page = await events.asyncio(client=api, after=cursor, limit=1000)
        assert isinstance(page, models.FeedPage), page
        cursor = page.next_after
        if not page.has_more:
            break

    external_id = f"generated-{time.time_ns()}"
    accepted = await submit.asyncio(client=api, body=_complaint(gen, external_id))
    assert isinstance(accepted, models.ComplaintAccepted), accepted
    assert accepted.duplicate is False
    again = await submit.asyncio(client=api, body=_complaint(gen, external_id))
    assert isinstance(again, models.ComplaintAccepted), again
    assert (again.duplicate, again.case_id, again.number) == (
        True,
        accepted.case_id,
        accepted.number,
    )

    await relay_feed(client.app.state.runtime)
    page = await events.asyncio(client=api, after=cursor, limit=1000)
    assert isinstance(page, models.FeedPage), page
    mine = [item for item in page.items if item.case_id == accepted.case_id]
    assert mine, page
    created = mine[0]
    assert isinstance(created, models.FeedItem)
    assert (created.topic, created.number, created.external_id) == (
        "case.created",
        accepted.number,
        external_id,
    )
    assert isinstance(created.at, datetime) and created.at.tzinfo is not None
    assert page.next_after >= created.pos > cursor

    case = await read_case.asyncio(client=api, case_id=accepted.case_id)
    assert isinstance(case, models.IntegratorCase), case
    assert (case.id, case.number, case.external_id) == (
        accepted.case_id,
        accepted.number,
        external_id,
    )
    assert case.source is models.Source.COMPLAINT
    assert isinstance(case.state, models.State)
    assert case.violation_type.code == "05-01"
    assert isinstance(case.location, models.Location)
    assert (round(case.location.lng, 3), round(case.location.lat, 3)) == (121.369, 31.11)
    assert isinstance(case.complainant, models.ComplainantRead)
    assert (case.complainant.name, case.complainant.phone) == ("张**", "138****5678")
    assert isinstance(case.created_at, datetime) and case.created_at.tzinfo is not None
    assert case.closed_at is None


async def test_errors_parse_into_the_generated_error_body(
    generated: Generated, client: AppClient
) -> None:
    gen, models = generated, generated.models
    api = _integrator(gen, client, await _api_key(client, ["complaints:write"]))

    missing = await gen.api["read_case_integrator"].asyncio_detailed(client=api, case_id=1)
    assert missing.status_code == 403
    assert isinstance(missing.parsed, models.ErrorBody)
    assert missing.parsed.code is models.ErrorCode.SCOPE_MISSING

    stranger = _integrator(gen, client, "osk_not-a-key")
    refused = await gen.api["submit_complaint"].asyncio_detailed(
        client=stranger, body=_complaint(gen, f"refused-{time.time_ns()}")
    )
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.ErrorBody)
    assert refused.parsed.code is models.ErrorCode.API_KEY_INVALID
