"""Registers as files: CSV (UTF-8, with or without BOM; GB18030 as Excel in China saves it)
and Excel .xlsx in, the same columns out. Pure: bytes in, rows out, and back."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum

from openpyxl import Workbook, load_workbook

from domain.errors import InvalidInput
from domain.subjects.registers import column_of

MAX_ROWS = 50_000


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def format_of(content_type: str, filename: str = "") -> Format:
    name = filename.lower()
    if content_type.startswith(XLSX_TYPE) or name.endswith(".xlsx"):
        return Format.xlsx
    if content_type.split(";")[0].strip() in ("text/csv", "application/csv") or name.endswith(
        ".csv"
    ):
        return Format.csv
    raise InvalidInput("register_format_unsupported", "send a .csv or an .xlsx file")


def read_table(data: bytes, fmt: Format) -> list[dict[str, object]]:
    """The rows of the first sheet, keyed by our column names (unknown columns dropped)."""
    if fmt is Format.csv:
        grid: Iterable[Sequence[object]] = csv.reader(io.StringIO(_decode(data)))
    else:
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
            raise InvalidInput("register_unreadable", f"not an .xlsx workbook: {exc}") from exc
        sheet = book.worksheets[0]
        grid = sheet.iter_rows(values_only=True)
    rows = iter(grid)
    header = next(rows, None)
    if header is None:
        raise InvalidInput("register_empty", "the file has no header row")
    columns = [column_of(str(h)) if h is not None else None for h in header]
    if "name" not in columns or "kind" not in columns:
        raise InvalidInput("register_columns", "the header needs at least 名称/name and 类型/kind")
    table = []
    for row in rows:
        table.append({c: v for c, v in zip(columns, row, strict=False) if c})
        if len(table) > MAX_ROWS:
            raise InvalidInput("register_too_large", f"at most {MAX_ROWS} rows per import")
    return table


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("register_unreadable", "the CSV is neither UTF-8 nor GB18030")


# Control characters XML 1.0 cannot carry: openpyxl refuses a cell holding one.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _inert(value: object) -> object:
    """Text that Excel or WPS would run as a formula (=, +, -, @, tab, CR first) is
    written with a leading apostrophe, and control characters no spreadsheet can hold
    are dropped: registers carry text from outside."""
    if not isinstance(value, str):
        return value
    value = _NOT_IN_XML.sub("", value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_table(header: Sequence[str], rows: Iterable[Sequence[object]], fmt: Format) -> bytes:
    """A header and rows as a CSV (UTF-8 with BOM, so Excel opens it right) or an .xlsx."""
    rows = ([_inert(v) for v in row] for row in rows)
    if fmt is Format.csv:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("subjects")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
