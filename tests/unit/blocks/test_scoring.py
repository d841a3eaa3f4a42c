"""美丽街区 scoring: deductions by severity, overdue weighing more, caps, spot checks."""

from __future__ import annotations

from domain.blocks.scoring import CaseInBlock, SpotCheck, load_policy, score

POLICY = load_policy()


def test_a_clean_block_scores_full() -> None:
    assert score([], [], POLICY).score == 100.0


def test_cases_and_spot_checks_take_points_off() -> None:
    cases = [
        CaseInBlock("05-05", 2, overdue=False),  # 1
        CaseInBlock("05-05", 2, overdue=True),  # 2
        CaseInBlock("01-01", 3, overdue=False),  # 2
    ]
    checks = [SpotCheck("道路保洁", 3.0), SpotCheck("立面整洁", 9.0), SpotCheck("不在清单", 4.0)]
    s = score(cases, checks, POLICY)
    assert (s.case_deduction, s.spot_check_deduction) == (5.0, 8.0)  # 9 capped at 5; unknown 0
    assert s.score == 87.0 and s.by_type == {"01-01": 2.0, "05-05": 3.0}


def test_one_type_cannot_sink_a_block_alone_and_the_score_stays_at_or_above_zero() -> None:
    many = [CaseInBlock("05-05", 3, overdue=True)] * 100
    assert score(many, [], POLICY).case_deduction == POLICY.cap_per_type
    types = [CaseInBlock(f"0{i}-0{i}", 3, overdue=True) for i in range(1, 10)] * 20
    assert score(types, [SpotCheck("道路保洁", 5.0)] * 20, POLICY).score == 0.0
