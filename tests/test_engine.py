"""Tiled engine: blocks equal the single window; processes and Dask equal serial."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from rangemap import engine
from rangemap.engine import unit_habitat
from rangemap.geo.geodesy import mask_aoo_keys
from rangemap.rasters.dem import DemStack
from tests.helpers import write_dem
from tests.reference import polygonize, unit_habitat_window


def _same(a, b) -> None:
    """Same cells, equal areas, same polygons up to vertex order."""
    assert a.cells == b.cells
    assert a.sources == b.sources
    assert a.cell_area_km2 == pytest.approx(b.cell_area_km2, rel=1e-9, abs=1e-12)
    assert a.area_km2 == pytest.approx(b.area_km2, rel=1e-9, abs=1e-12)
    assert a.area_wide_km2 == pytest.approx(b.area_wide_km2, rel=1e-9, abs=1e-12)
    assert a.area_narrow_km2 == pytest.approx(b.area_narrow_km2, rel=1e-9, abs=1e-12)
    assert a.covered_share == pytest.approx(b.covered_share, rel=1e-12)
    assert (a.habitat_elev_min, a.habitat_elev_max) == (b.habitat_elev_min, b.habitat_elev_max)
    if a.cells:
        assert a.habitat_elev_mean == pytest.approx(b.habitat_elev_mean, rel=1e-12)
    np.testing.assert_array_equal(a.aoo_keys, b.aoo_keys)
    assert a.geometry.is_valid and b.geometry.is_valid
    assert len(a.geometry.geoms) == len(b.geometry.geoms)
    assert shapely.equals(a.geometry, b.geometry) or (
        a.geometry.is_empty and b.geometry.is_empty)
    assert a.geometry.symmetric_difference(b.geometry).area == pytest.approx(0, abs=1e-12)


def _noisy_dem(tmp_path, n=120, seed=1):
    """A lon/lat DEM over 86-87E x 27-28N with rough relief (many patches and holes)."""
    rng = np.random.default_rng(seed)
    lon = 86 + (np.arange(n) + 0.5) / n
    lat = 28 - (np.arange(n) + 0.5) / n
    xx, yy = np.meshgrid(lon, lat)
    z = 2400 + 700 * np.sin(xx * 17) * np.cos(yy * 13) + rng.normal(0, 150, (n, n))
    z[5:9, 40:60] = -9999  # a nodata hole
    return write_dem(tmp_path / "noisy.tif", z.astype("float32"), 86, 28, 1 / n, nodata=-9999)


UNITS = [
    shapely.Polygon([(86.1, 27.1), (86.9, 27.2), (86.8, 27.9), (86.2, 27.8)]),
    box(86.0, 27.0, 87.0, 28.0),
    box(86.3, 27.3, 86.31, 27.7),  # thin: one column of centres at most
    shapely.Point(86.5, 27.5).buffer(0.3).difference(shapely.Point(86.5, 27.5).buffer(0.1)),
]


@pytest.mark.parametrize("block", [7, 16, 50, 2048])
@pytest.mark.parametrize("unit", UNITS)
def test_blocks_equal_single_window(tmp_path, unit, block) -> None:
    dem = _noisy_dem(tmp_path)
    with DemStack([dem]) as stack:
        ref = unit_habitat_window(unit, list(stack), 2500, 2900)
        got = unit_habitat(unit, list(stack), 2500, 2900, block=block)
    _same(got, ref)


@pytest.mark.parametrize("block", [1, 3, 5])
@pytest.mark.parametrize("unit, lo, hi", [
    (box(0, 0, 8, 8), 4000, None), (box(0, 0, 8, 8), 4000, 5700), (box(4.4, 4, 8, 8), 0, None),
    (box(0.1, 0.1, 0.2, 0.2), 0, None)])
def test_blocks_equal_single_window_tiny(tiny_world, unit, lo, hi, block) -> None:
    with DemStack([tiny_world["dem"]]) as stack:
        _same(unit_habitat(unit, list(stack), lo, hi, block=block),
              unit_habitat_window(unit, list(stack), lo, hi))


def test_blocks_equal_single_window_two_dems(tmp_path) -> None:
    coarse = write_dem(tmp_path / "coarse.tif", np.full((4, 4), 3000, "int16"), 0, 8, 2)
    fine = write_dem(tmp_path / "fine.tif", np.full((6, 6), 3000, "int16"), 0, 8, 0.5)
    with DemStack([coarse, fine]) as stack:
        for block in (1, 2, 4):
            _same(unit_habitat(box(0, 0, 8, 8), list(stack), 2500, None, block=block),
                  unit_habitat_window(box(0, 0, 8, 8), list(stack), 2500, None))


def test_area_only_mode_matches(tmp_path) -> None:
    dem = _noisy_dem(tmp_path)
    with DemStack([dem]) as stack:
        full = unit_habitat(UNITS[0], list(stack), 2500, None, block=32)
        fast = unit_habitat(UNITS[0], list(stack), 2500, None, block=32, polygons=False)
    assert fast.geometry.is_empty
    assert fast.cells == full.cells
    assert fast.area_km2 == fast.cell_area_km2 == pytest.approx(full.cell_area_km2, rel=1e-12)
    np.testing.assert_array_equal(fast.aoo_keys, full.aoo_keys)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), shape=st.tuples(st.integers(1, 24), st.integers(1, 24)),
       block=st.integers(1, 9), density=st.floats(0.05, 0.95))
def test_block_polygons_equal_whole_mask(data, shape, block, density) -> None:
    """Traced block runs, joined at the seams, equal GDAL's polygons of the whole mask."""
    seed = data.draw(st.integers(0, 2**32 - 1))
    mask = np.random.default_rng(seed).random(shape) < density
    ref = polygonize(mask, Affine.identity())
    blocks = engine.block_windows(
        __import__("rasterio").windows.Window(0, 0, shape[1], shape[0]), block)
    runs = [engine.gridpoly.mask_runs(np.ascontiguousarray(mask[r0:r0 + nr, c0:c0 + nc]), r0, c0)
            for r0, c0, nr, nc in blocks]
    rs = np.array(sorted({s[0] for s in blocks} - {0, shape[0]}), dtype=float)
    cs = np.array(sorted({s[1] for s in blocks} - {0, shape[1]}), dtype=float)
    parts, nv = engine.trace_piece(runs, rs, cs, Affine.identity())
    merged = shapely.MultiPolygon(list(parts))
    assert merged.is_valid, shapely.is_valid_reason(merged)
    assert len(merged.geoms) == len(ref.geoms)
    assert merged.area == ref.area == mask.sum()
    assert merged.symmetric_difference(ref).area == 0
    # No collinear vertices: as many as GDAL's polygons have.
    assert nv == sum(len(r.coords) - 1 for p in ref.geoms for r in [p.exterior, *p.interiors])
    # Shells counter-clockwise after a north-up transform (RFC 7946).
    flipped = engine.trace_piece(runs, rs, cs, Affine(1, 0, 0, 0, -1, 0))[0]
    assert all(p.exterior.is_ccw and not any(h.is_ccw for h in p.interiors) for p in flipped)


