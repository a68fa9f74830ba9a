"""The build: documents -> ranges -> habitat -> layers, tables and maps.

``build()`` is what ``rangemap build`` runs.  Each stage lives in its own
module; this one wires them and owns the output folder.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely

from rangemap import __version__, bands, engine, heap
from rangemap.aoh import (
    AOH_FIELDS,
    HABITAT_DROPPED,
    RESULT_FIELDS,
    AohOptions,
    SharedResults,
    feature_criteria,
    habitats_with_fallbacks,
    result_row,
    taxon_criteria,
)
from rangemap.bands import margin_bands
from rangemap.errors import (
    DataError,
    UsageError,
    check_strict,
    current_warnings,
    warn,
)
from rangemap.extract import extract_documents
from rangemap.fsutil import (
    TMP_PREFIX,
    GeometrySpool,
    atomic_path,
    created_time,
    data_file,
    remove_stale_temporaries,
    sha256_file,
    write_text_atomic,
)
from rangemap.gazetteer import Gazetteer
from rangemap.geo.geodesy import eoo_km2, geodesic_area_km2
from rangemap.io.cache import (
    cache_file,
    digest,
    engine_version,
    load_cached,
    manifest_warnings,
    outputs_current,
    save_cached,
    taxon_key,
    versions,
)
from rangemap.io.rows import RowSpool
from rangemap.io.vectors import (
    DRIVERS,
    HABITAT_FIELDS,
    RANGE_FIELDS,
    LayerWriter,
    geojson_text,
    geometry_kinds,
    layer_categories,
    make_reproducible,
    write_summary_csv,
    write_vector,
)
from rangemap.landcover import default_landcover
from rangemap.ranges import (
    Boundaries,
    load_ranges_yaml,
    normalize_boundaries,
    range_units,
    read_boundary_layer,
    read_range_file,
    records_from_range_file,
    taxon_id,
)
from rangemap.rasters.dem import DemStack, resolution_labels
from rangemap.values import is_null

# Re-exported: they lived here before (callers may import them from the pipeline).
__all__ = ["build", "habitat_file", "read_range_file"]

log = logging.getLogger("rangemap")


def default_docs() -> Path:
    """The embedded documents (found from the package, not the current folder)."""
    return data_file("documents")


def default_boundaries() -> Path:
    """The embedded boundaries GeoPackage (``aliases.csv`` lies beside it)."""
    return data_file("boundaries", "boundaries.gpkg")


def default_dems() -> tuple[Path, ...]:
    """The two embedded DEMs, GLOBE 30″ over High Asia and the global 5′ grid."""
    return (data_file("elevation", "globe30s_55e90e_20n50n.tif"),
            data_file("elevation", "pvlib_altitude_5min.tif"))


# Resolved once at import for callers that want the paths; build() resolves
# its defaults at call time, so $RANGEMAP_DATA set later still counts.
DEFAULT_DOCS = default_docs()
DEFAULT_BOUNDARIES = default_boundaries()
DEFAULT_DEMS = default_dems()
DEFAULT_OUT = Path("outputs")
#: GDAL block cache (MB) of a build, unless $GDAL_CACHEMAX says otherwise.
GDAL_CACHE_MB = 16

#: The fields of a habitat row that come from the unit's result (:func:`aoh.result_row`).
_RESULT_COLUMNS = [f for f in HABITAT_FIELDS if f in RESULT_FIELDS]


@dataclass
class BuildResult:
    """What a build wrote and measured."""

    out: Path
    files: list[Path] = field(default_factory=list)
    ranges: gpd.GeoDataFrame | None = None
    #: None after :func:`build`: its habitat rows are not held in memory (they are in
    #: ``summary.csv`` and the layers).
    habitat: gpd.GeoDataFrame | None = None
    taxa: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    up_to_date: bool = False
    rebuilt: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    #: extraction warnings (``rangemap.extract``: no taxon, no places, band conflict ...)
    warnings: list[dict[str, Any]] = field(default_factory=list)


def document_paths(docs: str | os.PathLike[str]) -> list[Path]:
    """Text files of a document folder (``*.txt``, sorted), or the one file given.

    UTF-16 files (Windows "Unicode" text) are named as such with the fix,
    rather than reported as binary by the reader.
    """
    p = Path(docs)
    if p.is_dir():
        files = sorted(q for q in p.glob("*.txt") if q.is_file())
        if not files:
            raise DataError(f"{p}: no .txt documents in this folder; pass --docs with UTF-8 "
                            "text files")
    elif p.is_file():
        files = [p]
    else:
        raise DataError(f"{p}: documents not found; pass --docs with a .txt file or a folder")
    for f in files:
        if _looks_utf16(f):
            raise DataError(f"{f}: UTF-16 text; rangemap reads UTF-8: convert it, e.g. "
                            f"iconv -f UTF-16 -t UTF-8 '{f}' > '{f.stem}-utf8.txt'")
    return files


def _looks_utf16(path: Path) -> bool:
    """A UTF-16 byte-order mark, or ASCII text with a zero byte after (or before) each char."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if len(head) < 8:
        return False
    n = len(head) // 2 * 2
    even, odd = head[0:n:2], head[1:n:2]
    for zeros, text in ((odd, even), (even, odd)):
        if zeros.count(0) >= 0.9 * len(zeros) and all(32 <= b < 127 or b in b"\t\r\n"
                                                       for b in text if b):
            return True
    return False


