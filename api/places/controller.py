"""``/api/v1/places``: a typed address turned into a position from the district's own
data (subjects, street blocks, grid cells), for phones on an isolated government network
where no outside geocoder is reachable. Every member of staff reads it, within their
jurisdiction."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import QueryParameter

from api.deps import Caller
from api.schemas import CoordTypeQuery, LimitQuery
from domain.geo import CoordType, Location
from storage import places
from storage.places import PlaceKind, PlaceRecord


class PlaceRead(msgspec.Struct, frozen=True, kw_only=True):
    kind: PlaceKind
    kind_label_zh: str
    id: Annotated[int, msgspec.Meta(description="The subject's, block's or grid cell's id.")]
    name: str
    address: Annotated[str, msgspec.Meta(description="A subject's address; a grid cell's code.")]
    location: Annotated[
        Location, msgspec.Meta(description="The place (inside an area's polygon), in coord_type.")
    ]
    squad_id: int | None

    @classmethod
    def of(cls, r: PlaceRecord, coord_type: CoordType) -> PlaceRead:
        return cls(
            kind=r.kind,
            kind_label_zh=r.kind.label_zh,
            id=r.ref_id,
            name=r.name,
            address=r.address,
            location=Location.from_wgs84(r.point.lng, r.point.lat, coord_type),
            squad_id=r.squad_id,
        )


class PlacePage(msgspec.Struct, frozen=True):
    items: list[PlaceRead]


class PlaceController(Controller):
    path = "/api/v1/places"
    tags = ["places"]

    @get("/", operation_id="search_places")
    async def search(
        self,
        principal: Caller,
        q: Annotated[
            str,
            QueryParameter(
                min_length=1,
                max_length=64,
                description="What the officer typed: a subject's name or address, a street"
                " block's name, a grid cell's code or name.",
            ),
        ],
        coord_type: CoordTypeQuery = CoordType.wgs84,
        limit: LimitQuery = 20,
    ) -> PlacePage:
        """Places whose name holds ``q``, in the caller's jurisdiction: subjects first, then
        street blocks, then grid cells, each a point to report from."""
        text = q.strip()
        found = await places.search(principal.scope, text, limit) if text else []
        return PlacePage([PlaceRead.of(r, coord_type) for r in found])