def test_geographic_aoo_keys_match_per_cell(tmp_path) -> None:
    for res in (1 / 1200, 1 / 120, 1 / 12):
        dem = write_dem(tmp_path / f"a{res}.tif", np.zeros((40, 50), "int16"), 80.3, 30.1, res)
        with DemStack([dem]) as stack:
            src = stack.sources[0]
            mask = np.random.default_rng(3).random((40, 50)) < 0.3
            t = src.transform * Affine.translation(7, 5)
            np.testing.assert_array_equal(engine.geographic_aoo_keys(src, 5, 7, mask),
                                          mask_aoo_keys(src, t, mask))


@pytest.mark.parametrize("points", [1, 37, 100, 1000, 10**9])
def test_aoo_keys_do_not_depend_on_the_sampling_chunks(tmp_path, monkeypatch, points) -> None:
    """mask_aoo_keys projects its sample points a chunk at a time (memory): any chunk size,
    down to a cell per chunk, gives the keys of one pass over every point."""
    from rangemap.geo import geodesy

    dem = write_dem(tmp_path / "coarse.tif", np.zeros((30, 40), "int16"), 80.3, 60.1, 1 / 12)
    with DemStack([dem]) as stack:
        src = stack.sources[0]
        mask = np.random.default_rng(points).random((30, 40)) < 0.4
        t = src.transform * Affine.translation(3, 2)
        monkeypatch.setattr(geodesy, "AOO_SAMPLE_POINTS", 10**9)
        whole = mask_aoo_keys(src, t, mask)
        monkeypatch.setattr(geodesy, "AOO_SAMPLE_POINTS", points)
        chunked = mask_aoo_keys(src, t, mask)
    # a 5' cell at 60°N spans several AOO cells: more keys than cells, none twice
    assert len(whole) > mask.sum() and len(np.unique(whole)) == len(whole)
    np.testing.assert_array_equal(chunked, whole)


def _multi_unit(stack, executor, block=40):
    return engine.habitats(UNITS, list(stack), (2500, None), block=block, executor=executor)


def test_workers_equal_serial(tmp_path) -> None:
    dem = _noisy_dem(tmp_path)
    with DemStack([dem]) as stack:
        serial = _multi_unit(stack, None)
        with engine.make_executor(workers=2) as ex:
            assert isinstance(ex, engine.ProcessExecutor)
            par = _multi_unit(stack, ex)
    for a, b in zip(par, serial, strict=True):
        _same(a, b)


