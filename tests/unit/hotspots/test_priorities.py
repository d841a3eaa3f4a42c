from domain.hotspots.priorities import GradedSubject, HotCell, Kind, Place, rank_priorities


def _hot(cell: str, z: float, trend: str | None, weeks: int = 1) -> HotCell:
    return HotCell(
        cell=cell,
        z=z,
        trend=trend,
        weeks_hot=weeks,
        cases=14,
        type_name="店外经营",
        violation_type=None,
        lng=121.4,
        lat=31.0,
    )


def _subject(i: int, grade: str, cell: str | None) -> GradedSubject:
    return GradedSubject(subject_id=i, name=f"店{i}", grade=grade, cell=cell, lng=121.4, lat=31.0)


def test_order_dc_in_hot_cells_then_trend_then_places_then_other_subjects() -> None:
    hot = [_hot("a", 3.0, "fading"), _hot("b", 2.0, "persistent", 3), _hot("c", 5.0, "new")]
    places = [
        Place(violation_type="05-04", type_name="占道", cases=4, cell=None, lng=121.4, lat=31.0)
    ]
    subjects = [
        _subject(1, "C", "a"),
        _subject(2, "D", "b"),
        _subject(3, "D", None),
        _subject(4, "C", None),
        _subject(5, "B", "a"),
    ]
    ranked = rank_priorities(hot, places, subjects)
    kinds = [(p.kind, p.subject_id or p.cell) for p in ranked]
    assert kinds == [
        (Kind.subject, 2),
        (Kind.subject, 1),
        (Kind.hotspot, "b"),
        (Kind.hotspot, "c"),
        (Kind.hotspot, "a"),
        (Kind.repeat_place, None),
        (Kind.subject, 3),
        (Kind.subject, 4),
    ]
    assert ranked[2].reason == "连续3周高发：店外经营14起"
    assert "D级监管对象位于高发区域" in ranked[0].reason


def test_empty_inputs_give_no_priorities() -> None:
    assert rank_priorities([], [], []) == []
