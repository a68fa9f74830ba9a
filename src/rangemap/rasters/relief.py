"""Shaded relief for offline maps: a hillshade PNG in Web Mercator rows.

There is no tile server offline, so each map page carries one small image of
the terrain under the layers.  The core (:func:`hillshade`, :func:`to_mercator_rows`,
:func:`png_rgba`) works on arrays; only :func:`relief_overlay` opens a DEM.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.windows import from_bounds

#: Sun position of the classic cartographic hillshade.
AZIMUTH_DEG = 315.0
ALTITUDE_DEG = 45.0
_M_PER_DEG = 111_320.0
_MERC_LAT = 85.05112878


def hillshade(z: np.ndarray, res_x_deg: float, res_y_deg: float, north: float,
              azimuth: float = AZIMUTH_DEG, altitude: float = ALTITUDE_DEG,
              exaggeration: float = 2.0) -> np.ndarray:
    """Hillshade (0..1) of a north-up lon/lat elevation grid (Horn's method).

    Cell spacing in metres is taken per row (a degree of longitude shrinks
    with latitude); NaN cells give NaN.
    """
    z = np.asarray(z, dtype="float64") * exaggeration
    rows = z.shape[0]
    lat = north - (np.arange(rows) + 0.5) * res_y_deg
    dx = (res_x_deg * _M_PER_DEG * np.cos(np.radians(np.clip(lat, -89.9, 89.9))))[:, None]
    dy = res_y_deg * _M_PER_DEG
    p = np.pad(z, 1, mode="edge")
    # Horn (1981) 3x3 gradients; rows run north -> south.
    gx = ((p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:])
          - (p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2])) / (8 * dx)
    gy = ((p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:])
          - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])) / (8 * dy)
    slope = np.arctan(np.hypot(gx, gy))
    # Aspect measured clockwise from north, pointing downslope.
    aspect = np.arctan2(-gx, gy)
    az = math.radians(azimuth)
    alt = math.radians(altitude)
    shade = (math.sin(alt) * np.cos(slope)
             + math.cos(alt) * np.sin(slope) * np.cos(az - aspect))
    return np.clip(shade, 0.0, 1.0)


def mercator_y(lat: np.ndarray | float) -> np.ndarray:
    """Web Mercator y (unit sphere) of a latitude in degrees."""
    phi = np.radians(np.clip(lat, -_MERC_LAT, _MERC_LAT))
    return np.log(np.tan(np.pi / 4 + phi / 2))


def mercator_rows_index(rows: int, north: float, south: float,
                        out_rows: int | None = None) -> np.ndarray:
    """For each output row (even in Mercator y), the nearest of ``rows`` rows even in latitude."""
    out_rows = rows if out_rows is None else out_rows
    y_n, y_s = mercator_y(north), mercator_y(south)
    y = y_n + (np.arange(out_rows) + 0.5) / out_rows * (y_s - y_n)
    lat = np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)
    return np.clip(((north - lat) / (north - south) * rows).astype(int), 0, rows - 1)


def to_mercator_rows(img: np.ndarray, north: float, south: float,
                     out_rows: int | None = None) -> np.ndarray:
    """Resample rows of an image spaced evenly in latitude to rows even in Mercator y.

    Longitude is linear in both, so columns are unchanged; each output row takes
    the nearest input row (``out_rows``, default as many as the input has).
    """
    return img[mercator_rows_index(img.shape[0], north, south, out_rows)]


def shaded_relief(z: np.ndarray, transform, out_rows: int | None = None,
                  hypsometric: bool = True, exaggeration: float = 2.0) -> np.ndarray:
    """Pure core: RGBA (uint8) shaded relief in Web Mercator rows from a lon/lat DEM.

    ``z`` is a north-up grid in metres (NaN = no data) and ``transform`` its
    affine transform in degrees (``a`` = column width, ``e`` = -row height,
    ``c``/``f`` = west/north edge).  Horn hillshade with per-row metre spacing,
    sun at azimuth 315°, altitude 45°; a pale hypsometric tint, or grey when
    ``hypsometric`` is False; rows resampled (nearest) to even Mercator y.
    """
    res_x, res_y, north = abs(transform.a), abs(transform.e), transform.f
    shade = hillshade(z, res_x, res_y, north, exaggeration=exaggeration)
    if hypsometric:
        rgba = tint(z, shade)
    else:
        grey = np.clip(255 * np.nan_to_num(shade, nan=1.0), 0, 255).astype("uint8")
        rgba = np.dstack([grey, grey, grey, np.where(np.isnan(z), 0, 255).astype("uint8")])
    south = north - res_y * z.shape[0]
    return to_mercator_rows(rgba, north, south, out_rows)


def tint(z: np.ndarray, shade: np.ndarray) -> np.ndarray:
    """RGBA uint8: a pale hypsometric tint modulated by the hillshade; NaN is transparent."""
    stops = np.array([-500, 0, 1000, 2500, 4000, 6000, 9000], dtype="float64")
    colours = np.array([[200, 220, 235], [225, 235, 215], [230, 228, 200], [225, 210, 180],
                        [210, 200, 190], [240, 240, 240], [255, 255, 255]], dtype="float64")
    zf = np.nan_to_num(z, nan=0.0)
    rgb = np.stack([np.interp(zf, stops, colours[:, k]) for k in range(3)], axis=-1)
    # flat ground (shade sin 45° = 0.71) at 0.85; slopes facing away down to ~0.3
    light = np.clip(0.25 + 0.85 * np.nan_to_num(shade, nan=1.0), 0.0, 1.0)
    rgba = np.empty(z.shape + (4,), dtype="uint8")
    rgba[..., :3] = np.clip(rgb * light[..., None], 0, 255).astype("uint8")
    rgba[..., 3] = np.where(np.isnan(z), 0, 255)
    return rgba


def png_rgba(rgba: np.ndarray) -> bytes:
    """Encode an (h, w, 4) uint8 array as PNG with the standard library only."""
    h, w, _ = rgba.shape
    # filter type 2 ("Up": difference to the row above) on every row; smooth relief
    # compresses about a third better than unfiltered
    rows = rgba.reshape(h, w * 4)
    up = rows.copy()
    up[1:] = rows[1:] - rows[:-1]  # uint8 arithmetic wraps modulo 256, as PNG wants
    raw = np.hstack([np.full((h, 1), 2, dtype="uint8"), up]).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def _read_lonlat(ds, w: float, s: float, e: float, n: float, shape: tuple[int, int]):
    """Decimated read of a lon/lat DEM over [w, e] x [s, n] (NaN where no data)."""
    win = from_bounds(w, s, e, n, transform=ds.transform)
    z = ds.read(1, window=win, out_shape=shape, boundless=True, masked=True,
                resampling=Resampling.average, fill_value=ds.nodata)
    return np.ma.filled(z.astype("float64"), np.nan)


def _segments(w: float, e: float) -> list[tuple[float, float]]:
    """[w, e] split at the antimeridian(s) into pieces inside [-180, 180]."""
    out, x = [], w
    while x < e - 1e-9:
        k = math.floor((x + 180.0) / 360.0)
        end = min(e, 180.0 + 360.0 * k)
        out.append((x - 360.0 * k, end - 360.0 * k))
        x = end
    return out


def relief_overlay(dem_paths: list[str | os.PathLike[str]],
                   bounds: tuple[float, float, float, float],
                   max_pixels: int = 1_000_000,
                   max_bytes: int = 1_000_000,
                   ) -> tuple[bytes, tuple[float, float, float, float], Path]:
    """Shaded relief PNG (Web Mercator rows) for ``bounds`` (lon/lat; may cross ±180).

    Uses the coarsest lon/lat DEM of ``dem_paths`` that covers the whole view
    (the global 5′ grid for the embedded data; a view that crosses ±180 needs
    a global DEM): a background needs coverage, not detail, and one DEM avoids
    seams where two of them meet.  The DEM is read decimated (``out_shape``,
    GDAL averaging, COG overviews) to at most ``max_pixels`` output pixels and
    never finer than the DEM; the pixel count is lowered until the PNG is at
    most ``max_bytes``.  Returns the PNG bytes, the bounds it covers and the
    DEM used.
    """
    png, b, used = _relief_overlay(dem_paths, bounds, max_pixels)
    for _ in range(4):
        if len(png) <= max_bytes:
            break
        max_pixels = int(max_pixels * 0.9 * max_bytes / len(png))
        png, b, used = _relief_overlay(dem_paths, bounds, max_pixels)
    return png, b, used


def covering_dem(dem_paths: Iterable[str | os.PathLike[str]],
                 extent: tuple[float, float, float, float],
                 ) -> str | os.PathLike[str] | None:
    """The coarsest lon/lat DEM of ``dem_paths`` that covers ``extent`` (w, s, e, n), or None.

    A view across ±180 (w < -180 or e > 180) needs a DEM spanning all longitudes.  Coarsest,
    because relief is drawn at display resolution: fewer cells to read for the same image.
    """
    w, s, e, n = extent
    crosses = w < -180 or e > 180
    best = None
    for p in dem_paths:
        with rasterio.open(Path(p)) as ds:
            if ds.crs is None or not ds.crs.is_geographic:
                continue
            b = ds.bounds
            covers_x = (b.left <= -179.9 and b.right >= 179.9) if crosses else (
                b.left <= w and b.right >= e)
            if covers_x and b.bottom <= s and b.top >= n:
                res = abs(ds.transform.a)
                if best is None or res > best[0]:
                    best = (res, p)
    return None if best is None else best[1]


def _relief_overlay(dem_paths: list[str | os.PathLike[str]],
                    bounds: tuple[float, float, float, float],
                    max_pixels: int,
                    ) -> tuple[bytes, tuple[float, float, float, float], Path]:

    w, s, e, n = bounds
    s, n = max(s, -_MERC_LAT), min(n, _MERC_LAT)
    dem = covering_dem(dem_paths, (w, s, e, n))
    if dem is None:
        raise ValueError("no lon/lat DEM covers the map view")
    # Output size from the view's shape in Mercator (what the reader sees).
    merc_h = float(mercator_y(n) - mercator_y(s))
    merc_w = math.radians(e - w)
    out_rows = max(2, int(math.sqrt(max_pixels * merc_h / max(merc_w, 1e-9))))
    cols = max(2, int(out_rows * merc_w / max(merc_h, 1e-9)))
    with rasterio.open(Path(dem)) as ds:
        res_native = abs(ds.transform.a)
        cols = min(cols, max(2, int((e - w) / res_native)))
        # lat rows: fine enough for the densest (highest-latitude) Mercator rows
        lat_rows = int(out_rows * (n - s) / math.degrees(merc_h) / max(
            math.cos(math.radians(max(abs(s), abs(n)))), 0.5))
        lat_rows = max(2, min(lat_rows, 2 * out_rows, int((n - s) / res_native)))
        out_rows = min(out_rows, 2 * lat_rows)
        pieces = []
        segs = _segments(w, e)
        left = cols
        for i, (a, b_) in enumerate(segs):
            c = left if i == len(segs) - 1 else max(1, round(cols * (b_ - a) / (e - w)))
            left -= c
            pieces.append(_read_lonlat(ds, a, s, b_, n, (lat_rows, max(1, c))))
        z = np.hstack(pieces)
    transform = Affine((e - w) / z.shape[1], 0, w, 0, -(n - s) / z.shape[0], n)
    # Coarse cells average slopes away: exaggerate more the coarser the image.
    exaggeration = min(6.0, 2.0 * max(1.0, math.sqrt(transform.a / 0.05)))
    rgba = shaded_relief(z, transform, out_rows=out_rows, exaggeration=exaggeration)
    return png_rgba(rgba), (w, s, e, n), Path(dem)
