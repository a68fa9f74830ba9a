"""The antimeridian rules (rangemap.geo.antimeridian): wrap, unwrap and back, display shift."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from rangemap.geo import antimeridian
from rangemap.geo.geodesy import eoo_km2


def test_wrap_cuts_a_shape_drawn_beyond_180() -> None:
    g = antimeridian.wrap(box(170, 60, 190, 70))
    parts = sorted(p.bounds for p in shapely.get_parts(g))
    assert parts == [pytest.approx((-180, 60, -170, 70)), pytest.approx((170, 60, 180, 70))]
    plain = box(10, 0, 20, 5)
    assert antimeridian.wrap(plain) is plain


def test_unwrap_then_rewrap_gives_the_parts_back() -> None:
    g = MultiPolygon([box(170, 60, 180, 70), box(-180, 60, -170, 70)])
    assert antimeridian.straddles(g)
    un = antimeridian.unwrap(g)
    assert un.bounds == pytest.approx((170, 60, 190, 70))
    back = antimeridian.rewrap(un)
    assert back.symmetric_difference(g).area == pytest.approx(0, abs=1e-9)
    assert not antimeridian.straddles(box(-10, 0, 10, 5))


def test_xy_helpers_copy_and_invert() -> None:
    xy = np.array([[-170.0, 0.0], [170.0, 1.0]])
    un = antimeridian.unwrap_xy(xy)
    assert un[:, 0].tolist() == [190.0, 170.0] and xy[0, 0] == -170.0
    assert antimeridian.wrap_xy(un).tolist() == xy.tolist()


def test_display_shift_moves_western_parts_only_when_straddling_or_forced() -> None:
    p = box(-179, 60, -178, 61)
    assert antimeridian.shift_west_parts(p) is p
    assert antimeridian.shift_west_parts(p, force=True).bounds == pytest.approx((181, 60, 182, 61))
    g = MultiPolygon([box(175, 64, 180, 68), box(-180, 64, -175, 68)])
    assert antimeridian.shift_west_parts(g).bounds == pytest.approx((175, 64, 185, 68))


def test_shifted_copies_add_outlines_east_of_180() -> None:
    polys = np.array([box(-180, 60, -160, 70), box(10, 0, 20, 5)])
    out = antimeridian.with_shifted_copies(polys)
    assert len(out) == 3 and out[-1].bounds == pytest.approx((180, 60, 200, 70))


def test_hull_of_parts_across_180_is_not_the_whole_globe() -> None:
    g = MultiPolygon([box(179, 60, 180, 61), box(-180, 60, -179, 61)])
    assert eoo_km2([g]) == pytest.approx(eoo_km2([box(179, 60, 181, 61)]), rel=1e-9)
