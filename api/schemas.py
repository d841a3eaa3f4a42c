"""Request and response shapes shared by every resource: errors, locations, pages."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Response
from litestar.params import QueryParameter

from domain.errors import InvalidInput
from domain.geo import CoordType


class ErrorBody(msgspec.Struct, frozen=True):
    """Every 4xx/5xx: a stable machine-readable ``code`` and a human ``detail``."""

    code: Annotated[str, msgspec.Meta(examples=["case_version_conflict"])]
    detail: str


def json_response(body: bytes) -> Response[Any]:
    """A response whose JSON was already built (by PostgreSQL, for the hottest lists);
    the handler's annotation documents its shape."""
    return Response(content=body, media_type=MediaType.JSON)


CoordTypeQuery = Annotated[
    CoordType,
    QueryParameter(
        name="coord_type",
        description="Coordinate system of every location in the answer (stored as WGS-84).",
    ),
]
LimitQuery = Annotated[int, QueryParameter(ge=1, le=200, description="Page size.")]
INT4_MAX = 2**31 - 1
SquadQuery = Annotated[
    int | None,
    QueryParameter(
        ge=1,
        le=INT4_MAX,
        description="Only this squad (中队); squad roles may name only their own (else 403).",
    ),
]
CursorQuery = Annotated[
    str | None, QueryParameter(description="`next_cursor` of the previous page.")
]


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id after which the next page starts (0 for the first page)."""
    if not cursor:
        return 0
    try:
        kind, _, value = (
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        )
        if kind != "id" or not value.isdigit() or int(value) > 2**63 - 1:
            raise ValueError(kind)
        return int(value)
    except ValueError as exc:
        raise InvalidInput("cursor_invalid", "the cursor is not one this API returned") from exc


def next_cursor(ids: list[int], limit: int) -> str | None:
    """A cursor for the next page when this page came back full."""
    return encode_cursor(ids[-1]) if len(ids) == limit else None


NearQuery = Annotated[
    str | None,
    QueryParameter(
        description="`lng,lat` in decimal degrees (in `coord_type`): within `radius_m`",
        pattern=r"^-?\d{1,3}(\.\d{1,12})?,-?\d{1,2}(\.\d{1,12})?$",
    ),
]
