"""Shaded relief: hillshade direction, Mercator rows, PNG encoding, DEM reads."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from rangemap.rasters.relief import (
    hillshade,
    mercator_y,
    png_rgba,
    relief_overlay,
    tint,
    to_mercator_rows,
)
from tests.helpers import DATA, write_dem


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
    raw = np.frombuffer(zlib.decompress(idat), dtype="uint8").reshape(h, 4 * w + 1)
    out = np.zeros((h, 4 * w), dtype="uint8")
    for r in range(h):
        kind, line = raw[r, 0], raw[r, 1:]
        assert kind in (0, 2), kind  # None or Up: what png_rgba writes
        out[r] = line + out[r - 1] if kind == 2 and r else line
    return out.reshape(h, w, 4)


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


def test_shaded_relief_from_array_and_transform() -> None:
    from affine import Affine

    from rangemap.rasters.relief import shaded_relief

    # 8x8: a ramp rising to the east faces west (lit by a north-west sun) ...
    cols = np.tile(np.arange(8, dtype="float64"), (8, 1))
    t = Affine(0.01, 0, 85.0, 0, -0.01, 28.0)
    lit = shaded_relief(cols * 50.0, t, hypsometric=False)
    dark = shaded_relief(-cols * 50.0, t, hypsometric=False)
    assert lit.shape == (8, 8, 4) and lit.dtype == np.uint8
    assert lit[..., 0].mean() > dark[..., 0].mean()
    # ... 100x100 with a hypsometric tint and a nodata hole; Mercator rows on request
    rows, c = np.mgrid[0:100, 0:100]
    z = (rows * 30.0 + c * 10.0)
    z[40:50, 40:50] = np.nan
    t = Affine(0.1, 0, 80.0, 0, -0.1, 60.0)
    rgba = shaded_relief(z, t, out_rows=150)
    assert rgba.shape == (150, 100, 4)
    assert (rgba[..., 3] == 0).any() and (rgba[..., 3] == 255).mean() > 0.9
    png = png_rgba(rgba)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (100, 150)
    assert np.array_equal(_decode_png(png), rgba)


def test_horn_spacing_shrinks_with_latitude() -> None:
    # The same ramp in degrees is steeper in metres near the pole: less light on the lee side.
    ramp = -np.tile(np.arange(20, dtype="float64"), (20, 1)) * 100.0
    low = hillshade(ramp, 0.05, 0.05, 1.0, exaggeration=1.0).mean()
    high = hillshade(ramp, 0.05, 0.05, 70.0, exaggeration=1.0).mean()
    assert high < low


def test_mercator_row_index_is_monotone() -> None:
    from rangemap.rasters.relief import mercator_rows_index

    for north, south, n_in, n_out in ((80, 0, 100, 100), (30, -60, 64, 200), (10, 5, 8, 8)):
        ix = mercator_rows_index(n_in, north, south, n_out)
        assert len(ix) == n_out and ix[0] == 0 and ix[-1] == n_in - 1
        assert np.all(np.diff(ix) >= 0)


def test_segments_split_at_the_antimeridian() -> None:
    from rangemap.rasters.relief import _segments

    assert _segments(10, 20) == [(10, 20)]
    assert _segments(170, 200) == [(170, 180), (-180, -160)]
    assert _segments(-200, -170) == [(160, 180), (-180, -170)]
    assert sum(b - a for a, b in _segments(-75, 285)) == pytest.approx(360)


def test_relief_png_respects_the_byte_budget() -> None:
    dem = DATA / "elevation" / "pvlib_altitude_5min.tif"
    png, _, _ = relief_overlay([dem], (60.0, 20.0, 110.0, 50.0), max_bytes=60_000)
    assert len(png) <= 60_000
    assert struct.unpack(">II", png[16:24])[0] > 50
