"""The assessment indicators (数字城管考核指标), defined once, pure.

Each indicator is a rate ``part / whole`` (``share``: ``None`` when ``whole`` is 0, never
outside [0, 1]) or a mean. ``count`` turns typed per-case facts (``CaseFacts``) into the
``Counts`` an indicator needs, and ``rates`` turns counts into the indicators; the SQL in
``storage.cases.figures`` counts the same things on the same rows, and an integration
test checks that its counts equal ``count`` over the rows it read.

The cohort of a period [start, end) is the cases created in it. Among them:

- **accepted** (受理, the population of every cohort rate): the cases taken up for
  handling — dispatched at least once, *or* out of triage other than by dismissal (the
  party notified under soft enforcement, a routine inspection). A soft-enforcement case
  the party corrected after the notice closes without ever being dispatched; it is
  accepted, so the closure rate's numerator is a subset of its denominator.
- **dismissed** (不予受理): counted apart, in no rate, and never accepted — also a case
  dispatched, sent back to triage and then dismissed.

Cohort rates (numerator ⊆ accepted, so each is at most 100 %):

- 结案率 closure rate = accepted cases closed / accepted
- 按期结案率 on-time closure rate = accepted cases closed with no deadline ever missed
  (``ever_overdue`` false) / accepted
- 延期率 extension rate = accepted cases whose rectification was extended
  (``extension_count > 0``) / accepted
- 自治率 self-correction rate = notified cases the party corrected itself (outcome
  ``self_corrected``) / accepted cases whose party was notified (soft enforcement)
- mean minutes to accept = mean of ``accepted_at - dispatched_at`` over the accepted
  cases that have both; to handle = mean of ``handled_at - dispatched_at`` likewise

Review rate, over what happened in the period whatever the case's creation date:

- 返工率 rework rate = cases returned (退回) or reopened (返工) in the period / cases with
  a review decision (closed, returned or reopened) in the period. Counted when the
  return or reopen happens, once per case and period; a reworked case is a reviewed one.

Camera rules (per camera, zone and violation type; alerts = camera and alarm cases
created in the period):

- false-positive rate = alerts found false (dismissed as ``false_positive`` at triage, or
  ``not_found`` on site) / decided alerts (alerts no longer waiting for triage)
- precision = 1 - false-positive rate
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec

from domain.cases.indicators import rework_rate, share
from domain.cases.model import DismissReason, Outcome, Source, State

CAMERA_SOURCES = (Source.camera, Source.alarm)


class Review(msgspec.Struct, frozen=True):
    """A review decision on the timeline: a close, or a return / reopen (``rework``)."""

    at: datetime
    rework: bool


class CaseFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the indicators need to know of one case."""

    id: int
    source: Source
    state: State
    outcome: Outcome | None = None
    created_at: datetime
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    handled_at: datetime | None = None
    closed_at: datetime | None = None
    ever_overdue: bool = False
    extension_count: int = 0
    notified: bool = False  # soft enforcement: the party was told to correct it
    dismiss_reason: DismissReason | None = None
    reviews: tuple[Review, ...] = ()

    @property
    def accepted(self) -> bool:
        """Taken up for handling (受理): dispatched or out of triage, and not dismissed
        (a case sent back to triage and then dismissed is not one to handle)."""
        return self.state is not State.dismissed and (
            self.dispatched_at is not None or self.state is not State.pending_triage
        )

    @property
    def false_positive(self) -> bool:
        return self.outcome is Outcome.not_found or (
            self.dismiss_reason is DismissReason.false_positive
        )


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    """The counts of one group and period; every ``part`` is within its ``whole``."""

    cases: int = 0  # accepted cases of the cohort
    dismissed: int = 0
    closed: int = 0
    closed_on_time: int = 0
    extended: int = 0
    overdue: int = 0
    notified: int = 0
    self_corrected: int = 0
    reviewed: int = 0
    reworked: int = 0
    minutes_to_accept: tuple[float, ...] = ()
    minutes_to_handle: tuple[float, ...] = ()


class Rates(msgspec.Struct, frozen=True, kw_only=True):
    closure_rate: float | None
    on_time_closure_rate: float | None
    extension_rate: float | None
    self_correction_rate: float | None
    rework_rate: float | None


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (b - a).total_seconds() / 60


