"""Register rows read into subjects, with every reason a row is refused."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain.errors import InvalidInput
from domain.subjects.model import (
    MerchantDetails,
    SiteDetails,
    SubjectKind,
    check_credit_code,
    credit_code_with_check,
)
from domain.subjects.registers import parse_rows
from domain.subjects.spreadsheets import Format, read_table, write_table

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GOOD_CODE = "91350100M000100Y43"  # the sample GB 32100 code


def test_a_known_credit_code_checks() -> None:
    assert check_credit_code(GOOD_CODE.lower()) == GOOD_CODE


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "9135O100M000100Y43"])
def test_a_wrong_credit_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_credit_code(code)
    assert info.value.code == "credit_code_invalid"


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17), st.integers(0, 16), st.data())
def test_one_changed_character_is_caught(first17: str, at: int, data: st.DataObject) -> None:
    code = credit_code_with_check(first17)
    assert check_credit_code(code) == code
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != code[at]]))
    with pytest.raises(InvalidInput):
        check_credit_code(code[:at] + other + code[at + 1 :])


def _row(**cells: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": "沿街商户",
        "name": "阿强水果店",
        "address": "江川路 88 号",
        "lng": "121.3994",
        "lat": "30.9995",
        "credit_code": GOOD_CODE,
        "contact_phone": 13812345678.0,
        "shop_sign": "阿强鲜果",
    }
    return {**base, **cells}


def test_good_rows_become_subjects_of_their_kind() -> None:
    parsed = parse_rows(
        [
            _row(),
            {},
            _row(
                kind="工地",
                name="闵行某工地",
                credit_code="",
                shop_sign="",
                permit_number="3101122026001",
                period_from="2026-03-01",
                period_to="2027-03-01",
            ),
        ]
    )
    assert parsed.errors == []
    merchant, site = (r.subject for r in parsed.rows)
    assert [r.row for r in parsed.rows] == [2, 4]  # the blank line 3 is skipped
    assert merchant.kind is SubjectKind.merchant and merchant.contact_phone == "13812345678"
    assert merchant.details == MerchantDetails(shop_sign="阿强鲜果")
    assert isinstance(site.details, SiteDetails) and site.details.permit_number == "3101122026001"


def test_bad_rows_say_which_and_why() -> None:
    parsed = parse_rows(
        [
            _row(kind="飞船"),
            _row(lng="东经121"),
            _row(credit_code="91350100M000100Y44"),
            _row(kind="工地", period_from="2027-01-01", period_to="2026-01-01", shop_sign=""),
            _row(name=""),
            _row(),
            _row(lng="10", lat="-90", coord_type="bd09"),  # lat -90.006 once in WGS-84
        ]
    )
    assert [r.row for r in parsed.rows] == [7]
    assert [(e.row, e.field) for e in parsed.errors] == [
        (2, "kind"),
        (3, "location"),
        (4, "credit_code_invalid"),
        (5, "row"),
        (6, "name"),
        (8, "location"),
    ]


@pytest.mark.parametrize("fmt", list(Format))
def test_a_register_survives_a_round_trip_through_its_file(fmt: Format) -> None:
    header = ["类型", "名称", "经度", "纬度", "联系电话", "店招"]
    data = write_table(
        header, [["沿街商户", "阿强水果店", 121.3994, 30.9995, "13812345678", "鲜果"]], fmt
    )
    rows = read_table(data, fmt)
    parsed = parse_rows(rows)
    assert parsed.errors == [] and parsed.rows[0].subject.name == "阿强水果店"


def test_a_gb18030_csv_from_excel_reads() -> None:
    data = "名称,类型,经度,纬度\n阿强水果店,沿街商户,121.3994,30.9995\n".encode("gb18030")
    assert read_table(data, Format.csv)[0]["name"] == "阿强水果店"


def test_what_the_export_writes_the_import_reads() -> None:
    from domain.subjects.registers import EXPORT_COLUMNS, column_of

    assert all(column_of(header) == column for header, column in EXPORT_COLUMNS)


def test_an_exported_id_names_the_subject_and_may_appear_once() -> None:
    row = {"kind": "沿街商户", "name": "阿强", "lng": "121.39", "lat": "30.99"}
    parsed = parse_rows(
        [
            {**row, "id": "12"},
            {**row, "id": ""},
            {**row, "id": "12"},
            {**row, "id": "x1"},
            {**row, "id": "¹"},  # a digit to str.isdigit, not to int
        ]
    )

    assert [(r.row, r.subject_id) for r in parsed.rows] == [(2, 12), (3, None)]
    assert [(e.row, e.field) for e in parsed.errors] == [(4, "id"), (5, "id"), (6, "id")]


def test_a_row_naming_an_unknown_subject_becomes_an_error() -> None:
    row = {"kind": "沿街商户", "name": "阿强", "lng": "121.39", "lat": "30.99"}
    parsed = parse_rows([{**row, "id": "12"}, {**row, "id": "7"}, {**row, "id": "x"}])

    assert parsed.named_ids() == [7, 12]
    checked = parsed.without_unknown({7})
    assert [(r.row, r.subject_id) for r in checked.rows] == [(2, 12)]
    assert [(e.row, e.field) for e in checked.errors] == [(3, "id"), (4, "id")]
    assert parsed.without_unknown(set()) is parsed


@given(st.text(max_size=40))
def test_any_text_a_subject_holds_can_be_exported_to_xlsx(text: str) -> None:
    """A name typed through the API may hold control characters that XML cannot carry;
    the export drops them rather than failing (schemathesis found the 500)."""
    data = write_table(["名称"], [[text]], Format.xlsx)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    cells = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c in "\t\n\r" or ord(c) >= 0x20 for c in str(cells[0] or ""))
