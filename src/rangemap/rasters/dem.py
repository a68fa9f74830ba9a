"""DEM access: open several elevation rasters and read masked windows.

Only this module opens raster files.  DEMs are kept open for the duration of
a build (``DemStack`` is a context manager) and read window by window, so
memory is bounded by a unit's bounding box, not by the DEM's size.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer
from rasterio.errors import RasterioIOError
from rasterio.windows import Window, from_bounds
from shapely.geometry import box

from rangemap.errors import DataError, first_line

#: The DEMs that ship with rangemap, by file stem: the short, stable name used in
#: outputs (``dem_source``) and the attribution shown on map pages.  Any other DEM
#: is named, and attributed, by its file stem.
KNOWN_SOURCES = {
    "globe30s_55e90e_20n50n": ("globe30s", "NOAA GLOBE 30″ DEM"),
    "pvlib_altitude_5min": (
        "pvlib5m",
        "pvlib 5′ global altitude grid (Mapzen terrain tiles: SRTM, GMTED, ETOPO1 and others)",
    ),
}
KNOWN_NAMES = {stem: short for stem, (short, _) in KNOWN_SOURCES.items()}


@dataclass
class DemSource:
    """One open DEM.

    Attributes
    ----------
    path : Path
        File path.
    name : str
        Short name used in ``dem_source`` (e.g. ``globe30s``).
    dataset : rasterio.io.DatasetReader
        Open dataset.
    transform : Affine
        Pixel-to-CRS transform (lon/lat degrees for geographic DEMs).
    bounds : tuple
        (west, south, east, north) of the DEM's extent in lon/lat degrees.
    res_deg : float
        Cell size in degrees (the larger of x and y; for projected DEMs, the
        cell size at the DEM's centre expressed in degrees of latitude).
    native_bounds, footprint_ll, to_native, to_lonlat
        Set for projected DEMs only: their extent in their own CRS, that
        extent as a lon/lat polygon, and the transformers between the two.
    """

    path: Path
    name: str
    dataset: rasterio.io.DatasetReader
    transform: Affine
    bounds: tuple[float, float, float, float]
    res_deg: float
    native_bounds: tuple[float, float, float, float] | None = None
    footprint_ll: shapely.Geometry | None = None
    to_native: Transformer | None = None
    to_lonlat: Transformer | None = None

    @property
    def geographic(self) -> bool:
        """True for lon/lat DEMs (read directly), False for projected ones."""
        return self.to_native is None

    @property
    def footprint(self) -> shapely.Geometry:
        """The DEM's extent as a lon/lat polygon."""
        if self.footprint_ll is not None:
            return self.footprint_ll
        return box(*self.bounds)

    def native(self, geom: shapely.Geometry) -> shapely.Geometry:
        """A lon/lat geometry in the DEM's CRS (edges densified first)."""
        if self.to_native is None:
            return geom
        dense = shapely.segmentize(geom, self.res_deg * 4)
        tr = self.to_native
        return shapely.transform(dense, lambda xy: np.column_stack(tr.transform(*xy.T)))

    def lonlat(self, geom: shapely.Geometry) -> shapely.Geometry:
        """A geometry in the DEM's CRS back in lon/lat (edges densified first)."""
        if self.to_lonlat is None:
            return geom
        dense = shapely.segmentize(geom, abs(self.transform.a) * 4)
        tr = self.to_lonlat
        return shapely.transform(dense, lambda xy: np.column_stack(tr.transform(*xy.T)))

    @property
    def resolution_label(self) -> str:
        """Cell size as people say it: ``30″``, ``5′``, ``3″``."""
        sec = self.res_deg * 3600
        if sec >= 60 and abs(sec / 60 - round(sec / 60)) < 1e-6:
            return f"{round(sec / 60)}′"
        if abs(sec - round(sec)) < 1e-6:
            return f"{round(sec)}″"
        return f"{sec:.2f}″"


def sources_text(names: Sequence[str]) -> str | None:
    """The ``dem_source`` of a table row: the DEM names joined by ``+``, None for none."""
    return "+".join(names) if names else None


def resolutions_text(names: Sequence[str], labels: Mapping[str, str]) -> str | None:
    """The ``dem_resolution`` of a table row: each DEM's cell size (``labels``, by name,
    ``?`` for a DEM not among them) joined by ``+``, None for none."""
    return "+".join(labels.get(n, "?") for n in names) if names else None


def source_name(path: Path) -> str:
    """Short name for a DEM file."""
    return KNOWN_NAMES.get(path.stem, path.stem)


def attribution(path: Path) -> str:
    """Display name (attribution) of a DEM file, as map pages credit it."""
    known = KNOWN_SOURCES.get(path.stem)
    return known[1] if known else path.stem


def open_dem(path: str | os.PathLike[str]) -> DemSource:
    """Open a DEM and check it is usable.

    Raises
    ------
    DataError
        Missing or unreadable file, no CRS, not north-up lon/lat, several bands.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: DEM not found; pass --dem with an existing GeoTIFF/VRT")
    try:
        ds = rasterio.open(p)
    except RasterioIOError as exc:
        raise DataError(f"{p}: cannot read DEM ({first_line(exc, 'unreadable')}); pass a "
                        "GeoTIFF, COG or VRT") from exc
    if ds.crs is None:
        ds.close()
        raise DataError(f"{p}: DEM has no CRS; assign one (gdal_edit.py -a_srs EPSG:4326)")
    if ds.count < 1:
        ds.close()
        raise DataError(f"{p}: DEM has no band; pass a single-band elevation raster")
    t = ds.transform
    if t.b != 0 or t.d != 0 or t.e >= 0:
        ds.close()
        raise DataError(f"{p}: DEM is rotated or not north-up; warp it north-up first")
    b = ds.bounds
    native = (b.left, b.bottom, b.right, b.top)
    if ds.crs.is_geographic:
        # Any geographic CRS is read as WGS84 lon/lat: datum shifts (< 200 m)
        # are far below the cell sizes rangemap works at.
        return DemSource(path=p, name=source_name(p), dataset=ds, transform=t, bounds=native,
                         res_deg=max(abs(t.a), abs(t.e)))
    try:
        to_native = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True)
        to_lonlat = Transformer.from_crs(ds.crs, "EPSG:4326", always_xy=True)
    except Exception as exc:  # pyproj.exceptions.CRSError and friends
        ds.close()
        raise DataError(f"{p}: cannot use the DEM's CRS ({exc}); reproject it to EPSG:4326") \
            from exc
    fp = shapely.segmentize(box(*native), max(native[2] - native[0], native[3] - native[1]) / 64)
    fp_ll = shapely.transform(fp, lambda xy: np.column_stack(to_lonlat.transform(*xy.T)))
    if not fp_ll.is_valid or not np.all(np.isfinite(fp_ll.bounds)):
        ds.close()
        raise DataError(f"{p}: the DEM's extent does not map to lon/lat; reproject it to "
                        "EPSG:4326")
    # Cell size in degrees at the DEM's centre, to rank it against lon/lat DEMs.
    cx, cy = (native[0] + native[2]) / 2, (native[1] + native[3]) / 2
    lon0, lat0 = to_lonlat.transform(cx, cy)
    lon1, lat1 = to_lonlat.transform(cx + abs(t.a), cy + abs(t.e))
    res_deg = max(abs(lat1 - lat0), abs(lon1 - lon0) * math.cos(math.radians(lat0)))
    return DemSource(path=p, name=source_name(p), dataset=ds, transform=t,
                     bounds=tuple(fp_ll.bounds), res_deg=res_deg, native_bounds=native,
                     footprint_ll=fp_ll, to_native=to_native, to_lonlat=to_lonlat)


class DemStack:
    """Several DEMs in priority order: finest first.

    Parameters
    ----------
    paths : sequence of path-like
        DEM files, any order; they are sorted by cell size (ties keep the
        given order).
    """

    def __init__(self, paths: list[str | os.PathLike[str]]):
        if not paths:
            raise DataError("no DEM given; pass --dem with at least one elevation raster")
        self.sources: list[DemSource] = []
        try:
            for p in paths:
                self.sources.append(open_dem(p))
        except DataError:
            self.close()
            raise
        self.sources.sort(key=lambda s: s.res_deg)

    def close(self) -> None:
        """Close every dataset."""
        for s in self.sources:
            s.dataset.close()

    def __enter__(self) -> DemStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self):
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)


#: Most cells one read may ask for (a guard against a damaged or hostile header that
#: claims a huge raster); set RANGEMAP_MAX_WINDOW_CELLS to change it.  The engine reads
#: blocks of at most a few million cells, so this only stops reads that went wrong.
DEFAULT_MAX_WINDOW_CELLS = 1 << 28


def resolution_labels(sources: Iterable[DemSource]) -> dict[str, str]:
    """Each DEM's cell size as people say it (``resolution_label``), by DEM name."""
    return {s.name: s.resolution_label for s in sources}


def check_window(src: DemSource, win: Window) -> None:
    """Refuse a read larger than the configured window limit (DataError)."""
    limit = int(os.environ.get("RANGEMAP_MAX_WINDOW_CELLS", DEFAULT_MAX_WINDOW_CELLS))
    cells = int(win.width) * int(win.height)
    if cells > limit:
        raise DataError(f"{src.path}: a read of {cells:,} cells exceeds the limit of {limit:,} "
                        "(RANGEMAP_MAX_WINDOW_CELLS); is the raster header right?")


def read_error(src: DemSource, exc: BaseException) -> DataError:
    """The one-line error for a DEM whose cells cannot be read (damaged or cut off)."""
    return DataError(f"{src.path}: cannot read DEM cells ({first_line(exc, 'read failed')}); "
                     "is the file truncated?")


def window_for_bounds(src: DemSource, bounds: tuple[float, float, float, float]) -> Window | None:
    """Whole-cell window of ``src`` covering ``bounds`` (in the DEM's CRS), clipped."""
    w, s, e, n = bounds
    bw, bs, be, bn = src.native_bounds or src.bounds
    w, s, e, n = max(w, bw), max(s, bs), min(e, be), min(n, bn)
    if w >= e or s >= n:
        return None
    win = from_bounds(w, s, e, n, transform=src.transform)
    col0 = max(0, math.floor(win.col_off + 1e-9))
    row0 = max(0, math.floor(win.row_off + 1e-9))
    col1 = min(src.dataset.width, math.ceil(win.col_off + win.width - 1e-9))
    row1 = min(src.dataset.height, math.ceil(win.row_off + win.height - 1e-9))
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def read_window(
    src: DemSource, bounds: tuple[float, float, float, float]
) -> tuple[np.ma.MaskedArray, Affine] | None:
    """Read the cells of ``src`` covering ``bounds`` (DEM CRS) as a masked array.

    Returns
    -------
    (array, transform) or None
        ``None`` when ``bounds`` misses the raster.
    """
    win = window_for_bounds(src, bounds)
    if win is None:
        return None
    check_window(src, win)
    try:
        arr = src.dataset.read(1, window=win, masked=True)
    except RasterioIOError as exc:
        raise read_error(src, exc) from exc
    return arr, src.dataset.window_transform(win)


# --------------------------------------------------------------------------- categorical

@dataclass
class CategoricalSource:
    """An open categorical raster (land cover), sampled at DEM cell centres."""

    path: Path
    dataset: rasterio.io.DatasetReader
    transform: Affine
    geographic: bool
    nodata: float | None
    #: Transformers from a DEM's CRS (WKT) to this raster's CRS, built on first use.
    from_crs: dict = field(default_factory=dict)


#: Categorical rasters open in this process, by path (workers fill it lazily).
_CATEGORICAL: dict[str, CategoricalSource] = {}


def open_categorical(path: str | os.PathLike[str]) -> CategoricalSource:
    """Open (once per process) a single-band categorical raster such as a land-cover map.

    Raises
    ------
    DataError
        Missing or unreadable file, no CRS, rotated grid, or not an integer raster.
    """
    key = str(path)
    src = _CATEGORICAL.get(key)
    if src is not None:
        return src
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: land-cover raster not found; pass --landcover with an existing "
                        "GeoTIFF")
    try:
        ds = rasterio.open(p)
    except RasterioIOError as exc:
        raise DataError(f"{p}: cannot read land-cover raster ({first_line(exc, 'unreadable')}); "
                        "pass a GeoTIFF or VRT") from exc
    t = ds.transform
    problem = None
    if ds.crs is None:
        problem = "it has no CRS; assign one (gdal_edit.py -a_srs EPSG:4326)"
    elif t.b != 0 or t.d != 0 or t.e >= 0:
        problem = "it is rotated or not north-up; warp it north-up first"
    elif np.dtype(ds.dtypes[0]).kind not in "iu":
        problem = f"its cells are {ds.dtypes[0]}, not class codes; pass a classified map"
    if problem:
        ds.close()
        raise DataError(f"{p}: land-cover raster unusable: {problem}")
    # Any geographic CRS is read as WGS84 lon/lat (the MODIS CMG file's Clarke 1866 label
    # is an artefact of its conversion; at 0.05° a datum shift is far below a cell).
    src = CategoricalSource(path=p, dataset=ds, transform=t, geographic=ds.crs.is_geographic,
                            nodata=ds.nodata)
    _CATEGORICAL[key] = src
    return src


