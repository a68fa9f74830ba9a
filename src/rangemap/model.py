"""Typed stage contracts: what one stage hands the next.

- :class:`RangeRecord` is one taxon as extraction finds it (``rangemap extract``), as a
  reviewer edits it (``ranges.yaml``) and as a range file gives it; its ``units``
  (:class:`RangeUnit`) and every place and limit carry their :class:`Evidence`, kept
  structured until an output writes them.  They are ``TypedDict`` s: at run time plain
  dicts, so the JSON/YAML written from them is exactly the documented format
  (``schema/ranges.schema.json``, which is the authority on optional keys).
- :class:`HabitatResult` is what the habitat engine (:mod:`rangemap.engine`) returns for
  one range unit.  Its ``habitat_elev_*`` fields are elevations *observed* in the habitat
  cells; the band *limits* a taxon was given are ``(min_m, max_m)`` arguments elsewhere
  and ``elevation_min_m`` / ``elevation_max_m`` in the outputs.
"""

# No ``from __future__ import annotations`` here: on Python 3.11 a TypedDict sees
# ``NotRequired`` only in evaluated annotations.
from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

from rangemap.geo.geodesy import eoo_km2, polygon_areas_km2
from rangemap.geo.shapes import EMPTY

# ----------------------------------------------------------------- extraction -> ranges

#: What a text says of a place (schema ``status``): only native/reintroduced are range
#: (uncertain too with ``--include-uncertain``).
Status = Literal["native", "reintroduced", "uncertain", "former", "introduced", "vagrant",
                 "type-locality", "non-range"]
#: How a range unit was chosen (``unit_rule`` in the outputs).
UnitRule = Literal["named-admin1", "region", "whole-country"]


class Evidence(TypedDict):
    """Where a statement stands: ``text[start:end]`` of ``document``, in ``sentence``."""

    document: str
    start: int
    end: int
    sentence: str


class CountryPlace(TypedDict):
    """A country named as range (``countries`` of a record)."""

    iso3: str
    name: str
    qualifiers: list[str]
    evidence: list[Evidence]
    status: NotRequired[Status]
    alternatives: NotRequired[list[str]]
    regions: NotRequired[list[str]]


class Admin1Place(TypedDict):
    """A first-level unit named as range (``admin1`` of a record)."""

    country_iso3: str
    name: str
    boundary_name: str
    evidence: list[Evidence]
    qualifiers: NotRequired[list[str]]
    status: NotRequired[Status]
    alternatives: NotRequired[list[str]]


class RegionPlace(TypedDict):
    """A named region (Himalaya, Tibetan Plateau): the units it covers (``regions``)."""

    name: str
    units: list[list[str | None]]
    evidence: list[Evidence]
    countries: NotRequired[list[str]]
    polygon: NotRequired[str]
    qualifiers: NotRequired[list[str]]
    status: NotRequired[Status]


class RangeUnit(TypedDict):
    """One unit of a taxon's range: a country, one of its admin-1 units, or a region's
    part of a country (``units`` of a record; one output feature per unit)."""

    iso3: str
    admin1: str | None
    rule: UnitRule
    evidence: list[Evidence]
    country: NotRequired[str]
    region: NotRequired[str | None]
    qualifiers: NotRequired[list[str]]


class HabitatPreference(TypedDict):
    """An IUCN habitat code the text supports (``habitats``)."""

    code: str
    name: str
    evidence: list[Evidence]
    basis: NotRequired[list[str]]


class ElevationStatement(TypedDict):
    """An elevation statement not used for the band, with what it covers."""

    min_m: float | None
    max_m: float | None
    scope: str
    evidence: list[Evidence]


class ExcludedPlace(TypedDict):
    """A place the text names that is not range, and why (``excluded``)."""

    name: str
    iso3: str | None
    reason: str
    evidence: list[Evidence]
    status: NotRequired[Status]


class RangeRecord(TypedDict):
    """One taxon: its places, units, elevation and slope limits and habitats, each with
    evidence (an item of ``species`` in the extract contract and in ``ranges.yaml``)."""

    name: str
    common_names: list[str]
    scientific_name: str | None
    rank: Literal["species", "genus"]
    documents: list[str]
    countries: list[CountryPlace]
    admin1: list[Admin1Place]
    regions: list[RegionPlace]
    elevation_min_m: float | None
    elevation_max_m: float | None
    elevation_evidence: list[Evidence]
    habitats: list[HabitatPreference]
    slope_min_deg: float | None
    slope_max_deg: float | None
    slope_evidence: list[Evidence]
    excluded: list[ExcludedPlace]
    units: list[RangeUnit]
    elevation_other: NotRequired[list[ElevationStatement]]
    subspecies: NotRequired[list[str]]
    #: Set by the build when a command-line limit replaced a side of the band (which
    #: option, for the band check's message); never written.
    elevation_min_source: NotRequired[str]
    elevation_max_source: NotRequired[str]


class ExtractWarning(TypedDict):
    """A probably-wrong extraction result (also printed on stderr)."""

    document: str
    taxon: str | None
    code: str
    message: str


class Extracted(TypedDict):
    """The extract contract: ``rangemap extract --json`` prints it, ``-o`` writes it."""

    species: list[RangeRecord]
    warnings: NotRequired[list[ExtractWarning]]


# ----------------------------------------------------------------- engine -> outputs


@dataclass
class HabitatResult:
    """Habitat of one range unit.

    Attributes
    ----------
    geometry : MultiPolygon
        Habitat polygons (cell-aligned), possibly empty.
    area_km2 : float
        WGS84 area of ``geometry`` (:func:`rangemap.geo.geodesy.polygon_areas_km2`).
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
