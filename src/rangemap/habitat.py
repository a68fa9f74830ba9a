"""Habitat engine: range unit x elevation band -> habitat polygons and areas.

Rules (see ``docs/DESIGN.md``):

* A DEM cell counts when its **centre** lies inside the range unit and its
  value is within the band ``min <= z <= max`` (both ends inclusive, as the AOH
  community does); nodata never counts.
* Several DEMs are used finest first: each serves the part of the unit that
  lies inside its extent and that no finer DEM has served.
* Habitat polygons are exactly the counted cells (a raster-faithful
  result): along a unit's border they reach up to half a cell beyond it,
  and units that do not overlap never share a habitat cell.  Only where a
  coarser DEM's cells straddle a finer DEM's edge are they clipped, so that no
  ground is counted twice.
* ``area_km2`` is the geodesic WGS84 area of the polygons as written (edges
  densified); ``cell_area_km2`` is the exact ellipsoidal area of the chosen
  cells, computed once per raster row.  The two agree to well under 1 % for
  units many cells wide (tested).

The core functions work on arrays and shapely geometries; reading rasters is
left to :mod:`rangemap.dem`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from affine import Affine
from pyproj import Geod, Proj, Transformer
from rasterio import features
from shapely.geometry import MultiPolygon, shape

from rangemap.dem import DemSource, read_window

# WGS84 ellipsoid.
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
_E2 = WGS84_F * (2 - WGS84_F)
_E = math.sqrt(_E2)
_B = WGS84_A * (1 - WGS84_F)
_GEOD = Geod(ellps="WGS84")

EMPTY = MultiPolygon()


def _zone_area(lat_deg: np.ndarray) -> np.ndarray:
    """Area (m^2) between the equator and latitude, per radian of longitude.

    Closed form for the ellipsoid (authalic integral); exact to rounding.
    """
    s = np.sin(np.radians(lat_deg))
    es = _E * s
    return (_B**2 / 2) * (s / (1 - es**2) + np.log((1 + es) / (1 - es)) / (2 * _E))


def cell_areas_km2(transform: Affine, nrows: int) -> np.ndarray:
    """Exact WGS84 area (km^2) of one cell in each row of a lon/lat grid.

    Parameters
    ----------
    transform : Affine
        North-up geographic transform (degrees).
    nrows : int
        Number of rows.

    Returns
    -------
    numpy.ndarray
        ``(nrows,)`` float64 areas.
    """
    top = transform.f
    dy = transform.e  # negative for north-up
    edges = top + dy * np.arange(nrows + 1, dtype="float64")
    edges = np.clip(edges, -90.0, 90.0)
    zones = _zone_area(edges)
    dlon = math.radians(abs(transform.a))
    return np.abs(zones[:-1] - zones[1:]) * dlon / 1e6


def geodesic_area_km2(geom: shapely.Geometry, max_segment_deg: float = 0.05) -> float:
    """Geodesic WGS84 area (km^2) of a lon/lat geometry.

    Edges are densified first so that long edges along parallels are
    measured as drawn, not as geodesics (see REFERENCE.md, "Area and cells").
    """
    if geom is None or geom.is_empty:
        return 0.0
    dense = shapely.segmentize(geom, max_segment_deg)
    area, _ = _GEOD.geometry_area_perimeter(dense)
    return abs(area) / 1e6


def polygon_areas_km2(geoms) -> np.ndarray:
    """WGS84 area (km^2) of each lon/lat geometry, exact for cell-edge polygons.

    A ring whose edges all run along parallels or meridians (what polygonized
    lon/lat cells give) is measured in closed form: by Green's theorem its area is
    ``-sum(dlon * Z(lat))`` over its edges along parallels, with ``Z`` the area between
    the equator and ``lat`` per radian (:func:`_zone_area`), edges along parallels
    measured as drawn.  That equals the sum of the exact cell areas.  Geometries with
    any other edge fall back to :func:`geodesic_area_km2` (densified geodesic).
    """
    geoms = np.asarray(geoms, dtype=object).ravel()
    out = np.zeros(geoms.size)
    if geoms.size == 0:
        return out
    parts, gidx = shapely.get_parts(geoms, return_index=True)
    poly = shapely.get_type_id(parts) == 3
    parts, gidx = parts[poly], gidx[poly]
    if parts.size == 0:
        return out
    rings, pidx = shapely.get_rings(parts, return_index=True)
    shell = np.ones(rings.size, dtype=bool)
    shell[1:] = pidx[1:] != pidx[:-1]
    xy, ridx = shapely.get_coordinates(rings, return_index=True)
    x, y = xy[:, 0], xy[:, 1]
    seg = ridx[1:] == ridx[:-1]
    r = ridx[:-1][seg]
    dx = (x[1:] - x[:-1])[seg]
    dy = (y[1:] - y[:-1])[seg]
    bent = np.zeros(geoms.size, dtype=bool)
    bad_ring = np.zeros(rings.size, dtype=bool)
    bad_ring[r[(dx != 0) & (dy != 0)]] = True
    bent[gidx[pidx[bad_ring]]] = True
    horiz = dy == 0
    lat = y[:-1][seg][horiz]
    rr = r[horiz]
    # Z relative to each ring's first latitude keeps the sums small (less rounding).
    ref = np.full(rings.size, np.nan)
    first = np.r_[True, ridx[1:] != ridx[:-1]]
    ref[ridx[first]] = y[first]
    z = _zone_area(lat) - _zone_area(ref[rr])
    ring_area = np.abs(np.bincount(rr, weights=-np.radians(dx[horiz]) * z,
                                   minlength=rings.size)) / 1e6
    signed = np.where(shell, ring_area, -ring_area)
    out += np.bincount(gidx[pidx], weights=signed, minlength=geoms.size)
    for i in np.flatnonzero(bent):
        out[i] = geodesic_area_km2(geoms[i])
    return out


def polygon_area_km2(geom: shapely.Geometry) -> float:
    """WGS84 area (km^2) of one lon/lat geometry (see :func:`polygon_areas_km2`)."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(polygon_areas_km2([geom])[0])


