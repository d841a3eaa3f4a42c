"""Zone rules on tracked detections: synthetic camera sequences from parking to clearance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vision.detect import Detection
from vision.rules import (
    Cleared,
    Event,
    Firing,
    RuleEngine,
    StillPresent,
    Tracker,
    Zone,
    ZoneRule,
    active_at,
    bottom_centres_in,
    contains,
    iou_matrix,
)
from vision.rules.engine import Action, Phase, RuleState, transition

W, H = 1920, 1080
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
MINUTE = timedelta(minutes=1)
# The lower band of the picture: the kerb lane where parking is forbidden.
KERB = ((0.1, 0.5), (0.9, 0.5), (0.9, 0.95), (0.1, 0.95))


def det(
    x1: float, y1: float, x2: float, y2: float, label: str = "car", score: float = 0.9
) -> Detection:
    return Detection(label=label, score=score, x1=x1, y1=y1, x2=x2, y2=y2)


def parked_car(jitter: float = 0.0, label: str = "car", score: float = 0.9) -> Detection:
    """A car whose wheels stand in the kerb lane (bottom centre ≈ (0.31, 0.83))."""
    return det(500 + jitter, 700 + jitter, 700 + jitter, 900 + jitter, label, score)


def no_parking(**overrides: object) -> Zone:
    rule = ZoneRule(violation_type="05-04", labels=frozenset({"car"}), min_score=0.5)
    rule = msgspec.structs.replace(rule, **overrides)
    return Zone(id="kerb", polygon=KERB, rules=(rule,), subject_id=42)


class Camera:
    """One camera's tracker and engine, fed sample by sample."""

    def __init__(self, zones: Sequence[Zone], cleared_after: int = 3) -> None:
        self.zones = zones
        self.tracker = Tracker()
        self.engine = RuleEngine(cleared_after=cleared_after)

    def sample(self, at: datetime, detections: Iterable[Detection] = ()) -> list[Event]:
        tracks = self.tracker.update(list(detections), at)
        return self.engine.evaluate(tracks, self.zones, W, H, at, SHANGHAI)