@dataclass
class ClassGrid:
    """Land-cover classes of a block's cells as a small grid and two index vectors.

    When the DEM and the map are both lon/lat, the class of DEM cell (i, j) is
    ``cls[rr[i], cc[j]]``: the map's rows and columns are looked up separately, so a
    criterion can work on the few map cells (a class mask, per-class counts by runs of
    equal index) and expand only the result.  ``cls`` has one extra last row and column
    of 256 (no class) for DEM cells outside the map.
    """

    cls: np.ndarray
    rr: np.ndarray
    cc: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.rr.size, self.cc.size

    def expand(self, table: np.ndarray | None = None) -> np.ndarray:
        """The per-cell array: ``table[class]`` of every cell (the class itself if None)."""
        small = self.cls if table is None else table[self.cls]
        return small.take(self.rr, axis=0).take(self.cc, axis=1)

    def runs(self) -> tuple[np.ndarray, np.ndarray]:
        """Starts of the runs of equal row index and of equal column index."""
        return (np.flatnonzero(np.r_[True, self.rr[1:] != self.rr[:-1]]),
                np.flatnonzero(np.r_[True, self.cc[1:] != self.cc[:-1]]))


def _lc_read(src: CategoricalSource, ri: np.ndarray, ci: np.ndarray,
             pairs: bool) -> np.ndarray | ClassGrid:
    """Classes (0..255, 256 = none) at raster rows ``ri`` and columns ``ci``.

    ``pairs``: ``ri``/``ci`` are per cell (same shape), and the result is the per-cell
    array; else ``ri`` per row and ``ci`` per column of a grid, and the result is a
    :class:`ClassGrid`.  Indices outside the raster give 256.
    """
    ds = src.dataset
    h, w = ds.height, ds.width
    inr = (ri >= 0) & (ri < h)
    inc = (ci >= 0) & (ci < w)
    none = np.uint16(256)
    ok = (inr & inc) if pairs else None
    if pairs and not ok.any():
        return np.full(ri.shape, none, dtype="uint16")
    if not pairs and (not inr.any() or not inc.any()):
        return ClassGrid(np.full((1, 1), none, dtype="uint16"),
                         np.zeros(ri.size, dtype="intp"), np.zeros(ci.size, dtype="intp"))
    r_lo, r_hi = int(ri[inr].min()), int(ri[inr].max()) + 1
    c_lo, c_hi = int(ci[inc].min()), int(ci[inc].max()) + 1
    win = Window(c_lo, r_lo, c_hi - c_lo, r_hi - r_lo)
    try:
        arr = ds.read(1, window=win)
    except RasterioIOError as exc:
        raise DataError(f"{src.path}: cannot read land-cover cells "
                        f"({first_line(exc, 'read failed')}); is the file truncated?") from exc
    cls = _classes(arr, src.nodata)
    if pairs:
        out = np.full(ri.shape, none, dtype="uint16")
        out[ok] = cls[ri[ok] - r_lo, ci[ok] - c_lo]
        return out
    grid = np.full((cls.shape[0] + 1, cls.shape[1] + 1), none, dtype="uint16")
    grid[:-1, :-1] = cls
    rr = np.where(inr, ri - r_lo, cls.shape[0]).astype("intp")
    cc = np.where(inc, ci - c_lo, cls.shape[1]).astype("intp")
    return ClassGrid(grid, rr, cc)


