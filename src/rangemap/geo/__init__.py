"""Geometry on the ellipsoid and in pixel space: areas, AOO and EOO (:mod:`.geodesy`),
polygonal parts, clipping and the antimeridian (:mod:`.shapes`), the boundary tracer
(:mod:`.gridpoly`).  Pure: no files are read or written here.
"""
