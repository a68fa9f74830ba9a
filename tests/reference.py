"""Test-only reference engine: one unit's habitat from each DEM's window read whole.

The single-window computation the tiled engine (:mod:`rangemap.engine`) is tested
against, cell for cell: it rasterizes the unit with GDAL's centre rule, applies the band,
measures the cells exactly (:mod:`rangemap.geo.geodesy`) and polygonizes them with GDAL's
polygonizer (the tracer in :mod:`rangemap.geo.gridpoly` is checked against it).  Memory grows
with the unit's bounding box, which is why production never uses it.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from affine import Affine
from rasterio import features
from shapely.geometry import MultiPolygon, shape

from rangemap.bands import margin_bands
from rangemap.geo.geodesy import (
    cell_areas_km2,
    geodesic_area_km2,
    mask_aoo_keys,
    polygon_area_km2,
    projected_cell_areas_km2,
)
from rangemap.geo.shapes import EMPTY, as_multi, clip_to, merge_pieces
from rangemap.model import HabitatResult
from rangemap.rasters.dem import DemSource, read_window


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
        result.habitat_elev_min, result.habitat_elev_max = zmin, zmax
        result.habitat_elev_mean = zsum / cells
    return result


# ------------------------------------------------- the tracer before issue 13

_EMPTY_RUNS = np.empty(0, dtype="int64")


def _pj_cycle_labels(succ: np.ndarray) -> np.ndarray:
    """Smallest index on each element's cycle of the permutation ``succ``."""
    lab = np.arange(succ.size, dtype=succ.dtype)
    nxt = succ.copy()
    while True:
        new = np.minimum(lab, lab[nxt])
        if np.array_equal(new, lab):
            return lab
        lab = new
        nxt = nxt[nxt]


