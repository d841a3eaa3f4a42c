"""Sign-in throttling: failures slow the next attempt down, they never lock an account.

A lock-out after N wrong passwords lets anyone lock any officer out by typing their
name. Instead, failures are counted per (account, client address) and per address, and
after a few free ones each further attempt must wait twice as long as the last, up to a
ceiling. The owner at another address (the station PC, the phone) is not slowed by an
attacker's failures; a guesser at one address gets a handful of tries an hour.
"""

from __future__ import annotations

import msgspec


class ThrottlePolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How failures of one counter (a pair or an address) slow the next attempt."""

    free_failures: int  # failures in a row that cost nothing (typos)
    base_delay_s: float  # the wait after the first failure past the free ones
    max_delay_s: float  # the ceiling of the doubling


def delay_after(failures: int, policy: ThrottlePolicy) -> float:
    """Seconds the next attempt must wait after ``failures`` failures in a row,
    counted from the last of them: 0 while free, then base, 2 × base, 4 × base, …"""
    extra = failures - policy.free_failures
    if extra < 0:
        return 0.0
    # Capped before the power so a long run of failures cannot overflow the float.
    return min(policy.max_delay_s, policy.base_delay_s * 2.0 ** min(extra, 64))


def wait_before_attempt(
    failures: int, last_failure_at: float | None, now: float, policy: ThrottlePolicy
) -> float:
    """Seconds still to wait before an attempt is heard (0: go ahead); times in unix s."""
    if last_failure_at is None:
        return 0.0
    return max(0.0, last_failure_at + delay_after(failures, policy) - now)
