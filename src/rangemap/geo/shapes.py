"""Geometry helpers shared by the stages: polygonal parts, clipping, merging and
snapping habitat pieces (the antimeridian: :mod:`rangemap.geo.antimeridian`).

Pure shapely, no I/O; the lowest geometry layer (ranges, the engine and the
pipeline use it, it uses none of them).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

EMPTY = MultiPolygon()


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
