"""The place lookup behind a typed address: the district's own named places — subjects by
name or address, street blocks by name, grid cells by code or name — so a report can be
placed on an isolated government network, with no outside geocoder."""

from __future__ import annotations

import enum

import msgspec

from domain.geo.coords import LngLat
from domain.geo.places import point_of_geometry, point_of_ring
from domain.org.roles import Scope
from storage.scoping import squad_filter
from storage.tables import Subject


class PlaceKind(enum.StrEnum):
    subject = "subject"
    block = "block"
    grid = "grid"

    @property
    def label_zh(self) -> str:
        return {"subject": "监管对象", "block": "街区", "grid": "网格"}[self.value]


class PlaceRecord(msgspec.Struct, frozen=True, kw_only=True):
    kind: PlaceKind
    ref_id: int
    name: str
    address: str
    point: LngLat
    squad_id: int | None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Each kind's statement, and which of its placeholders take the prefix pattern (the
# others: the text anywhere). Ordered: a name that starts with the text first, then the
# shortest name (the closest match), then by id.
_QUERIES: dict[PlaceKind, tuple[str, tuple[bool, ...]]] = {
    PlaceKind.subject: (
        "SELECT id, name, address, lng, lat, NULL::jsonb AS shape, squad AS squad_id,"
        " name ILIKE {} AS prefix FROM subject WHERE (name ILIKE {} OR address ILIKE {})",
        (True, False, False),
    ),
    PlaceKind.block: (
        "SELECT id, name, '' AS address, NULL::float8 AS lng, NULL::float8 AS lat,"
        " polygon AS shape, squad AS squad_id, name ILIKE {} AS prefix"
        " FROM street_block WHERE name ILIKE {}",
        (True, False),
    ),
    PlaceKind.grid: (
        "SELECT id, coalesce(nullif(name_zh, ''), code) AS name, code AS address,"
        " NULL::float8 AS lng, NULL::float8 AS lat, boundary AS shape, squad AS squad_id,"
        " (code ILIKE {} OR name_zh ILIKE {}) AS prefix"
        " FROM grid_cell WHERE (code ILIKE {} OR name_zh ILIKE {})",
        (True, True, False, False),
    ),
}


def _point(kind: PlaceKind, row: dict[str, object]) -> LngLat:
    if kind is PlaceKind.subject:
        return LngLat(float(row["lng"]), float(row["lat"]))  # type: ignore[arg-type]
    shape = row["shape"]
    if isinstance(shape, str):
        shape = msgspec.json.decode(shape)
    if kind is PlaceKind.block:
        return point_of_ring(shape)  # type: ignore[arg-type]
    return point_of_geometry(shape)  # type: ignore[arg-type]


async def search(scope: Scope, text: str, limit: int) -> list[PlaceRecord]:
    """Places in ``scope`` whose name (subjects: or address; grid cells: or code) holds
    ``text``, at most ``limit``: subjects first, then blocks, then grid cells."""
    prefix, anywhere = f"{_like(text)}%", f"%{_like(text)}%"
    found: list[PlaceRecord] = []
    for kind, (select, patterns) in _QUERIES.items():
        if len(found) >= limit:
            break
        args: list[object] = [prefix if starts else anywhere for starts in patterns]
        sql = select + squad_filter(scope, "squad", args)
        rows = await Subject.raw(
            f"SELECT * FROM ({sql}) AS found ORDER BY prefix DESC, length(name), id LIMIT {{}}",
            *args,
            limit - len(found),
        )
        for row in rows:
            found.append(
                PlaceRecord(
                    kind=kind,
                    ref_id=int(row["id"]),
                    name=str(row["name"]),
                    address=str(row["address"] or ""),
                    point=_point(kind, row),
                    squad_id=row["squad_id"],
                )
            )
    return found
