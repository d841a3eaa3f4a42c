"""A deadline's length as the catalogue writes it: ``"30m"``, ``"4h"``, ``"3d"``.

Minutes and hours count working time (office hours on working days) for normal
violation types and wall-clock time for urgent ones; days count working days (or
calendar days when urgent).
"""

from __future__ import annotations

import re
from enum import StrEnum

import msgspec

_PATTERN = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")


class Unit(StrEnum):
    minutes = "m"
    hours = "h"
    days = "d"


class Duration(msgspec.Struct, frozen=True):
    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        """``"30m"``, ``"4h"`` or ``"3d"``; ValueError for anything else."""
        found = _PATTERN.match(text)
        if not found or int(found.group(1)) <= 0:
            raise ValueError(f"not a duration: {text!r} (expected e.g. 30m, 4h, 3d)")
        return cls(int(found.group(1)), Unit(found.group(2)))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"

    @property
    def minutes(self) -> int:
        """Length in minutes for ``m``/``h``; ValueError for days (they are not fixed)."""
        if self.unit is Unit.days:
            raise ValueError("a duration in days has no fixed length in minutes")
        return self.amount * (60 if self.unit is Unit.hours else 1)