def margin_bands(min_m: float | None, max_m: float | None, margin_m: float):
    """The band widened and narrowed by ``margin_m`` at each stated limit.

    Returns ((lo, hi) wide, (lo, hi) narrow); an open limit stays open.
    """
    wide = (None if min_m is None else min_m - margin_m,
            None if max_m is None else max_m + margin_m)
    narrow = (None if min_m is None else min_m + margin_m,
              None if max_m is None else max_m - margin_m)
    return wide, narrow


def band_mask(
    elev: np.ma.MaskedArray, inside: np.ndarray, min_m: float | None, max_m: float | None
) -> np.ndarray:
    """Cells inside the unit, with data, whose elevation is in ``[min_m, max_m]``."""
    data = np.ma.getdata(elev)
    ok = inside & ~np.ma.getmaskarray(elev)
    if min_m is not None:
        ok &= data >= min_m
    if max_m is not None:
        ok &= data <= max_m
    return ok


def cells_inside(geom: shapely.Geometry, shape_: tuple[int, int], transform: Affine) -> np.ndarray:
    """Boolean raster of cells whose centre lies inside ``geom`` (GDAL centre rule)."""
    if geom.is_empty or shape_[0] == 0 or shape_[1] == 0:
        return np.zeros(shape_, dtype=bool)
    burned = features.rasterize(
        [(geom, 1)], out_shape=shape_, transform=transform, fill=0, all_touched=False,
        dtype="uint8",
    )
    return burned.astype(bool)


def polygonize(mask: np.ndarray, transform: Affine) -> MultiPolygon:
    """Polygons of the True cells of ``mask`` (4-connected), as one MultiPolygon.

    The parts of one mask never overlap, so they are collected rather than
    unioned (``union_all`` over thousands of parts is slow).
    """
    if not mask.any():
        return EMPTY
    parts = [
        shape(geom)
        for geom, val in features.shapes(
            mask.astype("uint8"), mask=mask, transform=transform, connectivity=4
        )
        if val == 1
    ]
    polys: list = []
    for p in parts:
        polys.extend(getattr(p, "geoms", [p]))
    return MultiPolygon(polys)


