"""The grading policy on synthetic histories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.subjects.grading import Grade, GradingPolicy, Violation, effective, grade, load_policy

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
POLICY = load_policy()

violations = st.builds(
    Violation,
    at=st.integers(0, 500).map(lambda d: NOW - timedelta(days=d, hours=1)),
    violation_type=st.sampled_from(["05-04", "05-05", "01-02", "03-02"]),
    severity=st.integers(1, 3),
    self_corrected=st.booleans(),
)
histories = st.lists(violations, max_size=30)


@given(histories, violations)
def test_one_more_violation_never_improves_a_grade(
    history: list[Violation], extra: Violation
) -> None:
    before, after = grade(history, POLICY, TODAY), grade([*history, extra], POLICY, TODAY)
    assert after.points >= before.points
    assert after.grade.rank >= before.grade.rank


@given(histories, st.data())
def test_a_worse_violation_never_improves_a_grade(
    history: list[Violation], data: st.DataObject
) -> None:
    if not history:
        return
    i = data.draw(st.integers(0, len(history) - 1))
    v = history[i]
    worse = Violation(v.at, v.violation_type, min(3, v.severity + 1), self_corrected=False)
    changed = [*history[:i], worse, *history[i + 1 :]]
    assert grade(changed, POLICY, TODAY).grade.rank >= grade(history, POLICY, TODAY).grade.rank


def _v(
    days_ago: int, vtype: str = "05-04", severity: int = 2, corrected: bool = False
) -> Violation:
    return Violation(NOW - timedelta(days=days_ago), vtype, severity, corrected)


def test_a_clean_record_is_a_and_a_repeat_offender_is_d() -> None:
    assert grade([], POLICY, TODAY).grade is Grade.A
    # 3 points: B. The same type again within 90 days counts 1.5 times.
    assert grade([_v(10)], POLICY, TODAY).grade is Grade.B
    repeat = grade([_v(100), _v(60), _v(30), _v(5)], POLICY, TODAY)
    assert (repeat.repeats, repeat.points, repeat.grade) == (3, 3 + 3 * 4.5, Grade.D)


def test_old_violations_drop_out_and_self_correction_counts_less() -> None:
    assert grade([_v(400, severity=3)], POLICY, TODAY).grade is Grade.A
    corrected = grade([_v(10, severity=3, corrected=True)], POLICY, TODAY)
    assert (corrected.points, corrected.grade) == (3.0, Grade.B)


def test_an_override_holds_until_it_expires() -> None:
    until = NOW + timedelta(days=30)
    assert effective(Grade.D, Grade.B, until, NOW) is Grade.B
    assert effective(Grade.D, Grade.B, until, until + timedelta(seconds=1)) is Grade.D
    assert effective(Grade.C, None, None, NOW) is Grade.C


def test_a_policy_with_decreasing_thresholds_is_refused() -> None:
    import msgspec
    import pytest

    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"thresholds": [8, 3, 15]}, GradingPolicy)
