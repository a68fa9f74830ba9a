"""Shaded relief: hillshade direction, Mercator rows, PNG encoding, DEM reads."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from rangemap.relief import (
    hillshade,
    mercator_y,
    png_rgba,
    relief_overlay,
    tint,
    to_mercator_rows,
)
from tests.conftest import DATA, write_dem


def _decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if tag == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    rows = [raw[r * (4 * w + 1) + 1:(r + 1) * (4 * w + 1)] for r in range(h)]
    return np.frombuffer(b"".join(rows), dtype="uint8").reshape(h, w, 4)


def test_png_round_trip() -> None:
    rgba = np.random.default_rng(1).integers(0, 256, (7, 5, 4)).astype("uint8")
    assert np.array_equal(_decode_png(png_rgba(rgba)), rgba)


def test_slope_facing_the_sun_is_brighter() -> None:
    # Elevation rising to the south-east faces north-west, towards a 315 deg sun.
    rows, cols = np.mgrid[0:100, 0:100]
    toward = (rows + cols) * 20.0
    away = -toward
    lit = hillshade(toward, 0.01, 0.01, 30.0).mean()
    dark = hillshade(away, 0.01, 0.01, 30.0).mean()
    flat = hillshade(np.zeros((8, 8)), 0.01, 0.01, 30.0)
    assert lit > dark
    assert np.allclose(flat, np.sin(np.radians(45)))


def test_mercator_rows_are_monotone_and_stretch_the_north() -> None:
    img = np.repeat(np.arange(100)[:, None], 3, axis=1)  # row index per row
    out = to_mercator_rows(img, 80.0, 0.0)
    assert np.all(np.diff(out[:, 0]) >= 0)
    # Near 80N a Mercator row spans fewer degrees than near the equator: rows repeat there.
    assert len(np.unique(out[:20, 0])) < len(np.unique(out[-20:, 0]))
    assert mercator_y(0.0) == pytest.approx(0.0)


def test_tint_makes_nodata_transparent() -> None:
    z = np.array([[np.nan, 1000.0], [5000.0, 0.0]])
    rgba = tint(z, np.ones_like(z))
    assert rgba[0, 0, 3] == 0 and rgba[1, 1, 3] == 255


def test_relief_overlay_reads_a_dem(tmp_path) -> None:
    rows, cols = np.mgrid[0:100, 0:100]
    dem = write_dem(tmp_path / "d.tif", (rows * 30.0 + cols * 10).astype("float32"), 80, 30,
                    0.1, nodata=-9999)
    png, b, used = relief_overlay([dem], (81.0, 22.0, 88.0, 29.0), max_pixels=2500)
    img = _decode_png(png)
    assert b == (81.0, 22.0, 88.0, 29.0) and used == dem
    assert img.shape[2] == 4 and 20 <= img.shape[0] <= 70
    assert len(np.unique(img[..., 0])) > 5


def test_relief_across_the_antimeridian_uses_the_global_grid() -> None:
    png, b, _ = relief_overlay([DATA / "elevation" / "pvlib_altitude_5min.tif"],
                            (160.0, 55.0, 200.0, 72.0), max_pixels=20_000)
    img = _decode_png(png)
    assert b[2] == 200.0 and img[..., 3].mean() > 0