@dataclass
class HabitatResult:
    """Habitat of one range unit.

    Attributes
    ----------
    geometry : MultiPolygon
        Habitat polygons (cell-aligned), possibly empty.
    area_km2 : float
        Geodesic WGS84 area of ``geometry`` (clipped to the unit).
    cell_area_km2 : float
        Exact ellipsoidal area of the habitat cells (centre rule, unclipped).
    cells : int
        Number of habitat cells.
    sources : list of str
        DEMs that served some part of the unit, finest first.
    covered_share : float
        Share (0..1) of the unit's cells that some DEM covered.
    elev_min, elev_max, elev_mean : float or None
        Elevation statistics of the habitat cells (metres).
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
    elev_min: float | None = None
    elev_max: float | None = None
    elev_mean: float | None = None
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


#: IUCN AOO grid: 2 km cells of an equal-area cylindrical projection anchored at 0,0
#: (EPSG:6933, EASE-Grid 2.0 global), as GeoCAT builds it (REFERENCE.md).
AOO_CELL_M = 2000.0
_TO_EASE = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)


def aoo_cell_keys(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unique ids of the 2 x 2 km AOO grid cells containing the given points."""
    if lon.size == 0:
        return np.empty(0, dtype="int64")
    x, y = _TO_EASE.transform(lon, np.clip(lat, -85.0, 85.0))
    ix = np.floor(np.asarray(x) / AOO_CELL_M).astype("int64")
    iy = np.floor(np.asarray(y) / AOO_CELL_M).astype("int64")
    return np.unique(ix * (1 << 32) + (iy + (1 << 31)))


def mask_aoo_keys(src: DemSource, transform: Affine, mask: np.ndarray) -> np.ndarray:
    """AOO cells occupied by the True cells of ``mask``.

    Cells are sampled on a sub-grid finer than 1 km so that a DEM cell larger
    than an AOO cell (a 5′ cell is ~9 km) marks every AOO cell it covers.
    """
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return np.empty(0, dtype="int64")
    size_m = max(abs(transform.a), abs(transform.e)) * (111_320.0 if src.geographic else 1.0)
    k = max(1, math.ceil(size_m / 1000.0))
    offs = (np.arange(k) + 0.5) / k
    keys = []
    # Chunk the sample points to bound memory on big windows.
    step = max(1, 2_000_000 // (k * k))
    for i in range(0, rows.size, step):
        r, c = np.broadcast_arrays(rows[i:i + step, None, None] + offs[None, :, None],
                                   cols[i:i + step, None, None] + offs[None, None, :])
        xs = transform.c + c.ravel() * transform.a
        ys = transform.f + r.ravel() * transform.e
        if not src.geographic:
            xs, ys = src.to_lonlat.transform(xs, ys)
        keys.append(aoo_cell_keys(np.asarray(xs), np.asarray(ys)))
    return np.unique(np.concatenate(keys))


def eoo_km2(geoms: list[shapely.Geometry]) -> float:
    """Extent of occurrence: geodesic area of the convex hull of all ``geoms``.

    Longitudes are unwrapped first when the parts straddle the antimeridian,
    so Chukotka's habitat does not make a hull around the whole globe.
    """
    coords = [shapely.get_coordinates(g) for g in geoms if g is not None and not g.is_empty]
    if not coords:
        return 0.0
    xy = np.concatenate(coords)
    if xy[:, 0].max() - xy[:, 0].min() > 180:
        xy[:, 0] = np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0])
    hull = shapely.multipoints(xy).convex_hull
    if hull.geom_type != "Polygon":
        return 0.0
    return geodesic_area_km2(hull)


def projected_cell_areas_km2(src: DemSource, transform: Affine, mask: np.ndarray) -> np.ndarray:
    """Ellipsoidal area (km^2) of the True cells of a projected DEM's window.

    Nominal cell area times the projection's areal scale factor at each cell
    centre (pyproj ``Proj.get_factors``): exact for equal-area projections,
    within a few parts per million over a cell for conformal ones like UTM.
    """
    rows, cols = np.nonzero(mask)
    xs = transform.c + (cols + 0.5) * transform.a
    ys = transform.f + (rows + 0.5) * transform.e
    lon, lat = src.to_lonlat.transform(xs, ys)
    factors = Proj(src.dataset.crs).get_factors(lon, lat)
    nominal = abs(transform.a * transform.e) / 1e6
    return nominal / np.asarray(factors.areal_scale)


