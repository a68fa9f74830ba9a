"""Area of Habitat: which criteria apply to a taxon, and the IUCN fallback rules.

AOH (Brooks et al. 2019) = range x elevation limits x suitable habitat.  Here a taxon's
habitat rule is the elevation band (always) plus, when asked for or stated:

* slope limits (``--min-slope``/``--max-slope``, or ``slope_min_deg``/``slope_max_deg``
  of a taxon record read from its text);
* a land-cover filter: classes given directly (``--landcover-classes``) or the taxon's
  IUCN habitat codes (``--habitats``, or ``habitats`` of the record) mapped through the
  legend's crosswalk; applied when the user gives ``--habitat-filter`` or a map of their
  own (``--landcover``).  The embedded 0.05° MODIS map is too coarse to filter by default
  over mountains (README, "Area of Habitat"), but every unit reports the land-cover
  composition of its habitat from it.

The IUCN working group's rules, as aoh implements them, are applied per taxon (per
feature in ``rangemap habitat``/``area``): when the habitat filter leaves no cell in the
range, the habitat filter is dropped (elevation-only habitat); when elevation x habitat
leaves no cell, the elevation limits are dropped.  Each is flagged in ``fallback`` and
logged as a warning.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import pickle
from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from rangemap import engine
from rangemap.criteria import Criterion, ElevationBand, LandCover, SlopeLimits, describe_all
from rangemap.errors import DataError
from rangemap.fsutil import GeometrySpool, Spill
from rangemap.geo.geodesy import geodesic_area_km2
from rangemap.landcover import (
    DEFAULT_LABEL,
    DEFAULT_LEGEND,
    classes_for,
    crosswalk_path,
    default_landcover,
    read_crosswalk,
)
from rangemap.model import HabitatResult, RangeRecord
from rangemap.ranges import read_range_file
from rangemap.rasters.dem import DemStack, resolution_labels, resolutions_text, sources_text

log = logging.getLogger("rangemap")

#: ``fallback`` values.
HABITAT_DROPPED = "habitat_filter_dropped"
ELEVATION_DROPPED = "elevation_filter_dropped"


@dataclass(frozen=True)
class AohOptions:
    """Options of the AOH criteria (the CLI's shared options; None: not given).

    Attributes
    ----------
    min_slope, max_slope : float, optional
        Slope limits in degrees for every taxon (override the records').
    landcover : str, optional
        A user's land-cover map; None uses the embedded MODIS map.
    legend : str
        Legend of ``landcover`` (``igbp``, ``esa-worldcover``, ``cgls-lc100``, ``esa-cci``).
    landcover_classes : tuple of int, optional
        Keep only these classes (low level; no crosswalk).
    habitats : tuple of str, optional
        IUCN habitat codes for every taxon (override the records').
    crosswalk : str, optional
        A ``code,value`` CSV replacing the shipped crosswalk of the legend.
    habitat_filter : bool
        Filter by the taxa's habitat codes even with the embedded (coarse) map.
    composition : bool
        Report the land-cover composition of the habitat even when no filter applies.
    """

    min_slope: float | None = None
    max_slope: float | None = None
    landcover: str | None = None
    legend: str = DEFAULT_LEGEND
    landcover_classes: tuple[int, ...] | None = None
    habitats: tuple[str, ...] | None = None
    crosswalk: str | None = None
    habitat_filter: bool = False
    composition: bool = True

    def files(self) -> list[Path]:
        """Input files these options read (for build keys and manifests)."""
        out = [Path(self.landcover)] if self.landcover else []
        if self.crosswalk:
            out.append(Path(self.crosswalk))
        return out


def _record_habitats(rec: RangeRecord | None) -> list[str]:
    codes = []
    for h in (rec or {}).get("habitats") or []:
        code = h.get("code") if isinstance(h, dict) else h
        if code is not None and str(code).strip():
            codes.append(str(code).strip())
    return codes


def taxon_criteria(rec: RangeRecord | None, opts: AohOptions,
                   warn: list[str] | None = None) -> tuple[Criterion, ...]:
    """The criteria after the elevation band for one taxon (record may be None).

    ``warn`` collects one-line warnings (habitat codes the crosswalk does not map, a
    habitat list that maps to no class).
    """
    name = (rec or {}).get("scientific_name") or (rec or {}).get("name") or "every feature"
    out: list[Criterion] = []
    lo = opts.min_slope if opts.min_slope is not None else (rec or {}).get("slope_min_deg")
    hi = opts.max_slope if opts.max_slope is not None else (rec or {}).get("slope_max_deg")
    if lo is not None or hi is not None:
        out.append(SlopeLimits(None if lo is None else float(lo),
                               None if hi is None else float(hi)))
    user_map = opts.landcover is not None
    path = Path(opts.landcover) if user_map else default_landcover()
    legend = opts.legend if user_map else DEFAULT_LEGEND
    label = path.name if user_map else DEFAULT_LABEL
    codes = list(opts.habitats) if opts.habitats is not None else _record_habitats(rec)
    classes: tuple[int, ...] | None = None
    used_codes: tuple[str, ...] = ()
    if opts.landcover_classes:
        classes = tuple(sorted(set(opts.landcover_classes)))
    elif codes and (opts.habitat_filter or user_map):
        xw = read_crosswalk(opts.crosswalk or crosswalk_path(legend))
        classes, unmatched = classes_for(codes, xw)
        if unmatched and warn is not None:
            warn.append(f"{name}: habitat code(s) {', '.join(unmatched)} have no {legend} "
                        "land-cover class in the crosswalk (not mappable, e.g. caves or "
                        "marine)")
        if not classes:
            if warn is not None:
                warn.append(f"{name}: habitats {', '.join(codes)} map to no {legend} class; "
                            "land-cover filter not applied")
            classes = None
        else:
            used_codes = tuple(codes)
    if classes is not None or user_map or opts.composition:
        if not path.is_file():
            if classes is not None or user_map:
                raise DataError(f"{path}: land-cover raster not found; pass --landcover with "
                                "an existing GeoTIFF (the embedded map is in "
                                f"{default_landcover()} of the rangemap data)")
            log.info("%s not found: no land-cover composition reported", path)
        else:
            out.append(LandCover(str(path), classes, legend, label, used_codes))
    return tuple(out)


def feature_criteria(features: Any, aoh: AohOptions | None) -> tuple[tuple, list[str]]:
    """Criteria for every feature of a range file (``habitat``/``area``) and labels for
    the fallback warnings; warnings about the options are logged."""
    warnings: list[str] = []
    crit = taxon_criteria(None, aoh or AohOptions(composition=False), warnings)
    for w in warnings:
        log.warning("%s", w)
    return crit, [f"feature {i + 1}" for i in range(len(features))]


def _without_habitat_filter(crit: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
    return tuple(replace(c, classes=None, habitats=()) if isinstance(c, LandCover) else c
                 for c in crit)


#: Engine results :class:`SharedResults` keeps in memory; older ones go to a temporary file.
SHARED_KEEP = 256


class SharedResults:
    """Results of the engine kept for one build, by (unit polygon, band, criteria).

    Taxa of a batch often share range units (the same country or state, the same band
    and criteria): each distinct unit is computed once per build, and a reused result is
    a copy (fallback flags are set per taxon).  The key is the polygon's WKB digest, the
    band, the criteria's keys, the margin and the polygon mode; the DEMs are the same
    for every call within one build.

    At most ``keep`` (:data:`SHARED_KEEP`) results stay in memory (the most recently
    used); older ones go to an anonymous temporary file (pickled, the geometry through a
    :class:`~rangemap.fsutil.GeometrySpool`) and are read back when a later taxon needs
    them, so memory does not grow with the number of distinct units of a build.
    """

    def __init__(self, keep: int | None = None) -> None:
        self._recent: OrderedDict[bytes, Any] = OrderedDict()
        # spilled: key -> position in _where, which holds (offset, length) of the pickled
        # result and its geometry's row in the spool: three numbers in an array per
        # result, not a tuple of Python ints (thousands of units in a batch)
        self._spilled: dict[bytes, int] = {}
        self._where = array("q")
        self._spill: Spill | None = None
        self._geoms: GeometrySpool | None = None
        self.keep = SHARED_KEEP if keep is None else keep
        self.computed = 0
        self.reused = 0

    @staticmethod
    def key(geom: Any, band: tuple, criteria: tuple, margin_m: float, polygons: bool) -> bytes:
        return hashlib.sha256(json.dumps(
            [hashlib.sha256(shapely.to_wkb(geom, hex=False)).hexdigest(),
             [None if v is None else float(v) for v in band],
             [c.key() for c in criteria], float(margin_m), bool(polygons)],
            sort_keys=True, default=str).encode()).digest()

    def __contains__(self, key: bytes) -> bool:
        return key in self._recent or key in self._spilled

    def _put(self, key: bytes, res: Any) -> None:
        self._recent[key] = res
        self._recent.move_to_end(key)
        while len(self._recent) > self.keep:
            old, value = self._recent.popitem(last=False)
            if old not in self._spilled:
                if self._spill is None or self._geoms is None:
                    self._spill, self._geoms = Spill(), GeometrySpool()
                # the geometry by the spool, which keeps its precision grid (pickle does not)
                row = self._geoms.extend([value.geometry])
                at, n = self._spill.put(pickle.dumps(
                    replace(value, geometry=None), protocol=pickle.HIGHEST_PROTOCOL))
                self._spilled[old] = len(self._where) // 3
                self._where.extend((at, n, row))

    def _get(self, key: bytes) -> Any:
        if key in self._recent:
            self._recent.move_to_end(key)
            return copy.copy(self._recent[key])
        assert self._spill is not None and self._geoms is not None
        i = 3 * self._spilled[key]
        at, n, row = self._where[i:i + 3]
        res = pickle.loads(self._spill.get(at, n))
        res.geometry = self._geoms.read(row, row + 1)[0]
        self._put(key, res)
        return copy.copy(res)

    def habitats(self, geoms: list, dems: list, bands: list, margin_m: float, *,
                 polygons: bool, executor: Any, criteria: list) -> list:
        """:func:`rangemap.engine.habitats`, computing only the units not seen before."""
        keys = [self.key(g, tuple(b), tuple(c), margin_m, polygons)
                for g, b, c in zip(geoms, bands, criteria, strict=True)]
        todo = list(dict.fromkeys(k for k in keys if k not in self))
        first = {k: keys.index(k) for k in todo}
        fresh: dict[bytes, Any] = {}
        if todo:
            idx = [first[k] for k in todo]
            fresh = dict(zip(todo, engine.habitats(
                [geoms[i] for i in idx], dems, [bands[i] for i in idx], margin_m,
                polygons=polygons, executor=executor, criteria=[criteria[i] for i in idx]),
                strict=True))
        self.computed += len(todo)
        self.reused += len(keys) - len(todo)
        out = [copy.copy(fresh[k]) if k in fresh else self._get(k) for k in keys]
        for k, res in fresh.items():
            self._put(k, res)
        return out

    def close(self) -> None:
        """Drop every result (and the temporary file)."""
        self._recent.clear()
        self._spilled.clear()
        self._where = array("q")
        if self._spill is not None and self._geoms is not None:
            self._spill.close()
            self._geoms.close()
        self._spill = self._geoms = None


def habitats_with_fallbacks(geoms: list, dems: list, bands: list, criteria: list,
                            groups: list[list[int]], margin_m: float = 100.0, *,
                            polygons: bool = True, executor=None,
                            labels: list[str] | None = None,
                            shared: SharedResults | None = None) -> list:
    """:func:`rangemap.engine.habitats` plus the IUCN fallback rules per group of units.

    Parameters
    ----------
    groups : list of list of int
        Units judged together (one taxon's units; or one feature each).
    labels : list of str, optional
        Name of each group for the warnings.
    shared : SharedResults, optional
        Results kept across calls of one build (units shared by taxa computed once).

    Returns
    -------
    list of HabitatResult, ``fallback`` set on the units of a group that fell back.
    """
    run = (shared or SharedResults()).habitats
    res = run(geoms, dems, bands, margin_m, polygons=polygons, executor=executor,
              criteria=criteria)
    redo: list[int] = []
    new_bands = list(bands)
    new_crit = list(criteria)
    flags: dict[int, str] = {}
    for g, units in enumerate(groups):
        filt = any(isinstance(c, LandCover) and c.filters for i in units for c in criteria[i])
        if not filt:
            continue
        label = labels[g] if labels else f"group {g}"
        if sum(res[i].habitat_only_km2 for i in units) == 0:
            flag = HABITAT_DROPPED
            log.warning("%s: the habitat (land-cover) filter leaves no cell in the range; "
                        "falling back to the elevation-only habitat (IUCN rule)", label)
            for i in units:
                new_crit[i] = _without_habitat_filter(criteria[i])
        elif sum(res[i].cells for i in units) == 0 and any(
                b != (None, None) for b in (bands[i] for i in units)):
            flag = ELEVATION_DROPPED
            log.warning("%s: elevation x habitat leaves no cell; dropping the elevation "
                        "limits (IUCN rule)", label)
            for i in units:
                new_bands[i] = (None, None)
        else:
            continue
        for i in units:
            flags[i] = flag
            redo.append(i)
    if redo:
        again = run([geoms[i] for i in redo], dems, [new_bands[i] for i in redo],
                    margin_m, polygons=polygons, executor=executor,
                    criteria=[new_crit[i] for i in redo])
        for i, r in zip(redo, again, strict=True):
            r.fallback = flags[i]
            res[i] = r
    return res


#: Fields every habitat row gains (GeoJSON, GeoPackage, summary.csv, ``rangemap area``).
AOH_FIELDS = ["range_km2", "elevation_km2", "prevalence", "criteria", "fallback",
              "slope_min_deg", "slope_max_deg", "slope_median_deg", "habitat_codes",
              "landcover_map", "landcover_legend", "landcover_shares"]


def criteria_text(band: tuple[float | None, float | None], res: Any) -> str:
    """What was applied to a unit, readable (the ``criteria`` field)."""
    if res.fallback == ELEVATION_DROPPED:
        band = (None, None)
    text = describe_all((ElevationBand(*band), *res.criteria))
    if res.fallback == HABITAT_DROPPED:
        text += " (habitat filter dropped: it left no cell)"
    elif res.fallback == ELEVATION_DROPPED:
        text += " (elevation limits dropped: elevation x habitat left no cell)"
    return text


def aoh_fields(res: Any, band: tuple[float | None, float | None], range_km2: float,
               area_km2: float) -> dict[str, Any]:
    """The AOH fields of one unit's result (see :data:`AOH_FIELDS`)."""
    slope = next((c for c in res.criteria if isinstance(c, SlopeLimits)), None)
    lc = next((c for c in res.criteria if isinstance(c, LandCover)), None)
    shares = res.details.get("landcover")
    return {
        "range_km2": round(range_km2, 3),
        "elevation_km2": round(res.elevation_km2, 3),
        "prevalence": round(area_km2 / range_km2, 6) if range_km2 else 0.0,
        "criteria": criteria_text(band, res),
        "fallback": res.fallback,
        "slope_min_deg": None if slope is None else slope.min_deg,
        "slope_max_deg": None if slope is None else slope.max_deg,
        "slope_median_deg": res.details.get("slope_median_deg"),
        "habitat_codes": ",".join(lc.habitats) if lc is not None and lc.habitats else None,
        "landcover_map": None if lc is None else lc.label,
        "landcover_legend": None if lc is None else lc.legend,
        # A JSON object in a string keeps the layer schema fixed (class -> share).
        "landcover_shares": None if shares is None else json.dumps(shares),
    }


# --------------------------------------------------------------------------- result rows

def habitat_note(res: HabitatResult) -> str | None:
    """Say why a unit has little or no habitat, so it never vanishes silently."""
    if not res.sources:
        return "no DEM cell centre inside the unit (smaller than a cell, or outside every DEM)"
    notes = []
    if res.covered_share < 0.999:
        notes.append(f"DEM data cover {res.covered_share:.0%} of the unit")
    if res.cells == 0:
        notes.append("no cell within the elevation band" if not any(
            c.filters for c in res.criteria) else "no cell satisfies every criterion")
    return "; ".join(notes) or None


@dataclass(frozen=True)
class _RowContext:
    band: tuple[float | None, float | None]
    range_km2: float
    area_km2: float
    labels: Mapping[str, str]
    margin_m: float | None


def _round(v: float | None, ndigits: int) -> float | None:
    return None if v is None else round(v, ndigits)


#: How each published field of a unit's row is computed from its result, by name (the
#: habitat layer, the ``habitat`` file and the area table each pick their fields; the
#: habitat layer says ``habitat_cells`` where the area table says ``cells``).
_RESULT_FIELDS: dict[str, Callable[[HabitatResult, _RowContext], Any]] = {
    "area_km2": lambda r, c: round(c.area_km2, 3),
    "cells": lambda r, c: r.cells,
    "habitat_cells": lambda r, c: r.cells,
    "cell_area_km2": lambda r, c: round(r.cell_area_km2, 3),
    "range_area_km2": lambda r, c: round(c.range_km2, 3),
    "share_of_unit": lambda r, c: round(c.area_km2 / c.range_km2, 6) if c.range_km2 else 0.0,
    "patches": lambda r, c: len(r.geometry.geoms),
    "habitat_elev_min_m": lambda r, c: r.habitat_elev_min,
    "habitat_elev_mean_m": lambda r, c: _round(r.habitat_elev_mean, 1),
    "habitat_elev_max_m": lambda r, c: r.habitat_elev_max,
    "dem_source": lambda r, c: sources_text(r.sources),
    "dem_resolution": lambda r, c: resolutions_text(r.sources, c.labels),
    "dem_coverage": lambda r, c: round(r.covered_share, 6),
    "note": lambda r, c: habitat_note(r),
    "largest_patch_km2": lambda r, c: round(r.largest_patch_km2, 3),
    "eoo_km2": lambda r, c: round(r.eoo_km2, 3),
    "aoo_km2": lambda r, c: r.aoo_km2,
    "elevation_margin_m": lambda r, c: float(c.margin_m),
    "area_km2_wide": lambda r, c: round(r.area_wide_km2, 3),
    "area_km2_narrow": lambda r, c: round(r.area_narrow_km2, 3),
}
#: Every field :func:`result_row` can give.
RESULT_FIELDS = [*_RESULT_FIELDS, *AOH_FIELDS]


def result_row(res: HabitatResult, fields: Sequence[str], *,
               band: tuple[float | None, float | None], range_km2: float, area_km2: float,
               labels: Mapping[str, str] | None = None,
               margin_m: float | None = None) -> dict[str, Any]:
    """The table row of one unit's habitat result: ``fields`` (names of
    :data:`RESULT_FIELDS`), in that order; the one rule for every output's row.

    ``area_km2`` is the area the row reports (the polygons' area, or the cells' where
    there are no polygons), ``range_km2`` the unit's, ``labels`` the DEMs' cell sizes by
    name (for ``dem_resolution``), ``margin_m`` the band-sensitivity margin.  Only the
    fields asked for are computed (the hull for ``eoo_km2`` costs time).
    """
    ctx = _RowContext(band, range_km2, area_km2, labels or {}, margin_m)
    aoh = (aoh_fields(res, band, range_km2, area_km2)
           if any(f in AOH_FIELDS for f in fields) else {})
    return {f: aoh[f] if f in aoh else _RESULT_FIELDS[f](res, ctx) for f in fields}


# --------------------------------------------------------------------------- area table

#: Columns of the area table (``rangemap area``), after the range file's own attributes.
AREA_FIELDS = ["area_km2", "cells", "aoo_km2", "habitat_elev_min_m", "habitat_elev_mean_m",
               "habitat_elev_max_m", "area_km2_wide", "area_km2_narrow", "dem_source",
               "dem_resolution", "dem_coverage"]


def area_table(range_file, dems, min_m: float, max_m: float | None, layer: str | None = None,
               *, margin_m: float = 100.0, workers: int | None = None, scheduler=None,
               block: int | None = None, aoh=None):
    """``rangemap area``: one row per range feature, no polygons (a pandas DataFrame).

    ``area_km2`` is the exact ellipsoidal area of the habitat cells; ``aoh``
    (:class:`rangemap.aoh.AohOptions`) adds slope and land-cover criteria.
    """
    gdf = read_range_file(range_file, layer)
    geoms = list(gdf.geometry.values)
    crit, names = feature_criteria(gdf, aoh)
    band = (min_m, max_m)
    with DemStack(list(dems)) as stack, engine.make_executor(workers, scheduler) as ex:
        results = habitats_with_fallbacks(geoms, list(stack), [band] * len(geoms),
                                          [crit] * len(geoms),
                                          [[i] for i in range(len(geoms))], margin_m,
                                          polygons=False, executor=ex, labels=names)
        labels = resolution_labels(stack)
    out = pd.DataFrame(gdf.drop(columns="geometry")).drop(columns=AREA_FIELDS + AOH_FIELDS,
                                                          errors="ignore")
    rows = [result_row(r, AREA_FIELDS + AOH_FIELDS, band=band, range_km2=geodesic_area_km2(g),
                       area_km2=r.cell_area_km2, labels=labels)
            for r, g in zip(results, geoms, strict=True)]
    for f in AREA_FIELDS + AOH_FIELDS:
        out[f] = [row[f] for row in rows]
    return out
