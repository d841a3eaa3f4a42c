"""End-to-end tests reuse the integration fixtures (real services, the app in-process),
and run the workers as production does: ``offsite worker`` and ``offsite worker
--integrations``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping

import pytest
from playwright.async_api import Browser, Playwright, async_playwright

from offsite.web import default_dist
from tests.e2e.browser import (
    LAUNCH_ARGS,
    SCREENSHOTS,
    api_process,
    ensure_chromium,
    worker_process,
)
from tests.integration.conftest import (  # noqa: F401
    AppClient,
    client,
    database,
    fake_sms,
    fake_wechat,
    settings,
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Where the browser tests left their screenshots (look at them)."""
    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", f"{len(shots)} screenshots in {SCREENSHOTS.resolve()}")
        for shot in shots:
            terminalreporter.write_line(f"  {shot.name}")


TENCENT_TEST_KEY = "OFFSI-TETES-TKEY0-00000-00000-00001"
WORKER_KINDS = ("default", "integrations")


def start_worker(kind: str = "default", **env: str) -> subprocess.Popen[bytes]:
    """One ``offsite worker`` process of ``kind`` (default, integrations), with extra
    environment (e.g. ``OFFSITE_OUTBOX_LEASE_S``)."""
    argv = [sys.executable, "-m", "offsite.cli", "worker"]
    if kind != "default":
        argv.append(f"--{kind}")
    return subprocess.Popen(argv, env=dict(os.environ, OFFSITE_LOG_LEVEL="WARNING", **env))


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and a failure when it does not stop (it would disturb later tests)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)  # a worker must stop on SIGTERM
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


class Workers:
    """The default and the integrations worker, startable again with other settings."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self, env: Mapping[str, str] | None = None, kinds: tuple[str, ...] = WORKER_KINDS
    ) -> None:
        for kind in kinds:
            self.procs[kind] = start_worker(kind, **dict(env or {}))

    def stop(self) -> None:
        for proc in self.procs.values():
            stop_worker(proc)
        self.procs.clear()


@pytest.fixture
def workers() -> Iterator[Workers]:
    """Both workers, as `offsite up` starts them (call ``start``; stopped afterwards)."""
    running = Workers()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def app_url(client: AppClient) -> Iterator[str]:  # noqa: F811 - the fixture above
    """The API (serving the built app) and the worker, as production runs them."""
    if not (default_dist() / "index.html").exists():
        pytest.fail("the app is not built: run `make install` (npm run build in web/)")
    # A Tencent maps key, as a deployment sets one (the task page's 腾讯地图 link).
    with api_process({"OFFSITE_TENCENT_MAP_KEY": TENCENT_TEST_KEY}) as base, worker_process():
        yield base


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[tuple[Playwright, Browser]]:
    """Debian's Chromium, headless, installed first when missing."""
    executable = ensure_chromium()
    async with async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=str(executable), headless=True, args=LAUNCH_ARGS
        )
        yield p, chromium
        await chromium.close()
