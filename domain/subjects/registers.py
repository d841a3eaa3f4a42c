"""The bureau's registers (spreadsheets) read into subjects, row by row, with every
reason a row is refused — so an import is all-or-nothing and a dry run says why.

Columns are recognised by their Chinese or English header; unknown columns are
ignored. An export carries each subject's ``编号`` (id): a row that keeps it updates that
subject when read back, so a register edited in Excel and imported again changes its
subjects instead of doubling the ones without a credit code. Coordinates default to
WGS-84; a ``坐标系`` column may say gcj02 or bd09.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import msgspec

from domain.errors import AppError
from domain.geo import CoordType, Location, LocationInvalid
from domain.subjects.model import DETAILS_OF, SubjectInput, SubjectKind

HEADERS: dict[str, str] = {
    # common
    "编号": "id",
    "id": "id",
    "类型": "kind",
    "kind": "kind",
    "名称": "name",
    "name": "name",
    "地址": "address",
    "address": "address",
    "经度": "lng",
    "lng": "lng",
    "longitude": "lng",
    "纬度": "lat",
    "lat": "lat",
    "latitude": "lat",
    "坐标系": "coord_type",
    "coord_type": "coord_type",
    "统一社会信用代码": "credit_code",
    "credit_code": "credit_code",
    "联系人": "contact_name",
    "contact_name": "contact_name",
    "联系电话": "contact_phone",
    "contact_phone": "contact_phone",
    # merchant
    "店招": "shop_sign",
    "shop_sign": "shop_sign",
    "经营类别": "business_type",
    "business_type": "business_type",
    "营业时间": "opening_hours",
    "opening_hours": "opening_hours",
    # construction site
    "施工许可证号": "permit_number",
    "permit_number": "permit_number",
    "施工单位": "contractor",
    "contractor": "contractor",
    "开工日期": "period_from",
    "period_from": "period_from",
    "竣工日期": "period_to",
    "period_to": "period_to",
    # business premises
    "场所类型": "premises_kind",
    "premises_kind": "premises_kind",
    "许可证号": "licence_number",
    "licence_number": "licence_number",
    # illegal structure
    "面积": "area_m2",
    "area_m2": "area_m2",
    "层数": "floors",
    "floors": "floors",
    "结构": "structure_type",
    "structure_type": "structure_type",
    "建成时间": "built_when",
    "built_when": "built_when",
    "产权人": "owner",
    "owner": "owner",
}

# What an export writes, in order: (header, column), read back by ``HEADERS``.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("编号", "id"),
    ("类型", "kind"),
    ("名称", "name"),
    ("地址", "address"),
    ("经度", "lng"),
    ("纬度", "lat"),
    ("统一社会信用代码", "credit_code"),
    ("联系人", "contact_name"),
    ("联系电话", "contact_phone"),
    ("店招", "shop_sign"),
    ("经营类别", "business_type"),
    ("营业时间", "opening_hours"),
    ("施工许可证号", "permit_number"),
    ("施工单位", "contractor"),
    ("开工日期", "period_from"),
    ("竣工日期", "period_to"),
    ("场所类型", "premises_kind"),
    ("许可证号", "licence_number"),
    ("面积", "area_m2"),
    ("层数", "floors"),
    ("结构", "structure_type"),
    ("建成时间", "built_when"),
    ("产权人", "owner"),
)


def export_row(cells: Mapping[str, object]) -> list[object]:
    """One register row from a subject's fields (its details among them) by column name;
    the kind is written as its Chinese label, missing cells as empty."""
    kind = cells.get("kind")
    values = {**cells, "kind": SubjectKind(str(kind)).label_zh} if kind else dict(cells)
    return ["" if values.get(c) is None else values[c] for _, c in EXPORT_COLUMNS]


KINDS: dict[str, SubjectKind] = {
    **{k.value: k for k in SubjectKind},
    **{k.label_zh: k for k in SubjectKind},
    "商户": SubjectKind.merchant,
    "工地": SubjectKind.construction_site,
    "场所": SubjectKind.business_premises,
}
_COMMON = {
    "id",
    "kind",
    "name",
    "address",
    "lng",
    "lat",
    "coord_type",
    "credit_code",
    "contact_name",
    "contact_phone",
}


class RowError(msgspec.Struct, frozen=True):
    row: int  # as the spreadsheet numbers it (the header is row 1)
    field: str
    message: str


class ParsedRow(msgspec.Struct, frozen=True):
    row: int
    subject: SubjectInput
    subject_id: int | None = None  # the 编号 of an exported row: update that subject


class Parsed(msgspec.Struct, frozen=True):
    rows: list[ParsedRow]
    errors: list[RowError]

    def named_ids(self) -> list[int]:
        """The subject ids (编号) the valid rows name, to be looked up."""
        return sorted(r.subject_id for r in self.rows if r.subject_id is not None)

    def without_unknown(self, unknown: set[int]) -> Parsed:
        """The same rows, those naming a subject that does not exist moved to the errors."""
        if not unknown:
            return self
        refused = [r for r in self.rows if r.subject_id in unknown]
        errors = [RowError(r.row, "id", f"no subject has 编号 {r.subject_id}") for r in refused]
        return Parsed(
            [r for r in self.rows if r.subject_id not in unknown],
            sorted([*self.errors, *errors], key=lambda e: e.row),
        )


def column_of(header: str) -> str | None:
    return HEADERS.get(header.strip().lower()) or HEADERS.get(header.strip())


def parse_rows(rows: Iterable[Mapping[str, object]], first_row: int = 2) -> Parsed:
    """Subjects from rows keyed by our column names; every refusal with its row."""
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    seen: dict[int, int] = {}  # subject id: the row that named it first
    for number, raw in enumerate(rows, start=first_row):
        cells = {k: _text(v) for k, v in raw.items() if k}
        if not any(cells.values()):
            continue  # blank lines in a spreadsheet are not rows
        row_errors: list[RowError] = []
        subject_id = _subject_id(number, cells.get("id", ""), seen, row_errors)
        subject = _subject(number, cells, row_errors)
        if subject is not None and not row_errors:
            parsed.append(ParsedRow(number, subject, subject_id))
        errors.extend(row_errors)
    return Parsed(parsed, errors)


def _subject_id(number: int, cell: str, seen: dict[int, int], errors: list[RowError]) -> int | None:
    if not cell:
        return None
    if not (cell.isascii() and cell.isdigit()) or int(cell) < 1:
        errors.append(RowError(number, "id", f"编号 {cell!r} is not a subject id"))
        return None
    subject_id = int(cell)
    if subject_id in seen:
        errors.append(RowError(number, "id", f"编号 {subject_id} is on row {seen[subject_id]} too"))
        return None
    seen[subject_id] = number
    return subject_id


def _subject(number: int, cells: dict[str, str], errors: list[RowError]) -> SubjectInput | None:
    kind = KINDS.get(cells.get("kind", ""))
    if kind is None:
        errors.append(RowError(number, "kind", f"unknown kind {cells.get('kind', '')!r}"))
        return None
    location = _location(number, cells, errors)
    details = {k: v for k, v in cells.items() if k not in _COMMON and v}
    try:
        detail_struct = msgspec.convert(
            {**details, "type": kind.value}, DETAILS_OF[kind], strict=False
        )
    except msgspec.ValidationError as exc:
        errors.append(RowError(number, _field_of(exc), str(exc)))
        return None
    if location is None:
        return None
    try:
        subject = msgspec.convert(
            {
                "kind": kind.value,
                "name": cells.get("name", ""),
                "address": cells.get("address", ""),
                "location": msgspec.to_builtins(location),
                "credit_code": cells.get("credit_code") or None,
                "contact_name": cells.get("contact_name", ""),
                "contact_phone": cells.get("contact_phone", ""),
            },
            SubjectInput,
        )
        return msgspec.structs.replace(subject, details=detail_struct).checked()
    except msgspec.ValidationError as exc:
        errors.append(RowError(number, _field_of(exc), str(exc)))
    except AppError as exc:
        errors.append(RowError(number, exc.code, exc.detail))
    return None


def _location(number: int, cells: dict[str, str], errors: list[RowError]) -> Location | None:
    try:
        lng, lat = float(cells.get("lng", "")), float(cells.get("lat", ""))
        coord = CoordType(cells.get("coord_type") or "wgs84")
        location = msgspec.convert({"lng": lng, "lat": lat, "coord_type": coord}, Location)
        location.to_wgs84()  # a row whose point leaves the Earth in WGS-84 is that row's error
        return location
    except (ValueError, msgspec.ValidationError, LocationInvalid):
        errors.append(RowError(number, "location", "lng/lat missing or not numbers in range"))
        return None


def _field_of(exc: msgspec.ValidationError) -> str:
    text = str(exc)
    marker = "at `$."
    if marker in text:
        return text.split(marker, 1)[1].split("`", 1)[0].split(".")[-1]
    return "row"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's 13800000001.0 is a phone number
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value).strip()
