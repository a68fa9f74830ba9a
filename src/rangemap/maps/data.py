"""What the pages show, collected from the layers: taxa and their units (:class:`_Taxon`,
:class:`_Unit`), display geometry simplified per level of detail (:class:`_Shapes`),
and the boundary outlines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from rangemap.errors import DataError
from rangemap.geo.antimeridian import shift_west_parts as _unwrap
from rangemap.geo.antimeridian import straddles as _straddles
from rangemap.geo.antimeridian import with_shifted_copies as _boundaries_wrapped
from rangemap.landcover import shares_text
from rangemap.values import finite_number as _num
from rangemap.values import text as _text

#: Display simplification tolerance in degrees (about 500 m).
DEFAULT_TOLERANCE_DEG = 0.005


#: Coordinates written to the page are rounded to this many decimals (~1 m).
COORD_DECIMALS = 5


#: Shared-asset pages carry their shapes at this many times the tolerance (the
#: detail file has them at the tolerance itself).
COARSE_FACTOR = 4


#: How many times the tolerance may be doubled to meet ``MAX_PAGE_BYTES``.
_MAX_COARSENING = 7


#: Country outlines are never drawn finer than this (degrees).
_BOUNDARY_MIN_TOLERANCE = 0.01


_EVIDENCE_CHARS = 600


_RANGE_COLUMNS = ("taxon_id", "iso3", "country", "admin1", "geometry")


_HABITAT_COLUMNS = ("taxon_id", "iso3", "admin1", "geometry")


_TAXON_KEYS = ("taxon_id", "slug", "name")


@dataclass
class _Unit:
    taxon_id: str
    name: str
    country: str
    admin1: str | None
    unit_rule: str
    range_km2: float | None
    habitat_km2: float | None
    share: float | None
    elev_min: float | None
    elev_max: float | None
    dem: str
    evidence: list[tuple[str, str]]
    range_geom: Any = None
    habitat_geom: Any = None
    #: Largest connected habitat patch and the band-sensitivity areas (None if absent).
    largest_patch_km2: float | None = None
    area_wide_km2: float | None = None
    area_narrow_km2: float | None = None
    margin_m: float | None = None
    #: The range unit as given (not shifted across ±180 for display).
    range_orig: Any = None
    #: Area of Habitat: elevation-only area, what was applied, fallback, land cover, slope.
    elevation_km2: float | None = None
    criteria: str | None = None
    fallback: str | None = None
    landcover: str = ""
    slope_median_deg: float | None = None
    #: Why the unit has little or no habitat (no DEM, partial coverage, nothing in the band).
    note: str | None = None


@dataclass
class _Taxon:
    info: dict[str, Any]
    stem: str
    colour: str
    units: list[_Unit] = field(default_factory=list)
    #: Units drawn, kept once the page is written and ``units`` dropped.
    n_units: int | None = None

    @property
    def taxon_id(self) -> str:
        return str(self.info["taxon_id"])

    @property
    def name(self) -> str:
        return str(self.info.get("name") or self.info["taxon_id"])


def _key(taxon_id: Any, iso3: Any, admin1: Any) -> tuple[str, str, str]:
    return (str(taxon_id), _text(iso3) or "", _text(admin1) or "")


def _parse_evidence(value: Any) -> list[tuple[str, str]]:
    """Split ``"document: sentence"`` lines into (document, sentence) pairs."""
    text = _text(value)
    if not text:
        return []
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        doc, sep, sentence = line.partition(": ")
        if not sep:
            doc, sentence = "", line
        if len(sentence) > _EVIDENCE_CHARS:
            sentence = sentence[: _EVIDENCE_CHARS - 1] + "…"
        out.append((doc.strip(), sentence.strip()))
    return out


def _to_4326(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        try:
            return gdf.to_crs(4326)
        except Exception as exc:  # pyproj errors vary
            raise DataError(f"{what}: cannot reproject to EPSG:4326: {exc}") from exc
    return gdf


def _require(gdf: gpd.GeoDataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def _row_get(row: Any, name: str) -> Any:
    return row[name] if name in row.index else None


def _collect_units(
    ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame, taxa: dict[str, _Taxon]
) -> set[str]:
    """Attach one :class:`_Unit` per (taxon, range unit) to ``taxa``.

    Returns the taxon ids of rows that are not in ``taxa`` (not drawn).
    """
    hab_rows: dict[tuple[str, str, str], Any] = {}
    for _, row in habitat.iterrows():
        hab_rows.setdefault(_key(row["taxon_id"], row["iso3"], row["admin1"]), row)
    seen: set[tuple[str, str, str]] = set()
    skipped: set[str] = set()

    def make(rng: Any, hab: Any) -> _Unit:
        base = rng if rng is not None else hab
        admin1 = _text(_row_get(base, "admin1"))
        country = _text(_row_get(base, "country")) or _text(_row_get(base, "iso3")) or "?"
        dem_src = _text(_row_get(hab, "dem_source")) if hab is not None else None
        dem_res = _text(_row_get(hab, "dem_resolution")) if hab is not None else None
        dem = " ".join(p for p in (dem_src, f"({dem_res})" if dem_res else None) if p)
        hab_geom = hab.geometry if hab is not None else None
        if hab_geom is not None and hab_geom.is_empty:
            hab_geom = None
        rng_geom = rng.geometry if rng is not None else None
        return _Unit(
            taxon_id=str(base["taxon_id"]),
            name=admin1 or country,
            country=country,
            admin1=admin1,
            unit_rule=(_text(_row_get(rng, "unit_rule")) or "") if rng is not None else "",
            range_km2=_num(_row_get(rng, "range_area_km2")) if rng is not None else None,
            habitat_km2=_num(_row_get(hab, "area_km2")) if hab is not None else 0.0,
            share=_num(_row_get(hab, "share_of_unit")) if hab is not None else 0.0,
            elev_min=_num(_row_get(hab, "elevation_min_m")) if hab is not None else None,
            elev_max=_num(_row_get(hab, "elevation_max_m")) if hab is not None else None,
            dem=dem or "–",
            evidence=_parse_evidence(_row_get(rng, "evidence")) if rng is not None else [],
            range_geom=_unwrap(rng_geom),
            range_orig=rng_geom,
            habitat_geom=_unwrap(hab_geom, force=_straddles(rng_geom)),
            largest_patch_km2=_num(_row_get(hab, "largest_patch_km2")) if hab is not None else None,
            area_wide_km2=_num(_row_get(hab, "area_km2_wide")) if hab is not None else None,
            area_narrow_km2=_num(_row_get(hab, "area_km2_narrow")) if hab is not None else None,
            margin_m=_num(_row_get(hab, "elevation_margin_m")) if hab is not None else None,
            note=_text(_row_get(hab, "note")) if hab is not None else None,
            **_aoh_unit(hab),
        )

    for _, row in ranges.iterrows():
        key = _key(row["taxon_id"], row["iso3"], row["admin1"])
        if key[0] not in taxa:
            skipped.add(key[0])
            continue
        seen.add(key)
        unit = make(row, hab_rows.get(key))
        taxon = taxa[key[0]]
        if unit.elev_min is None and unit.elev_max is None:
            unit.elev_min = _num(taxon.info.get("elevation_min_m"))
            unit.elev_max = _num(taxon.info.get("elevation_max_m"))
        taxon.units.append(unit)
    for key, row in hab_rows.items():
        if key in seen:
            continue
        if key[0] not in taxa:
            skipped.add(key[0])
            continue
        taxa[key[0]].units.append(make(None, row))
    return skipped


def _tolerances(tolerance: float) -> list[float]:
    """The tolerances tried for a page, finest first (doubling; 0 is followed by the default)."""
    tols = [tolerance]
    for _ in range(_MAX_COARSENING):
        tols.append(tols[-1] * 2 if tols[-1] > 0 else DEFAULT_TOLERANCE_DEG)
    return tols


def _object_array(geoms: Iterable[Any]) -> np.ndarray:
    items = list(geoms)
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


def _round_coords(geoms: np.ndarray) -> np.ndarray:
    """A new array of the geometries with coordinates rounded to ``COORD_DECIMALS``."""
    out = np.array(geoms, dtype=object, copy=True)
    present = ~shapely.is_missing(out)
    if present.any():
        # set_coordinates replaces the geometries in the (copied) array; inputs are untouched
        out[present] = shapely.set_coordinates(
            out[present], np.round(shapely.get_coordinates(out[present]), COORD_DECIMALS)
        )
    return out


def _simplify_polygons(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker on every ring of (multi)polygons, vectorised; None where all collapse.

    Rings are simplified as lines (no validity repair: GEOS's polygon simplifiers
    spend most of their time on that, and a canvas fills a slightly
    self-touching ring just the same).  A ring that collapses below the
    tolerance is dropped, and with an exterior its holes; a polygon stays a
    polygon when one part is left.
    """
    out = np.full(len(geoms), None, dtype=object)
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    if not len(rings):
        return out
    simple = shapely.simplify(rings, tolerance, preserve_topology=False)
    # a collapsed ring comes back as a LineString (type 1) instead of a LinearRing (2)
    ok = shapely.get_type_id(simple) == 2
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    part_ok = np.zeros(len(parts), dtype=bool)
    part_ok[ring_part[exterior]] = ok[exterior]
    keep = ok & part_ok[ring_part]
    if not keep.any():
        return out
    kept_parts, ring_to_poly = np.unique(ring_part[keep], return_inverse=True)
    polys = shapely.polygons(simple[keep], indices=ring_to_poly)
    kept_geoms, poly_to_geom = np.unique(part_geom[kept_parts], return_inverse=True)
    multi = shapely.multipolygons(polys, indices=poly_to_geom)
    single = (shapely.get_type_id(geoms[kept_geoms]) == 3) & (
        shapely.get_num_geometries(multi) == 1
    )
    multi[single] = shapely.get_geometry(multi[single], 0)
    out[kept_geoms] = multi
    return out


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Vectorised display simplification of non-missing, non-empty geometries.

    Douglas-Peucker, polygons ring by ring (:func:`_simplify_polygons`): an order of
    magnitude faster than the topology-preserving simplifier on 30″ staircases,
    and rings smaller than the tolerance are dropped instead of each being kept
    as a 4-vertex ring, so a page spends its bytes on shapes one can see.  A
    geometry that would vanish entirely is simplified with topology preserved
    instead, so every unit keeps a visible (and clickable) shape.
    """
    if tolerance <= 0 or len(geoms) == 0:
        return geoms
    out = np.array(geoms, dtype=object, copy=True)
    polygonal = np.isin(shapely.get_type_id(out), (3, 6))
    if polygonal.any():
        out[polygonal] = _simplify_polygons(out[polygonal], tolerance)
    if (~polygonal).any():
        out[~polygonal] = shapely.simplify(out[~polygonal], tolerance, preserve_topology=False)
    lost = shapely.is_missing(out)
    lost[~lost] = shapely.is_empty(out[~lost])
    if lost.any():
        out[lost] = shapely.simplify(geoms[lost], tolerance, preserve_topology=True)
    return out


def _display_geoms(geoms: Iterable[Any], tolerance: float) -> np.ndarray:
    """Simplify and round many geometries at once; None where nothing is left."""
    arr = _object_array(geoms)
    out = np.full(len(arr), None, dtype=object)
    keep = ~shapely.is_missing(arr)
    keep[keep] = ~shapely.is_empty(arr[keep])
    if keep.any():
        g = _round_coords(_simplify(arr[keep], tolerance))
        g[shapely.is_empty(g)] = None
        out[keep] = g
    return out


def _display_geom(geom: Any, tolerance: float) -> Any:
    """Simplify and round a geometry for display; None if nothing is left."""
    return _display_geoms([geom], tolerance)[0]


_WKT_TYPES = {
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
}


_PARENS = str.maketrans("()", "[]")


def _wkt_to_geojson(wkt: str) -> str | None:
    """GeoJSON geometry text from 2-D (multi)polygon/linestring WKT, by string rewriting.

    ``((1 2, 3 4), (5 6, ...))`` becomes ``[[[1, 2],[3, 4]],[[5, 6],...]]``: pair
    spaces become ``", "``, coordinate separators ``"],["``; a separator between
    rings or parts (``), (``) gets one bracket more on each side, as does the
    whole body.  None for any other geometry type.
    """
    name, _, body = wkt.partition(" ")
    kind = _WKT_TYPES.get(name)
    if kind is None or not body.startswith("("):
        return None
    body = (
        body.replace(", ", ";")
        .replace(" ", ", ")
        .replace(");(", ")|(")
        .replace(";", "],[")
        .replace("|", "],[")
        .translate(_PARENS)
    )
    return f'{{"type": "{kind}", "coordinates": [{body}]}}'


def _geojson_strings(geoms: np.ndarray) -> np.ndarray:
    """GeoJSON geometry text per (rounded) geometry; None stays None.

    GEOS writes WKT with the shortest text for a rounded coordinate (its GeoJSON
    writer prints up to 17 digits, e.g. ``-2.5197600000000002``), which
    :func:`_wkt_to_geojson` rewrites; anything else goes through ``json.dumps``.
    """
    out = np.full(len(geoms), None, dtype=object)
    present = ~shapely.is_missing(geoms)
    if present.any():
        wkts = shapely.to_wkt(
            geoms[present], rounding_precision=COORD_DECIMALS, trim=True, output_dimension=2
        )
        texts = []
        for wkt, geom in zip(wkts, geoms[present], strict=True):
            text = _wkt_to_geojson(wkt)
            texts.append(text if text is not None else json.dumps(shapely.geometry.mapping(geom)))
        out[present] = texts
    return out


def _num_chars(v: np.ndarray) -> np.ndarray:
    """Characters of each rounded lon/lat value as written to the page: ``-12.5``, ``92``."""
    scale = 10**COORD_DECIMALS
    a = np.abs(v)
    frac = np.rint(a * scale).astype(np.int64) % scale
    n = np.signbit(v).astype(np.int32) + (2 + COORD_DECIMALS)  # sign, digit, ".", decimals
    n += (a >= 10).astype(np.int32) + (a >= 100)
    f32 = frac.astype(np.int32)
    for d in range(1, COORD_DECIMALS):
        n -= f32 % 10**d == 0  # trailing zeros are not written ...
    n -= 2 * (f32 == 0)  # ... nor is ".0": "92"
    return n


def _geojson_nbytes(geoms: np.ndarray) -> np.ndarray:
    """Estimated length of :func:`_geojson_strings` per geometry (within ~1 %), cheaply.

    Counts the characters of every coordinate instead of writing the text, so a
    page's size at a tolerance is known before anything is serialised (ring
    brackets are left out: a few bytes per ring of at least four vertices).
    """
    out = np.zeros(len(geoms), dtype=np.int64)
    present = ~shapely.is_missing(geoms)
    if not present.any():
        return out
    coords, ix = shapely.get_coordinates(geoms[present], return_index=True)
    per_vertex = _num_chars(coords[:, 0]) + _num_chars(coords[:, 1]) + 5  # "[x, y],"
    n = np.bincount(ix, weights=per_vertex, minlength=int(present.sum())) + 60
    out[present] = n.astype(np.int64)
    return out


#: Shapes simplified / serialised per vectorised call (bounds the transient memory).
_SIMPLIFY_CHUNK = 200


class _Shapes:
    """Display versions (simplified, rounded) of fixed geometries, cached per tolerance.

    Every page, and every coarsening step, asks for the same shapes again; each is
    simplified and rounded at most once per tolerance (vectorised over whatever is
    asked for and not cached yet), and serialised at most once, only when a page
    is actually written at that tolerance.
    """

    def __init__(self, geoms: Iterable[Any] = (), min_tolerance: float = 0.0, *,
                 count: int | None = None,
                 loader: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        # ``loader(positions)`` gives the geometries at those positions when they are
        # not held here (the index's shapes lie in a temporary file: see MapWriter)
        self.geoms = _object_array(geoms) if loader is None else None
        self._count = len(self.geoms) if self.geoms is not None else int(count or 0)
        self._load = loader if loader is not None else self._held
        self._min_tol = min_tolerance
        self._display: dict[float, np.ndarray] = {}
        self._nbytes: dict[float, np.ndarray] = {}
        self._json: dict[float, np.ndarray] = {}

    def __len__(self) -> int:
        return self._count

    def _held(self, ix: np.ndarray) -> np.ndarray:
        assert self.geoms is not None
        return self.geoms[ix]

    def prefill(self, tolerance: float, nbytes: np.ndarray, json_texts: np.ndarray) -> None:
        """Sizes and GeoJSON texts at ``tolerance`` made earlier, shape by shape."""
        tol = self._tol(tolerance)
        n = len(self)
        self._display[tol] = np.full(n, None, dtype=object)  # not needed: texts are given
        self._nbytes[tol] = np.asarray(nbytes, dtype=np.int64)
        self._json[tol] = np.asarray(json_texts, dtype=object)

    def _tol(self, tolerance: float) -> float:
        return max(tolerance, self._min_tol)

    def _ensure(self, ix: np.ndarray, tol: float) -> None:
        if tol not in self._display:
            n = len(self)
            self._display[tol] = np.full(n, None, dtype=object)
            self._nbytes[tol] = np.full(n, -1, dtype=np.int64)
            self._json[tol] = np.full(n, None, dtype=object)
        todo = np.unique(ix[self._nbytes[tol][ix] < 0])
        # in chunks: the vectorised simplifier holds every ring of its input at full
        # resolution at once, which for an index of thousands of shapes is most of the
        # publishing's memory
        for k in range(0, len(todo), _SIMPLIFY_CHUNK):
            part = todo[k:k + _SIMPLIFY_CHUNK]
            display = _display_geoms(self._load(part), tol)
            self._display[tol][part] = display
            self._nbytes[tol][part] = _geojson_nbytes(display)

    def display(self, index: Iterable[int], tolerance: float) -> np.ndarray:
        ix, tol = np.fromiter(index, dtype=np.intp), self._tol(tolerance)
        self._ensure(ix, tol)
        return self._display[tol][ix]

    def nbytes(self, index: Iterable[int], tolerance: float) -> int:
        ix, tol = np.fromiter(index, dtype=np.intp), self._tol(tolerance)
        self._ensure(ix, tol)
        return int(self._nbytes[tol][ix].sum())

    def json(self, index: Iterable[int], tolerance: float) -> list[str | None]:
        ix, tol = np.fromiter(index, dtype=np.intp), self._tol(tolerance)
        self._ensure(ix, tol)
        cache = self._json[tol]
        todo = np.unique(
            ix[shapely.is_missing(cache[ix]) & ~shapely.is_missing(self._display[tol][ix])]
        )
        for k in range(0, len(todo), _SIMPLIFY_CHUNK):
            part = todo[k:k + _SIMPLIFY_CHUNK]
            cache[part] = _geojson_strings(self._display[tol][part])
        return list(cache[ix])


class _BoundaryLines:
    """Admin-0 outlines as lines, clipped once to the area of all pages.

    Lines (not clipped polygons) so that no clip rectangle is ever drawn as an
    outline.  Simplified (at no less than 0.01°) once per tolerance; per page only
    the lines that cross the page's view are clipped again, the others are reused.
    """

    def __init__(
        self, boundaries: gpd.GeoDataFrame | None, extent: tuple[float, float, float, float]
    ) -> None:
        lines = np.empty(0, dtype=object)
        if boundaries is not None and len(boundaries):
            polys = _object_array(boundaries.geometry.values)
            polys = polys[~shapely.is_missing(polys)]
            polys = polys[~shapely.is_empty(polys)]
            if len(polys):
                polys = _boundaries_wrapped(polys)
                lines = shapely.clip_by_rect(shapely.boundary(polys), *_view_box(extent))
                lines = lines[~shapely.is_empty(lines)]
        self._shapes = _Shapes(lines, min_tolerance=_BOUNDARY_MIN_TOLERANCE)
        self._pages: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}

    def forget_pages(self) -> None:
        """Drop the lines clipped for pages written so far (memory stays flat in taxa)."""
        self._pages.clear()

    def _page(
        self, extent: tuple[float, float, float, float], tolerance: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(indices of lines inside the view, clipped display lines crossing its edge)."""
        key = (extent, max(tolerance, _BOUNDARY_MIN_TOLERANCE))
        if key not in self._pages:
            n = len(self._shapes)
            disp = self._shapes.display(range(n), tolerance)
            keep = ~shapely.is_missing(disp)
            w, s, e, n_ = box = _view_box(extent)
            b = np.full((n, 4), np.nan)
            if keep.any():
                b[keep] = shapely.bounds(disp[keep])
            inside = keep & (b[:, 0] >= w) & (b[:, 2] <= e) & (b[:, 1] >= s) & (b[:, 3] <= n_)
            cross = (
                keep & ~inside & (b[:, 0] <= e) & (b[:, 2] >= w) & (b[:, 1] <= n_) & (b[:, 3] >= s)
            )
            clipped = _round_coords(shapely.clip_by_rect(disp[cross], *box))
            clipped = clipped[~shapely.is_empty(clipped)]
            self._pages[key] = (np.flatnonzero(inside), clipped)
        return self._pages[key]

    def nbytes(self, extent: tuple[float, float, float, float], tolerance: float) -> int:
        inside, clipped = self._page(extent, tolerance)
        return self._shapes.nbytes(inside, tolerance) + int(_geojson_nbytes(clipped).sum())

    def json(self, extent: tuple[float, float, float, float], tolerance: float) -> list[str]:
        inside, clipped = self._page(extent, tolerance)
        texts = self._shapes.json(inside, tolerance) + list(_geojson_strings(clipped))
        return [t for t in texts if t is not None]


