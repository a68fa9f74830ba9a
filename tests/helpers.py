"""Helpers shared by the tests: tiny DEMs and boundaries generated in code.

Imported as ``from tests.helpers import ...`` (``tests`` is a package, so a bare
``pytest`` from the repository root collects every module).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, box

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def write_dem(path: Path, arr: np.ndarray, west: float, north: float, res: float,
              nodata: float | None = -32768, crs: str | None = "EPSG:4326") -> Path:
    """Write a single-band GeoTIFF DEM (north-up, pixel-is-area)."""
    profile = {
        "driver": "GTiff", "height": arr.shape[0], "width": arr.shape[1], "count": 1,
        "dtype": arr.dtype.name, "transform": from_origin(west, north, res, res),
    }
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
    return path


def ramp_dem() -> np.ndarray:
    """8x8 int16 DEM over 0..8E x 0..8N (1 degree cells): z = 1000*col + 100*row."""
    rows, cols = np.mgrid[0:8, 0:8]
    return (1000 * cols + 100 * rows).astype("int16")


def write_boundaries(path: Path) -> Path:
    """Two box countries AAA (0..4E) and BBB (4..8E), BBB split into North/South units."""
    a0 = gpd.GeoDataFrame(
        {"iso3": ["AAA", "BBB"], "name": ["Aland", "Beeland"]},
        geometry=[MultiPolygon([box(0, 0, 4, 8)]), MultiPolygon([box(4, 0, 8, 8)])],
        crs="EPSG:4326",
    )
    a1 = gpd.GeoDataFrame(
        {"iso3": ["AAA", "BBB", "BBB"], "name": ["Aland", "Beeland", "Beeland"],
         "admin1_name": ["Aland Whole", "North Bee", "South Bee"],
         "aliases": ["", "Upper Bee", ""]},
        geometry=[MultiPolygon([box(0, 0, 4, 8)]), MultiPolygon([box(4, 4, 8, 8)]),
                  MultiPolygon([box(4, 0, 8, 4)])],
        crs="EPSG:4326",
    )
    a0.to_file(path, layer="admin0", driver="GPKG")
    a1.to_file(path, layer="admin1", driver="GPKG")
    return path
