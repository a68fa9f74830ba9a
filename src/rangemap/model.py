"""Typed stage contracts shared by the engine, the AOH rules and the pipeline.

:class:`HabitatResult` is what the habitat engine (:mod:`rangemap.engine`) returns for
one range unit.  Its ``habitat_elev_*`` fields are elevations *observed* in the habitat
cells; the band *limits* a taxon was given are ``(min_m, max_m)`` arguments elsewhere
and ``elevation_min_m`` / ``elevation_max_m`` in the outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

from rangemap.geodesy import eoo_km2, polygon_areas_km2
from rangemap.shapes import EMPTY


@dataclass
class HabitatResult:
    """Habitat of one range unit.

    Attributes
    ----------
    geometry : MultiPolygon
        Habitat polygons (cell-aligned), possibly empty.
    area_km2 : float
        WGS84 area of ``geometry`` (:func:`rangemap.geodesy.polygon_areas_km2`).
    cell_area_km2 : float
        Exact ellipsoidal area of the habitat cells (centre rule, unclipped).
    cells : int
        Number of habitat cells.
    sources : list of str
        DEMs that served some part of the unit, finest first.
    covered_share : float
        Share (0..1) of the unit's cells that some DEM covered.
    habitat_elev_min, habitat_elev_max, habitat_elev_mean : float or None
        Elevations observed in the habitat cells (metres), not the band's limits
        (published as ``habitat_elev_min_m`` ...).
    area_wide_km2, area_narrow_km2 : float
        Cell area with the band widened / narrowed by the margin on each open
        end (published limits are rough: a sensitivity check).
    aoo_keys : numpy.ndarray
        Ids of the occupied cells of the IUCN 2 x 2 km AOO grid.
    criteria : tuple of Criterion
        Criteria applied after the elevation band (empty: elevation only).
    elevation_km2, elevation_cells : float, int
        Area and cells of the elevation-only habitat (equal to ``area_km2`` and
        ``cells`` when no other criterion applies); the cell area otherwise.
    habitat_only_km2 : float
        Cell area of range x habitat filter (land cover) without the elevation band,
        for the IUCN fallback rules; 0 when no habitat filter applies.
    details : dict
        Fields reported by the criteria (``slope_median_deg``, ``landcover`` shares).
    fallback : str or None
        The IUCN fallback applied to this unit's taxon, if any.
    """

    geometry: MultiPolygon = field(default_factory=lambda: EMPTY)
    area_km2: float = 0.0
    cell_area_km2: float = 0.0
    cells: int = 0
    sources: list[str] = field(default_factory=list)
    covered_share: float = 0.0
    habitat_elev_min: float | None = None
    habitat_elev_max: float | None = None
    habitat_elev_mean: float | None = None
    area_wide_km2: float = 0.0
    area_narrow_km2: float = 0.0
    aoo_keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="int64"))
    criteria: tuple = ()
    elevation_km2: float = 0.0
    elevation_cells: int = 0
    habitat_only_km2: float = 0.0
    details: dict = field(default_factory=dict)
    fallback: str | None = None

    @property
    def aoo_km2(self) -> float:
        """Area of occupancy: occupied 2 x 2 km cells x 4 km^2."""
        return 4.0 * len(self.aoo_keys)

    @property
    def largest_patch_km2(self) -> float:
        """Area of the largest habitat polygon (4-connected cells)."""
        if self.geometry.is_empty:
            return 0.0
        return float(polygon_areas_km2(shapely.get_parts(self.geometry)).max())

    @property
    def eoo_km2(self) -> float:
        """Extent of occurrence: geodesic area of the habitat's convex hull."""
        return eoo_km2([self.geometry])
