"""The squads' and grid cells' polygons as in-memory R-trees, for point lookups."""

from __future__ import annotations

import asyncio
import time

import msgspec

from domain.geo import Area, LngLat, Locator
from storage.tables import GridCell, Squad


class Placement(msgspec.Struct, frozen=True):
    """Which squad and grid cell hold a point (either may be None: outside the district)."""

    squad: Area | None
    grid: Area | None


class GeoIndex:
    """Squad and grid locators, loaded from the database and reloaded after ``ttl_s``
    (polygons change by admin import, rarely; a lookup must not cost a query)."""

    def __init__(self, ttl_s: float = 300.0) -> None:
        self.ttl_s = ttl_s
        self._loaded_at = -1e18
        self._squads = Locator(())
        self._grids = Locator(())
        self._lock = asyncio.Lock()

    async def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at < self.ttl_s:
            return
        async with self._lock:
            if time.monotonic() - self._loaded_at < self.ttl_s:
                return
            squads = await Squad.select(Squad.id, Squad.code, Squad.boundary).output(load_json=True)
            grids = await GridCell.select(GridCell.id, GridCell.code, GridCell.boundary).output(
                load_json=True
            )
            self._squads = Locator(Area(r["id"], r["code"], r["boundary"]) for r in squads)
            self._grids = Locator(Area(r["id"], r["code"], r["boundary"]) for r in grids)
            self._loaded_at = time.monotonic()

    async def place(self, point: LngLat) -> Placement:
        """The squad and grid cell of a WGS-84 point."""
        await self._fresh()
        return Placement(self._squads.locate(point), self._grids.locate(point))