def kinds(events: Sequence[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


# --- dwell, drive-through, filters ---------------------------------------------------------


def test_parked_car_fires_only_after_dwell_then_reports_still_present():
    camera = Camera([no_parking(dwell_s=120)])
    timeline = [camera.sample(T0 + i * MINUTE, [parked_car(jitter=i % 2 * 3)]) for i in range(4)]
    assert timeline[0] == []
    assert timeline[1] == []  # stationary for 60 s only
    [firing] = timeline[2]
    assert firing == Firing(
        zone_id="kerb",
        violation_type="05-04",
        track_ids=(1,),
        boxes=((500.0, 700.0, 700.0, 900.0),),
        subject_id=42,
    )
    assert kinds(timeline[3]) == ["StillPresent"]
    assert isinstance(timeline[3][0], StillPresent) and timeline[3][0].track_ids == (1,)


def test_car_driving_through_never_fires():
    camera = Camera([no_parking(dwell_s=60)])
    events = []
    for i in range(8):  # 60 px a sample: the same track, never stationary
        events += camera.sample(T0 + i * MINUTE, [det(200 + 60 * i, 700, 400 + 60 * i, 900)])
    assert events == []
    assert [t.id for t in camera.tracker.tracks] == [1]
    assert camera.tracker.tracks[0].stationary_since is None


def test_min_count_needs_two_bicycles():
    zone = no_parking(labels=frozenset({"bicycle"}), min_count=2, violation_type="bikes")
    one, two = Camera([zone]), Camera([zone])
    bike_a = det(400, 800, 450, 880, label="bicycle")
    bike_b = det(900, 800, 950, 880, label="bicycle")
    assert one.sample(T0, [bike_a, parked_car()]) == []  # a car is not a bicycle
    [firing] = two.sample(T0, [bike_a, bike_b])
    assert isinstance(firing, Firing)
    assert firing.track_ids == (1, 2)


def test_min_score_filters_unsure_detections():
    camera = Camera([no_parking(min_score=0.6)])
    assert camera.sample(T0, [parked_car(score=0.55)]) == []
    assert kinds(camera.sample(T0 + MINUTE, [parked_car(score=0.65)])) == ["Firing"]


def test_min_area_filters_small_boxes():
    camera = Camera([no_parking(min_area=0.01)])  # 1 % of 1920×1080 ≈ 20 736 px²
    assert camera.sample(T0, [det(500, 800, 600, 900)]) == []  # 10 000 px²
    assert kinds(camera.sample(T0 + MINUTE, [det(500, 750, 700, 900)])) == ["Firing"]


def test_bottom_centre_semantics_box_overlapping_zone_with_foot_outside():
    camera = Camera([no_parking()])
    # A tall lorry in the lane behind: its body covers most of the kerb band,
    # but it stands on the ground below the zone.
    assert camera.sample(T0, [det(300, 560, 900, 1060)]) == []
    zone = no_parking()
    boxes = np.array([[300, 560, 900, 1060], [300, 300, 900, 800], [0, 600, 150, 800]])
    assert bottom_centres_in(zone, boxes, W, H).tolist() == [False, True, False]


# --- active hours --------------------------------------------------------------------------


def test_active_at_plain_and_midnight_crossing_windows():
    always = ZoneRule(violation_type="x", labels=frozenset({"car"}), min_score=0.5)
    day = msgspec.structs.replace(always, active_hours=((time(7), time(19)),))
    night = msgspec.structs.replace(always, active_hours=((time(22), time(6)),))
    assert active_at(always, time(3))
    assert active_at(day, time(7)) and active_at(day, time(18, 59)) and not active_at(day, time(19))
    assert (
        active_at(night, time(23, 30)) and active_at(night, time(0)) and active_at(night, time(5))
    )
    assert not active_at(night, time(6)) and not active_at(night, time(12))


def test_night_rule_in_shanghai_time():
    zone = no_parking(active_hours=((time(22), time(6)),))
    day_camera, night_camera, dawn_camera = Camera([zone]), Camera([zone]), Camera([zone])
    assert day_camera.sample(T0, [parked_car()]) == []  # 10:00 local
    at_2330 = datetime(2024, 5, 6, 15, 30, tzinfo=UTC)  # 23:30 local
    assert kinds(night_camera.sample(at_2330, [parked_car()])) == ["Firing"]
    at_0600 = datetime(2024, 5, 6, 22, 0, tzinfo=UTC)  # 06:00 local, the next day
    assert dawn_camera.sample(at_0600 - MINUTE, [parked_car()]) != []
    assert dawn_camera.sample(at_0600, []) == []  # inactive: no clearance counted
    assert dawn_camera.engine.state("kerb", "05-04").empty_samples == 0


# --- alert life: still present, clearance, cooldown ------------------------------------------


def test_clearance_after_n_empty_samples_emits_once():
    camera = Camera([no_parking()], cleared_after=3)
    assert kinds(camera.sample(T0, [parked_car()])) == ["Firing"]
    later = [camera.sample(T0 + i * MINUTE) for i in range(1, 7)]
    assert [kinds(e) for e in later] == [[], [], ["Cleared"], [], [], []]
    assert later[2] == [Cleared(zone_id="kerb", violation_type="05-04")]


def test_a_sighting_resets_the_clearance_count():
    camera = Camera([no_parking()], cleared_after=3)
    seen = [True, False, False, True, False, False, False]
    timeline = [
        camera.sample(T0 + i * MINUTE, [parked_car()] if s else []) for i, s in enumerate(seen)
    ]
    assert [kinds(e) for e in timeline] == [
        ["Firing"],
        [],
        [],
        ["StillPresent"],
        [],
        [],
        ["Cleared"],
    ]


def test_cooldown_blocks_a_refire_until_it_passes():
    camera = Camera([no_parking(cooldown_s=600)], cleared_after=1)
    assert kinds(camera.sample(T0, [parked_car()])) == ["Firing"]
    cleared_at = T0 + MINUTE
    assert kinds(camera.sample(cleared_at)) == ["Cleared"]
    assert camera.sample(cleared_at + 2 * MINUTE, [parked_car()]) == []
    assert camera.sample(cleared_at + 9 * MINUTE, [parked_car()]) == []
    assert kinds(camera.sample(cleared_at + 10 * MINUTE, [parked_car()])) == ["Firing"]
    assert kinds(camera.sample(cleared_at + 11 * MINUTE, [parked_car()])) == ["StillPresent"]


def test_transition_table():
    idle, opened = RuleState(), RuleState(phase=Phase.open)
    cooling = RuleState(phase=Phase.cooling, cleared_at=T0)
    assert transition(idle, False, T0, 600, 2) == (idle, Action.none)
    assert transition(idle, True, T0, 600, 2) == (opened, Action.fire)
    assert transition(opened, True, T0, 600, 2) == (opened, Action.still_present)
    once = RuleState(phase=Phase.open, empty_samples=1)
    assert transition(opened, False, T0, 600, 2) == (once, Action.none)
    assert transition(once, False, T0, 600, 2) == (cooling, Action.cleared)
    assert transition(cooling, True, T0 + 5 * MINUTE, 600, 2) == (cooling, Action.none)
    assert transition(cooling, True, T0 + 10 * MINUTE, 600, 2) == (opened, Action.fire)


def test_state_of_removed_zones_is_forgotten():
    camera = Camera([no_parking()])
    camera.sample(T0, [parked_car()])
    assert camera.engine.state("kerb", "05-04").phase is Phase.open
    camera.zones = []
    camera.sample(T0 + MINUTE, [parked_car()])
    assert camera.engine.state("kerb", "05-04") == RuleState()


def test_naive_or_backwards_times_are_refused():
    camera = Camera([no_parking()])
    with pytest.raises(ValueError, match="aware"):
        camera.sample(datetime(2024, 5, 6, 10, 0))
    camera.sample(T0)
    with pytest.raises(ValueError, match="before"):
        camera.sample(T0 - MINUTE)


# --- tracker -------------------------------------------------------------------------------


def test_tracker_stationary_run_is_measured_against_its_anchor():
    tracker = Tracker(stationary_iou=0.6)
    [first] = tracker.update([det(0, 0, 100, 100)], T0)
    assert first.stationary_since is None and first.hits == 1
    [jittered] = tracker.update([det(5, 5, 105, 105)], T0 + MINUTE)
    assert jittered.stationary_since == T0
    # Creeping 15 px a sample: each step overlaps the last, but the anchor is left behind.
    runs = [
        tracker.update([det(5 + 15 * i, 5, 105 + 15 * i, 105)], T0 + (1 + i) * MINUTE)[0]
        for i in range(1, 4)
    ]
    assert [t.id for t in runs] == [1, 1, 1]
    assert runs[0].stationary_since == T0
    assert runs[1].stationary_since is None  # IoU with the anchor fell to 0.45: re-anchored
    assert runs[1].anchor == runs[1].box
    assert runs[2].stationary_since == T0 + 3 * MINUTE  # a new run from the new anchor


def test_tracker_coasts_then_drops_missed_tracks_and_never_reuses_ids():
    tracker = Tracker(max_missed=2)
    tracker.update([parked_car(), det(100, 100, 200, 200, label="person")], T0)
    coasting = tracker.update([parked_car()], T0 + MINUTE)
    assert [(t.id, t.missed) for t in coasting] == [(1, 0), (2, 1)]
    tracker.update([parked_car()], T0 + 2 * MINUTE)
    assert [t.id for t in tracker.update([parked_car()], T0 + 3 * MINUTE)] == [1]
    back = tracker.update([parked_car(), det(100, 100, 200, 200, label="person")], T0 + 4 * MINUTE)
    assert [t.id for t in back] == [1, 3]
    assert back[0].hits == 5 and back[0].stationary_since == T0


def test_tracker_matches_per_label_only():
    tracker = Tracker()
    tracker.update([parked_car()], T0)
    tracks = tracker.update([parked_car(label="truck")], T0 + MINUTE)
    assert [(t.id, t.label, t.missed) for t in tracks] == [(1, "car", 1), (2, "truck", 0)]


# --- zones ---------------------------------------------------------------------------------


def test_zone_validation():
    rule = ZoneRule(violation_type="x", labels=("car", "truck"), min_score=0.5)  # type: ignore[arg-type]
    assert rule.labels == frozenset({"car", "truck"})
    with pytest.raises(ValueError, match="3 points"):
        Zone(id="z", polygon=((0, 0), (1, 1)), rules=(rule,))
    with pytest.raises(ValueError, match=r"0\.\.1"):
        Zone(id="z", polygon=((0, 0), (1.2, 0), (1, 1)), rules=(rule,))
    with pytest.raises(ValueError, match="no area"):
        Zone(id="z", polygon=((0, 0), (0.5, 0.5), (1, 1)), rules=(rule,))
    with pytest.raises(ValueError, match="one rule per"):
        Zone(id="z", polygon=KERB, rules=(rule, rule))
    with pytest.raises(ValueError, match="empty"):
        ZoneRule(
            violation_type="x",
            labels=frozenset({"car"}),
            min_score=0.5,
            active_hours=((time(8),) * 2,),
        )


def test_zone_decodes_from_json_config():
    raw = b"""{"id": "gate", "polygon": [[0.1, 0.1], [0.6, 0.1], [0.35, 0.9]], "rules": [
        {"violation_type": "01-02", "labels": ["stall", "umbrella"], "min_score": 0.4,
         "dwell_s": 300, "active_hours": [["22:00:00", "06:00:00"]]}]}"""
    zone = msgspec.json.decode(raw, type=Zone)
    assert zone.rules[0].labels == frozenset({"stall", "umbrella"})
    assert zone.rules[0].active_hours == ((time(22), time(6)),)
    assert contains(zone, 0.35, 0.5) and not contains(zone, 0.1, 0.8)


def test_contains_concave_polygon():
    l_shape = Zone(
        id="l",
        polygon=((0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.9, 0.5), (0.9, 0.9), (0.1, 0.9)),
        rules=(),
    )
    assert contains(l_shape, 0.2, 0.2) and contains(l_shape, 0.8, 0.8)
    assert not contains(l_shape, 0.8, 0.2) and not contains(l_shape, 0.95, 0.95)


# --- properties ----------------------------------------------------------------------------

coord = st.floats(0, 1000, allow_nan=False)
boxes_strategy = st.lists(
    st.tuples(coord, coord, st.floats(1, 500), st.floats(1, 500)).map(
        lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3])
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(boxes_strategy)
def test_iou_matrix_is_symmetric_and_bounded(boxes):
    array = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    iou = iou_matrix(array, array)
    assert iou.shape == (len(boxes), len(boxes))
    assert np.allclose(iou, iou.T)
    assert np.all((iou >= 0) & (iou <= 1))
    assert np.allclose(np.diag(iou), 1.0)


@settings(max_examples=60, deadline=None)
@given(boxes_strategy, boxes_strategy)
def test_bottom_centres_agree_with_contains(boxes_a, boxes_b):
    zone = no_parking()
    boxes = np.array(boxes_a + boxes_b, dtype=np.float64).reshape(-1, 4)
    expected = [contains(zone, (b[0] + b[2]) / 2 / W, b[3] / H) for b in boxes]
    assert bottom_centres_in(zone, boxes, W, H).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.sampled_from(["car", "bicycle"]), boxes_strategy)), max_size=10)
)
def test_a_track_id_is_never_reused(samples):
    tracker = Tracker(max_missed=1)
    gone: set[int] = set()
    alive: set[int] = set()
    highest = 0
    for i, sample in enumerate(samples):
        detections = [Detection(label, 0.9, *box) for label, boxes in sample for box in boxes]
        ids = [t.id for t in tracker.update(detections, T0 + i * MINUTE)]
        assert ids == sorted(set(ids))
        assert not set(ids) & gone
        new = set(ids) - alive
        assert all(n > highest for n in new)
        highest = max([highest, *ids])
        gone |= alive - set(ids)
        alive = set(ids)
