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

import httpx
import pytest

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
