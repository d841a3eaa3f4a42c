"""Hotspots (高发点位), pure: where violations concentrate, and which places repeat.

- ``gi_star``: Getis-Ord Gi* z-scores of counts per cell over each cell's ring-1
  neighbourhood (the cell and its neighbours, binary weights). The neighbour structure is
  passed in, so the same code serves H3 cells (``h3.grid_ring(cell, 1)``) and square grids
  (``square_grid_neighbours``).
- ``benjamini_hochberg``: the false-discovery-rate correction over the cells' p-values.
- ``hot_cells``: the two together — significantly hot cells after FDR (exact Poisson
  p-values of each neighbourhood's count; see ``gistar``).
- ``grouped.hot_cells_by_group``: the same for many groups at once on H3's local IJ
  grid (the weekly refresh); equal to the functions above group by group.
- ``classify``: a cell's trend over the last weeks (new / persistent / fading).
- ``repeat_places``: concrete places with ≥ N cases of one type within 50 m in 30 days.
"""

from domain.hotspots.gistar import (
    Neighbours,
    benjamini_hochberg,
    gi_star,
    hot_cells,
    neighbourhood_poisson_p,
    square_grid_neighbours,
    upper_tail_p,
)
from domain.hotspots.places import PlacedCase, RepeatPlace, repeat_places
from domain.hotspots.trend import Trend, classify

__all__ = [
    "Neighbours",
    "PlacedCase",
    "RepeatPlace",
    "Trend",
    "benjamini_hochberg",
    "classify",
    "gi_star",
    "hot_cells",
    "neighbourhood_poisson_p",
    "repeat_places",
    "square_grid_neighbours",
    "upper_tail_p",
]