def _classes(arr: np.ndarray, nodata: float | None) -> np.ndarray:
    """Codes as uint16 0..255, 256 for nodata and codes outside 0..255."""
    if arr.dtype == np.uint8:
        lut = np.arange(256, dtype="uint16")
        if nodata is not None and 0 <= nodata <= 255 and nodata == int(nodata):
            lut[int(nodata)] = 256
        return lut[arr]
    cls = np.full(arr.shape, 256, dtype="uint16")
    ok = (arr >= 0) & (arr <= 255)
    if nodata is not None:
        ok &= arr != nodata
    cls[ok] = arr[ok]
    return cls


def sample_categorical(path: str, blk) -> np.ndarray | ClassGrid:
    """Class of the nearest land-cover cell at each DEM cell centre of a block.

    Codes 0..255, 256 where the map has no class (nodata, outside it, or a code above
    255).  When the DEM and the map are both lon/lat, rows and columns are looked up
    separately and the result is a :class:`ClassGrid` (``.expand()`` gives the per-cell
    array); otherwise each cell centre is transformed into the map's CRS and the result is
    the ``(nrows, ncols)`` uint16 array.
    """
    src = open_categorical(path)
    dem = blk.src
    x, y = blk.centres()
    inv = ~src.transform
    if dem.geographic and src.geographic:
        ci = np.floor(inv.a * x + inv.c).astype("int64")
        ri = np.floor(inv.e * y + inv.f).astype("int64")
        return _lc_read(src, ri, ci, pairs=False)
    xx, yy = np.meshgrid(x, y)
    dem_crs = "EPSG:4326" if dem.geographic else dem.dataset.crs.to_wkt()
    tr = src.from_crs.get(dem_crs)
    if tr is None:
        to = "EPSG:4326" if src.geographic else src.dataset.crs
        tr = src.from_crs[dem_crs] = Transformer.from_crs(dem_crs, to, always_xy=True)
    lx, ly = tr.transform(xx.ravel(), yy.ravel())
    lx, ly = np.asarray(lx), np.asarray(ly)
    with np.errstate(invalid="ignore"):
        ci = np.floor(inv.a * lx + inv.c)
        ri = np.floor(inv.e * ly + inv.f)
    bad = ~(np.isfinite(ci) & np.isfinite(ri))
    ci = np.where(bad, -1, ci).astype("int64").reshape(xx.shape)
    ri = np.where(bad, -1, ri).astype("int64").reshape(xx.shape)
    return _lc_read(src, ri, ci, pairs=True)


