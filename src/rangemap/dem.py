"""DEM access: open several elevation rasters and read masked windows.

Only this module opens raster files.  DEMs are kept open for the duration of
a build (``DemStack`` is a context manager) and read window by window, so
memory is bounded by a unit's bounding box, not by the DEM's size.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import RasterioIOError
from rasterio.windows import Window, from_bounds

from rangemap.errors import DataError

# Known embedded sources get a short, stable name in outputs; any other DEM
# is named after its file stem.
KNOWN_NAMES = {
    "globe30s_55e90e_20n50n": "globe30s",
    "pvlib_altitude_5min": "pvlib5m",
}


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
        Pixel-to-lon/lat transform.
    bounds : tuple
        (west, south, east, north) in degrees.
    res_deg : float
        Cell size in degrees (the larger of x and y).
    """

    path: Path
    name: str
    dataset: rasterio.io.DatasetReader
    transform: Affine
    bounds: tuple[float, float, float, float]
    res_deg: float

    @property
    def resolution_label(self) -> str:
        """Cell size as people say it: ``30″``, ``5′``, ``3″``."""
        sec = self.res_deg * 3600
        if sec >= 60 and abs(sec / 60 - round(sec / 60)) < 1e-6:
            return f"{round(sec / 60)}′"
        if abs(sec - round(sec)) < 1e-6:
            return f"{round(sec)}″"
        return f"{sec:.2f}″"


def source_name(path: Path) -> str:
    """Short name for a DEM file."""
    return KNOWN_NAMES.get(path.stem, path.stem)


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
        first = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise DataError(f"{p}: cannot read DEM ({first}); pass a GeoTIFF, COG or VRT") from exc
    if ds.crs is None:
        ds.close()
        raise DataError(f"{p}: DEM has no CRS; assign one (gdal_edit.py -a_srs EPSG:4326)")
    if not ds.crs.is_geographic:
        ds.close()
        raise DataError(
            f"{p}: DEM CRS {ds.crs.to_string()} is projected; this version reads lon/lat "
            "DEMs only: reproject it (gdalwarp -t_srs EPSG:4326)"
        )
    t = ds.transform
    if t.b != 0 or t.d != 0 or t.e >= 0:
        ds.close()
        raise DataError(f"{p}: DEM is rotated or not north-up; warp it north-up first")
    b = ds.bounds
    return DemSource(
        path=p,
        name=source_name(p),
        dataset=ds,
        transform=t,
        bounds=(b.left, b.bottom, b.right, b.top),
        res_deg=max(abs(t.a), abs(t.e)),
    )


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


def window_for_bounds(src: DemSource, bounds: tuple[float, float, float, float]) -> Window | None:
    """Whole-cell window of ``src`` covering ``bounds``, clipped to the raster."""
    w, s, e, n = bounds
    bw, bs, be, bn = src.bounds
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
    """Read the cells of ``src`` covering ``bounds`` as a masked array.

    Returns
    -------
    (array, transform) or None
        ``None`` when ``bounds`` misses the raster.
    """
    win = window_for_bounds(src, bounds)
    if win is None:
        return None
    try:
        arr = src.dataset.read(1, window=win, masked=True)
    except RasterioIOError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "read failed"
        raise DataError(f"{src.path}: cannot read DEM cells ({first}); is the file truncated?")
    return arr, src.dataset.window_transform(win)
