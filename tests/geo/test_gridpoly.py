"""Tracers (compiled with numba, and the numpy one it falls back to): same polygons as GDAL's
polygonizer, valid, exact areas; the same arrays as each other and as the pointer-jumping
tracer of tests/reference.py."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from rangemap import engine
from rangemap.geo import gridpoly
from rangemap.geo.geodesy import (
    cell_areas_km2,
    geodesic_area_km2,
    polygon_area_km2,
    polygon_areas_km2,
)
from tests.reference import pointer_jumping_trace, polygonize


@pytest.fixture(autouse=True, scope="module")
def _compiled_tracer():
    """The compiled tracer loaded (a process loads it only after tracing ~1 M runs with
    numpy): the tests below run it against the numpy tracer and the references."""
    gridpoly.load()


def _traced(mask: np.ndarray, block: int | None = None) -> shapely.MultiPolygon:
    nr, nc = mask.shape
    block = block or max(nr, nc)
    wins = [(r, c) for r in range(0, nr, block) for c in range(0, nc, block)]
    runs = [gridpoly.mask_runs(np.ascontiguousarray(mask[r:r + block, c:c + block]), r, c)
            for r, c in wins]
    parts, _ = engine.trace_piece(runs, list(range(block, nr, block)),
                                  list(range(block, nc, block)), Affine.identity())
    return shapely.MultiPolygon(list(parts))


CASES = {
    "single cell": ["#"],
    "full": ["###", "###"],
    "corner touch (two polygons)": ["#.", ".#"],
    "hole touching shell at a corner": [".###", "#..#", "#..#", "####"],
    "two holes touching at a corner": ["#####", "#.###", "##.##", "#####"],
    "island in a hole": ["#####", "#...#", "#.#.#", "#...#", "#####"],
    "checkerboard": ["#.#.", ".#.#", "#.#.", ".#.#"],
    "comb": ["#.#.#", "#####", "#.#.#"],
    "ring of diagonal cells": [".#.", "#.#", ".#."],
}


@pytest.mark.parametrize("block", [None, 1, 2, 3])
@pytest.mark.parametrize("name", sorted(CASES))
def test_cases_equal_gdal(name, block) -> None:
    mask = np.array([[ch == "#" for ch in row] for row in CASES[name]])
    got = _traced(mask, block)
    ref = polygonize(mask, Affine.identity())
    assert got.is_valid, shapely.is_valid_reason(got)
    assert len(got.geoms) == len(ref.geoms)
    assert got.area == mask.sum()
    assert got.symmetric_difference(ref).area == 0
    assert sum(len(p.interiors) for p in got.geoms) == sum(len(p.interiors) for p in ref.geoms)


@pytest.mark.parametrize("density", [0.3, 0.5, 0.6, 0.8])
def test_large_random_masks(density) -> None:
    mask = np.random.default_rng(7).random((150, 170)) < density
    got = _traced(mask, 37)
    ref = polygonize(mask, Affine.identity())
    assert got.is_valid
    assert len(got.geoms) == len(ref.geoms)
    assert got.symmetric_difference(ref).area == 0


def _block_runs(mask: np.ndarray, block: int) -> gridpoly.Runs:
    """The runs the engine's driver traces: per block, seams cancelled."""
    nr, nc = mask.shape
    runs = [gridpoly.mask_runs(np.ascontiguousarray(mask[r:r + block, c:c + block]), r, c)
            for r in range(0, nr, block) for c in range(0, nc, block)]
    return gridpoly.cancel_seams(gridpoly.concat_runs(runs), list(range(block, nr, block)),
                                 list(range(block, nc, block)))


