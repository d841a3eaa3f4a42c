"""Subscribe-message values cut to what each WeChat field type allows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.wechat import fit_template_data
from tests.fakes.wechat import _VALID


def fit(key: str, value: str) -> str:
    return fit_template_data({key: value})[key]["value"]


def test_shape_is_key_to_value_object() -> None:
    assert fit_template_data({"thing1": "占道经营", "time2": "09:30"}) == {
        "thing1": {"value": "占道经营"},
        "time2": {"value": "09:30"},
    }


def test_a_long_thing_ends_in_an_ellipsis_within_twenty() -> None:
    value = "一二三四五六七八九十" * 3
    assert fit("thing1", value) == value[:19] + "…"
    assert len(fit("thing1", value)) == 20
    assert fit("thing1", value[:20]) == value[:20]


def test_thing_loses_line_breaks() -> None:
    assert fit("thing5", "  门前\n乱堆   物料 ") == "门前 乱堆 物料"


def test_a_phrase_keeps_five_chinese_characters() -> None:
    assert fit("phrase3", "等待中队长审核确认") == "等待中队长"
    assert fit("phrase3", "已处理(OK)") == "已处理"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("character_string4", "案件 CASE-000042 号", "CASE-000042"),
        ("character_string4", "X" * 40, "X" * 32),
        ("number5", "1,234.50 件", "1234.50"),
        ("letter6", "ab1cd", "abcd"),
        ("symbol7", "!!??%%", "!!??%"),
        ("phone_number8", "电话 +86-021-6488 0000", "+86-021-64880000"),
        ("phone_number8", "+86-021-6488-0000-1234", "+86-021-6488-0000"),
        ("car_number9", "沪a·12345", "沪A12345"),
        ("name10", "欧阳上官司马诸葛东方西门", "欧阳上官司马诸葛东方"),
        ("name10", "Alexandra Katherine Smith", "Alexandra Katherine"),
        ("amount11", "¥1,200.00", "¥1200.00"),
        ("time12", "2026年11月24日 09:30~10:30", "2026年11月24日 09:30~10:30"),
        ("date13", "2026-11-24", "2026-11-24"),
    ],
)
def test_each_type_keeps_what_it_allows(key: str, value: str, expected: str) -> None:
    assert fit(key, value) == expected


@pytest.mark.parametrize(
    "kind", ["thing", "phrase", "character_string", "letter", "symbol", "phone_number", "name"]
)
@given(value=st.text(min_size=1, max_size=60))
def test_whatever_is_left_is_accepted_by_wechat(kind: str, value: str) -> None:
    fitted = fit(f"{kind}1", value)
    assert fitted == "" or _VALID[kind](fitted)
