"""Stopping and starting the test stack's own services from inside a test (fault
injection): the embedded PostgreSQL, Redis and SeaweedFS of ``.data/test``, found by
the ports and paths the suite's stack keeps there."""

from __future__ import annotations

import asyncio
import os

import pytest

from offsite.devstack import Stack
from offsite.settings import Settings


class TestStack:
    """The running test stack; each call blocks in a thread, not in the event loop (the
    app under test keeps serving meanwhile)."""

    __test__ = False  # not a test class

    def __init__(self, settings: Settings) -> None:
        self.stack = Stack(settings.data_dir, "test")
        if self.stack.info().env["DATABASE_URL"] != os.environ.get("DATABASE_URL"):
            pytest.skip("the suite runs against configured services, not the embedded stack")

    async def stop(self, service: str) -> None:
        if service == "s3":
            # weed waits for clients' keep-alive connections to close; an outage need
            # not wait for that (SIGKILL after a moment, as a crash would).
            await asyncio.to_thread(self.stack.s3.stop, 3.0)
            return
        await asyncio.to_thread(getattr(self.stack, service).stop)

    async def start(self, service: str) -> None:
        started = await asyncio.to_thread(getattr(self.stack, service).start)
        assert started, f"{service} was still running"