def clip_to(poly: MultiPolygon, region: shapely.Geometry) -> MultiPolygon:
    """Clip cell polygons to ``region``, intersecting only the parts that cross it.

    Parts wholly inside are kept as they are (no overlay for them).
    """
    if poly.is_empty:
        return EMPTY
    parts = shapely.get_parts(poly)
    shapely.prepare(region)
    inside = shapely.contains(region, parts)
    if inside.all():
        return poly
    cut = shapely.intersection(parts[~inside], region)
    return as_multi(shapely.GeometryCollection(list(parts[inside]) + list(cut)))


def unit_habitat(
    geom: shapely.Geometry,
    dems: list[DemSource],
    min_m: float | None,
    max_m: float | None,
    margin_m: float = 100.0,
    *,
    block: int | None = None,
    polygons: bool = True,
    executor=None,
    criteria: tuple = (),
) -> HabitatResult:
    """Habitat of one unit over a stack of DEMs (finest first).

    Runs the tiled engine (:mod:`rangemap.engine`): the unit's window of each DEM is
    read and reduced in blocks of ``block`` x ``block`` cells (default
    :data:`rangemap.engine.BLOCK`), so memory is bounded by the block size.  The
    result equals the single-window computation (:func:`unit_habitat_window`).

    Parameters
    ----------
    geom : shapely geometry
        The range unit, lon/lat (EPSG:4326).
    dems : list of DemSource
        Open DEMs in priority order (finest first).
    min_m, max_m : float or None
        Elevation band in metres, inclusive; ``None`` means open.
    margin_m : float
        Sensitivity margin: areas are also measured with the band widened and
        narrowed by this much at each stated limit.
    block : int, optional
        Block edge in cells.
    polygons : bool
        ``False``: area-only mode; no polygonizing, ``geometry`` is empty and
        ``area_km2`` equals ``cell_area_km2``.
    executor : optional
        From :func:`rangemap.engine.make_executor` (local processes or Dask).
    criteria : tuple of Criterion
        Criteria after the elevation band (:mod:`rangemap.criteria`).

    Returns
    -------
    HabitatResult
    """
    from rangemap import engine

    return engine.habitats([geom], dems, (min_m, max_m), margin_m,
                           block=block or engine.BLOCK, polygons=polygons,
                           executor=executor, criteria=tuple(criteria))[0]


