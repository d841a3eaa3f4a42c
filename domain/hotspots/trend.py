"""A hot cell's trend over the weeks (new / persistent / fading).

Given whether the cell was hot in each of the last weeks (oldest first; the last entry
is the week just ended), over the last four of them:

- ``persistent``: hot in at least 3 of the last 4 weeks (whether or not the latest);
- ``new``: hot in the latest week and in none of the 3 before;
- ``fading``: not hot in the latest week, hot in 1 or 2 of the 3 before;
- ``intermittent``: hot in the latest week and in exactly 1 of the 3 before;
- ``None``: hot in none of the last 4 weeks.

Weeks before the last four do not count; fewer than four weeks count as cold weeks.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

WINDOW = 4
PERSISTENT_WEEKS = 3


class Trend(StrEnum):
    new = "new"
    persistent = "persistent"
    fading = "fading"
    intermittent = "intermittent"


def classify(hot_by_week: Sequence[bool]) -> Trend | None:
    """The trend of one cell (see the module docstring)."""
    last = [bool(h) for h in hot_by_week[-WINDOW:]]
    last = [False] * (WINDOW - len(last)) + last
    *before, latest = last
    hot = sum(last)
    if hot >= PERSISTENT_WEEKS:
        return Trend.persistent
    if hot == 0:
        return None
    if latest:
        return Trend.new if not any(before) else Trend.intermittent
    return Trend.fading
