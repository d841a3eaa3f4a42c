from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import (
    DEFAULT_PATH,
    AutoDispatch,
    CameraRule,
    CatalogueError,
    Category,
    FirstStep,
    Sla,
    Urgency,
    ViolationType,
    decode_type,
    encode_type,
    load_catalogue,
    parse_catalogue,
)
from domain.sla.duration import Duration, Unit

# Every type DESIGN.md names, with the name it gives.
DESIGN_TYPES = {
    "05-04": "店外经营",
    "05-07": "乱堆物料堆",
    "05-06": "非机动车乱停放",
    "05-05": "机动车乱停放",
    "05-01": "无照经营游商",
    "05-11": "沿街晾挂",
    "05-10": "露天烧烤",
    "01-02": "暴露垃圾",
    "01-03": "积存垃圾渣土",
    "03-02": "工地扬尘",
    "03-04": "施工占道",
    "01-01": "私搭乱建",
}


def good_type(**changes: Any) -> dict[str, Any]:
    """A valid type in its JSON form, with top-level fields replaced."""
    obj: dict[str, Any] = {
        "code": "05-04",
        "name_zh": "店外经营",
        "name_en": "Operating outside the shop",
        "category": "street_order",
        "urgency": "normal",
        "severity": 1,
        "sla": {"accept": "30m", "verify": "2h", "handle": "1d", "rectification": "1d"},
        "auto_dispatch": "officer",
        "first_step": "notify_party",
        "camera": {
            "labels": ["dining table", "chair"],
            "zone_kind": "shopfront",
            "min_score": 0.4,
            "min_count": 2,
            "dwell_s": 600,
        },
    }
    obj.update(changes)
    return obj


def doc(*types: dict[str, Any]) -> dict[str, Any]:
    return {"version": "test", "source": "unit test", "types": list(types)}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, ViolationType]:
    return load_catalogue()


# --- the packaged file -------------------------------------------------------------------


def test_packaged_catalogue_loads(catalogue: dict[str, ViolationType]) -> None:
    assert len(catalogue) >= 20
    assert all(code == vt.code for code, vt in catalogue.items())


def test_every_type_design_names_is_present(catalogue: dict[str, ViolationType]) -> None:
    for code, name_zh in DESIGN_TYPES.items():
        assert catalogue[code].name_zh == name_zh
    construction_names = {
        vt.name_zh for vt in catalogue.values() if vt.category is Category.construction
    }
    assert {"渣土车未苫盖", "车轮带泥"} <= construction_names


def test_local_construction_types_use_the_extension_range(
    catalogue: dict[str, ViolationType],
) -> None:
    by_name = {vt.name_zh: vt for vt in catalogue.values()}
    for name in ("渣土车未苫盖", "车轮带泥"):
        assert by_name[name].code.startswith("03-")
        assert by_name[name].is_local_extension
    assert not catalogue["05-04"].is_local_extension


def test_urgent_types_are_accepted_within_30_minutes(catalogue: dict[str, ViolationType]) -> None:
    urgent = [vt for vt in catalogue.values() if vt.urgency is Urgency.urgent]
    assert {"05-10", "03-04"} <= {vt.code for vt in urgent}
    for vt in urgent:
        assert vt.sla.accept.minutes <= 30, vt.code


def test_dispatch_and_first_step_follow_the_design(catalogue: dict[str, ViolationType]) -> None:
    assert catalogue["01-01"].auto_dispatch is AutoDispatch.none
    for code in ("05-04", "05-11", "05-07"):
        assert catalogue[code].first_step is FirstStep.notify_party
    for vt in catalogue.values():
        if vt.category is Category.street_order and vt.camera is not None:
            assert vt.auto_dispatch is AutoDispatch.officer, vt.code


def test_camera_defaults_for_parking(catalogue: dict[str, ViolationType]) -> None:
    motor, bikes = catalogue["05-05"].camera, catalogue["05-06"].camera
    assert motor is not None and set(motor.labels) == {"car", "truck", "bus"}
    assert bikes is not None and set(bikes.labels) == {"bicycle", "motorcycle"}
    assert catalogue["01-01"].camera is None