def test_dask_local_cluster_equals_serial(tmp_path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    dem = _noisy_dem(tmp_path)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, DemStack([dem]) as stack:
        serial = _multi_unit(stack, None)
        with engine.make_executor(scheduler=cluster.scheduler_address) as ex:
            assert isinstance(ex, engine.DaskExecutor)
            dist = _multi_unit(stack, ex)
    for a, b in zip(dist, serial, strict=True):
        _same(a, b)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(3, 40), holes=st.booleans(),
       block=st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 12),
                       st.integers(1, 12)))
def test_block_outline_rasterizes_like_the_whole_unit(data, n, holes, block) -> None:
    """Vertices on cell centres and corners (ties everywhere); rings may self-cross."""
    from rasterio import features

    pts = st.tuples(st.integers(-20, 60), st.integers(-20, 60))
    rings = [data.draw(st.lists(pts, min_size=n, max_size=n))]
    if holes:
        rings.append(data.draw(st.lists(pts, min_size=3, max_size=12)))
    rings = [np.asarray(r, dtype=float) / 2 for r in rings]  # half-cell steps
    geom = shapely.Polygon(np.vstack([rings[0], rings[0][:1]]),
                           [np.vstack([r, r[:1]]) for r in rings[1:]])
    r0, c0, nr, nc = block
    t = Affine.translation(c0, r0)
    whole = features.rasterize([(geom, 1)], out_shape=(nr, nc), transform=t, fill=0)
    rc, rb = engine._ring_coords(geom)
    outline = engine.block_outline(rc, rb, r0, c0, nr, nc)
    got = (np.zeros((nr, nc), "uint8") if outline is None else
           features.rasterize([(outline, 1)], out_shape=(nr, nc), transform=t, fill=0))
    np.testing.assert_array_equal(got, whole)


@pytest.mark.parametrize("lo, hi", [(2500, None), (2500.5, 2900.2), (None, 2600),
                                    (-40000, 40000), (50000, None), (2999, 2950)])
@pytest.mark.parametrize("block", [16, 2048])
def test_int16_nodata_equals_single_window(tmp_path, lo, hi, block) -> None:
    rng = np.random.default_rng(7)
    z = (2600 + 500 * rng.standard_normal((90, 110))).astype("int16")
    z[10:20, 30:70] = -32768
    z[0, 0] = 32767
    dem = write_dem(tmp_path / "i16.tif", z, 86, 28, 1 / 100)
    unit = shapely.Polygon([(86.05, 27.2), (87.0, 27.15), (86.9, 27.95), (86.1, 27.8)])
    with DemStack([dem]) as stack:
        for u in (unit, box(85, 27, 88, 29)):
            for poly in (True, False):
                got = unit_habitat(u, list(stack), lo, hi, block=block, polygons=poly)
                ref = unit_habitat_window(u, list(stack), lo, hi)
                if poly:
                    _same(got, ref)
                else:
                    assert got.cells == ref.cells
                    assert got.cell_area_km2 == pytest.approx(ref.cell_area_km2, rel=1e-12)
                    assert (got.habitat_elev_min, got.habitat_elev_max) == (
                        ref.habitat_elev_min, ref.habitat_elev_max)
                    assert got.area_wide_km2 == pytest.approx(ref.area_wide_km2, rel=1e-12)
                    assert got.area_narrow_km2 == pytest.approx(ref.area_narrow_km2,
                                                                rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from(["int8", "int16", "int32", "uint8", "uint16", "float32"]),
       lo=st.one_of(st.none(), st.floats(-3e4, 3e4)), hi=st.one_of(st.none(), st.floats(-3e4, 3e4)),
       use_ok=st.booleans())
def test_zstats_equal_plain(seed, dtype, lo, hi, use_ok) -> None:
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        data = rng.normal(0, 1e4, (13, 17)).astype(dtype)
    else:
        info = np.iinfo(dtype)
        data = rng.integers(info.min, info.max, (13, 17), endpoint=True, dtype=dtype)
        data.flat[:3] = [info.min, info.max, 0]
    ok = rng.random(data.shape) < 0.7 if use_ok else None
    lims = engine._limits(data.dtype, lo, hi)
    m = engine._in_band(data, ok, lims)
    if m is not None and not m.any():
        return
    plain = data[m].astype("float64") if m is not None else data.astype("float64").ravel()
    got = engine._zstats(data, m)
    assert got[1:] == (plain.min(), plain.max())
    assert got[0] == pytest.approx(plain.sum(), rel=1e-12, abs=1e-6)
