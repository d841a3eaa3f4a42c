"""A position's H3 cells: resolution 9 (≈ 0.1 km², edge ≈ 200 m) for the district's
hotspots, resolution 10 (≈ 0.015 km², edge ≈ 75 m) for a street's."""

from __future__ import annotations

import h3

from domain.geo import LngLat

RESOLUTIONS = (9, 10)


def cells_of(position: LngLat) -> tuple[str, str]:
    """The resolution-9 and -10 cells (hex strings) of a WGS-84 position."""
    r9, r10 = (h3.latlng_to_cell(position.lat, position.lng, r) for r in RESOLUTIONS)
    return r9, r10


def ring1(cell: str) -> list[str]:
    """The cell's ring-1 neighbours (six, five near a pentagon), without itself."""
    return [c for c in h3.grid_ring(cell, 1) if c != cell]