def block_halo(src: DemSource, row0: int, col0: int, data: np.ndarray,
               valid: np.ndarray | None, need: np.ndarray | None, valid_of) -> np.ndarray:
    """The float32 halo of a block already read: its cells plus a one-cell border.

    Parameters
    ----------
    data, valid : numpy.ndarray
        The block as read (native dtype) and its data mask (None: all valid).
    need : numpy.ndarray or None
        Cells whose slope can matter (the engine passes the cells that can still be
        habitat; None: every cell).  Only these cells get the values a whole-DEM halo
        would give them; elsewhere the array may hold anything finite.
    valid_of : callable
        ``valid_of(data, window)``: the data mask of a read (None: all valid).

    Returns
    -------
    numpy.ndarray
        ``(nrows + 2, ncols + 2)`` float32; border cells outside the DEM and cells without
        data are NaN (the slope fills them, see :func:`rangemap.criteria.horn_gradient2`).

    Notes
    -----
    The block itself is not read again, and of the border only the strips next to
    ``need`` cells are read: a border row belongs to the neighbouring tile and reading
    one row of it decodes a whole row of that tile's internal tiles (512 rows for a
    512-cell tiling), so reading the border blindly cost more than the slope.  Rows
    that hold no ``need`` cell, nor a neighbour of one, are not converted.
    """
    ds = src.dataset
    nrows, ncols = data.shape
    z = np.empty((nrows + 2, ncols + 2), dtype="float32")
    if need is None:
        a, b = 0, nrows
    else:
        r = np.flatnonzero(need.any(axis=1))
        if not r.size:
            return z
        a, b = int(r[0]), int(r[-1]) + 1
    lo, hi = max(a - 1, 0), min(b + 1, nrows)
    part = z[lo + 1:hi + 1, 1:-1]
    part[...] = data[lo:hi]
    if valid is not None and not valid[lo:hi].all():
        np.putmask(part, ~valid[lo:hi], np.float32(np.nan))
    # A finite filler where no strip is read: those cells neighbour no need cell.
    z[0] = z[-1] = 0
    z[:, 0] = z[:, -1] = 0

    def extent(line: np.ndarray | None, n: int) -> tuple[int, int] | None:
        """Halo index range [first, stop) next to the need cells of one edge line."""
        if line is None:
            return 0, n + 2
        k = np.flatnonzero(line)
        return (int(k[0]), int(k[-1]) + 3) if k.size else None

    strips = []  # (halo rows, halo cols) to read from the DEM
    if a == 0:
        e = extent(None if need is None else need[0], ncols)
        if e:
            strips.append(((0, 1), e))
    if b == nrows:
        e = extent(None if need is None else need[-1], ncols)
        if e:
            strips.append(((nrows + 1, nrows + 2), e))
    for col, hc in ((0, 0), (ncols - 1, ncols + 1)):
        e = extent(None if need is None else need[:, col], nrows)
        if e:
            strips.append((e, (hc, hc + 1)))
    for (h0, h1), (k0, k1) in strips:
        z[h0:h1, k0:k1] = np.nan
        # Halo (h, k) is DEM (row0 - 1 + h, col0 - 1 + k); clip to the DEM.
        r0, r1 = max(row0 - 1 + h0, 0), min(row0 - 1 + h1, ds.height)
        c0, c1 = max(col0 - 1 + k0, 0), min(col0 - 1 + k1, ds.width)
        if r0 >= r1 or c0 >= c1:
            continue
        win = Window(c0, r0, c1 - c0, r1 - r0)
        try:
            arr = ds.read(1, window=win)
            ok = valid_of(arr, win)
        except RasterioIOError as exc:
            raise read_error(src, exc) from exc
        dst = z[r0 - row0 + 1:r1 - row0 + 1, c0 - col0 + 1:c1 - col0 + 1]
        dst[...] = arr
        if ok is not None:
            np.putmask(dst, ~ok, np.float32(np.nan))
    return z
