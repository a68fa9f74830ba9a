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