def extract_records(doc_files: list[Path], boundaries: Path, include_uncertain: bool = False,
                    warnings: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Run the extractor over documents; return the contract's species list.

    The extraction's warnings are logged, one line each, and appended to
    ``warnings`` when a list is given.
    """
    gaz = Gazetteer.load(boundaries)
    res = extract_documents(doc_files, gaz, include_uncertain=include_uncertain)
    for w in res.get("warnings", []):
        warn(w.get("code", "extract"), w["message"])
    if warnings is not None:
        warnings.extend(res.get("warnings", []))
    return res["species"]


def unit_label(row: Any, i: int) -> str:
    """``species ISO3 admin-1`` of a habitat row (``i``: its position), for messages."""
    name = getattr(row, "species", None) or getattr(row, "scientific_name", None) or ""
    parts = [str(name), str(getattr(row, "iso3", "") or ""), str(getattr(row, "admin1", "") or "")]
    return " ".join(p for p in parts if p and p != "nan") or f"feature {i + 1}"


def coverage_warnings(rows: Any, label: Callable[[Any, int], str] = unit_label) -> None:
    """Warn about units outside every DEM (0 km² is no measurement) or partly covered.

    ``rows`` is any table with ``dem_source`` and ``dem_coverage`` columns
    (habitat layer, ``area`` table).
    """
    for i, row in enumerate(rows.itertuples(index=False)):
        cov = getattr(row, "dem_coverage", None)
        src = getattr(row, "dem_source", None)
        if is_null(src) or not src:
            warn("no-dem", f"{label(row, i)}: no DEM covers the unit, so its habitat area is "
                 "unknown, not 0; add a --dem that covers it")
        elif cov is not None and not is_null(cov) and cov < 0.999:
            warn("partial-dem", f"{label(row, i)}: DEM data cover {cov:.0%} of the unit; habitat "
                 "counts only that part; add a --dem that covers the rest")


#: DEM cells coarser than 1′ (~1.8 km) average narrow ridges and peaks away.
COARSE_DEM_DEG = 1 / 60 + 1e-9


def coarse_dem_warnings(habitat: Any, coarse: dict[str, str]) -> None:
    """Warn, once per taxon, about units served only by coarse DEMs with no cell in the band.

    A 5′ cell averages ~9 km of terrain, so a peak above the band's lower limit
    can vanish (the Japanese Alps top out at 2,294 m on the 5′ grid); some of
    these zeros are true (flat lowlands), some are not: the user must look.
    """
    by_taxon: dict[str, list[str]] = {}
    res_of: dict[str, set[str]] = {}
    for row in habitat.itertuples(index=False):
        src = getattr(row, "dem_source", None)
        if is_null(src) or not src or getattr(row, "habitat_cells", 1):
            continue
        names = str(src).split("+")
        if all(n in coarse for n in names):
            name = str(getattr(row, "species", "") or "")
            unit = " ".join(str(v) for v in (row.iso3, getattr(row, "admin1", None))
                            if v and not is_null(v))
            by_taxon.setdefault(name, []).append(unit)
            res_of.setdefault(name, set()).update(coarse[n] for n in names)
    for name, units in by_taxon.items():
        shown = ", ".join(units[:5]) + (f" and {len(units) - 5} more" if len(units) > 5 else "")
        n = len(units)
        warn("coarse-dem", f"{name}: {n} unit{'s' if n != 1 else ''} served only by the "
             f"{'/'.join(sorted(res_of[name]))} DEM {'have' if n != 1 else 'has'} no cell in "
             f"the band ({shown}); coarse cells average peaks away, so some zeros may be "
             "false; use a finer --dem (rangemap fetch-dem)")


@functools.lru_cache(maxsize=2)
def _gazetteer(path: str, mtime_ns: int, size: int) -> Any:
    """The gazetteer of a boundaries file, loaded once per process (3 s for the embedded one);
    the file's time and size are in the key so an edited file is read again."""
    return Gazetteer.load(path)


def dropped_unit_warnings(records: list[dict[str, Any]], doc_files: list[Path],
                          boundaries_source: Path, bounds: Boundaries,
                          include_uncertain: bool = False) -> None:
    """Warn when the user's boundaries lack countries the documents name.

    With a subset of countries as ``--boundaries`` the extractor cannot see the
    other countries' names, so their units vanish without a word (34 units
    became 5).  The documents are read once more with the embedded gazetteer;
    each country it finds that the user's boundaries lack is named.
    """
    embedded = default_boundaries()
    if not embedded.is_file():
        return
    try:
        if Path(boundaries_source).resolve() == embedded.resolve():
            return
    except OSError:
        return

    st = embedded.stat()
    ref = extract_documents(doc_files, _gazetteer(str(embedded), st.st_mtime_ns, st.st_size),
                            include_uncertain=include_uncertain)["species"]
    known = set(bounds.admin0["iso3"])
    mapped = {(r.get("scientific_name") or r.get("name") or "").lower() for r in records}
    for rec in ref:
        label = rec.get("scientific_name") or rec.get("name") or "?"
        missing = sorted({u["iso3"] for u in rec.get("units") or []} - known)
        if missing:
            lost = "not mapped at all" if label.lower() not in mapped else "not mapped"
            warn("dropped-units", f"{label}: the documents name {', '.join(missing)}, which "
                 f"{boundaries_source} lacks; those units are {lost} (add them to the "
                 "boundaries, or use the embedded ones)")


def inherit_elevations(records: list[dict[str, Any]], doc_records: list[dict[str, Any]]) -> None:
    """Give range-file taxa the elevation limits documents state for the same name."""
    by_name = {(r.get("scientific_name") or "").lower(): r for r in doc_records
               if r.get("scientific_name")}
    for rec in records:
        src = by_name.get((rec.get("scientific_name") or "").lower())
        if src is None:
            continue
        for key in ("elevation_min_m", "elevation_max_m", "elevation_evidence"):
            rec[key] = src.get(key)


def override_elevations(records: list[dict[str, Any]], lo: float | None,
                        hi: float | None) -> None:
    """Apply --min-elevation/--max-elevation to every taxon, each overriding its own side.

    A limit not given keeps the taxon's stated one; :func:`check_bands` then
    refuses any band this leaves empty.
    """
    bands.check_band(lo, hi, "--min-elevation/--max-elevation", "--min-elevation",
                     "--max-elevation")
    given = [(k, v) for k, v in (("--min-elevation", lo), ("--max-elevation", hi))
             if v is not None]
    if not given:
        return
    text = " and ".join(f"{k} {v:g} m" for k, v in given)
    for rec in records:
        if lo is not None:
            rec["elevation_min_m"] = lo
            rec["elevation_min_source"] = "--min-elevation"
        if hi is not None:
            rec["elevation_max_m"] = hi
            rec["elevation_max_source"] = "--max-elevation"
        # The stated sentence stays behind the command line's when it still gives a limit.
        kept = (rec.get("elevation_evidence") or []) if (lo is None or hi is None) else []
        rec["elevation_evidence"] = [{"document": "command line", "start": 0, "end": 0,
                                      "sentence": text}, *kept]


def check_bands(records: list[dict[str, Any]]) -> None:
    """Refuse any taxon whose band is empty, naming where each limit came from (exit 2)."""
    for rec in records:
        lo, hi = rec.get("elevation_min_m"), rec.get("elevation_max_m")
        label = rec.get("scientific_name") or rec.get("name") or "?"
        ev = [e for e in rec.get("elevation_evidence") or [] if e.get("document")
              != "command line"]
        stated = (f"{ev[0].get('document')}: \"{str(ev[0].get('sentence', '')).strip()[:80]}\""
                  if ev else "stated")
        bands.check_band(lo, hi, label, rec.get("elevation_min_source") or stated,
                         rec.get("elevation_max_source") or stated)


@dataclass
class HabitatRun:
    """Habitat of all taxa, and which taxa were computed or taken from the cache.

    ``habitat`` holds the attributes of every (taxon, unit) row (HABITAT_FIELDS, no
    geometry), one piece per taxon; the geometries lie in ``geometry`` (same row
    order).  Both are temporary files: a build of thousands of taxa holds neither its
    habitat polygons nor its attribute rows in memory (read back a few taxa at a time).
    """

    habitat: RowSpool
    geometry: GeometrySpool
    taxon_aoo_km2: dict[str, float]
    rebuilt: list[str]
    reused: list[str]
    #: EOO of each taxon's habitat (km², unrounded), measured while its polygons were at hand.
    taxon_eoo_km2: dict[str, float] = field(default_factory=dict)

    def frame(self, start: int = 0, stop: int | None = None) -> gpd.GeoDataFrame:
        """Rows ``start`` to ``stop`` with their geometry (the dtypes of the whole table)."""
        stop = len(self.habitat) if stop is None else stop
        return gpd.GeoDataFrame(self.habitat.read(start, stop),
                                geometry=self.geometry.read(start, stop), crs="EPSG:4326")

    def close(self) -> None:
        """Drop the temporary files."""
        self.habitat.close()
        self.geometry.close()


def habitat_incremental(units: gpd.GeoDataFrame, dems: DemStack, out: Path,
                        context: dict[str, Any], force: bool = False,
                        margin_m: float = 100.0, progress: Progress | None = None,
                        workers: int | None = None, scheduler: Any = None,
                        criteria: dict[str, tuple] | None = None) -> HabitatRun:
    """Habitat of every unit, reusing each taxon's cached result when its key is unchanged.

    ``criteria`` gives each taxon's criteria after the elevation band (by taxon id).
    Each taxon's polygons go to the run's :class:`GeometrySpool` and its attribute rows
    to its :class:`RowSpool` as soon as they are computed: what stays in memory per
    taxon is a few numbers.
    """
    run = HabitatRun(habitat=RowSpool(), geometry=GeometrySpool(), taxon_aoo_km2={},
                     rebuilt=[], reused=[])
    # units that several taxa share (same polygon, band and criteria) are computed once
    shared = SharedResults()
    for tid in dict.fromkeys(units["taxon_id"]):
        sub = units[units["taxon_id"] == tid]
        crit = (criteria or {}).get(tid, ())
        key = taxon_key(sub, {**context, "margin_m": margin_m,
                              "criteria": [c.key() for c in crit]})
        path = cache_file(out, tid)
        cached = None if force else load_cached(path, key)
        if cached is not None and len(cached[0]) == len(sub):
            if progress is not None:
                progress(len(sub), len(units), f"{tid} (cached)")
            hab = cached[0]
            run.taxon_aoo_km2[tid] = cached[1]
            run.reused.append(tid)
        else:
            hab, keys = compute_habitat(
                sub, dems, margin_m,
                None if progress is None else _UnitsOf(progress, len(units)),
                workers, scheduler, crit, shared)
            run.taxon_aoo_km2[tid] = 4.0 * len(keys)
            save_cached(path, key, hab, run.taxon_aoo_km2[tid])
            run.rebuilt.append(tid)
        run.taxon_eoo_km2[tid] = eoo_km2(list(hab.geometry.values))
        run.geometry.extend(hab.geometry.values)
        # read back with the dtypes of all rows joined at once (RowSpool)
        run.habitat.append(pd.DataFrame(hab.drop(columns=hab.geometry.name)))
        del hab
        heap.release()
    if shared.reused:
        log.info("habitat: %d unit results computed, %d shared between taxa",
                 shared.computed, shared.reused)
    shared.close()
    return run


#: Progress callback: (units done, units in total, label of the unit just done).  An
#: object with a ``blocks(done, total, label)`` method also hears of every finished
#: block (:class:`BlockProgress`).
Progress = Callable[[int, int, str], None]


def band_habitat(dems: DemStack, margin_m: float,
                 criteria: dict[str, tuple] | None = None) -> Callable[..., Any]:
    """For publishing: the habitat of a taxon's units with the band widened / narrowed.

    ``make(info, geoms, bands)`` returns (wide, narrow) habitat polygons, one
    per unit, computed by the engine (serially) with the same cell rule as the
    habitat itself and the taxon's filtering criteria (``criteria`` by taxon id;
    without the habitat filter when the taxon fell back).  Results are kept per
    (unit, band, criteria) for the build, so taxa that share units and limits (a genus
    and its species) compute them once;
    at most ``_BAND_CACHE`` results are kept, so memory stays bounded.
    """
    cache: OrderedDict[tuple[bytes, Any, Any], Any] = OrderedDict()

    def make(info: dict[str, Any], geoms: list[Any], bands: list[tuple[Any, Any]]
             ) -> tuple[list[Any], list[Any]]:
        out: tuple[list[Any], list[Any]] = ([], [])
        crit = tuple(c for c in (criteria or {}).get(info.get("taxon_id"), ()) if c.filters)
        if info.get("fallback") == HABITAT_DROPPED:
            crit = tuple(c for c in crit if not c.habitat_filter)
        ckey = tuple(json.dumps(c.key(), sort_keys=True) for c in crit)
        for k in (0, 1):
            todo, keys = [], []
            for g, (lo, hi) in zip(geoms, bands, strict=True):
                band = margin_bands(lo, hi, margin_m)[k]
                wkb = shapely.to_wkb(g) if g is not None else b""
                key = (hashlib.blake2b(wkb, digest_size=16).digest(), band, ckey)
                keys.append(key)
                if g is not None and not g.is_empty and key not in cache:
                    todo.append((key, g, band))
            if todo:
                res = engine.habitats([g for _, g, _ in todo], list(dems),
                                      [b for _, _, b in todo], margin_m, criteria=crit)
                for (key, _, _), r in zip(todo, res, strict=True):
                    cache[key] = r.geometry
                    while len(cache) > _BAND_CACHE:
                        cache.popitem(last=False)
            out[k].extend(cache.get(key) for key in keys)
        return out

    return make


#: Band-layer results kept by :func:`band_habitat` (per unit and band).
_BAND_CACHE = 256


class _UnitsOf:
    """A progress callback that counts against all units (one taxon is computed at a time)."""

    def __init__(self, progress: Any, total: int) -> None:
        self.progress, self.total = progress, total
        self.blocks = getattr(progress, "blocks", None)

    def __call__(self, n: int, _total: int, label: str) -> None:
        self.progress(n, self.total, label)


class BlockProgress:
    """An executor that reports each finished block (live progress on a terminal).

    Wraps the engine's executor: its ``map`` hands results on as they come and
    calls ``blocks(done, total, label)`` for each, so a long unit shows progress
    while it runs, not only when all its blocks are done.
    """

    def __init__(self, inner: Any, blocks: Callable[[int, int, str], None], label: str):
        self.inner, self.blocks, self.label = inner, blocks, label
        self.workers = getattr(inner, "workers", 1)

    @classmethod
    def wrap(cls, inner: Any, progress: Any, label: str) -> Any:
        """``inner`` wrapped when ``progress`` has a ``blocks`` method, else ``inner``."""
        blocks = getattr(progress, "blocks", None)
        return cls(inner, blocks, label) if callable(blocks) else inner

    def map(self, fn: Callable, items: Any):
        items = list(items)
        for i, res in enumerate(self.inner.map(fn, items), 1):
            self.blocks(i, len(items), self.label)
            yield res

    def close(self) -> None:
        """The wrapped executor is closed by whoever opened it."""


def compute_habitat(units: gpd.GeoDataFrame, dems: DemStack, margin_m: float = 100.0,
                    progress: Progress | None = None, workers: int | None = None,
                    scheduler: Any = None, criteria: tuple = (),
                    shared: SharedResults | None = None,
                    ) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Habitat of every (taxon, unit) row of ``units``; one output row per input row.

    ``units`` are one taxon's (the IUCN fallback rules judge them together); ``criteria``
    are applied after the elevation band (:mod:`rangemap.aoh`); ``shared`` keeps results
    across the taxa of a build (:class:`rangemap.aoh.SharedResults`).

    Returns
    -------
    (habitat, aoo_keys)
        The habitat rows and the AOO grid cells occupied by all of them
        together (for the taxon-level AOO, which is not a sum over units).
    """
    rows = []
    keys = []
    recs = list(units.itertuples(index=False))
    limits = [(None if is_null(r.elevation_min_m) else r.elevation_min_m,
               None if is_null(r.elevation_max_m) else r.elevation_max_m) for r in recs]
    label = ", ".join(dict.fromkeys(str(r.taxon_id) for r in recs))
    with engine.make_executor(workers, scheduler) as ex:
        results = habitats_with_fallbacks([r.geometry for r in recs], list(dems), limits,
                                          [tuple(criteria)] * len(recs),
                                          [list(range(len(recs)))], margin_m,
                                          executor=BlockProgress.wrap(ex, progress, label),
                                          labels=[label], shared=shared)
    labels = resolution_labels(dems)
    for rec, res, band in zip(recs, results, limits, strict=True):
        geom = rec.geometry
        keys.append(res.aoo_keys)
        if progress is not None:
            progress(1, len(units), f"{rec.taxon_id} {rec.iso3} {rec.admin1 or ''}".strip())
        range_km2 = geodesic_area_km2(geom)
        rows.append({
            "species": rec.species,
            "scientific_name": rec.scientific_name,
            "iso3": rec.iso3,
            "admin1": rec.admin1,
            "elevation_min_m": rec.elevation_min_m,
            "elevation_max_m": rec.elevation_max_m,
            "taxon_id": rec.taxon_id,
            "rank": rec.rank,
            "country": rec.country,
            "unit_rule": rec.unit_rule,
            **result_row(res, _RESULT_COLUMNS, band=band, range_km2=range_km2,
                         area_km2=res.area_km2, labels=labels, margin_m=margin_m),
            "geometry": res.geometry,
        })
    gdf = gpd.GeoDataFrame(rows, columns=HABITAT_FIELDS + ["geometry"], geometry="geometry",
                           crs="EPSG:4326")
    all_keys = np.unique(np.concatenate(keys)) if keys else np.empty(0, dtype="int64")
    return gdf, all_keys


def taxa_table(records: list[dict[str, Any]], ranges: gpd.GeoDataFrame,
               habitat: pd.DataFrame | RowSpool,
               taxon_aoo_km2: dict[str, float] | None = None,
               taxon_eoo_km2: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """One summary dict per mapped taxon (for maps and the manifest).

    ``habitat`` needs a geometry only when ``taxon_eoo_km2`` (the EOO of each
    taxon's habitat, measured earlier) is not given; a :class:`RowSpool` is read one
    taxon at a time.
    """
    out = []
    # row positions per taxon (one pass), each taxon's rows taken only when needed
    if isinstance(habitat, RowSpool):
        ids = habitat.column("taxon_id")
        rows_h = pd.Series(np.arange(len(ids))).groupby(ids.values, sort=False).indices
    else:
        rows_h = habitat.groupby("taxon_id", sort=False).indices
    rows_r = ranges.groupby("taxon_id", sort=False).indices
    none = np.empty(0, dtype=np.intp)
    for rec in records:
        tid = taxon_id(rec)
        pos = rows_h.get(tid, none)
        if isinstance(habitat, RowSpool):
            lo = int(pos.min()) if len(pos) else 0
            h = habitat.read(lo, int(pos.max()) + 1 if len(pos) else 0).iloc[pos - lo]
        else:
            h = habitat.iloc[pos]
        r = ranges.iloc[rows_r.get(tid, none)]
        if not len(r):
            continue
        eoo = (taxon_eoo_km2[tid] if taxon_eoo_km2 is not None and tid in taxon_eoo_km2
               else eoo_km2(list(h.geometry.values)))
        out.append({
            "taxon_id": tid,
            "slug": tid,
            "name": rec.get("name") or rec.get("scientific_name"),
            "scientific_name": rec.get("scientific_name"),
            "rank": rec.get("rank", "species"),
            "units": int(len(r)),
            "habitat_km2": round(float(h["area_km2"].sum()), 3),
            "eoo_km2": round(eoo, 3),
            "aoo_km2": (taxon_aoo_km2 or {}).get(tid),
            "range_km2": round(float(h["range_area_km2"].sum()), 3),
            "elevation_min_m": None if is_null(r["elevation_min_m"].iloc[0])
            else float(r["elevation_min_m"].iloc[0]),
            "elevation_max_m": None if is_null(r["elevation_max_m"].iloc[0])
            else float(r["elevation_max_m"].iloc[0]),
            "elevation_rule": str(r["elevation_rule"].iloc[0]),
            "documents": sorted({e["document"] for u in rec.get("units", [])
                                 for e in u.get("evidence") or [] if "document" in e}),
            **taxon_aoh_summary(h),
        })
    return out


def taxon_aoh_summary(h: pd.DataFrame) -> dict[str, Any]:
    """Taxon-level AOH figures from its habitat rows (areas add up; the land-cover
    composition is the units' shares weighted by their elevation-habitat area)."""
    rng = float(h["range_km2"].sum()) if "range_km2" in h else 0.0
    aoh_km2 = float(h["area_km2"].sum())
    shares: dict[str, float] = {}
    weight = 0.0
    for text, w in zip(h.get("landcover_shares", []), h.get("elevation_km2", []),
                       strict=True):
        if not isinstance(text, str) or not w:
            continue
        weight += float(w)
        for code, share in json.loads(text).items():
            shares[code] = shares.get(code, 0.0) + share * float(w)
    criteria = list(dict.fromkeys(str(c) for c in h.get("criteria", []) if not is_null(c)))
    fallback = [str(f) for f in h.get("fallback", []) if not is_null(f)]
    codes = [str(c) for c in h.get("habitat_codes", []) if not is_null(c)]
    return {
        "elevation_km2": round(float(h["elevation_km2"].sum()), 3) if len(h) else 0.0,
        "area_km2": round(aoh_km2, 3),
        "prevalence": round(aoh_km2 / rng, 6) if rng else 0.0,
        "criteria": "; ".join(criteria) if criteria else None,
        "fallback": fallback[0] if fallback else None,
        "habitat_codes": codes[0] if codes else None,
        "landcover_shares": {k: round(v / weight, 6) for k, v in sorted(shares.items())}
        if weight else None,
    }


#: Habitat rows handed to the writers at a time (whole taxa): bounds the polygons in memory.
PUBLISH_CHUNK_ROWS = 200
#: Taxa of attribute rows (no polygons) read back at a time for the summary table.
PUBLISH_CHUNK_TAXA = 50


def _taxon_chunks(taxon_ids: Any, rows: int = PUBLISH_CHUNK_ROWS) -> list[tuple[int, int]]:
    """(start, stop) row spans of whole taxa (runs of one id), about ``rows`` rows each."""
    ids = list(taxon_ids)
    spans: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or (ids[i] != ids[i - 1] and i - start >= rows):
            spans.append((start, i))
            start = i
    return [s for s in spans if s[1] > s[0]]


def publish_outputs(ranges: gpd.GeoDataFrame, run: HabitatRun, taxa: list[dict[str, Any]],
                    stage: Path, admin0: gpd.GeoDataFrame, dems: list[Path], *,
                    figures: bool = True, self_contained: bool = False,
                    band_layers: tuple[float, dict[str, tuple]] | None = None) -> list[Path]:
    """Write the layers, summary, maps and figures of a build into ``stage``; return the files.

    The habitat polygons are read back from ``run.geometry`` a few taxa at a time
    (:data:`PUBLISH_CHUNK_ROWS`) and handed to streaming writers
    (:class:`LayerWriter`, :class:`rangemap.maps.MapWriter`, the figures), twice:
    the first pass writes the layers and figures and measures the maps' extent, the
    second writes the map pages; the index comes last.  Peak memory is then that of
    a chunk, whatever the number of taxa.  The files are the same as writing every
    row at once (``write_layers``, ``write_maps``, ``write_figures``).
    ``band_layers``: (margin, criteria by taxon) for the band-sensitivity layers.
    """
    from rangemap.maps import MapWriter, maps_extent, union_extent  # folium: ~0.9 s

    habitat = run.habitat
    chunks = _taxon_chunks(habitat.column("taxon_id"))
    taxon_pos = {str(t["taxon_id"]): i for i, t in enumerate(taxa)}

    def rows(a: int, b: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[dict]]:
        h = run.frame(a, b)
        ids = set(h["taxon_id"])
        r = ranges[ranges["taxon_id"].isin(ids)].reset_index(drop=True)
        sub = [taxa[i] for i in sorted(taxon_pos[t] for t in ids if t in taxon_pos)]
        return r, h, sub

    kinds = {"ranges": geometry_kinds(ranges.geometry.values),
             "habitat": run.geometry.kinds()}
    extents = []
    figure_files: list[Path] = []
    if figures:
        from rangemap.figures import write_figures  # matplotlib: only when figures are made
    # the categories come from the taxa; from the rows only when there are none
    layers = LayerWriter(stage, layer_categories(habitat.read(0, 0 if taxa else None), taxa),
                         kinds)
    with layers:
        if not chunks:
            layers.add(ranges, run.frame(0, 0))
        for a, b in chunks:
            r, h, sub = rows(a, b)
            layers.add(r, h)
            extents.append(maps_extent(r, h, sub))
            if figures:
                figure_files += write_figures(r, h, sub, stage / "figures", admin0, dems=dems)
            del r, h
            heap.release()
    staged = list(layers.written)
    staged.append(write_summary_csv(habitat.frames(PUBLISH_CHUNK_TAXA), stage / "summary.csv"))
    with DemStack(dems) as band_stack:
        maps = MapWriter(taxa, stage / "maps", admin0, extent=union_extent(extents),
                         relief=dems, self_contained=self_contained,
                         band_layers=None if band_layers is None else
                         band_habitat(band_stack, band_layers[0], band_layers[1]))
        for a, b in chunks:
            r, h, _ = rows(a, b)
            maps.add(r, h)
            del r, h
            heap.release()
        staged += maps.finish()
    return staged + figure_files


def _peak_rss_mb() -> float:
    """Peak resident set of this process so far (MB; 0 where unknown), for the log."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0.0
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if platform.system() != "Darwin" else kb / 2**20


def build(
    docs: str | os.PathLike[str] | None = None,
    dems: list[str | os.PathLike[str]] | None = None,
    boundaries: str | os.PathLike[str] | None = None,
    ranges_yaml: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] = DEFAULT_OUT,
    range_file: str | os.PathLike[str] | None = None,
    taxon_field: str = "sci_name",
    iucn_codes: dict[str, tuple[int, ...]] | None = None,
    range_where: str | None = None,
    min_elevation: float | None = None,
    max_elevation: float | None = None,
    boundary_fields: dict[str, str | None] | None = None,
    force: bool = False,
    elevation_margin: float = 100.0,
    progress: Progress | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    figures: bool = True,
    include_uncertain: bool = False,
    self_contained: bool = False,
    band_layers: bool = True,
    aoh: AohOptions | None = None,
    ) -> BuildResult:
    """Run the whole pipeline and write every output under ``out``.

    Parameters
    ----------
    docs : path
        A UTF-8 text file or a folder of ``*.txt`` documents (ignored when
        ``ranges_yaml`` is given).
    dems : list of path, optional
        Elevation rasters; default the two embedded DEMs.
    boundaries : path
        GeoPackage with layers ``admin0`` and ``admin1``.
    ranges_yaml : path, optional
        Reviewed ranges (``rangemap extract -o``) used instead of the documents.
    out : path
        Output folder.
    range_file : path, optional
        Published range polygons (e.g. an IUCN range shapefile) used instead
        of the documents' places; the documents still give elevation limits
        for taxa of the same scientific name.
    taxon_field : str
        Field of ``range_file`` naming the taxon.
    iucn_codes : dict, optional
        Allowed ``presence``/``origin``/``seasonal`` codes (defaults 1-2, 1-2, 1-3).
    range_where : str, optional
        SQL WHERE clause selecting features of ``range_file`` (``--where``).
    min_elevation, max_elevation : float, optional
        Limits that override every taxon's own.
    boundary_fields : dict, optional
        ``{"country_field", "name_field", "id_field"}`` when ``boundaries`` is
        a user's admin-1 file (GADM, geoBoundaries, Natural Earth 10m) rather
        than rangemap's two-layer GeoPackage; it is normalized first.
    force : bool
        Rebuild everything even when the manifest says nothing changed.
    elevation_margin : float
        Margin (m) for the band-sensitivity areas ``area_km2_wide``/``_narrow``.
    progress : callable, optional
        Called as ``progress(n_done_now, n_units, label)`` during the habitat stage.
    workers, scheduler : optional
        Run habitat blocks on local processes or a Dask scheduler (same results).
    figures : bool
        Write ``figures/<taxon>.png`` and ``.svg`` (static maps for reports).
    include_uncertain : bool
        Map the places the documents give as possible/probable too.
    self_contained : bool
        Write every map page as one file with Leaflet, outlines and relief
        inlined, instead of sharing them from ``maps/assets/``.
    band_layers : bool
        Draw the habitat with the band widened and narrowed by
        ``elevation_margin`` as optional layers on each taxon's page (computed
        again by the engine while publishing).
    aoh : AohOptions, optional
        Slope and land-cover criteria (:mod:`rangemap.aoh`); default: elevation only,
        with the land-cover composition of the habitat from the embedded map.

    Returns
    -------
    BuildResult
    """
    docs = default_docs() if docs is None else docs
    boundaries = default_boundaries() if boundaries is None else boundaries
    with contextlib.ExitStack() as stack:
        if "GDAL_CACHEMAX" not in os.environ:
            # GDAL's block cache defaults to 5 % of RAM and keeps every DEM block read: a
            # batch covering more ground would hold more of the DEM.  Blocks are tile-aligned
            # and read once per unit, so a small cache costs no time.
            stack.enter_context(rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB))
        extra_inputs: list[Path] = []
        source = Path(boundaries)
        if boundary_fields:
            # A user's admin-1 file is normalized into rangemap's layout first; the
            # normalized copy depends on the file, the field names (in the key via
            # ``params``) and the embedded names and aliases (hashed as inputs).
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="rangemap-bnd-"))
            boundaries = _normalized_boundaries(source, Path(tmp), boundary_fields)
            extra_inputs += [p for p in (default_boundaries(),
                                         default_boundaries().with_name("aliases.csv"))
                             if p.is_file()]
        else:
            aliases = source.with_name("aliases.csv")
            if aliases.is_file():
                extra_inputs.append(aliases)
        return _build(docs=docs, dems=dems, boundaries=Path(boundaries),
                      ranges_yaml=ranges_yaml, out=out, range_file=range_file,
                      taxon_field=taxon_field, iucn_codes=iucn_codes, range_where=range_where,
                      min_elevation=min_elevation, max_elevation=max_elevation,
                      boundary_fields=boundary_fields, force=force,
                      elevation_margin=elevation_margin, progress=progress, workers=workers,
                      scheduler=scheduler, figures=figures, boundaries_source=source,
                      include_uncertain=include_uncertain, aoh=aoh,
                      extra_inputs=extra_inputs, self_contained=self_contained,
                      band_layers=band_layers)


def _normalized_boundaries(src: Path, tmp: Path, fields: dict[str, str | None]) -> Path:
    """A user's admin-1 file normalized into ``tmp``, with the embedded names and aliases."""
    embedded = default_boundaries()
    names = None
    if embedded.exists():
        a0 = read_boundary_layer(embedded, "admin0", geometry=False)
        names = dict(zip(a0["iso3"], a0["name"], strict=True))
    return normalize_boundaries(
        src, tmp, str(fields["country_field"]), str(fields["name_field"]),
        fields.get("id_field"), aliases=embedded.with_name("aliases.csv"), country_names=names)


def _build(*, docs: str | os.PathLike[str], dems: list[str | os.PathLike[str]] | None,
           boundaries: Path, ranges_yaml: str | os.PathLike[str] | None,
           out: str | os.PathLike[str], range_file: str | os.PathLike[str] | None,
           taxon_field: str, iucn_codes: dict[str, tuple[int, ...]] | None,
           range_where: str | None,
           min_elevation: float | None, max_elevation: float | None,
           boundary_fields: dict[str, str | None] | None, force: bool,
           elevation_margin: float, progress: Progress | None, workers: int | None,
           scheduler: Any, figures: bool, boundaries_source: Path, include_uncertain: bool,
           extra_inputs: list[Path], self_contained: bool = False,
           band_layers: bool = True, aoh: AohOptions | None = None) -> BuildResult:
    """:func:`build` once the boundaries are in rangemap's layout."""
    t0 = time.perf_counter()
    out = Path(out)
    aoh = aoh or AohOptions()
    dem_paths = [Path(d) for d in (dems or default_dems())]
    result = BuildResult(out=out)
    if ranges_yaml is not None and range_file is not None:
        raise UsageError("give --ranges or --range, not both")
    inputs: list[Path] = [boundaries_source, *dem_paths]
    missing = {
        inputs[0]: "boundaries file not found; pass --boundaries with a GeoPackage that has "
        "layers admin0 and admin1",
        **{d: "DEM not found; pass --dem with an existing GeoTIFF/VRT" for d in dem_paths},
    }
    if ranges_yaml is not None:
        inputs.append(Path(ranges_yaml))
        missing[Path(ranges_yaml)] = ("ranges file not found; pass --ranges with a file written "
                                      "by 'rangemap extract -o ranges.yaml'")
    elif range_file is not None:
        inputs.append(Path(range_file))
        missing[Path(range_file)] = "range file not found; pass --range with a polygon file"
        if Path(docs).exists():
            inputs.extend(document_paths(docs))
    else:
        inputs.extend(document_paths(docs))
    for p in aoh.files():
        inputs.append(p)
        missing[p] = ("land-cover raster not found; pass --landcover with an existing GeoTIFF"
                      if str(p) == aoh.landcover else
                      "crosswalk not found; pass --crosswalk with a code,value CSV")
    if aoh.landcover is None:
        if default_landcover().is_file():
            inputs.append(default_landcover())
    for p, message in missing.items():
        if not p.is_file():
            raise DataError(f"{p}: {message}")
    inputs.extend(extra_inputs)
    params = {"docs": str(docs), "dems": [str(d) for d in dem_paths],
              "boundaries": str(boundaries_source),
              "boundary_fields": boundary_fields,
              "ranges": None if ranges_yaml is None else str(ranges_yaml),
              "range_file": None if range_file is None else str(range_file),
              "range_where": range_where,
              "taxon_field": taxon_field, "iucn_codes": iucn_codes,
              "min_elevation": min_elevation, "max_elevation": max_elevation,
              "elevation_margin": elevation_margin, "figures": figures,
              "out": str(out), "cell_rule": "centre-in-unit",
              "elevation_rule": "min <= z <= max, inclusive"}
    if include_uncertain:  # only when set, so earlier builds keep their key
        params["include_uncertain"] = True
    if self_contained:
        params["self_contained"] = True
    if not band_layers:
        params["band_layers"] = False
    if aoh != AohOptions():  # only when set, so earlier builds keep their key
        params["aoh"] = {k: (list(v) if isinstance(v, tuple) else v)
                         for k, v in aoh.__dict__.items()}
    input_records = [{"path": str(p), "sha256": sha256_file(p), "bytes": p.stat().st_size}
                     for p in inputs]
    engine = engine_version()
    # Library versions are in the key too: a new GDAL or shapely can change outputs.
    build_key = digest({"inputs": [(i["path"], i["sha256"]) for i in input_records],
                         "params": params, "engine": engine, "versions": versions()})
    removed = remove_stale_temporaries(out)
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run", removed)
    if not force and outputs_current(out, build_key):
        result.up_to_date = True
        # The outputs' warnings still hold: say them again (and --strict still refuses).
        for w in manifest_warnings(out):
            warn(w["code"], w["message"])
        check_strict()
        result.timings["total_s"] = time.perf_counter() - t0
        return result
    bounds = Boundaries.load(boundaries)
    if ranges_yaml is not None:
        records = load_ranges_yaml(ranges_yaml, bounds)
    elif range_file is not None:
        gdf = read_range_file(Path(range_file), where=range_where)
        records, counts = records_from_range_file(gdf, bounds, str(range_file), taxon_field,
                                                  iucn_codes)
        log.info("%s: kept %d of %d features", range_file, counts["kept"], counts["features"])
        if Path(docs).exists():
            inherit_elevations(records, extract_records(
                document_paths(docs), Path(boundaries), include_uncertain, result.warnings))
    else:
        records = extract_records(document_paths(docs), Path(boundaries), include_uncertain,
                                  result.warnings)
        dropped_unit_warnings(records, document_paths(docs), boundaries_source, bounds,
                              include_uncertain)
    override_elevations(records, min_elevation, max_elevation)
    # An empty band is refused here, before any habitat work and before the
    # output folder is touched.
    check_bands(records)
    result.timings["ranges_s"] = time.perf_counter() - t0

    mapped = []
    for rec in records:
        if rec.get("units"):
            mapped.append(rec)
        else:
            label = rec.get("scientific_name") or rec.get("name")
            result.skipped.append(str(label))
            log.info("no range units found for %s: not mapped", label)
            if ranges_yaml is not None:  # the extractor already said so for documents
                warn("not-mapped", f"{label}: no range units in {ranges_yaml}; not mapped")
    units = range_units(mapped, bounds)
    if not len(units):
        raise DataError("no species with range units in the input; check --docs or --ranges")
    warnings: list[str] = []
    criteria = {taxon_id(rec): taxon_criteria(rec, aoh, warnings) for rec in mapped}
    for w in warnings:
        log.warning("%s", w)

    t1 = time.perf_counter()
    with DemStack(dem_paths) as stack:
        context = {"engine": engine,
                   "dems": [i["sha256"] for i in input_records[1:1 + len(dem_paths)]]}
        context["landcover"] = [i["sha256"] for i in input_records
                                if i["path"] in {c.path for cs in criteria.values()
                                                 for c in cs if hasattr(c, "path")}]
        run = habitat_incremental(units, stack, out, context, force, elevation_margin,
                                  progress, workers, scheduler, criteria)
        habitat, result.rebuilt, result.reused = run.habitat, run.rebuilt, run.reused
        dem_info = [{"path": str(s.path), "name": s.name, "resolution": s.resolution_label,
                     "bounds": list(s.bounds)} for s in stack]
        coarse = {s.name: s.resolution_label for s in stack if s.res_deg > COARSE_DEM_DEG}
    result.timings["habitat_s"] = time.perf_counter() - t1
    peak_habitat = _peak_rss_mb()
    try:
        coverage_warnings(habitat)
        coarse_dem_warnings(habitat, coarse)
        # --strict: refuse before anything is staged or moved into place.
        check_strict()
        ranges = units.copy()
        ranges["range_area_km2"] = habitat.column("range_area_km2").values
        ranges = ranges[RANGE_FIELDS + ["geometry"]]
        # A column of nulls would otherwise be typed String in the GeoPackage.
        for c in ("elevation_min_m", "elevation_max_m"):
            ranges[c] = ranges[c].astype("float64")
        habitat.astype({"elevation_min_m": "float64", "elevation_max_m": "float64"})
        # the habitat rows stay on disk (run.habitat) and go when the build ends
        result.ranges = ranges
        result.taxa = taxa_table(mapped, ranges, habitat, run.taxon_aoo_km2, run.taxon_eoo_km2)

        t2 = time.perf_counter()
        # Everything is written into a staging folder first and moved into place
        # only when complete, manifest last: a killed build leaves the previous
        # outputs as they were (the next run removes the stale staging folder).
        stage = out / f"{TMP_PREFIX}stage"
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir(parents=True)
        admin0 = bounds.admin0[["iso3", "name", "geometry"]]
        staged = publish_outputs(
            ranges, run, result.taxa, stage, admin0, dem_paths, figures=figures,
            self_contained=self_contained,
            band_layers=(elevation_margin, criteria) if band_layers else None)
    finally:
        run.close()
    make_reproducible(staged)
    rels = [os.path.relpath(Path(p).resolve(), stage.resolve()) for p in staged]
    result.timings["publish_s"] = time.perf_counter() - t2
    result.timings["total_s"] = time.perf_counter() - t0
    log.info("timings: %s", ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()))
    log.info("peak memory: habitat_mb %.0f, build_mb %.0f", peak_habitat, _peak_rss_mb())

    manifest = {
        "rangemap_version": __version__,
        "engine_version": engine,
        "build_key": build_key,
        "created_by": "rangemap build",
        # The only wall-clock time in the outputs ($SOURCE_DATE_EPOCH when set): the
        # rest is byte-identical for identical inputs (build --force).
        "created": created_time(),
        "inputs": input_records,
        "parameters": params,
        "dems": dem_info,
        "taxa": result.taxa,
        "skipped_taxa": result.skipped,
        "versions": versions(),
        "outputs": rels,
        "output_sha256": {rel: sha256_file(stage / rel) for rel in rels},
        "taxa_rebuilt": result.rebuilt,
        "taxa_reused": result.reused,
        # Every warning of the run (extraction, coverage, geometry...): code and message.
        "warnings": (current_warnings().to_list() if current_warnings() is not None
                     else []),
        "extraction_warnings": result.warnings,
    }
    write_text_atomic(stage / "manifest.json",
                      json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    # Commit: an old manifest that no longer matches would be trusted by a
    # rerun, so it goes first; the new manifest goes last.
    (out / "manifest.json").unlink(missing_ok=True)
    # A 'rangemap validate' report judged the previous habitat: stale from here on.
    shutil.rmtree(out / "validation", ignore_errors=True)
    for rel in rels + ["manifest.json"]:
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / rel, dest)
        result.files.append(dest)
    shutil.rmtree(stage, ignore_errors=True)
    return result


def habitat_file(range_file: Path | gpd.GeoDataFrame, dems: list[Path], min_m: float | None,
                 max_m: float | None, out_file: Path, layer: str | None = None, *,
                 workers: int | None = None, scheduler: Any = None, progress: Any = None,
                 where: str | None = None,
                 codes: dict[str, tuple[int, ...]] | None = None,
                 aoh: AohOptions | None = None) -> tuple[int, float]:
    """``rangemap habitat``: habitat of every feature of a range file.

    Blocks run serially, on ``workers`` local processes, or on a Dask
    ``scheduler``; the result is the same.  ``aoh`` adds slope and land-cover criteria
    (the same for every feature; the IUCN fallbacks are judged per feature).

    Returns
    -------
    (features, total_area_km2)
    """
    gdf = read_range_file(range_file, layer, where, codes)
    name = Path(gdf.attrs.get("source", "range")).name
    geoms = list(gdf.geometry.values)
    crit, names = feature_criteria(gdf, aoh)
    band = (min_m, max_m)
    with DemStack(dems) as stack, engine.make_executor(workers, scheduler) as ex:
        results = habitats_with_fallbacks(geoms, list(stack), [band] * len(geoms),
                                          [crit] * len(geoms),
                                          [[i] for i in range(len(geoms))], 100.0,
                                          executor=BlockProgress.wrap(ex, progress, name),
                                          labels=names)
        labels = resolution_labels(stack)
    out = gdf.drop(columns=["area_km2", "elevation_min_m", "elevation_max_m", "dem_source",
                            "dem_resolution", "dem_coverage", *AOH_FIELDS],
                   errors="ignore").copy()
    rows = [result_row(r, ["area_km2", "dem_source", *AOH_FIELDS, "dem_resolution",
                           "dem_coverage"], band=band, range_km2=geodesic_area_km2(g),
                       area_km2=r.area_km2, labels=labels)
            for r, g in zip(results, geoms, strict=True)]
    out["area_km2"] = [row["area_km2"] for row in rows]
    out["elevation_min_m"] = np.nan if min_m is None else float(min_m)
    out["elevation_max_m"] = np.nan if max_m is None else float(max_m)
    for f in ("dem_source", *AOH_FIELDS):
        out[f] = [row[f] for row in rows]
    out = gpd.GeoDataFrame(out.drop(columns="geometry"),
                           geometry=[r.geometry for r in results], crs="EPSG:4326")
    for f in ("dem_resolution", "dem_coverage"):
        out[f] = [row[f] for row in rows]
    coverage_warnings(out, lambda _row, i: f"{name} feature {i + 1}")
    check_strict()  # --strict: nothing written
    driver = DRIVERS[out_file.suffix.lower()]
    if driver == "GeoJSON":
        write_text_atomic(out_file, geojson_text(out))
    else:
        with atomic_path(out_file) as tmp:
            write_vector(out, tmp, out_file.stem, driver)
    return len(out), float(sum(r.area_km2 for r in results))
