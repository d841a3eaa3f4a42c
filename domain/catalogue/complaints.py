"""12345 / 城运 work orders in our terms: which violation type a hotline category means."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection
from pathlib import Path

from domain.errors import InvalidInput

DEFAULT_TABLE = Path(__file__).with_name("complaint_types.json")


@functools.cache
def _table(path: str) -> dict[str, str]:
    table: dict[str, str] = json.loads(Path(path or DEFAULT_TABLE).read_text())["types"]
    return table


def violation_type_for(category: str, known_codes: Collection[str], table_path: str = "") -> str:
    """A catalogue code as is, else the configured mapping of hotline categories."""
    if category in known_codes:
        return category
    found = _table(table_path).get(category)
    if found is None:
        raise InvalidInput(
            "complaint_category_unknown",
            f"no violation type for category {category!r}: send a catalogue code"
            " (GET /api/v1/violation-types) or a mapped hotline category",
        )
    return found