def count(facts: Iterable[CaseFacts], start: datetime, end: datetime) -> Counts:
    """The counts over ``facts`` for the period [start, end) (see the module docstring)."""
    c: dict[str, int] = dict.fromkeys(
        (
            "cases",
            "dismissed",
            "closed",
            "closed_on_time",
            "extended",
            "overdue",
            "notified",
            "self_corrected",
            "reviewed",
            "reworked",
        ),
        0,
    )
    to_accept: list[float] = []
    to_handle: list[float] = []
    for f in facts:
        reviews = [r for r in f.reviews if start <= r.at < end]
        if reviews:
            c["reviewed"] += 1
            c["reworked"] += any(r.rework for r in reviews)
        if not start <= f.created_at < end:
            continue
        if f.state is State.dismissed:
            c["dismissed"] += 1
        if not f.accepted:
            continue
        closed = f.state is State.closed
        c["cases"] += 1
        c["closed"] += closed
        c["closed_on_time"] += closed and not f.ever_overdue
        c["extended"] += f.extension_count > 0
        c["overdue"] += f.ever_overdue
        c["notified"] += f.notified
        c["self_corrected"] += f.notified and f.outcome is Outcome.self_corrected
        if (m := _minutes(f.dispatched_at, f.accepted_at)) is not None:
            to_accept.append(m)
        if (m := _minutes(f.dispatched_at, f.handled_at)) is not None:
            to_handle.append(m)
    return Counts(**c, minutes_to_accept=tuple(to_accept), minutes_to_handle=tuple(to_handle))


def closure_rate(closed: int, accepted: int) -> float | None:
    """结案率 = accepted cases closed / accepted cases."""
    return share(closed, accepted)


def on_time_closure_rate(closed_on_time: int, accepted: int) -> float | None:
    """按期结案率 = accepted cases closed with no deadline ever missed / accepted cases."""
    return share(closed_on_time, accepted)


def extension_rate(extended: int, accepted: int) -> float | None:
    """延期率 = accepted cases whose rectification was extended / accepted cases."""
    return share(extended, accepted)


def self_correction_rate(self_corrected: int, notified: int) -> float | None:
    """自治率 = notified cases the party corrected itself / cases whose party was notified."""
    return share(self_corrected, notified)


def false_positive_rate(false_positives: int, decided: int) -> float | None:
    """误报率 of a camera rule = alerts found false / alerts decided (triaged)."""
    return share(false_positives, decided)


def precision(false_positives: int, decided: int) -> float | None:
    """1 - false-positive rate; ``None`` when no alert was decided."""
    rate = false_positive_rate(false_positives, decided)
    return None if rate is None else 1.0 - rate


def mean(values: Iterable[float]) -> float | None:
    """The mean, ``None`` over nothing."""
    items = list(values)
    return sum(items) / len(items) if items else None


def rates(c: Counts) -> Rates:
    """The rates of the counts."""
    return Rates(
        closure_rate=closure_rate(c.closed, c.cases),
        on_time_closure_rate=on_time_closure_rate(c.closed_on_time, c.cases),
        extension_rate=extension_rate(c.extended, c.cases),
        self_correction_rate=self_correction_rate(c.self_corrected, c.notified),
        rework_rate=rework_rate(c.reworked, c.reviewed),
    )


class CameraCounts(msgspec.Struct, frozen=True, kw_only=True):
    alerts: int = 0
    false_positives: int = 0
    undecided: int = 0


def count_alerts(facts: Iterable[CaseFacts], start: datetime, end: datetime) -> CameraCounts:
    """Over the camera and alarm cases created in [start, end)."""
    alerts = false_positives = undecided = 0
    for f in facts:
        if f.source not in CAMERA_SOURCES or not start <= f.created_at < end:
            continue
        alerts += 1
        false_positives += f.false_positive
        undecided += f.state is State.pending_triage
    return CameraCounts(alerts=alerts, false_positives=false_positives, undecided=undecided)


# The squad ranking score (考评得分), 0..100: weights of 按期结案率, 结案率, 1-返工率 and
# 1-延期率. A rate that is ``None`` (nothing to measure, e.g. no review decision in the
# month) scores its weight's half. A squad with none of the four to measure (no accepted
# case, no decision) has no score: it is not assessed that month (不参评), not ranked.
SCORE_WEIGHTS = (
    ("on_time_closure_rate", 40.0, False),
    ("closure_rate", 30.0, False),
    ("rework_rate", 20.0, True),  # scored as 1 - rate
    ("extension_rate", 10.0, True),  # scored as 1 - rate
)


def score(r: Rates) -> float | None:
    """The squad's score: sum of weight x rate (inverted for rework and extension);
    ``None`` when no rate can be measured (see ``SCORE_WEIGHTS``)."""
    if all(getattr(r, name) is None for name, _, _ in SCORE_WEIGHTS):
        return None
    total = 0.0
    for name, weight, inverted in SCORE_WEIGHTS:
        rate: float | None = getattr(r, name)
        if rate is None:
            total += weight / 2
            continue
        rate = min(max(rate, 0.0), 1.0)
        total += weight * ((1.0 - rate) if inverted else rate)
    return round(total, 2)


def ranks(scores: Mapping[int, float | None]) -> list[tuple[int, int | None]]:
    """Squads best first, each with its rank (1, 2, ...; ties by squad id); the squads
    without a score after them, by id, with no rank."""
    scored = sorted(
        ((v, s) for s, v in scores.items() if v is not None), key=lambda x: (-x[0], x[1])
    )
    rest = sorted(s for s, v in scores.items() if v is None)
    return [(s, n) for n, (_, s) in enumerate(scored, 1)] + [(s, None) for s in rest]
