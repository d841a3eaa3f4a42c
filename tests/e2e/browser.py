"""Debian's Chromium for the browser tests, installed once when missing (as root), and the
processes the tests drive: ``offsite api`` serving the built app, ``offsite worker``.

Playwright's own browser download cannot run here (``playwright install`` is never
called): Playwright for Python drives ``/usr/bin/chromium`` from apt."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
APT_PACKAGES = ["chromium", "fonts-wqy-zenhei"]
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(".data/test/screenshots")


def ensure_chromium() -> Path:
    """Chromium and a CJK font (Chinese renders as boxes without one); apt-get installs
    them when missing and we are root, otherwise the test fails saying what to install."""
    if CHROMIUM.exists() and CJK_FONT.exists():
        return CHROMIUM
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"browser tests need: apt-get install -y {' '.join(APT_PACKAGES)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        # A fresh machine has no package lists yet.
        subprocess.run(["apt-get", "update"], env=env, check=True, capture_output=True)
        subprocess.run(install, env=env, check=True, capture_output=True)
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def api_process(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """``offsite api`` on a free port over the test stack; yields its base URL when ready."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        OFFSITE_HTTP_HOST="127.0.0.1",
        OFFSITE_HTTP_PORT=str(port),
        OFFSITE_PUBLIC_URL=base,
        OFFSITE_LOG_LEVEL="WARNING",
        **(extra_env or {}),
    )
    proc = subprocess.Popen([sys.executable, "-m", "offsite.cli", "api"], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"offsite api exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("offsite api was not ready within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        _stop(proc)


@contextmanager
def worker_process() -> Iterator[subprocess.Popen[bytes]]:
    """``offsite worker``: checks uploaded photos (thumbnails, view links)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "offsite.cli", "worker"],
        env=dict(os.environ, OFFSITE_LOG_LEVEL="WARNING"),
    )
    try:
        yield proc
    finally:
        _stop(proc)


# Every running animation finished, or cancelled (a cancelled one rejects: an AbortError).
SETTLED = "Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)))"


async def phone(
    browser: tuple[Playwright, Browser],
    device: str = "iPhone 13",
    point: dict[str, Any] | None = None,
) -> BrowserContext:
    """A phone of Playwright's ``device`` list, in Chinese and Shanghai time; at ``point``
    (WGS-84), with location granted, when one is given."""
    p, chromium = browser
    where: dict[str, Any] = {}
    if point is not None:
        where = {
            "geolocation": {"longitude": point["lng"], "latitude": point["lat"], "accuracy": 10},
            "permissions": ["geolocation"],
        }
    return await chromium.new_context(
        **p.devices[device], locale="zh-CN", timezone_id="Asia/Shanghai", **where
    )


async def shot(page: Page, name: str, *, wait_toasts: bool = False) -> Path:
    """The whole page as the phone shows it: transitions finished (``wait_toasts``: and
    toasts gone), and the viewport made as tall as the page for the shot (a full-page
    capture would leave fixed bars and overlays at their scrolled positions)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if wait_toasts:
        for shown in await page.locator(".van-toast").all():
            await shown.wait_for(state="hidden")
    await page.evaluate(SETTLED)
    size = page.viewport_size
    assert size is not None
    height = await page.evaluate("document.documentElement.scrollHeight")
    await page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    await page.evaluate("window.scrollTo(0, 0)")
    await page.evaluate(SETTLED)
    await page.screenshot(path=str(path))
    await page.set_viewport_size(size)
    return path
