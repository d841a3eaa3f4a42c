"""The assessment indicators over generated case populations: every numerator within its
denominator, so no rate exceeds 100 %."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.assessment import (
    CaseFacts,
    Review,
    count,
    count_alerts,
    false_positive_rate,
    mean,
    precision,
    rates,
)
from domain.cases.model import DismissReason, Outcome, Source, State

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
moments = st.datetimes(
    min_value=datetime(2026, 10, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@st.composite
def facts(draw: st.DrawFn) -> CaseFacts:
    created = draw(moments)
    dispatched = draw(st.none() | st.just(created + timedelta(minutes=draw(st.integers(0, 600)))))
    return CaseFacts(
        id=draw(st.integers(1, 10**6)),
        source=draw(st.sampled_from(Source)),
        state=draw(st.sampled_from(State)),
        outcome=draw(st.none() | st.sampled_from(Outcome)),
        created_at=created,
        dispatched_at=dispatched,
        accepted_at=draw(st.none() | st.just(created + timedelta(hours=1))),
        handled_at=draw(st.none() | st.just(created + timedelta(hours=5))),
        ever_overdue=draw(st.booleans()),
        extension_count=draw(st.integers(0, 3)),
        notified=draw(st.booleans()),
        dismiss_reason=draw(st.none() | st.sampled_from(DismissReason)),
        reviews=tuple(
            draw(st.lists(st.builds(Review, at=moments, rework=st.booleans()), max_size=4))
        ),
    )


@given(st.lists(facts(), max_size=60))
def test_every_numerator_lies_within_its_denominator(population: list[CaseFacts]) -> None:
    c = count(population, START, END)
    assert c.closed_on_time <= c.closed <= c.cases
    assert c.extended <= c.cases and c.overdue <= c.cases
    assert c.self_corrected <= c.notified <= c.cases
    assert c.reworked <= c.reviewed <= len(population)
    assert c.cases + c.dismissed <= len(population)
    for name, rate in vars_of(rates(c)).items():
        assert rate is None or 0.0 <= rate <= 1.0, name
    a = count_alerts(population, START, END)
    assert a.false_positives <= a.alerts and a.undecided <= a.alerts
    fpr = false_positive_rate(a.false_positives, a.alerts - a.undecided)
    assert fpr is None or 0.0 <= fpr <= 1.0


def vars_of(struct: object) -> dict[str, float | None]:
    return {f: getattr(struct, f) for f in struct.__struct_fields__}  # type: ignore[attr-defined]


def _case(**kw: object) -> CaseFacts:
    base: dict[str, object] = {
        "id": 1,
        "source": Source.patrol,
        "state": State.dispatched,
        "created_at": START + timedelta(days=1),
    }
    return CaseFacts(**(base | kw))  # type: ignore[arg-type]


def test_a_party_that_corrected_after_the_notice_is_accepted_and_closed() -> None:
    soft = _case(
        source=Source.camera,
        state=State.closed,
        outcome=Outcome.self_corrected,
        notified=True,
        reviews=(Review(at=START + timedelta(days=2), rework=False),),
    )
    c = count([soft], START, END)
    assert (c.cases, c.closed, c.notified, c.self_corrected) == (1, 1, 1, 1)
    r = rates(c)
    assert (r.closure_rate, r.self_correction_rate, r.rework_rate) == (1.0, 1.0, 0.0)


def test_the_cohort_and_the_reviews_of_a_period() -> None:
    day = timedelta(days=1)
    cases = [
        _case(id=1, dispatched_at=START + day, accepted_at=START + day + timedelta(minutes=30)),
        _case(id=2, state=State.pending_triage),  # not accepted yet
        _case(id=3, state=State.dismissed),  # counted apart
        _case(id=4, state=State.closed, dispatched_at=START + day, ever_overdue=True),
        _case(id=5, state=State.closed, dispatched_at=START + day, extension_count=1),
        # Created before the period, reopened in it: rework of this period, not its cohort.
        _case(
            id=6,
            created_at=START - 40 * day,
            dispatched_at=START - 40 * day,
            reviews=(
                Review(at=START - 30 * day, rework=False),
                Review(at=START + 3 * day, rework=True),
            ),
        ),
        _case(id=7, state=State.closed, reviews=(Review(at=START + 2 * day, rework=False),)),
    ]
    c = count(cases, START, END)
    assert (c.cases, c.dismissed, c.closed, c.closed_on_time) == (4, 1, 3, 2)
    assert (c.extended, c.overdue, c.reviewed, c.reworked) == (1, 1, 2, 1)
    assert c.minutes_to_accept == (30.0,)
    r = rates(c)
    assert r.closure_rate == 0.75 and r.on_time_closure_rate == 0.5
    assert r.extension_rate == 0.25 and r.rework_rate == 0.5
    assert r.self_correction_rate is None  # nobody notified


def test_camera_precision() -> None:
    day = timedelta(days=1)
    alerts = [
        _case(
            id=1,
            source=Source.camera,
            state=State.dismissed,
            dismiss_reason=DismissReason.false_positive,
        ),
        _case(id=2, source=Source.alarm, state=State.closed, outcome=Outcome.not_found),
        _case(id=3, source=Source.camera, state=State.closed, outcome=Outcome.corrected_on_site),
        _case(id=4, source=Source.camera, state=State.pending_triage),
        _case(id=5, source=Source.patrol, state=State.closed, outcome=Outcome.not_found),
        _case(id=6, source=Source.camera, state=State.pending_triage, created_at=END + day),
    ]
    a = count_alerts(alerts, START, END)
    assert (a.alerts, a.false_positives, a.undecided) == (4, 2, 1)
    assert false_positive_rate(2, 3) == 2 / 3
    assert precision(2, 3) == 1 - 2 / 3
    assert precision(0, 0) is None
    assert mean([]) is None and mean([1.0, 2.0]) == 1.5