def test_sub_types_sit_under_a_listed_type_of_the_same_category(
    catalogue: dict[str, ViolationType],
) -> None:
    subs = [vt for vt in catalogue.values() if vt.parent_code is not None]
    assert subs
    for vt in subs:
        assert vt.parent_code is not None
        assert catalogue[vt.parent_code].category is vt.category


def test_packaged_file_is_written_as_encode_type_writes(
    catalogue: dict[str, ViolationType],
) -> None:
    raw = json.loads(DEFAULT_PATH.read_text("utf-8"))
    assert raw["version"] and raw["source"]
    for obj in raw["types"]:
        encoded = encode_type(catalogue[obj["code"]])
        assert {k: v for k, v in encoded.items() if k in obj} == obj


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_of_every_packaged_type(catalogue: dict[str, ViolationType]) -> None:
    for vt in catalogue.values():
        assert decode_type(encode_type(vt)) == vt
        wire = msgspec.json.encode(encode_type(vt))
        assert decode_type(msgspec.json.decode(wire)) == vt


def test_encoded_durations_are_text() -> None:
    encoded = encode_type(decode_type(good_type()))
    assert encoded["sla"] == {
        "accept": "30m",
        "verify": "2h",
        "handle": "1d",
        "rectification": "1d",
    }
    assert encoded["camera"]["labels"] == ["dining table", "chair"]


durations = st.builds(Duration, st.integers(1, 500), st.sampled_from(list(Unit)))
camera_rules = st.builds(
    CameraRule,
    labels=st.lists(st.sampled_from(["car", "truck", "bus", "chair"]), min_size=1, unique=True).map(
        tuple
    ),
    zone_kind=st.sampled_from(["no_parking", "sidewalk", "shopfront", "site_gate"]),
    min_score=st.floats(0.01, 1.0),
    min_count=st.integers(1, 20),
    dwell_s=st.integers(0, 86_400),
)


@given(
    category=st.sampled_from(list(Category)),
    minor=st.integers(1, 99),
    sub=st.one_of(st.none(), st.integers(1, 99)),
    urgency=st.sampled_from(list(Urgency)),
    severity=st.integers(1, 3),
    sla=st.builds(
        Sla, accept=durations, verify=durations, handle=durations, rectification=durations
    ),
    auto_dispatch=st.sampled_from(list(AutoDispatch)),
    first_step=st.sampled_from(list(FirstStep)),
    camera=st.one_of(st.none(), camera_rules),
    active=st.booleans(),
)
def test_round_trip_of_any_valid_type(
    category: Category,
    minor: int,
    sub: int | None,
    urgency: Urgency,
    severity: int,
    sla: Sla,
    auto_dispatch: AutoDispatch,
    first_step: FirstStep,
    camera: CameraRule | None,
    active: bool,
) -> None:
    code = f"{category.code}-{minor:02d}" + (f"-{sub:02d}" if sub is not None else "")
    vt = ViolationType(
        code=code,
        name_zh="测试",
        name_en="Test",
        category=category,
        urgency=urgency,
        severity=severity,
        sla=sla,
        auto_dispatch=auto_dispatch,
        first_step=first_step,
        camera=camera,
        active=active,
    )
    assert decode_type(msgspec.json.decode(msgspec.json.encode(encode_type(vt)))) == vt


# --- validation -----------------------------------------------------------------------------


