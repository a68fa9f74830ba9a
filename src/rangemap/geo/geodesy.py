"""Geodesy and IUCN area metrics on the WGS84 ellipsoid: pure functions, no raster I/O.

* Exact ellipsoidal areas of lon/lat cells, per raster row (:func:`cell_areas_km2`,
  :func:`zone_area`), and of polygons made of cell edges, in closed form
  (:func:`polygon_areas_km2`); other polygons are densified and measured geodesically
  (:func:`geodesic_area_km2`).  ``docs/DESIGN.md``, "Areas", gives the rule.
* Cell areas of a projected DEM from the projection's areal scale factor
  (:func:`projected_cell_areas_km2`).
* AOO (occupied cells of the IUCN 2 x 2 km EASE-Grid 2.0 grid) and EOO (geodesic area
  of the convex hull).

Functions that take a DEM use only its georeferencing (``geographic``, ``to_lonlat``,
``dataset.crs``); opening rasters is :mod:`rangemap.rasters.dem`'s job.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import shapely
from affine import Affine
from pyproj import Geod, Proj, Transformer

from rangemap.geo.antimeridian import unwrap_xy

if TYPE_CHECKING:  # annotations only: geodesy never opens a raster
    from rangemap.rasters.dem import DemSource

# WGS84 ellipsoid.
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
_E2 = WGS84_F * (2 - WGS84_F)
_E = math.sqrt(_E2)
_B = WGS84_A * (1 - WGS84_F)
_GEOD = Geod(ellps="WGS84")


def zone_area(lat_deg: np.ndarray) -> np.ndarray:
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
    zones = zone_area(edges)
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
    the equator and ``lat`` per radian (:func:`zone_area`), edges along parallels
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
    z = zone_area(lat) - zone_area(ref[rr])
    ring_area = np.abs(np.bincount(rr, weights=-np.radians(dx[horiz]) * z,
                                   minlength=rings.size)) / 1e6
    signed = np.where(shell, ring_area, -ring_area)
    out += np.bincount(gidx[pidx], weights=signed, minlength=geoms.size)
    for i in np.flatnonzero(bent):
        out[i] = geodesic_area_km2(geoms[i])
    return out


def grid_rings_area_km2(x: np.ndarray, y: np.ndarray, row: np.ndarray, ring: np.ndarray,
                        shell: np.ndarray) -> float:
    """WGS84 area (km^2) of traced lon/lat cell-edge rings, without making geometries.

    ``x``, ``y``: the vertices (lon/lat, rings not closed, each ring's vertices in
    order), ``row``: each vertex's integer raster row (equal ``y`` on equal rows),
    ``ring``: each vertex's ring (0, 1, ... contiguous), ``shell``: per ring, whether it
    is a shell (else a hole).  Every edge must run along a parallel or a meridian.

    The same operations, in the same order, as :func:`polygon_areas_km2` on the
    polygons these rings make (so the same float): each ring's edges along parallels
    weighted by ``Z(lat) - Z(first lat)``, summed per ring, rings signed and summed in
    order.  ``Z`` is computed once per raster row instead of once per edge.
    """
    n = x.size
    if n == 0:
        return 0.0
    from rangemap.geo.gridpoly import _JIT

    jit = _JIT[0] if _JIT else None
    if jit is not None:  # loaded by the tracer: the same operations in a compiled loop
        r0 = int(row.min())
        lat = np.empty(int(row.max()) - r0 + 1)
        lat[row - r0] = y
        return float(jit.rings_area_sum(x, y, row, ring, np.asarray(shell, dtype=bool),
                                        zone_area(lat), r0))
    return grid_rings_area_numpy(x, y, row, ring, shell)


def grid_rings_area_numpy(x: np.ndarray, y: np.ndarray, row: np.ndarray, ring: np.ndarray,
                          shell: np.ndarray) -> float:
    """:func:`grid_rings_area_km2` in numpy (without numba; the compiled loop's reference)."""
    n = x.size
    if n == 0:
        return 0.0
    first = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    nxt = np.arange(1, n + 1)
    nxt[np.r_[first[1:], n] - 1] = first  # the closing edge, back to the ring's start
    horiz = np.flatnonzero(y[nxt] == y)
    dx = x[nxt[horiz]] - x[horiz]
    r0 = int(row.min())
    lat = np.empty(int(row.max()) - r0 + 1)
    lat[row - r0] = y
    z_row = zone_area(lat)
    rr = ring[horiz]
    z = z_row[row[horiz] - r0] - z_row[row[first] - r0][rr]
    ring_area = np.abs(np.bincount(rr, weights=-np.radians(dx) * z,
                                   minlength=first.size)) / 1e6
    signed = np.where(shell, ring_area, -ring_area)
    return float(np.bincount(np.zeros(first.size, dtype=np.intp), weights=signed)[0])


def polygon_area_km2(geom: shapely.Geometry) -> float:
    """WGS84 area (km^2) of one lon/lat geometry (see :func:`polygon_areas_km2`)."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(polygon_areas_km2([geom])[0])


#: IUCN AOO grid: 2 km cells of an equal-area cylindrical projection anchored at 0,0
#: (EPSG:6933, EASE-Grid 2.0 global), as GeoCAT builds it (REFERENCE.md).
AOO_CELL_M = 2000.0
TO_EASE = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)


def aoo_cell_keys(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unique ids of the 2 x 2 km AOO grid cells containing the given points."""
    if lon.size == 0:
        return np.empty(0, dtype="int64")
    x, y = TO_EASE.transform(lon, np.clip(lat, -85.0, 85.0))
    ix = np.floor(np.asarray(x) / AOO_CELL_M).astype("int64")
    iy = np.floor(np.asarray(y) / AOO_CELL_M).astype("int64")
    return np.unique(ix * (1 << 32) + (iy + (1 << 31)))


#: Sample points of :func:`mask_aoo_keys` projected at a time.
AOO_SAMPLE_POINTS = 250_000


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
    # Chunk the sample points to bound memory on big windows: a chunk's points take ~10
    # float64/int64 arrays on the way to keys.  Antarctica above 3,000 m on the 5' DEM
    # (178,311 cells, 100 points each): the engine's run peaked 164 MB above the process
    # with chunks of 2,000,000 points, 76 MB with 250,000 (100,000: also 76); same keys.
    # A build of 1,000 random taxa met it, and the peak of the batch was that unit's.
    step = max(1, AOO_SAMPLE_POINTS // (k * k))
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
        xy = unwrap_xy(xy)
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
