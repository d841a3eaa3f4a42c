"""Jurisdiction in the queries: the one place squad-owned rows are found and filtered.

Two halves, both driven by ``domain.org.Scope``:

- ``owner_of`` answers, for a resource addressed by id, whether it exists and which squad
  owns it; the API's jurisdiction guard asks it for every path parameter that names a
  squad-owned resource, before any handler runs (``api/scoping.py``).
- ``squad_filter`` is the WHERE fragment every list, search and figure query adds for
  the caller's scope, so a squad role's query cannot leave its squad.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any, TypeVar, cast

import asyncpg
import msgspec
from piccolo.columns import Column

from domain.org import Scope
from storage.db import engine

Q = TypeVar("Q", bound=Any)


class Owned(StrEnum):
    """Kinds of squad-owned resources that paths address by id."""

    case = "case"
    subject = "subject"
    structure = "structure"
    block = "block"
    camera = "camera"
    evidence = "evidence"
    user = "user"
    leave = "leave"
    roll_call = "roll_call"
    checkin_point = "checkin_point"
    equipment = "equipment"


class Ownership(msgspec.Struct, frozen=True):
    exists: bool
    squad_id: int | None = None


# One statement per kind: the owning squad of the row with that id. Evidence belongs to
# its case's squad.
_OWNER_SQL = {
    Owned.case: "SELECT squad FROM enforcement_case WHERE id = $1",
    Owned.subject: "SELECT squad FROM subject WHERE id = $1",
    Owned.structure: "SELECT squad FROM illegal_structure WHERE id = $1",
    Owned.block: "SELECT squad FROM street_block WHERE id = $1",
    Owned.camera: "SELECT squad FROM camera WHERE id = $1",
    Owned.evidence: (
        'SELECT c.squad FROM evidence e JOIN enforcement_case c ON c.id = e."case" WHERE e.id = $1'
    ),
    Owned.user: "SELECT squad FROM staff_user WHERE id = $1",
    Owned.leave: "SELECT squad FROM duty_leave WHERE id = $1",
    Owned.roll_call: "SELECT squad FROM roll_call WHERE id = $1",
    Owned.checkin_point: "SELECT squad FROM checkin_point WHERE id = $1",
    Owned.equipment: "SELECT squad FROM equipment WHERE id = $1",
}

# Ids beyond a column's range name nothing (and asyncpg would refuse to send them).
_INT4_MAX = 2**31 - 1
_INT8_MAX = 2**63 - 1
_BIGINT_KINDS = frozenset({Owned.case})


async def owner_of(kind: Owned, key: int | uuid.UUID) -> Ownership:
    """Whether the ``kind`` row ``key`` exists, and the squad that owns it."""
    if isinstance(key, int):
        limit = _INT8_MAX if kind in _BIGINT_KINDS else _INT4_MAX
        if not 0 < key <= limit:
            return Ownership(exists=False)
    pool = engine().pool
    if pool is None:
        raise RuntimeError("the connection pool is not open")
    try:
        row = await pool.fetchrow(_OWNER_SQL[kind], key)
    except asyncpg.DataError:  # an id of the wrong type for its column
        return Ownership(exists=False)
    if row is None:
        return Ownership(exists=False)
    return Ownership(exists=True, squad_id=row[0])


def squad_filter(scope: Scope, column: str, args: list[object]) -> str:
    """`` AND <column> = {}`` for a squad scope (its id appended to ``args``), ``""`` for
    the district. For Piccolo ``raw`` queries, whose placeholders are ``{}``."""
    if scope.is_district:
        return ""
    args.append(scope.squad_id)
    return f" AND {column} = {{}}"


def within(query: Q, scope: Scope, column: Column) -> Q:
    """A Piccolo ``select`` limited to ``scope`` by its squad ``column``."""
    if scope.is_district:
        return query
    return cast(Q, query.where(column == scope.squad_id))