def _random_mask(seed: int, rows: int, cols: int, density: float, grain: int) -> np.ndarray:
    """Noise, optionally coarsened to ``grain`` cells (long rings, big holes, islands)."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((-(-rows // grain), -(-cols // grain))) < density
    mask = np.repeat(np.repeat(coarse, grain, 0), grain, 1)[:rows, :cols]
    return mask ^ (rng.random((rows, cols)) < 0.08 * (grain > 1))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 160), cols=st.integers(1, 160),
       density=st.floats(0.05, 0.95), grain=st.sampled_from([1, 1, 3, 8]),
       block=st.integers(1, 64), int32=st.booleans())
def test_same_arrays_as_pointer_jumping_and_polygons_as_gdal(seed, rows, cols, density, grain,
                                                              block, int32) -> None:
    """Random masks, small and large (many runs: the ruler walk), cut into blocks; runs in
    int64 (mask_runs) or int32 (what blocks send back)."""
    mask = _random_mask(seed, rows, cols, density, grain)
    runs = _block_runs(mask, block)
    given_runs = tuple(a.astype(np.int32) for a in runs) if int32 else runs
    got = gridpoly.trace(given_runs)
    ref = pointer_jumping_trace(runs)
    for g, r, q in zip(got, ref, gridpoly.trace_numpy(given_runs), strict=True):
        np.testing.assert_array_equal(g, r)
        np.testing.assert_array_equal(g, q)
        assert g.dtype == q.dtype
    if not mask.any():
        return
    x, y, ring, poly = got
    parts = shapely.polygons(shapely.linearrings(np.column_stack([x, y]), indices=ring),
                             indices=poly)
    traced = shapely.MultiPolygon(list(parts))
    gdal = polygonize(mask, Affine.identity())
    assert traced.is_valid, shapely.is_valid_reason(traced)
    assert len(traced.geoms) == len(gdal.geoms)
    assert traced.area == mask.sum()
    assert traced.symmetric_difference(gdal).area == 0


@pytest.mark.parametrize("lengths", [[1], [4, 4, 4], [2, 3, 5000, 7], [20000], [1] * 5000,
                                     [3] * 3000 + [9000], [100] * 200])
@pytest.mark.parametrize("seed", [0, 1])
def test_cycles_label_and_position(lengths, seed) -> None:
    """Label = smallest index on the cycle, position = steps from it, for any layout."""
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    perm = rng.permutation(n)
    succ = np.empty(n, dtype=np.int32)
    cuts = np.cumsum([0, *lengths])
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        succ[perm[a:b]] = np.roll(perm[a:b], -1)
    lab, pos = gridpoly.cycles(succ)
    # Walk every cycle from its smallest index.
    want_lab = np.empty(n, dtype=np.int64)
    want_pos = np.empty(n, dtype=np.int64)
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        cur = int(perm[a:b].min())
        for k in range(b - a):
            want_lab[cur], want_pos[cur] = perm[a:b].min(), k
            cur = int(succ[cur])
    np.testing.assert_array_equal(lab, want_lab)
    np.testing.assert_array_equal(pos, want_pos)


@pytest.mark.parametrize("tracer", ["trace", "trace_numpy"])
@pytest.mark.parametrize(("drop", "dup"), [(1, 0), (0, 2), (3, 5)])
def test_open_runs_are_an_error(tracer, drop, dup) -> None:
    """A missing run, or a third run from one point, leaves rings that do not close."""
    runs = gridpoly.mask_runs(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=bool))
    runs = tuple(np.r_[a[drop:], a[:dup]] for a in runs)
    with pytest.raises(ValueError, match="do not close"):
        getattr(gridpoly, tracer)(runs)


def _big_mask_runs(seed: int) -> gridpoly.Runs:
    return _block_runs(_random_mask(seed, 300, 260, 0.55, 1 + seed % 3), 64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_without_numba_the_numpy_tracer_gives_the_same(monkeypatch, seed) -> None:
    """No numba (or an older Python it has no wheel for): the numpy tracer, same arrays."""
    runs = _big_mask_runs(seed)
    want = gridpoly.trace(runs)
    monkeypatch.setattr(gridpoly, "_JIT", [None])
    got = gridpoly.trace(runs)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(0, 90), cols=st.integers(0, 90),
       density=st.floats(0.0, 1.0), grain=st.sampled_from([1, 2, 5]),
       offset=st.integers(-5, 10**6))
def test_compiled_mask_runs_are_the_numpy_runs(seed, rows, cols, density, grain,
                                               offset) -> None:
    """Same runs, same order, same dtype, whether the compiled loop is loaded or not."""
    if not gridpoly.load():
        pytest.skip("numba is not installed")
    mask = _random_mask(seed, rows, cols, density, grain) if rows and cols else \
        np.zeros((rows, cols), dtype=bool)
    got = gridpoly.mask_runs(mask, offset, 2 * offset)
    jit = gridpoly._JIT[:]
    try:
        gridpoly._JIT[:] = [None]
        want = gridpoly.mask_runs(mask, offset, 2 * offset)
    finally:
        gridpoly._JIT[:] = jit
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype


def test_compiled_tracer_is_loaded_after_a_million_runs(monkeypatch) -> None:
    """Ski rental: numpy until the process has traced JIT_AFTER_RUNS runs (or one mask
    that size), then the compiled tracer; the same arrays either way."""
    if not gridpoly.load():
        pytest.skip("numba is not installed")
    runs = _big_mask_runs(1)
    n = runs[0].size
    want = gridpoly.trace_numpy(runs)
    for limit, calls, loaded in [(3 * n, 2, False), (3 * n, 3, True), (n, 1, True),
                                 (n + 1, 1, False)]:
        monkeypatch.setattr(gridpoly, "_JIT", [])
        monkeypatch.setattr(gridpoly, "_NUMPY_RUNS", [0])
        monkeypatch.setattr(gridpoly, "JIT_AFTER_RUNS", limit)
        for _ in range(calls):
            got = gridpoly.trace(runs)
            for g, w in zip(got, want, strict=True):
                np.testing.assert_array_equal(g, w)
        assert bool(gridpoly._JIT) is loaded, (limit, calls)


def test_compiled_tracer_without_a_cache_folder(monkeypatch) -> None:
    """Where numba can write no cache (package and user cache read-only), the tracer
    compiles in memory and gives the same arrays."""
    import importlib.util

    pytest.importorskip("numba")
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    monkeypatch.setattr(impl, "_locator_classes", [])
    path = gridpoly.__file__.replace("gridpoly.py", "_tracejit.py")
    spec = importlib.util.spec_from_file_location("_tracejit_nocache", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert isinstance(mod._trace._cache, caching.NullCache)
    runs = _big_mask_runs(0)
    got = mod._trace(*runs)
    assert got[4] == 0
    for g, w in zip(got[:4], gridpoly.trace_numpy(runs), strict=True):
        np.testing.assert_array_equal(g, w)


def test_empty_mask() -> None:
    x, y, ring, poly = gridpoly.trace(gridpoly.mask_runs(np.zeros((3, 4), dtype=bool)))
    assert x.size == ring.size == poly.size == 0


def test_cell_polygon_area_is_exact_and_matches_geodesic() -> None:
    """Closed-form area of cell-edge polygons = sum of exact cell areas ~ densified geodesic."""
    res = 1 / 120
    t = Affine(res, 0, 86.0, 0, -res, 60.0)
    mask = np.random.default_rng(3).random((60, 80)) < 0.55
    parts, _ = engine.trace_piece([gridpoly.mask_runs(mask)], [], [], t)
    geom = shapely.MultiPolygon(list(parts))
    cells = float(mask.sum(axis=1) @ cell_areas_km2(t, mask.shape[0]))
    assert polygon_area_km2(geom) == pytest.approx(cells, rel=1e-12)
    assert polygon_area_km2(geom) == pytest.approx(geodesic_area_km2(geom), rel=1e-6)
    # Per geometry, and non-rectilinear shapes fall back to the geodesic area.
    tri = shapely.Polygon([(10, 10), (11, 10), (10, 11)])
    areas = polygon_areas_km2([geom, box(10, 10, 11, 11), tri, shapely.Polygon()])
    assert areas[1] == pytest.approx(geodesic_area_km2(box(10, 10, 11, 11)), rel=1e-6)
    assert areas[2] == geodesic_area_km2(tri)
    assert areas[3] == 0.0


@pytest.mark.parametrize(("seed", "grain", "block", "top"), [
    (0, 1, 13, 60.0), (1, 4, 40, 60.0), (2, 1, 64, -10.0), (3, 8, 7, 89.5), (4, 2, 23, -88.0),
])
def test_area_from_traced_arrays_is_the_polygons_area(seed, grain, block, top,
                                                      monkeypatch) -> None:
    """trace_piece's lon/lat area: the very float polygon_area_km2 gives for its polygons,
    with the compiled tracer and area loop and without them (numpy)."""
    res = 1 / 120
    t = Affine(res, 0, 86.0 + seed, 0, -res, top)
    mask = _random_mask(seed, 61, 83, 0.55, grain)
    nr, nc = mask.shape
    runs = [gridpoly.mask_runs(np.ascontiguousarray(mask[r:r + block, c:c + block]), r, c)
            for r in range(0, nr, block) for c in range(0, nc, block)]
    seams = list(range(block, nr, block)), list(range(block, nc, block))
    parts, nv, area = engine.trace_piece(runs, *seams, t, 7, lonlat_area=True)
    assert area == polygon_area_km2(shapely.multipolygons(parts))
    assert area == pytest.approx(float(mask.sum(axis=1) @ cell_areas_km2(t, nr)), rel=1e-6)
    assert engine.trace_piece(runs, *seams, t, 7, lonlat_area=False)[1] == nv
    multi, nv_m, area_m = engine.trace_piece(runs, *seams, t, 7, lonlat_area=True, multi=True)
    assert (nv_m, area_m) == (nv, area)
    assert shapely.to_wkb(multi) == shapely.to_wkb(shapely.multipolygons(parts))
    monkeypatch.setattr(gridpoly, "_JIT", [None])
    parts_np, nv_np, area_np = engine.trace_piece(runs, *seams, t, 7, lonlat_area=True)
    assert (area_np, nv_np) == (area, nv)
    assert list(shapely.to_wkb(parts_np)) == list(shapely.to_wkb(parts))
    monkeypatch.undo()
    empty = engine.trace_piece([gridpoly.mask_runs(np.zeros((3, 3), bool))], [], [], t, 7, True)
    assert empty[1:] == (0, 0.0)
