"""Habitat engine: cell areas, band rule, clipping, DEM priority, invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import box

from rangemap.engine import unit_habitat
from rangemap.errors import DataError
from rangemap.geo.geodesy import aoo_cell_keys, cell_areas_km2, eoo_km2, geodesic_area_km2
from rangemap.geo.shapes import merge_pieces
from rangemap.model import HabitatResult
from rangemap.rasters.dem import DemStack, open_dem
from tests.helpers import ramp_dem, write_dem
from tests.reference import band_mask

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("lat", [-89.5, -45.25, 0.0, 27.9, 35.0, 60.0, 84.9])
@pytest.mark.parametrize("res", [1.0, 1 / 12, 1 / 120])
def test_cell_area_matches_pyproj(lat: float, res: float) -> None:
    t = Affine(res, 0, 10.0, 0, -res, lat + res)
    ours = cell_areas_km2(t, 1)[0]
    # pyproj measures geodesic edges; a densified ring follows the parallels.
    ring = shapely.segmentize(box(10, lat, 10 + res, lat + res), res / 200)
    ref = abs(GEOD.geometry_area_perimeter(ring)[0]) / 1e6
    assert ours == pytest.approx(ref, rel=1e-5)


def test_cell_areas_sum_to_the_ellipsoid() -> None:
    rows = cell_areas_km2(Affine(1, 0, -180, 0, -1, 90), 180)
    assert rows.sum() * 360 == pytest.approx(510_065_621.7, rel=1e-9)


@pytest.mark.parametrize(
    "lo, hi, expected",
    [
        (None, None, 3),  # everything inside with data
        (200, None, 2),  # inclusive lower bound
        (None, 200, 2),  # inclusive upper bound
        (200, 200, 1),
        (301, None, 0),
    ],
)
def test_band_mask_inclusive_and_nodata(lo, hi, expected) -> None:
    z = np.ma.array([[100, 200, 300, 999]], mask=[[False, False, False, True]])
    z = np.ma.concatenate([z, np.ma.array([[300]])], axis=1)  # 5 cells, one nodata
    inside = np.array([[True, True, True, True, False]])
    assert int(band_mask(z, inside, lo, hi).sum()) == expected


@pytest.mark.parametrize(
    "unit, lo, hi, cells",
    [
        # z = 1000*col + 100*row; cols 0..7 west->east, rows 0..7 north->south
        (box(0, 0, 8, 8), 4000, None, 32),  # cols 4..7
        (box(0, 0, 8, 8), 4000, 5700, 16),  # cols 4..5 (5700 = col 5, row 7)
        (box(0, 0, 4, 8), 4000, None, 0),  # unit entirely below the limit
        (box(4, 4, 8, 8), 0, None, 16),
        (box(4.6, 4, 8, 8), 0, None, 12),  # centres at 4.5 fall outside
        (box(4.4, 4, 8, 8), 0, None, 16),  # centres at 4.5 fall inside
        (box(0.1, 0.1, 0.2, 0.2), 0, None, 0),  # smaller than a cell, no centre
    ],
)
def test_unit_habitat_counts_cells_by_centre(tiny_world, unit, lo, hi, cells) -> None:
    with DemStack([tiny_world["dem"]]) as stack:
        res = unit_habitat(unit, list(stack), lo, hi)
    assert res.cells == cells
    assert res.geometry.is_valid
    # Whole cells whose centre is in the unit: at most half a cell outside it.
    assert res.geometry.difference(unit.buffer(0.5, join_style="mitre")).area < 1e-9
    assert res.area_km2 == pytest.approx(res.cell_area_km2, rel=1e-4, abs=1e-9)
    if cells == 0:
        assert res.geometry.is_empty and res.area_km2 == 0


def test_area_is_geodesic_and_matches_cells_for_aligned_units(tiny_world) -> None:
    unit = box(4, 0, 8, 8)
    with DemStack([tiny_world["dem"]]) as stack:
        res = unit_habitat(unit, list(stack), 0, None)
    assert res.area_km2 == pytest.approx(res.cell_area_km2, rel=1e-4)
    assert res.area_km2 == pytest.approx(geodesic_area_km2(unit), rel=1e-4)
    assert res.habitat_elev_min == 4000 and res.habitat_elev_max == 7700
    assert res.covered_share == 1.0
    # Counter-clockwise exterior rings (RFC 7946).
    for poly in res.geometry.geoms:
        assert poly.exterior.is_ccw


def test_finer_dem_wins_where_it_covers(tmp_path) -> None:
    coarse = write_dem(tmp_path / "coarse.tif", np.full((4, 4), 3000, "int16"), 0, 8, 2)
    # Fine DEM covers only 0..2E x 6..8N and says "low" there.
    fine = write_dem(tmp_path / "fine.tif", np.full((4, 4), 100, "int16"), 0, 8, 0.5)
    with DemStack([coarse, fine]) as stack:
        assert [s.name for s in stack] == ["fine", "coarse"]
        res = unit_habitat(box(0, 0, 8, 8), list(stack), 2500, None)
    assert res.sources == ["fine", "coarse"]
    assert res.geometry.is_valid
    assert res.geometry.intersection(box(0, 6, 2, 8)).area == pytest.approx(0)
    assert res.geometry.area == pytest.approx(64 - 4)


def test_unaligned_coarse_cells_are_not_double_counted(tmp_path) -> None:
    coarse = write_dem(tmp_path / "coarse.tif", np.full((4, 4), 3000, "int16"), 0, 8, 2)
    fine = write_dem(tmp_path / "fine.tif", np.full((6, 6), 3000, "int16"), 0, 8, 0.5)
    # Fine covers 0..3E x 5..8N, which cuts coarse cells in half.
    with DemStack([coarse, fine]) as stack:
        res = unit_habitat(box(0, 0, 8, 8), list(stack), 2500, None)
    assert res.geometry.is_valid
    assert res.geometry.area <= 64 + 1e-9
    assert len(res.geometry.geoms) == 1


def test_nodata_never_counts_and_coverage_is_reported(tmp_path) -> None:
    arr = np.full((8, 8), 5000, "int16")
    arr[:, :4] = -32768
    dem = write_dem(tmp_path / "holes.tif", arr, 0, 8, 1)
    with DemStack([dem]) as stack:
        res = unit_habitat(box(0, 0, 8, 8), list(stack), 0, None)
    assert res.cells == 32
    assert res.covered_share == pytest.approx(0.5)


def test_unit_partly_outside_every_dem(tiny_world) -> None:
    with DemStack([tiny_world["dem"]]) as stack:
        res = unit_habitat(box(4, 0, 12, 8), list(stack), 0, None)
    assert res.cells == 32
    assert 0.45 < res.covered_share < 0.55


def test_merge_pieces_makes_valid_multipolygon() -> None:
    a = shapely.MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)])
    b = shapely.MultiPolygon([box(1, 0, 2, 1)])
    merged = merge_pieces([a, b], [box(0, 0, 1, 8)])
    assert merged.is_valid
    assert len(merged.geoms) == 2
    assert merged.area == pytest.approx(3)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.tif", "DEM not found"),
        (lambda p: (p / "junk.tif").write_bytes(b"not a tiff") and p / "junk.tif",
         "cannot read DEM"),
        (lambda p: write_dem(p / "nocrs.tif", ramp_dem(), 0, 8, 1, crs=None), "has no CRS"),
    ],
)
def test_bad_dems_raise_data_error(tmp_path, make, message) -> None:
    path = make(tmp_path)
    with pytest.raises(DataError, match=message) as exc:
        open_dem(path)
    assert str(path) in str(exc.value)


unit_boxes = st.tuples(
    st.floats(0, 7.5), st.floats(0, 7.5), st.floats(0.1, 8), st.floats(0.1, 8)
).map(lambda t: box(t[0], t[1], min(8.0, t[0] + t[2]), min(8.0, t[1] + t[3])))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unit=unit_boxes, lo=st.integers(0, 8000), step=st.integers(1, 3000))
def test_invariants_subset_and_monotone(tiny_world, unit, lo, step) -> None:
    with DemStack([tiny_world["dem"]]) as stack:
        low = unit_habitat(unit, list(stack), lo, None)
        high = unit_habitat(unit, list(stack), lo + step, None)
    for res in (low, high):
        assert res.geometry.is_valid
        # Habitat is made of cells whose centres lie in the unit.
        assert res.geometry.difference(unit.buffer(0.5, join_style="mitre")).area <= 1e-9
        centres = shapely.points(
            [(x + 0.5, y + 0.5) for x in range(8) for y in range(8)])
        inside_centres = centres[shapely.contains_xy(res.geometry, *np.array(
            [(p.x, p.y) for p in centres]).T)]
        assert all(unit.covers(c) for c in inside_centres)
    # Raising the threshold never adds habitat.
    assert high.area_km2 <= low.area_km2 + 1e-6
    assert high.cells <= low.cells
    assert not math.isnan(low.area_km2)


def _smooth_dem(tmp_path):
    """A lon/lat DEM over 86-87E x 27-28N (0.005 deg cells) with hills around 2,500 m."""
    n = 200
    lon = 86 + (np.arange(n) + 0.5) / n
    lat = 28 - (np.arange(n) + 0.5) / n
    xx, yy = np.meshgrid(lon, lat)
    z = 2400 + 900 * np.sin(xx * 9) * np.cos(yy * 7) + 300 * (xx - 86)
    return write_dem(tmp_path / "geo.tif", z.astype("float32"), 86, 28, 1 / n, nodata=-9999)


def test_projected_dem_matches_its_geographic_twin(tmp_path) -> None:
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    geo = _smooth_dem(tmp_path)
    utm = tmp_path / "utm.tif"
    with rasterio.open(geo) as src:
        t, w, h = calculate_default_transform(src.crs, "EPSG:32645", src.width, src.height,
                                              *src.bounds, resolution=250)
        prof = src.profile | {"crs": "EPSG:32645", "transform": t, "width": w, "height": h}
        with rasterio.open(utm, "w", **prof) as dst:
            reproject(rasterio.band(src, 1), rasterio.band(dst, 1), dst_nodata=-9999,
                      resampling=Resampling.bilinear)
    unit = shapely.Polygon([(86.1, 27.1), (86.9, 27.2), (86.8, 27.9), (86.2, 27.8)])
    with DemStack([geo]) as a, DemStack([utm]) as b:
        assert not b.sources[0].geographic
        ra = unit_habitat(unit, list(a), 2500, None)
        rb = unit_habitat(unit, list(b), 2500, None)
    assert rb.area_km2 == pytest.approx(ra.area_km2, rel=0.01)
    assert rb.cell_area_km2 == pytest.approx(rb.area_km2, rel=0.01)
    assert rb.geometry.is_valid
    assert rb.geometry.difference(unit.buffer(0.01)).area < 1e-9  # back in lon/lat


def test_two_resolutions_mosaic_finest_first(tmp_path) -> None:
    """A fine DEM over part of a unit and a coarse one everywhere: areas add up."""
    geo = _smooth_dem(tmp_path)
    coarse = tmp_path / "coarse.tif"
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(geo) as src:
        z = src.read(1, out_shape=(20, 20), resampling=Resampling.average)
    write_dem(coarse, z.astype("float32"), 86, 28, 0.05, nodata=-9999)
    west = shapely.box(86, 27, 86.5, 28)
    fine = tmp_path / "fine_west.tif"
    with rasterio.open(geo) as src:
        write_dem(fine, src.read(1)[:, :100], 86, 28, 0.005, nodata=-9999)
    unit = shapely.box(86.05, 27.05, 86.95, 27.95)
    with DemStack([coarse, fine]) as both, DemStack([geo]) as full:
        mixed = unit_habitat(unit, list(both), 2500, None)
        ref = unit_habitat(unit, list(full), 2500, None)
        fine_only = unit_habitat(unit.intersection(west), list(full), 2500, None)
    assert mixed.sources == ["fine_west", "coarse"]
    assert mixed.geometry.is_valid
    # The west half is exactly the fine answer; the whole is close to the all-fine answer.
    assert mixed.geometry.intersection(west).area == pytest.approx(
        fine_only.geometry.intersection(west).area, rel=1e-6)
    assert mixed.area_km2 == pytest.approx(ref.area_km2, rel=0.05)


def test_aoo_cell_keys_grid() -> None:
    # EPSG:6933 x = R * lon (rad) near the equator: 2 km ~ 0.01865 deg.
    assert len(aoo_cell_keys(np.array([0.001, 0.002, 0.003]), np.array([0.001] * 3))) == 1
    assert len(aoo_cell_keys(np.array([0.001, 0.03]), np.array([0.001, 0.001]))) == 2
    assert len(aoo_cell_keys(np.array([]), np.array([]))) == 0


def test_aoo_covers_habitat_and_is_not_much_larger(tiny_world) -> None:
    with DemStack([tiny_world["dem"]]) as stack:
        res = unit_habitat(box(4, 4, 8, 8), list(stack), 0, None)
    # Every habitat km2 lies in some occupied 2x2 km cell; the excess is the ragged edge.
    assert res.aoo_km2 >= res.cell_area_km2
    assert res.aoo_km2 <= res.cell_area_km2 * 1.02


def test_eoo_and_largest_patch() -> None:
    tri = shapely.MultiPolygon([box(0, 0, 1, 1), box(3, 0, 4, 1)])
    res = HabitatResult(geometry=tri)
    assert res.eoo_km2 == pytest.approx(geodesic_area_km2(box(0, 0, 4, 1)), rel=1e-6)
    assert res.largest_patch_km2 == pytest.approx(geodesic_area_km2(box(3, 0, 4, 1)), rel=1e-6)
    # Parts either side of the antimeridian: a hull 10 deg wide, not 360.
    east, west = box(175, 60, 180, 61), box(-180, 60, -175, 61)
    assert eoo_km2([east, west]) == pytest.approx(
        geodesic_area_km2(box(175, 60, 185, 61)), rel=1e-6)
    assert eoo_km2([]) == 0.0


@pytest.mark.parametrize("margin, wide_cells, narrow_cells", [(100, 32, 31), (1000, 40, 24)])
def test_margin_sensitivity(tiny_world, margin, wide_cells, narrow_cells) -> None:
    with DemStack([tiny_world["dem"]]) as stack:
        res = unit_habitat(box(0, 0, 8, 8), list(stack), 4000, None, margin_m=margin)
    rows = cell_areas_km2(Affine(1, 0, 0, 0, -1, 8), 8)
    # z = 1000*col + 100*row: count cells per row directly.
    z = ramp_dem()
    wide = float(((z >= 4000 - margin).sum(axis=1) * rows).sum())
    narrow = float(((z >= 4000 + margin).sum(axis=1) * rows).sum())
    assert int((z >= 4000 - margin).sum()) == wide_cells
    assert int((z >= 4000 + margin).sum()) == narrow_cells
    assert res.area_wide_km2 == pytest.approx(wide)
    assert res.area_narrow_km2 == pytest.approx(narrow)
    assert res.area_narrow_km2 <= res.cell_area_km2 <= res.area_wide_km2