def assert_rejected(bad: dict[str, Any], code: str | None, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as caught:
        parse_catalogue(bad)
    assert isinstance(caught.value, CatalogueError)
    assert caught.value.code == code
    if code is not None:
        assert code in str(caught.value)


def test_a_good_document_parses() -> None:
    assert list(parse_catalogue(doc(good_type(), good_type(code="05-11")))) == ["05-04", "05-11"]


def test_duplicate_codes_are_rejected() -> None:
    assert_rejected(doc(good_type(), good_type(code="05-11"), good_type()), "05-04", "duplicate")


@pytest.mark.parametrize("text", ["0h", "-1h", "4 hours", "4w", "", "1.5h"])
def test_bad_durations_are_rejected(text: str) -> None:
    sla = {"accept": "30m", "verify": text, "handle": "1d", "rectification": "1d"}
    assert_rejected(doc(good_type(sla=sla)), "05-04", "sla.verify")


@pytest.mark.parametrize(
    "sla",
    [
        {"accept": "30m", "verify": "2h", "handle": "1d"},
        {"accept": "30m", "verify": "2h", "handle": "1d", "rectification": 1},
        {"accept": "30m", "verify": "2h", "handle": "1d", "rectification": "1d", "extra": "1d"},
        "30m",
    ],
)
def test_malformed_slas_are_rejected(sla: object) -> None:
    assert_rejected(doc(good_type(sla=sla)), "05-04", "sla")


@pytest.mark.parametrize("score", [0, 0.0, -0.1, 1.01, 2])
def test_camera_scores_outside_zero_to_one_are_rejected(score: float) -> None:
    camera = {**good_type()["camera"], "min_score": score}
    assert_rejected(doc(good_type(camera=camera)), "05-04", "min_score")


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("labels", [], "labels"),
        ("labels", ["car", "car"], "duplicates"),
        ("zone_kind", "No Parking", "zone_kind"),
        ("min_count", 0, "min_count"),
        ("dwell_s", -1, "dwell_s"),
    ],
)
def test_bad_camera_rules_are_rejected(field: str, value: object, fragment: str) -> None:
    camera = {**good_type()["camera"], field: value}
    assert_rejected(doc(good_type(camera=camera)), "05-04", fragment)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"urgency": "asap"}, "urgency"),
        ({"auto_dispatch": "everyone"}, "auto_dispatch"),
        ({"first_step": "fine"}, "first_step"),
        ({"category": "traffic"}, "category"),
        ({"severity": 4}, "severity"),
        ({"severity": "1"}, "severity"),
        ({"name_en": " "}, "name_en"),
        ({"colour": "red"}, "colour"),
        ({"code": "01-04"}, "category"),
    ],
)
def test_bad_fields_are_rejected_with_the_code(changes: dict[str, Any], fragment: str) -> None:
    bad = good_type(**changes)
    assert_rejected(doc(bad), bad["code"], fragment)


@pytest.mark.parametrize("code", ["5-04", "05-4", "05_04", "05-04-1", "05-04-01-01", " 05-04"])
def test_malformed_codes_are_rejected(code: str) -> None:
    assert_rejected(doc(good_type(code=code)), code, "code")


def test_a_sub_type_needs_its_parent() -> None:
    assert list(parse_catalogue(doc(good_type(), good_type(code="05-04-01"))))[1] == "05-04-01"
    assert_rejected(doc(good_type(code="05-11-01")), "05-11-01", "05-11")


def test_unknown_urgency_in_a_file_names_the_code(tmp_path: Path) -> None:
    bad = copy.deepcopy(doc(good_type(), good_type(code="05-10", urgency="immediately")))
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), "utf-8")
    with pytest.raises(ValueError, match=r"05-10.*urgency"):
        load_catalogue(path)


@pytest.mark.parametrize("content", ["{", "[]", '{"version": "1"}', '{"types": []}'])
def test_malformed_files_are_rejected(tmp_path: Path, content: str) -> None:
    path = tmp_path / "catalogue.json"
    path.write_text(content, "utf-8")
    with pytest.raises(CatalogueError):
        load_catalogue(path)


def test_types_that_are_not_objects_are_rejected() -> None:
    assert_rejected(doc("05-04"), None, "object")  # type: ignore[arg-type]


def test_sla_rejects_non_positive_durations_built_in_code() -> None:
    one_day = Duration(1, Unit.days)
    with pytest.raises(ValueError, match="accept"):
        Sla(accept=Duration(0, Unit.minutes), verify=one_day, handle=one_day, rectification=one_day)