def _view_box(extent: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The extent padded by half its size (at least 5°): the area boundaries are drawn in."""
    w, s, e, n = extent
    pad = max(5.0, 0.5 * max(e - w, n - s))
    # A view unwrapped across the antimeridian (east > 180) may reach 210° E.
    east_limit = 210.0 if e > 180 else 180.0
    return (max(w - pad, -180.0), max(s - pad, -90.0), min(e + pad, east_limit),
            min(n + pad, 90.0))


def _extent(geoms: Iterable[Any]) -> tuple[float, float, float, float] | None:
    arr = [g for g in geoms if g is not None and not g.is_empty]
    if not arr:
        return None
    b = shapely.total_bounds(np.asarray(arr, dtype=object))
    return (
        None if not np.all(np.isfinite(b)) else (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    )


def _aoh_unit(hab: Any) -> dict[str, Any]:
    """The AOH fields of a habitat row for :class:`_Unit` (absent in older outputs)."""
    if hab is None:
        return {}
    return {
        "elevation_km2": _num(_row_get(hab, "elevation_km2")),
        "criteria": _text(_row_get(hab, "criteria")),
        "fallback": _text(_row_get(hab, "fallback")),
        "landcover": shares_text(_text(_row_get(hab, "landcover_shares")),
                                 _text(_row_get(hab, "landcover_legend"))),
        "slope_median_deg": _num(_row_get(hab, "slope_median_deg")),
    }
