"""Geometry helpers shared by the stages: polygonal parts, antimeridian wrapping.

Pure shapely, no I/O; the lowest geometry layer (ranges, habitat and the
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


_WORLD = shapely.box(-180, -90, 180, 90)


def wrap_antimeridian(geom: shapely.Geometry) -> shapely.Geometry:
    """Bring longitudes beyond ±180 back into range, cutting at the antimeridian.

    A range drawn across the antimeridian with continuous longitudes
    (170..190 E, as some tools write Chukotka or Fiji) becomes two parts
    either side of ±180, as RFC 7946 wants and the DEMs expect.
    """
    if geom is None or geom.is_empty:
        return geom
    x0, _, x1, _ = geom.bounds
    if x0 >= -180 and x1 <= 180:
        return geom
    parts = []
    for shift in range(-720, 721, 360):
        if x0 + shift > 180 or x1 + shift < -180:
            continue
        moved = shapely.transform(geom, lambda xy, d=shift: xy + np.array([d, 0.0]))
        piece = moved.intersection(_WORLD)
        if not piece.is_empty:
            parts.append(piece)
    return shapely.union_all(parts) if parts else geom
