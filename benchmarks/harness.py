"""What the service benchmarks share: the CLI in a child process, the ``bench`` profile's
services migrated and seeded around a run, a granian server of an app factory, and
waiting for it to answer."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def offsite(env: dict[str, str], *args: str) -> None:
    """``offsite <args>`` (migrate, seed, ...) against the benchmark's services."""
    subprocess.run(
        [sys.executable, "-m", "offsite.cli", *args],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def on_bench_stack(run: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Start the ``bench`` profile's services (their data kept between runs), migrate and
    seed them, and run ``run()`` with their settings in the environment; then stop what
    this started (services that ran before are someone else's)."""
    from offsite import devstack

    stack = devstack.Stack(ROOT / ".data", "bench")
    info = stack.up()
    env = {**os.environ, **info.env, "OFFSITE_LOG_LEVEL": "WARNING", "OFFSITE_ENV": "bench"}
    os.environ.update(env)
    try:
        offsite(env, "migrate")
        offsite(env, "seed")
        asyncio.run(run())
    finally:
        stack.stop_started()


def serve(env: dict[str, str], target: str, port: int) -> subprocess.Popen[bytes]:
    """One granian worker serving the app factory ``target`` on 127.0.0.1:``port``."""
    code = (
        "from granian import Granian; from granian.constants import Interfaces;"
        f"Granian({target!r}, address='127.0.0.1', port={port}, interface=Interfaces.ASGI,"
        " workers=1, factory=True, log_enabled=False).serve()"
    )
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)


def wait_up(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")