def _pj_steps_to_tail(succ: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """Steps from each element to the last one of its cycle (the one before its label)."""
    n = succ.size
    idx = np.arange(n, dtype=succ.dtype)
    tail = succ == lab  # the element whose successor is the cycle's head
    nxt = np.where(tail, idx, succ)
    dist = (~tail).astype(np.int64)
    while True:
        nn = nxt[nxt]
        if np.array_equal(nn, nxt):
            return dist
        dist = dist + dist[nxt]
        nxt = nn


def pointer_jumping_trace(runs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`rangemap.geo.gridpoly.trace` as it was before issue 13's speed-up.

    Pointer jumping over every run for the ring labels and positions, ``searchsorted`` for
    the successors, one ``lexsort`` of every run for the order.  The tracer must give
    exactly these arrays.

    Returns
    -------
    (x, y, ring, poly)
        Vertex coordinates (int64 pixel coordinates, rings not closed, no collinear
        vertices), the ring of each vertex (0, 1, ... in order) and the polygon of each
        ring (0, 1, ...; the first ring of each polygon is its shell).
    """
    x0, y0, x1, y1 = runs
    n = x0.size
    if n == 0:
        return _EMPTY_RUNS, _EMPTY_RUNS, _EMPTY_RUNS, _EMPTY_RUNS
    it = np.int32 if n < 2**31 - 1 else np.int64
    ox, oy = min(x0.min(), x1.min()), min(y0.min(), y1.min())
    w = int(max(x0.max(), x1.max()) - ox) + 1
    ks = (y0 - oy) * w + (x0 - ox)
    ke = (y1 - oy) * w + (x1 - ox)
    order = np.argsort(ks, kind="stable").astype(it)
    kss = ks[order]
    lo = np.searchsorted(kss, ke, "left")
    cnt = np.searchsorted(kss, ke, "right") - lo
    if (cnt < 1).any() or (cnt > 2).any():
        raise ValueError("boundary runs do not close into rings")
    sx, sy = np.sign(x1 - x0), np.sign(y1 - y0)
    succ = order[lo]
    two = np.flatnonzero(cnt == 2)
    if two.size:
        # Saddle: turn around the same True cell (4-connectivity): the next run heads
        # towards this run's True side (dy, -dx).
        c2 = order[lo[two] + 1]
        pick2 = (sx[c2] == sy[two]) & (sy[c2] == -sx[two])
        succ[two] = np.where(pick2, c2, succ[two])
    lab = _pj_cycle_labels(succ)
    if two.size:
        # Both turns of a saddle on one ring: the ring touches itself there.  Swapping
        # the two successors splits it into two rings meeting at that corner.
        t = two[np.argsort(ke[two], kind="stable")]
        a, b = t[0::2], t[1::2]
        pinch = lab[a] == lab[b]
        if pinch.any():
            a, b = a[pinch], b[pinch]
            succ[a], succ[b] = succ[b], succ[a].copy()
            lab = _pj_cycle_labels(succ)
    dist = _pj_steps_to_tail(succ, lab)
    # Shells have a negative shoelace sum (see module docstring), holes a positive one.
    area2 = np.bincount(lab, weights=(x0 * y1 - x1 * y0).astype("float64"), minlength=n)
    heads = np.flatnonzero(lab == np.arange(n))
    hole = np.zeros(n, dtype=bool)
    hole[heads] = area2[heads] > 0
    owner = np.arange(n, dtype=np.int64)
    if hole[heads].any():
        owner = _pj_hole_owners(x0, y0, x1, y1, lab, hole, ox, oy, w)
    # Order: polygon (by its shell), shell before holes, ring, position in ring.
    order = np.lexsort((-dist, lab, hole[lab], owner[lab]))
    lab_o = lab[order]
    vx, vy = x0[order], y0[order]
    dx, dy = sx[order], sy[order]
    # Drop collinear vertices (runs split at block borders): same heading as the run
    # before it in the ring.
    first = np.ones(n, dtype=bool)
    first[1:] = lab_o[1:] != lab_o[:-1]
    start = np.flatnonzero(first)
    last = np.r_[start[1:], n] - 1
    prev = np.arange(n) - 1
    prev[start] = last
    keep = (dx != dx[prev]) | (dy != dy[prev])
    vx, vy, lab_o = vx[keep], vy[keep], lab_o[keep]
    rfirst = np.ones(lab_o.size, dtype=bool)
    rfirst[1:] = lab_o[1:] != lab_o[:-1]
    ring = np.cumsum(rfirst) - 1
    ring_heads = lab_o[rfirst]
    shell_of = owner[ring_heads]
    pfirst = np.ones(ring_heads.size, dtype=bool)
    pfirst[1:] = shell_of[1:] != shell_of[:-1]
    poly = np.cumsum(pfirst) - 1
    return vx, vy, ring, poly


def _pj_hole_owners(x0, y0, x1, y1, lab, hole, ox, oy, w):
    """Shell ring (label) of every ring: itself for shells, the enclosing shell for holes."""
    n = x0.size
    vert = np.flatnonzero(x0 == x1)
    ya = np.minimum(y0[vert], y1[vert])
    ln = np.abs(y1[vert] - y0[vert])
    # Every vertical unit edge: (row, x) key and its ring.
    rep = np.repeat(np.arange(vert.size), ln)
    rows = ya[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(ln) - ln, ln))
    keys = (rows - oy) * w + (x0[vert][rep] - ox)
    ring_of = lab[vert][rep]
    o = np.argsort(keys, kind="stable")
    keys, ring_of = keys[o], ring_of[o]
    # Each hole's leftmost vertical run (smallest x; any of them).
    hv = vert[hole[lab[vert]]]
    o = np.lexsort((x0[hv], lab[hv]))
    hv = hv[o]
    firsts = hv[np.r_[True, lab[hv][1:] != lab[hv][:-1]]]
    q = (np.minimum(y0[firsts], y1[firsts]) - oy) * w + (x0[firsts] - ox)
    i = np.searchsorted(keys, q, "left") - 1
    if (i < 0).any() or (keys[np.maximum(i, 0)] // w != q // w).any():
        raise ValueError("a hole has no boundary to its left")
    par = np.arange(n, dtype=np.int64)
    par[lab[firsts]] = ring_of[i]
    # A hole whose left neighbour is another hole of the same polygon takes that
    # hole's owner; x strictly decreases along the chain, so it ends at a shell.
    while True:
        nxt = par[par]
        if np.array_equal(nxt, par):
            break
        par = nxt
    return par

