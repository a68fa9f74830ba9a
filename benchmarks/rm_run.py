"""One benchmark method in its own process (run by benchmarks/run.py); prints JSON."""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["polygons", "area", "naive", "reference"])
    ap.add_argument("--range", required=True)
    ap.add_argument("--dem", required=True)
    ap.add_argument("--min", type=float, default=2500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    t0 = time.perf_counter()
    out = globals()[a.mode](a)
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out))


def _range(path):
    import geopandas as gpd

    return gpd.read_file(path)


def polygons(a, poly=True):
    from rangemap import engine
    from rangemap.rasters.dem import DemStack

    gdf = _range(a.range)
    stats: dict = {}
    with DemStack([a.dem]) as stack, engine.make_executor(a.workers) as ex:
        t0 = time.perf_counter()
        res = engine.habitats(list(gdf.geometry.values), list(stack), (a.min, None),
                              polygons=poly, executor=ex, stats=stats)
        stats["engine_s"] = time.perf_counter() - t0  # habitats() alone
    if poly and a.out:
        import geopandas as gpd

        gpd.GeoDataFrame(geometry=[r.geometry for r in res], crs=4326).to_file(
            a.out, driver="FlatGeobuf")
    return {"area_km2": sum(r.area_km2 for r in res),
            "cell_area_km2": sum(r.cell_area_km2 for r in res),
            "cells": sum(r.cells for r in res), **stats}


def area(a):
    return polygons(a, poly=False)


def naive(a):
    """rasterio.features.shapes -> geopandas.overlay -> dissolve, the obvious way."""
    import geopandas as gpd
    import rasterio
    from rasterio import features
    from rasterio.windows import from_bounds
    from shapely.geometry import shape

    from rangemap.geo.geodesy import geodesic_area_km2

    rng = _range(a.range)
    with rasterio.open(a.dem) as ds:
        win = from_bounds(*rng.total_bounds, transform=ds.transform).round_offsets().round_lengths()
        z = ds.read(1, window=win)
        t = ds.window_transform(win)
    m = (z >= a.min).astype("uint8")
    del z
    geoms = [shape(g) for g, v in features.shapes(m, mask=m.astype(bool), transform=t) if v == 1]
    del m
    gdf = gpd.GeoDataFrame(geometry=geoms, crs=4326)
    clipped = gpd.overlay(gdf, rng[["geometry"]], how="intersection")
    dissolved = clipped.dissolve()
    return {"area_km2": geodesic_area_km2(dissolved.geometry.iloc[0]), "parts": len(geoms)}


def reference(a):
    """Exact per-cell reference, independent of rangemap: centre rule, Geod per row."""
    import rasterio
    from pyproj import Geod
    from rasterio import features
    from rasterio.windows import Window, from_bounds

    geod = Geod(ellps="WGS84")
    rng = _range(a.range)
    geom = rng.geometry.union_all()
    total = 0.0
    cells = 0
    with rasterio.open(a.dem) as ds:
        win = from_bounds(*geom.bounds, transform=ds.transform).round_offsets().round_lengths()
        dx = ds.transform.a
        for r0 in range(int(win.row_off), int(win.row_off + win.height), 1024):
            h = min(1024, int(win.row_off + win.height) - r0)
            w = Window(win.col_off, r0, win.width, h)
            t = ds.window_transform(w)
            z = ds.read(1, window=w, masked=True)
            inside = features.rasterize([(geom, 1)], out_shape=z.shape, transform=t).astype(bool)
            ok = inside & ~np.ma.getmaskarray(z) & (np.ma.getdata(z) >= a.min)
            n = ok.sum(axis=1)
            for i in np.flatnonzero(n):
                top = t.f + i * t.e
                # A cell's edges along parallels: the area of the band between two
                # parallels is exact from Geod over a ring densified along them.
                k = 64
                lon_d = np.r_[np.linspace(0, dx, k), np.linspace(dx, 0, k)]
                lat_d = np.r_[np.full(k, top), np.full(k, top + t.e)]
                cell = abs(geod.polygon_area_perimeter(lon_d, lat_d)[0]) / 1e6
                total += cell * n[i]
            cells += int(n.sum())
    return {"area_km2": total, "cells": cells, "note": "centre rule, pyproj Geod per row"}


if __name__ == "__main__":
    main()
