"""Shared fixtures. Integration tests need real PostgreSQL, Redis and S3: ``make test``
(``offsite test``) starts embedded ones and exports their URLs before pytest starts."""

from __future__ import annotations

import os

import pytest

# Fixed, test-only settings; the service URLs come from the environment.
os.environ.setdefault("OFFSITE_JWT_SECRET", "test-secret-" + "x" * 40)
os.environ.setdefault("OFFSITE_PASSWORD_COST", "10")
os.environ.setdefault("OFFSITE_LOG_LEVEL", "WARNING")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="no backing services: run through `make test`")
    for item in items:
        if "integration" in item.nodeid or "e2e" in item.nodeid:
            item.add_marker(skip)
