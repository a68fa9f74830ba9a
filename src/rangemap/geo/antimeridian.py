"""The antimeridian, in one place: wrapping shapes drawn beyond ±180°, unwrapping
longitudes to 0..360° where a shape straddles ±180° (for clipping, hulls and display),
and wrapping them back.

Pure shapely and numpy.  Natural Earth boundaries already stop at ±180°; ranges drawn
with continuous longitudes (170..190 E) do not, and a taxon in Chukotka or Fiji has
parts on both sides.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

_WORLD = shapely.box(-180, -90, 180, 90)
_EAST = np.array([360.0, 0.0])


def straddles(geom: shapely.Geometry) -> bool:
    """True for a geometry with parts on both sides of ±180 (x-span above 180°)."""
    if geom is None or geom.is_empty:
        return False
    x0, _, x1, _ = geom.bounds
    return x1 - x0 > 180 or (x0 <= -179.999 and x1 >= 179.999)


def unwrap_xy(xy: np.ndarray) -> np.ndarray:
    """Longitudes west of 0° moved by +360° (a copy): ±180 becomes a plain 180°."""
    xy = np.array(xy, dtype=float)
    xy[xy[:, 0] < 0, 0] += 360.0
    return xy


def wrap_xy(xy: np.ndarray) -> np.ndarray:
    """The inverse of :func:`unwrap_xy`: longitudes beyond 180° moved by -360° (a copy)."""
    xy = np.array(xy, dtype=float)
    xy[xy[:, 0] > 180, 0] -= 360.0
    return xy


def unwrap(geom: shapely.Geometry) -> shapely.Geometry:
    """``geom`` with every vertex west of 0° moved by +360° (see :func:`unwrap_xy`)."""
    return shapely.transform(geom, unwrap_xy)


def rewrap(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """Cut an unwrapped shape at 180° and move the eastern side back to negative
    longitudes; the polygonal parts with area, as a MultiPolygon."""
    west = shapely.intersection(geom, _WORLD)
    east = shapely.intersection(geom, shapely.box(180, -90, 540, 90))
    # The whole eastern side moves, its vertices on 180° too: moving only x > 180 (as
    # wrap_xy does) would stretch a part from 180° back to -170° across the globe.
    east = shapely.transform(east, lambda xy: xy - _EAST)
    polys = [p for p in shapely.get_parts(shapely.union_all([west, east]))
             if p.geom_type == "Polygon" and p.area > 0]
    return shapely.MultiPolygon(polys)


def wrap(geom: shapely.Geometry) -> shapely.Geometry:
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


def shift_west_parts(geom: Any, force: bool = False) -> Any:
    """For display: move the western-hemisphere parts of a geometry that straddles ±180
    by +360°, so a map draws Chukotka beside the rest of Russia, not beside Alaska.

    ``force`` shifts the western parts even if ``geom`` alone does not straddle (the
    habitat of a unit whose range does).
    """
    if geom is None or geom.is_empty or not (force or straddles(geom)):
        return geom
    parts = shapely.get_parts(geom)
    west = shapely.bounds(parts)[:, 2] <= 0
    if not west.any():
        return geom
    moved = shapely.transform(parts[west], lambda xy: xy + _EAST)
    out = np.concatenate([parts[~west], moved])
    return type(geom)(list(out)) if geom.geom_type.startswith("Multi") else out[0]


def with_shifted_copies(polys: np.ndarray, west_of: float = -150.0) -> np.ndarray:
    """Polygons plus copies, shifted by +360°, of their parts west of ``west_of``.

    So that a view unwrapped across the antimeridian still shows the outlines
    there; parts outside a view are clipped away anyway.
    """
    west = shapely.clip_by_rect(polys, -180, -90, west_of, 90)
    west = west[~shapely.is_empty(west)]
    shifted = shapely.transform(west, lambda xy: xy + _EAST)
    return np.concatenate([polys, shifted])
