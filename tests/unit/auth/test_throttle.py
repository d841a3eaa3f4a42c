"""The sign-in delay schedule: free typos, then a doubling wait, capped; never a lock."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.auth.throttle import ThrottlePolicy, delay_after, wait_before_attempt

POLICY = ThrottlePolicy(free_failures=3, base_delay_s=1.0, max_delay_s=900.0)


def test_the_first_failures_are_free_then_the_wait_doubles() -> None:
    assert [delay_after(n, POLICY) for n in range(8)] == [0, 0, 0, 1, 2, 4, 8, 16]


def test_the_wait_stops_at_the_ceiling_however_many_failures() -> None:
    assert delay_after(13, POLICY) == 900
    assert delay_after(10**9, POLICY) == 900


def test_the_wait_counts_from_the_last_failure() -> None:
    assert wait_before_attempt(5, None, 1000.0, POLICY) == 0  # nothing failed yet
    assert wait_before_attempt(5, 1000.0, 1001.0, POLICY) == 3.0  # 4 s after the 5th
    assert wait_before_attempt(5, 1000.0, 1004.0, POLICY) == 0
    assert wait_before_attempt(2, 1000.0, 1000.0, POLICY) == 0  # still free


@given(st.integers(min_value=0, max_value=10_000))
def test_more_failures_never_wait_less_and_never_past_the_ceiling(failures: int) -> None:
    assert 0 <= delay_after(failures, POLICY) <= delay_after(failures + 1, POLICY) <= 900
