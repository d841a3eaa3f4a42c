"""The baseline: a bare Litestar route returning 20 msgspec Structs, served the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Litestar, get


class Row(msgspec.Struct):
    id: int
    number: str
    state: str
    address: str
    created_at: datetime


ROWS = [Row(i, f"MH{i:010d}", "dispatched", "江川路 101 号", datetime.now(UTC)) for i in range(20)]


@get("/bare", sync_to_thread=False)
def bare() -> list[Row]:
    return ROWS


def create_app() -> Litestar:
    return Litestar([bare], logging_config=None, openapi_config=None)
