"""Personal data shown to integrators and written to logs: masked unless allowed."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; short numbers keep only their last two digits."""
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(0, len(digits) - 2) + digits[-2:]


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``: the family name stays."""
    return name[:1] + "*" * (len(name) - 1) if name else ""
