"""Vendor alarms (AI boxes, video platforms) in our terms: which violation type each
vendor alarm type stands for, and what picture we accept with one."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from domain.errors import InvalidInput

DEFAULT_TABLE = Path(__file__).with_name("alarm_types.json")
MAX_IMAGE_BYTES = 8_000_000


@functools.cache
def _table(path: str) -> dict[str, str]:
    table: dict[str, str] = json.loads(Path(path or DEFAULT_TABLE).read_text())["types"]
    return table


def violation_type_for(vendor_type: str, table_path: str = "") -> str:
    """The violation type of a vendor alarm type, from the configured table."""
    found = _table(table_path).get(vendor_type)
    if found is None:
        raise InvalidInput("alarm_type_unknown", f"no mapping for {vendor_type!r}")
    return found


def check_alarm_image(image: bytes) -> bytes:
    """A vendor's picture is a JPEG of reasonable size, or the alarm is refused."""
    if len(image) > MAX_IMAGE_BYTES or not image.startswith(b"\xff\xd8"):
        raise InvalidInput("image_invalid", "a JPEG of at most 8 MB is expected")
    return image
