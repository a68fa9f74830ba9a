"""Make a reproducible 3″ DEM (Copernicus GLO-90 spacing) over the central Himalaya.

77-89E x 26-32N: 72 tiles, 1.04e8 cells.

The 30″ GLOBE grid (data/elevation/globe30s_55e90e_20n50n.tif) is upsampled 10x
(bilinear) and given seeded sub-cell relief: a correlated field (σ 60 m, ~8-cell
correlation) plus white noise (σ 8 m).  Output: one 1° x 1° GeoTIFF per tile
(1200 x 1200 int16, 512-cell internal tiles, ZSTD), like Copernicus DEM tiles, and a
VRT over them.  ``--big`` also writes ``himalaya3s_1e9.vrt``: the tile block placed
2 x 5 times over 66-90E x 6-36N (1.04e9 cells) for the 1e9-cell run; each copy is a
separate set of files with its own noise seed, so no tile is decoded (or cached) twice.

    python benchmarks/make_dem.py --out /tmp/rmbench            # 1.04e8 cells
    python benchmarks/make_dem.py --out /tmp/rmbench --big
    python benchmarks/make_dem.py --out /tmp/rmbench_zstd1 --compress zstd1   # decode ceiling
    python benchmarks/make_dem.py --out /tmp/rmbench_smooth --smooth  # no white noise

``--smooth`` leaves out the white noise: the same relief without the cell-to-cell speckle
that makes a slope mask ragged (for the criteria benchmark's polygon mode).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.transform import from_origin
from rasterio.windows import Window

ROOT = Path(__file__).resolve().parents[1]
GLOBE = ROOT / "data" / "elevation" / "globe30s_55e90e_20n50n.tif"
# Inside GLOBE's 55-90E: Nepal, Sikkim and Uttarakhand (Bhutan lies east of 90E).
WEST, EAST, SOUTH, NORTH = 77, 89, 26, 32
N = 1200  # cells per degree at 3″
#: Tile compression.  ``zstd`` (default, level 9 + horizontal predictor) decodes like the
#: DEFLATE of real GLO-90 COGs (~80 M cells/s per core here); ``zstd1`` (level 1, no
#: predictor) decodes ~2.5x faster, ``none`` ~5x: they show where the decode ceiling is.
COMPRESS = {"zstd": {"compress": "ZSTD", "predictor": 2},
            "zstd1": {"compress": "ZSTD", "zstd_level": 1, "predictor": 1},
            "deflate": {"compress": "DEFLATE", "predictor": 2},
            "none": {"compress": "NONE"}}
SEED = 20240601


def _interp_matrix(n_out: int, n_in: int) -> np.ndarray:
    """Linear interpolation matrix (n_out x n_in) from a coarse to a fine grid."""
    x = np.linspace(0, n_in - 1, n_out)
    i0 = np.clip(np.floor(x).astype(int), 0, n_in - 2)
    f = x - i0
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), i0] = 1 - f
    m[np.arange(n_out), i0 + 1] = f
    return m


def tile(src: rasterio.DatasetReader, lon: int, lat: int, rep: int = 0,
         smooth: bool = False) -> np.ndarray:
    """3″ elevation of the 1° tile whose south-west corner is (lon, lat); ``rep`` > 0
    gives another copy with its own noise; ``smooth`` leaves out the white noise."""
    t = src.transform
    col = (lon - t.c) / t.a
    row = (lat + 1 - t.f) / t.e
    z = src.read(1, window=Window(col, row, 120, 120), out_shape=(N, N),
                 resampling=Resampling.bilinear).astype("float64")
    rng = np.random.default_rng([SEED, lon, lat] + ([rep] if rep else []))
    m = _interp_matrix(N, N // 8 + 1)
    z += 60 * (m @ rng.normal(size=(N // 8 + 1, N // 8 + 1)) @ m.T) * 2.0
    noise = rng.normal(0, 8, (N, N))  # drawn either way: the same stream as before
    if not smooth:
        z += noise
    return np.clip(np.round(z), -500, 8900).astype("int16")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--big", action="store_true", help="also write the 1e9-cell VRT")
    ap.add_argument("--compress", choices=sorted(COMPRESS), default="zstd",
                    help="tile compression (default zstd: like GLO-90's DEFLATE to decode)")
    ap.add_argument("--smooth", action="store_true",
                    help="no white noise (a smoother slope mask, for the criteria benchmark)")
    a = ap.parse_args()
    jobs = [(a.out, lat, lon, 0, a.compress, a.smooth) for lat in range(SOUTH, NORTH)
            for lon in range(WEST, EAST)]
    paths = [tile_path(a.out, lat, lon, 0) for _, lat, lon, _, _, _ in jobs]
    if a.big:
        jobs += [(a.out, lat, lon, r, a.compress, a.smooth) for r in range(1, 10)
                 for lat in range(SOUTH, NORTH) for lon in range(WEST, EAST)]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(write_tile, jobs, chunksize=4))
    vrt = a.out / "himalaya3s.vrt"
    if shutil.which("gdalbuildvrt"):
        subprocess.run(["gdalbuildvrt", "-q", str(vrt), *map(str, paths)], check=True)
    else:  # no GDAL command line tools: rangemap writes the same mosaic VRT itself
        from rangemap.rasters.fetch import write_vrt

        write_vrt(paths, vrt)
    print(vrt, (EAST - WEST) * (NORTH - SOUTH) * N * N, "cells")
    if a.big:
        big = a.out / "himalaya3s_1e9.vrt"
        big.write_text(_repeat_vrt(a.out, reps=(2, 5), west=66, north=36))
        print(big, (EAST - WEST) * 2 * (NORTH - SOUTH) * 5 * N * N, "cells")


def tile_path(out: Path, lat: int, lon: int, rep: int) -> Path:
    if rep == 0:
        return out / "tiles" / f"syn3s_N{lat:02d}_E{lon:03d}.tif"
    return out / "tiles_1e9" / f"syn3s_r{rep}_N{lat:02d}_E{lon:03d}.tif"


def write_tile(job) -> None:
    out, lat, lon, rep, compress, smooth = job
    p = tile_path(out, lat, lon, rep)
    if p.exists():
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    prof = {"driver": "GTiff", "width": N, "height": N, "count": 1,
            "dtype": "int16", "crs": "EPSG:4326", "nodata": -32768,
            "transform": from_origin(lon, lat + 1, 1 / N, 1 / N), "tiled": True,
            "blockxsize": 512, "blockysize": 512, **COMPRESS[compress]}
    with rasterio.open(GLOBE) as src:
        z = tile(src, lon, lat, rep, smooth)
    tmp = p.with_suffix(".part.tif")
    with rasterio.open(tmp, "w", **prof) as dst:
        dst.write(z, 1)
    os.replace(tmp, p)


def _repeat_vrt(out: Path, reps: tuple[int, int], west: float, north: float) -> str:
    """A VRT placing reps[0] x reps[1] copies of the tile block (columns x rows)."""
    w, h = EAST - WEST, NORTH - SOUTH
    width, height = w * reps[0] * N, h * reps[1] * N
    src = []
    for ry in range(reps[1]):
        for rx in range(reps[0]):
            for lat in range(SOUTH, NORTH):
                for lon in range(WEST, EAST):
                    x = (rx * w + lon - WEST) * N
                    y = (ry * h + NORTH - 1 - lat) * N
                    p = tile_path(out, lat, lon, ry * reps[0] + rx)
                    src.append(
                        f'<ComplexSource><SourceFilename relativeToVRT="0">{p}</SourceFilename>'
                        f'<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="{N}" '
                        f'ySize="{N}"/><DstRect xOff="{x}" yOff="{y}" xSize="{N}" '
                        f'ySize="{N}"/><NODATA>-32768</NODATA></ComplexSource>')
    return (f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}"><SRS>EPSG:4326</SRS>'
            f'<GeoTransform>{west}, {1 / N!r}, 0, {north}, 0, {-1 / N!r}</GeoTransform>'
            f'<VRTRasterBand dataType="Int16" band="1"><NoDataValue>-32768</NoDataValue>'
            + "".join(src) + "</VRTRasterBand></VRTDataset>\n")


if __name__ == "__main__":
    main()
