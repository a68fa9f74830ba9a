"""Habitat criteria: slope (against GDAL's gdaldem), land cover (against a per-cell count),
blocks and executors give the same result, elevation-only stays as it was."""

from __future__ import annotations

import ctypes
import glob
import math
import os

import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Geod, Transformer
from rasterio.transform import from_origin
from rasterio.windows import Window
from shapely.geometry import box

from rangemap import engine
from rangemap.criteria import LandCover, SlopeLimits, ground_spacing_m, horn_gradient2
from rangemap.engine import unit_habitat
from rangemap.rasters.dem import DemStack, open_dem
from tests.helpers import write_dem

GEOD = Geod(ellps="WGS84")


def _surface(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Smooth mountains in metres (x, y in km): slopes from 0 to ~60 degrees."""
    return (2500 + 900 * np.sin(x / 3.1) * np.cos(y / 2.3) + 400 * np.sin(x / 0.9 + y / 1.3)
            + 30 * x)


def _gdaldem_slope(src: str, dst: str) -> np.ndarray:
    """``gdaldem slope SRC DST`` (Horn, the default) through the GDAL library that rasterio
    ships: the same C function (GDALDEMProcessing) the command line tool calls."""
    libs = glob.glob(os.path.join(os.path.dirname(rasterio.__file__), "..", "rasterio.libs",
                                  "libgdal-*.so*"))
    if not libs:
        pytest.skip("rasterio's bundled libgdal not found")
    g = ctypes.CDLL(libs[0])
    g.GDALAllRegister()
    g.GDALOpen.restype = ctypes.c_void_p
    g.GDALOpen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    g.GDALDEMProcessingOptionsNew.restype = ctypes.c_void_p
    g.GDALDEMProcessingOptionsNew.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_void_p]
    g.GDALDEMProcessing.restype = ctypes.c_void_p
    g.GDALDEMProcessing.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_char_p,
                                    ctypes.c_char_p, ctypes.c_void_p,
                                    ctypes.POINTER(ctypes.c_int)]
    g.GDALClose.argtypes = [ctypes.c_void_p]
    g.GDALDEMProcessingOptionsFree.argtypes = [ctypes.c_void_p]
    args = (ctypes.c_char_p * 5)(b"-alg", b"Horn", b"-of", b"GTiff", None)
    opts = g.GDALDEMProcessingOptionsNew(args, None)
    ds = g.GDALOpen(src.encode(), 0)
    err = ctypes.c_int(0)
    out = g.GDALDEMProcessing(dst.encode(), ds, b"slope", None, opts, ctypes.byref(err))
    assert out and not err.value
    g.GDALClose(out)
    g.GDALClose(ds)
    g.GDALDEMProcessingOptionsFree(opts)
    with rasterio.open(dst) as d:
        return d.read(1, masked=True)


def _utm_dem(tmp_path, n=90, res=90.0):
    """A UTM 45N DEM (90 m cells) near Everest with the smooth surface."""
    x0, y0 = 450_000.0, 3_110_000.0
    xs = x0 + (np.arange(n) + 0.5) * res
    ys = y0 - (np.arange(n) + 0.5) * res
    xx, yy = np.meshgrid((xs - x0) / 1000, (ys - y0) / 1000)
    z = _surface(xx, yy).astype("float32")
    path = tmp_path / "utm.tif"
    with rasterio.open(path, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32",
                       crs="EPSG:32645", transform=from_origin(x0, y0, res, res),
                       nodata=-9999) as dst:
        dst.write(z, 1)
    return path


def test_slope_equals_gdaldem_on_a_projected_dem(tmp_path) -> None:
    path = _utm_dem(tmp_path)
    ref = _gdaldem_slope(str(path), str(tmp_path / "slope.tif"))
    src = open_dem(path)
    z = src.dataset.read(1).astype("float64")
    halo = np.pad(z, 1, constant_values=np.nan)
    dx, dy = ground_spacing_m(src, 0, z.shape[0])
    ours = np.degrees(np.arctan(np.sqrt(horn_gradient2(halo, dx, dy))))
    inner = ~np.ma.getmaskarray(ref)
    inner[[0, -1], :] = inner[:, [0, -1]] = False  # gdaldem leaves the edge empty
    assert inner.sum() == 88 * 88
    diff = np.abs(ours[inner] - ref.data[inner])
    assert diff.max() < 1e-3, diff.max()
    assert 5 < np.median(ours[inner]) < 60  # the test surface is steep enough to matter


def test_lonlat_spacing_is_ellipsoidal() -> None:
    """dx, dy between cell centres of a lon/lat grid equal pyproj's geodesic distances."""

    class Src:
        geographic = True
        transform = from_origin(86.0, 28.0, 1 / 1200, 1 / 1200)

    dx, dy = ground_spacing_m(Src, 600, 3)
    lat = 28.0 - 601.5 / 1200
    _, _, ex = GEOD.inv(86.0, lat, 86.0 + 1 / 1200, lat)
    _, _, ey = GEOD.inv(86.0, lat - 1 / 2400, 86.0, lat + 1 / 2400)
    assert dx[1] == pytest.approx(ex, rel=1e-6)
    assert dy[1] == pytest.approx(ey, rel=1e-6)


def _lonlat_dem(tmp_path, n=150, res=1 / 600, seed=4):
    """Lon/lat DEM over 86..86.25E x 27.75..28N with the same surface and a nodata hole."""
    lon = 86 + (np.arange(n) + 0.5) * res
    lat = 28 - (np.arange(n) + 0.5) * res
    xx, yy = np.meshgrid((lon - 86) * 98.0, (28 - lat) * 111.0)
    z = _surface(xx, yy) + np.random.default_rng(seed).normal(0, 20, (n, n))
    z = z.astype("int16")
    z[40:44, 70:90] = -32768
    return write_dem(tmp_path / "ll.tif", z, 86, 28, res)


def _landcover(tmp_path, crs="EPSG:4326"):
    """A categorical map coarser than the DEM (0.01 deg), classes 1..9 in bands, nodata 255,
    covering only part of the DEM; or the same classes on a UTM grid."""
    if crs == "EPSG:4326":
        n = 20
        cls = (np.add.outer(np.arange(n) // 3, np.arange(n) // 4) % 9 + 1).astype("uint8")
        cls[0:2, :] = 255
        path = tmp_path / "lc.tif"
        with rasterio.open(path, "w", driver="GTiff", height=n, width=n, count=1,
                           dtype="uint8", crs=crs, transform=from_origin(86.02, 28.0, 0.01,
                                                                         0.01),
                           nodata=255) as dst:
            dst.write(cls, 1)
        return path
    n = 30
    cls = (np.add.outer(np.arange(n) // 2, np.arange(n) // 5) % 9 + 1).astype("uint8")
    path = tmp_path / "lc_utm.tif"
    with rasterio.open(path, "w", driver="GTiff", height=n, width=n, count=1, dtype="uint8",
                       crs=crs, transform=from_origin(400_000, 3_100_000, 1000, 1000)) as dst:
        dst.write(cls, 1)
    return path


def _reference(dem_path, lc_path, unit, lo, hi, slope=None, classes=None):
    """Independent per-cell computation: rasterio.sample at every centre, pyproj areas.

    Returns (habitat km², {class: km² of the habitat before the land-cover filter}).
    """
    from rasterio import features

    with rasterio.open(dem_path) as d:
        z = d.read(1, masked=True)
        t = d.transform
        inside = features.rasterize([(unit, 1)], out_shape=z.shape, transform=t).astype(bool)
    rows, cols = np.nonzero(inside & ~np.ma.getmaskarray(z))
    zz = z.data[rows, cols].astype(float)
    keep = (zz >= lo) & ((zz <= hi) if hi is not None else True)
    if slope is not None:
        zf = np.where(np.ma.getmaskarray(z), np.nan, z.data.astype(float))
        halo = np.pad(zf, 1, constant_values=np.nan)

        class Src:
            geographic = True
            transform = t

        dx, dy = ground_spacing_m(Src, 0, z.shape[0])
        deg = np.degrees(np.arctan(np.sqrt(horn_gradient2(halo, dx, dy))))[rows, cols]
        keep &= (deg >= slope[0]) & (deg <= slope[1])
    rows, cols = rows[keep], cols[keep]
    lon = t.c + (cols + 0.5) * t.a
    lat = t.f + (rows + 0.5) * t.e
    with rasterio.open(lc_path) as lc:
        if not lc.crs.is_geographic:
            xs, ys = Transformer.from_crs(4326, lc.crs, always_xy=True).transform(lon, lat)
        else:
            xs, ys = lon, lat
        inv = ~lc.transform
        ci = np.floor(inv.a * np.asarray(xs) + inv.c).astype(int)
        ri = np.floor(inv.e * np.asarray(ys) + inv.f).astype(int)
        arr = lc.read(1)
        ok = (ri >= 0) & (ri < lc.height) & (ci >= 0) & (ci < lc.width)
        cls = np.full(lon.size, -1)
        cls[ok] = arr[ri[ok], ci[ok]]
        if lc.nodata is not None:
            cls[cls == lc.nodata] = -1
    area = np.empty(lon.size)
    for r in np.unique(rows):
        top = t.f + r * t.e
        a = abs(GEOD.polygon_area_perimeter(
            [86, 86 + t.a, 86 + t.a, 86], [top, top, top + t.e, top + t.e])[0]) / 1e6
        area[rows == r] = a
    comp: dict = {}
    for c in np.unique(cls):
        comp["none" if c < 0 else str(int(c))] = float(area[cls == c].sum())
    sel = np.isin(cls, classes) if classes is not None else np.ones(lon.size, bool)
    return float(area[sel].sum()), comp


UNIT = shapely.Polygon([(86.01, 27.76), (86.24, 27.78), (86.22, 27.99), (86.03, 27.97)])


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:32645"])
@pytest.mark.parametrize("block", [16, 37, 2048])
def test_landcover_area_per_class_matches_a_per_cell_count(tmp_path, crs, block) -> None:
    dem = _lonlat_dem(tmp_path)
    lc = _landcover(tmp_path, crs)
    ref_area, ref_comp = _reference(dem, lc, UNIT, 2600, 3400, classes=[2, 3, 7])
    with DemStack([dem]) as stack:
        comp_only = unit_habitat(UNIT, list(stack), 2600, 3400, block=block,
                                 criteria=(LandCover(str(lc)),))
        filt = unit_habitat(UNIT, list(stack), 2600, 3400, block=block,
                            criteria=(LandCover(str(lc), classes=(2, 3, 7)),))
        elev = unit_habitat(UNIT, list(stack), 2600, 3400, block=block)
    # Composition only: the habitat is the elevation-only habitat, cell for cell.
    assert comp_only.cells == elev.cells
    assert comp_only.cell_area_km2 == pytest.approx(elev.cell_area_km2, rel=1e-12)
    assert comp_only.elevation_km2 == pytest.approx(elev.area_km2, rel=1e-12)
    total = sum(ref_comp.values())
    assert total == pytest.approx(elev.cell_area_km2, rel=1e-6)
    shares = comp_only.details["landcover"]
    assert set(shares) == set(ref_comp)
    for code, km2 in ref_comp.items():
        assert shares[code] == pytest.approx(km2 / total, abs=1e-6)
    # Filter: area of the kept classes; composition is still that of the band habitat.
    assert filt.cell_area_km2 == pytest.approx(ref_area, rel=1e-6)
    assert filt.area_km2 == pytest.approx(ref_area, rel=1e-6)
    assert 0 < filt.cells < elev.cells
    assert filt.elevation_km2 == pytest.approx(elev.cell_area_km2, rel=1e-12)
    assert filt.details["landcover"] == shares
    assert filt.geometry.is_valid


@pytest.mark.parametrize("block", [9, 40, 2048])
def test_slope_criterion_matches_a_whole_window_reference(tmp_path, block) -> None:
    dem = _lonlat_dem(tmp_path)
    lc = _landcover(tmp_path)
    ref_area, _ = _reference(dem, lc, UNIT, 2600, None, slope=(20, 40))
    with DemStack([dem]) as stack:
        got = unit_habitat(UNIT, list(stack), 2600, None, block=block,
                           criteria=(SlopeLimits(20, 40),))
    assert got.cell_area_km2 == pytest.approx(ref_area, rel=1e-9)
    assert 20 <= got.details["slope_median_deg"] <= 40


def test_slope_needs_the_halo_across_blocks(tmp_path) -> None:
    """Blocks of 1..5 cells give the same cells as one block (the halo is read)."""
    dem = _lonlat_dem(tmp_path, n=30)
    with DemStack([dem]) as stack:
        runs = [unit_habitat(box(86, 27.95, 86.05, 28), list(stack), None, None, block=b,
                             criteria=(SlopeLimits(25, None),)) for b in (1, 2, 5, 64)]
    for r in runs[:-1]:
        assert r.cells == runs[-1].cells
        assert shapely.equals(r.geometry, runs[-1].geometry)
        assert r.details == runs[-1].details


def _crit_units(stack, ex, lc):
    crit = [(SlopeLimits(15, None), LandCover(str(lc), classes=(1, 2, 3, 4, 5))),
            (LandCover(str(lc)),), (), (SlopeLimits(None, 30),)]
    units = [UNIT, box(86.0, 27.75, 86.25, 28.0), UNIT, box(86.1, 27.8, 86.2, 27.9)]
    return engine.habitats(units, list(stack), (2600, None), block=40, executor=ex,
                           criteria=crit)


def _same(a, b) -> None:
    assert a.cells == b.cells and a.elevation_cells == b.elevation_cells
    assert a.cell_area_km2 == pytest.approx(b.cell_area_km2, rel=1e-12)
    assert a.elevation_km2 == pytest.approx(b.elevation_km2, rel=1e-12)
    assert a.habitat_only_km2 == pytest.approx(b.habitat_only_km2, rel=1e-12)
    assert a.details == b.details
    assert shapely.equals(a.geometry, b.geometry) or a.geometry.is_empty == b.geometry.is_empty


def test_criteria_serial_equals_workers_and_dask(tmp_path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    dem = _lonlat_dem(tmp_path)
    lc = _landcover(tmp_path)
    with DemStack([dem]) as stack:
        serial = _crit_units(stack, None, lc)
        with engine.make_executor(workers=2) as ex:
            par = _crit_units(stack, ex, lc)
        with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                      dashboard_address=None) as cluster, \
                engine.make_executor(scheduler=cluster.scheduler_address) as ex:
            dist = _crit_units(stack, ex, lc)
    assert serial[0].cells > 0 and serial[0].cells < serial[2].cells
    for a, b, c in zip(serial, par, dist, strict=True):
        _same(a, b)
        _same(a, c)


def test_open_criteria_keep_elevation_only_cells(tmp_path) -> None:
    """Open slope limits and a composition-only land cover change no cell."""
    dem = _lonlat_dem(tmp_path)
    lc = _landcover(tmp_path)
    with DemStack([dem]) as stack:
        plain = unit_habitat(UNIT, list(stack), 2600, None, block=32)
        opened = unit_habitat(UNIT, list(stack), 2600, None, block=32,
                              criteria=(SlopeLimits(0, None), LandCover(str(lc))))
    assert opened.cells == plain.cells
    assert shapely.equals(opened.geometry, plain.geometry)
    assert opened.area_wide_km2 == pytest.approx(plain.area_wide_km2, rel=1e-12)
    assert opened.details["slope_median_deg"] is not None
    assert math.isclose(sum(opened.details["landcover"].values()), 1.0, rel_tol=1e-5)


def _horn_whole(z: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """The whole-array Horn formula as it was before the strips (the reference)."""
    n, m = z.shape[0] - 2, z.shape[1] - 2
    e = z[1:-1, 1:-1]

    def nb(r: int, c: int) -> np.ndarray:
        v = z[r:r + n, c:c + m]
        return np.where(np.isnan(v), e, v)

    a, b, c = nb(0, 0), nb(0, 1), nb(0, 2)
    d, f = nb(1, 0), nb(1, 2)
    g, h, i = nb(2, 0), nb(2, 1), nb(2, 2)
    gx = (((((f - d) * 2) + c) - a) + i) - g
    gy = (((((h - b) * 2) + g) - a) + i) - c
    gx = gx * (1 / (8 * dx)).astype(gx.dtype)[:, None]
    gy = gy * (1 / (8 * dy)).astype(gy.dtype)[:, None]
    return gx * gx + gy * gy


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_horn_strips_equal_the_whole_array_formula_bit_for_bit(seed, dtype) -> None:
    """Random rough DEMs with nodata holes, sizes around the strip length: same bits,
    and a row range computes those rows exactly and leaves NaN (no slope holds) elsewhere."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 120)), int(rng.integers(1, 90))
    z = (3000 + rng.normal(0, 300, (n + 2, m + 2)).cumsum(axis=0)).astype(dtype)
    z[rng.random(z.shape) < 0.05] = np.nan
    z[0, :] = np.nan
    dx = rng.uniform(60, 95, n)
    dy = np.full(n, 92.6)
    ref = _horn_whole(z, dx, dy)
    got = horn_gradient2(z, dx, dy)
    assert got.dtype == ref.dtype
    np.testing.assert_array_equal(got, ref)  # NaN where NaN, every other value identical
    r0, r1 = sorted(int(v) for v in rng.integers(0, n + 1, 2))
    part = horn_gradient2(z, dx, dy, (r0, r1))
    np.testing.assert_array_equal(part[r0:r1], ref[r0:r1])
    assert np.isnan(part[:r0]).all() and np.isnan(part[r1:]).all()
    assert not SlopeLimits(0.5, 80).mask(part)[:r0].any()


@pytest.mark.parametrize("seed", range(6))
def test_horn_integer_sums_equal_the_whole_array_formula_bit_for_bit(seed) -> None:
    """Whole-number (int16) elevations, with and without nodata holes: the row/column-sum
    path gives the same bits as the whole-array formula, extremes of int16 included."""
    rng = np.random.default_rng(100 + seed)
    n, m = int(rng.integers(1, 120)), int(rng.integers(1, 90))
    z = rng.integers(-32768, 32768, (n + 2, m + 2)) if seed == 0 else \
        (3000 + rng.normal(0, 40, (n + 2, m + 2)).cumsum(axis=1)).round()
    z = np.clip(z, -32768, 32767).astype("int16").astype("float32")
    if seed % 2:
        z[rng.random(z.shape) < 0.01] = np.nan
    dx = rng.uniform(60, 95, n)
    dy = np.full(n, 92.6)
    ref = _horn_whole(z, dx, dy)
    np.testing.assert_array_equal(horn_gradient2(z, dx, dy, integer=True), ref)
    r0, r1 = sorted(int(v) for v in rng.integers(0, n + 1, 2))
    part = horn_gradient2(z, dx, dy, (r0, r1), integer=True)
    np.testing.assert_array_equal(part[r0:r1], ref[r0:r1])


def _full_halo(zfull: np.ndarray, r0: int, c0: int, n: int, m: int) -> np.ndarray:
    """The block's halo cut from the whole DEM padded with NaN (the plain definition)."""
    pad = np.pad(zfull, 1, constant_values=np.nan)
    return pad[r0:r0 + n + 2, c0:c0 + m + 2]


@pytest.mark.parametrize("seed", range(8))
def test_block_halo_gives_the_full_halo_slope_at_needed_cells(tmp_path, seed) -> None:
    """Only border strips next to needed cells are read: the slope of every needed cell
    equals the one from the whole DEM's halo (blocks on DEM edges, nodata, sparse needs)."""
    from rangemap.rasters.dem import block_halo

    rng = np.random.default_rng(seed)
    h, w = 40, 50
    z = (2600 + rng.normal(0, 30, (h, w)).cumsum(axis=0)).astype("int16")
    z[rng.random(z.shape) < 0.03] = -32768
    path = write_dem(tmp_path / "d.tif", z, 86, 28, 1 / 600)
    zf = np.where(z == -32768, np.nan, z.astype("float32"))
    src = open_dem(path)
    try:
        for _ in range(12):
            r0, c0 = int(rng.integers(0, h - 1)), int(rng.integers(0, w - 1))
            n, m = int(rng.integers(1, h - r0 + 1)), int(rng.integers(1, w - c0 + 1))
            data = src.dataset.read(1, window=Window(c0, r0, m, n))
            valid = data != -32768
            kind = rng.integers(0, 3)
            need = None if kind == 0 else (rng.random((n, m)) < (0.02 if kind == 1 else 0.5))
            got = block_halo(src, r0, c0, data, valid, need,
                             lambda d, win: d != -32768)
            dx, dy = ground_spacing_m(src, r0, n)
            ref = horn_gradient2(_full_halo(zf, r0, c0, n, m), dx, dy)
            sel = np.ones((n, m), bool) if need is None else need
            if sel.any():
                rows = np.flatnonzero(sel.any(axis=1))
                mine = horn_gradient2(got, dx, dy, (int(rows[0]), int(rows[-1]) + 1),
                                      integer=True)
                np.testing.assert_array_equal(mine[sel], ref[sel])
    finally:
        src.dataset.close()


@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_slope_in_a_band_is_the_same_for_any_block(tmp_path, dtype) -> None:
    """A two-sided band (the halo is read only next to cells in the band or its margin):
    every field equals the one-block run, from 1-cell blocks up."""
    dem = _lonlat_dem(tmp_path, n=60)
    if dtype == "float32":
        with rasterio.open(dem) as d:
            z = d.read(1).astype("float32") + 0.25
        z[z < -30000] = np.nan
        dem = write_dem(tmp_path / "f32.tif", z, 86, 28, 1 / 600, nodata=float("nan"))
    unit = shapely.Polygon([(86.005, 27.903), (86.093, 27.91), (86.09, 27.995),
                            (86.01, 27.99)])
    crit = (SlopeLimits(10, 35),)
    with DemStack([dem]) as stack:
        runs = [unit_habitat(unit, list(stack), 2500, 2900, margin_m=50, block=b,
                             criteria=crit) for b in (1, 3, 7, 16, 2048)]
    ref = runs[-1]
    assert 0 < ref.cells < ref.elevation_cells
    for r in runs[:-1]:
        _same(r, ref)
        assert r.area_wide_km2 == pytest.approx(ref.area_wide_km2, rel=1e-12)
        assert r.area_narrow_km2 == pytest.approx(ref.area_narrow_km2, rel=1e-12)
        assert (r.habitat_elev_min, r.habitat_elev_max) == (ref.habitat_elev_min,
                                                            ref.habitat_elev_max)
        assert shapely.equals(r.geometry, ref.geometry)


@pytest.mark.parametrize("seed", range(6))
def test_landcover_grid_equals_the_per_cell_classes(tmp_path, seed) -> None:
    """Lon/lat map: the class mask and composition computed on the map's cells equal the
    per-cell ones (blocks partly outside the map included)."""
    from rangemap.criteria import BlockData, CellAreas
    from rangemap.rasters.dem import ClassGrid, sample_categorical

    rng = np.random.default_rng(seed)
    dem = _lonlat_dem(tmp_path)
    lc = _landcover(tmp_path)
    crit = LandCover(str(lc), classes=(2, 3, 7))
    src = open_dem(dem)
    try:
        r0, c0 = int(rng.integers(0, 140)), int(rng.integers(0, 140))
        n, m = int(rng.integers(1, 151 - r0)), int(rng.integers(1, 151 - c0))
        blk = BlockData(src, r0, c0, n, m, np.zeros((n, m), "int16"), None)
        grid = sample_categorical(str(lc), blk)
        assert isinstance(grid, ClassGrid)
        cells = grid.expand()
        x, y = blk.centres()
        with rasterio.open(lc) as d:
            inv = ~d.transform
            ci = np.floor(inv.a * x + inv.c).astype(int)
            ri = np.floor(inv.e * y + inv.f).astype(int)
            arr = d.read(1)
        ok = (ri[:, None] >= 0) & (ri[:, None] < 20) & (ci >= 0) & (ci < 20)
        want = np.where(ok, arr[np.clip(ri, 0, 19)][:, np.clip(ci, 0, 19)], 255).astype(int)
        np.testing.assert_array_equal(cells, np.where(want == 255, 256, want))
        np.testing.assert_array_equal(crit.mask(grid), crit.mask(cells))
        rows = rng.uniform(0.5, 1.0, n)
        areas = CellAreas(rows, lambda mk: np.repeat(
            rows, m if mk is None else mk.sum(axis=1)))
        for mk in (None, rng.random((n, m)) < 0.6, np.zeros((n, m), bool)):
            np.testing.assert_allclose(crit.summary(grid, mk, areas),
                                       crit.summary(cells, mk, areas), rtol=1e-12, atol=0)
    finally:
        src.dataset.close()


@pytest.mark.parametrize("chunk", [1, 7, 1 << 17])
def test_masked_values_equal_a_boolean_gather(monkeypatch, chunk) -> None:
    """Row chunks of indices give a[m] in C order, whatever the chunk size."""
    from rangemap import criteria

    monkeypatch.setattr(criteria, "_CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    for dtype in ("int16", "float32", "uint8"):
        a = rng.integers(-100, 100, (23, 17)).astype(dtype)
        for m in (rng.random(a.shape) < 0.3, np.zeros(a.shape, bool), np.ones(a.shape, bool)):
            got = criteria.masked_values(a, m)
            assert got.dtype == a.dtype
            np.testing.assert_array_equal(got, a[m])