def unit_habitat_window(
    geom: shapely.Geometry,
    dems: list[DemSource],
    min_m: float | None,
    max_m: float | None,
    margin_m: float = 100.0,
) -> HabitatResult:
    """Habitat of one unit, each DEM's window read and polygonized whole.

    The reference implementation the tiled engine is tested against; memory grows
    with the unit's bounding box.

    Parameters
    ----------
    geom : shapely geometry
        The range unit, lon/lat (EPSG:4326).
    dems : list of DemSource
        Open DEMs in priority order (finest first).
    min_m, max_m : float or None
        Elevation band in metres, inclusive; ``None`` means open.
    margin_m : float
        Sensitivity margin: areas are also measured with the band widened and
        narrowed by this much at each stated limit.

    Returns
    -------
    HabitatResult
        Habitat cells as polygons; ``area_km2`` is the geodesic area of that
        geometry and ``cell_area_km2`` the exact area of the chosen cells.
    """
    remaining = geom
    served_fps: list[shapely.Geometry] = []
    pieces: list[MultiPolygon] = []
    cell_area = 0.0
    cells = 0
    total_cells = 0
    covered_cells = 0
    zsum = 0.0
    zmin = math.inf
    zmax = -math.inf
    sources: list[str] = []
    wide = narrow = 0.0
    aoo: list[np.ndarray] = []
    (lo_w, hi_w), (lo_n, hi_n) = margin_bands(min_m, max_m, margin_m)
    for src in dems:
        if remaining.is_empty:
            break
        fp = src.footprint
        part = remaining.intersection(fp)
        if part.is_empty or part.area == 0:
            continue
        part_native = src.native(part)
        win = read_window(src, part_native.bounds)
        if win is None:
            continue
        elev, transform = win
        inside = cells_inside(part_native, elev.shape, transform)
        n_inside = int(inside.sum())
        remaining = remaining.difference(fp)
        served_fps.append(fp)
        if n_inside == 0:
            # The part is thinner than a cell: no cell centre falls in it.
            continue
        sources.append(src.name)
        total_cells += n_inside
        covered_cells += int((inside & ~np.ma.getmaskarray(elev)).sum())
        mask = band_mask(elev, inside, min_m, max_m)
        wide_mask = band_mask(elev, inside, lo_w, hi_w)
        narrow_mask = band_mask(elev, inside, lo_n, hi_n)
        if src.geographic:
            row_area = cell_areas_km2(transform, mask.shape[0])
            wide += float((wide_mask.sum(axis=1) * row_area).sum())
            narrow += float((narrow_mask.sum(axis=1) * row_area).sum())
        else:
            wide += float(projected_cell_areas_km2(src, transform, wide_mask).sum())
            narrow += float(projected_cell_areas_km2(src, transform, narrow_mask).sum())
        n = int(mask.sum())
        if not n:
            continue
        if src.geographic:
            cell_area += float((mask.sum(axis=1) * row_area).sum())
        else:
            cell_area += float(projected_cell_areas_km2(src, transform, mask).sum())
        aoo.append(mask_aoo_keys(src, transform, mask))
        z = np.ma.getdata(elev)[mask].astype("float64")
        zsum += float(z.sum())
        zmin = min(zmin, float(z.min()))
        zmax = max(zmax, float(z.max()))
        cells += n
        poly = as_multi(src.lonlat(polygonize(mask, transform)))
        if len(served_fps) > 1:
            # Coarse cells straddling a finer DEM's edge would be counted twice.
            poly = clip_to(poly, shapely.difference(fp, shapely.union_all(served_fps[:-1])))
        pieces.append(poly)
    geometry = merge_pieces(pieces, served_fps)
    # Share of the unit some DEM covered with data: footprint share x data share.
    in_footprints = 1.0
    if not remaining.is_empty:
        unit_area = geodesic_area_km2(geom)
        in_footprints = 1.0 - geodesic_area_km2(remaining) / unit_area if unit_area else 0.0
    result = HabitatResult(
        geometry=geometry,
        area_km2=polygon_area_km2(geometry),
        cell_area_km2=cell_area,
        cells=cells,
        sources=sources,
        covered_share=in_footprints * (covered_cells / total_cells) if total_cells else 0.0,
        area_wide_km2=wide,
        area_narrow_km2=narrow,
        aoo_keys=np.unique(np.concatenate(aoo)) if aoo else np.empty(0, dtype="int64"),
    )
    result.elevation_km2, result.elevation_cells = result.area_km2, cells
    if cells:
        result.elev_min, result.elev_max, result.elev_mean = zmin, zmax, zsum / cells
    return result


def merge_pieces(pieces: list[MultiPolygon], footprints: list[shapely.Geometry]) -> MultiPolygon:
    """Merge habitat pieces served by different DEMs into one valid MultiPolygon.

    Pieces from different DEMs can share edges along a footprint's boundary,
    which a MultiPolygon may not.  Only the parts that touch a seam are
    unioned; all others are collected as they are.
    """
    if not pieces:
        return EMPTY
    if len(pieces) == 1:
        merged = pieces[0]
    else:
        parts = np.concatenate([shapely.get_parts(p) for p in pieces])
        seams = shapely.union_all([f.boundary for f in footprints])
        near = shapely.dwithin(parts, seams, 1e-9)
        joined = as_multi(shapely.union_all(parts[near])) if near.any() else EMPTY
        merged = MultiPolygon(list(parts[~near]) + list(joined.geoms))
    return as_multi(shapely.orient_polygons(snap(merged)))


def snap(geom: shapely.Geometry, decimals: int = 7) -> shapely.Geometry:
    """Round coordinates to ``decimals`` while keeping the geometry valid.

    Plain rounding can fuse vertices that were 1e-10° apart (where cells of
    two DEMs meet) into a self-intersection; GEOS snap-rounding does not.
    """
    if geom is None or geom.is_empty:
        return geom
    try:
        return shapely.set_precision(geom, 10.0**-decimals)
    except shapely.errors.GEOSException:
        return shapely.make_valid(shapely.transform(geom, lambda xy: np.round(xy, decimals)))


def as_multi(geom: shapely.Geometry) -> MultiPolygon:
    """Keep the polygonal parts of ``geom`` as a MultiPolygon."""
    if geom is None or geom.is_empty:
        return EMPTY
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return MultiPolygon([geom])
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    out: list = []
    for p in polys:
        out.extend(getattr(p, "geoms", [p]))
    return MultiPolygon(out)
