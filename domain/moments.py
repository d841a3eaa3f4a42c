"""Moments that come from clients: always with a UTC offset.

A time without an offset (``2026-11-24T17:30:00``) could be the phone's local time,
Beijing time or UTC; guessing would move deadlines and evidence times by eight hours,
so it is refused (``datetime_without_offset``) wherever a client sends one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.errors import InvalidInput

DATETIME_WITHOUT_OFFSET = "datetime_without_offset"

# For request Structs: msgspec refuses a naive value while decoding; the API maps that
# refusal to DATETIME_WITHOUT_OFFSET (api.errors).
AwareDatetime = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="RFC 3339 with an offset (`Z` or `+08:00`)."),
]


def require_offset(moment: datetime | None, name: str) -> datetime | None:
    """``moment`` when it carries an offset (or is absent); for values msgspec did not
    decode under ``AwareDatetime``, such as query parameters and form fields."""
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise InvalidInput(
            DATETIME_WITHOUT_OFFSET, f"`{name}` needs an offset, e.g. 2026-11-24T17:30:00+08:00"
        )
    return moment
