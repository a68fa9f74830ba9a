"""End to end on the embedded data: documents -> habitat of the white-bellied musk deer.

The area check is independent of the engine: cell centres are tested with
shapely (not GDAL's rasterizer), cell areas come from pyproj's geodesic
polygon areas (not our closed form), and DEM priority is re-derived here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Geod
from rasterio.windows import from_bounds

from rangemap.pipeline import DEFAULT_DEMS, build
from rangemap.ranges import Boundaries
from tests.helpers import DATA, ROOT

# "the Himalayas of Nepal, Bhutan, India, Pakistan and China": each named country maps its
# part of the Himalaya (unit_rule "region: Himalaya"), India and China beside their named
# admin-1 units; Afghanistan is named whole.
LEUCOGASTER_UNITS = {
    ("NPL", None), ("BTN", None), ("PAK", None), ("AFG", None), ("IND", None), ("CHN", None),
    ("IND", "Jammu and Kashmir"), ("IND", "Himachal Pradesh"), ("IND", "Uttaranchal"),
    ("IND", "Sikkim"), ("IND", "Arunachal Pradesh"), ("CHN", "Xizang"),
}
LEUCOGASTER_REGION_PARTS = {"NPL", "BTN", "PAK", "IND", "CHN"}
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("build")
    dems = [ROOT / d for d in DEFAULT_DEMS]
    res = build(docs=DATA / "documents", dems=dems,
                boundaries=DATA / "boundaries" / "boundaries.gpkg", out=out)
    return {"out": out, "result": res}


def leucogaster(fc: dict) -> dict:
    return {(f["properties"]["iso3"], f["properties"]["admin1"]): f for f in fc["features"]
            if f["properties"]["scientific_name"] == "Moschus leucogaster"}


def test_outputs_exist(built) -> None:
    out: Path = built["out"]
    for rel in ["geojson/ranges.geojson", "geojson/habitat.geojson", "rangemap.gpkg",
                "maps/index.html", "maps/moschus-leucogaster.html", "summary.csv",
                "manifest.json"]:
        assert (out / rel).stat().st_size > 0, rel


def test_leucogaster_units_match_the_document(built) -> None:
    hab = json.loads((built["out"] / "geojson/habitat.geojson").read_text())
    rng = json.loads((built["out"] / "geojson/ranges.geojson").read_text())
    assert set(leucogaster(hab)) == LEUCOGASTER_UNITS
    assert set(leucogaster(rng)) == LEUCOGASTER_UNITS
    parts = {k[0] for k, f in leucogaster(rng).items()
             if f["properties"]["unit_rule"] == "region: Himalaya"}
    assert parts == LEUCOGASTER_REGION_PARTS
    for f in leucogaster(hab).values():
        p = f["properties"]
        assert p["elevation_min_m"] == 2500 and p["elevation_max_m"] is None
        assert p["species"] and p["dem_source"]
        assert p["area_km2"] > 0


def test_habitat_geojson_is_rfc7946(built) -> None:
    hab = json.loads((built["out"] / "geojson/habitat.geojson").read_text())
    assert hab["type"] == "FeatureCollection" and "crs" not in hab
    for f in hab["features"]:
        geom = shapely.geometry.shape(f["geometry"])
        assert f["geometry"]["type"] == "MultiPolygon"
        assert geom.is_valid
        for poly in geom.geoms:
            assert poly.exterior.is_ccw
            assert all(not ring.is_ccw for ring in poly.interiors)
        x0, y0, x1, y1 = geom.bounds if not geom.is_empty else (0, 0, 0, 0)
        assert -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90


def _row_areas_km2(transform, row0: int, nrows: int) -> np.ndarray:
    """Cell area per row from pyproj's geodesic area of a densified cell."""
    out = np.empty(nrows)
    w = transform.c
    dx, dy = transform.a, -transform.e
    for i in range(nrows):
        top = transform.f - (row0 + i) * dy
        cell = shapely.segmentize(shapely.box(w, top - dy, w + dx, top), dx / 16)
        out[i] = abs(GEOD.geometry_area_perimeter(cell)[0]) / 1e6
    return out


def independent_area(unit: shapely.Geometry, min_m: float) -> float:
    """Cells whose centre is in ``unit`` and elevation >= min_m; finest DEM first."""
    total = 0.0
    served = shapely.Polygon()
    for path in DEFAULT_DEMS:  # listed finest first
        with rasterio.open(ROOT / path) as ds:
            fp = shapely.box(*ds.bounds)
            part = unit.intersection(fp).difference(served)
            served = served.union(fp)
            if part.is_empty:
                continue
            # The window padded by a cell on each side, so no centre is missed.
            raw = from_bounds(*part.bounds, transform=ds.transform)
            c0, r0 = max(0, int(raw.col_off) - 1), max(0, int(raw.row_off) - 1)
            c1 = min(ds.width, int(raw.col_off + raw.width) + 2)
            r1 = min(ds.height, int(raw.row_off + raw.height) + 2)
            win = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
            z = ds.read(1, window=win, masked=True)
            t = ds.window_transform(win)
            rows, cols = np.mgrid[0:z.shape[0], 0:z.shape[1]]
            xs = t.c + (cols + 0.5) * t.a
            ys = t.f + (rows + 0.5) * t.e
            inside = shapely.contains_xy(part, xs, ys)
            ok = inside & ~np.ma.getmaskarray(z) & (np.ma.getdata(z) >= min_m)
            areas = _row_areas_km2(ds.transform, int(win.row_off), z.shape[0])
            total += float((ok.sum(axis=1) * areas).sum())
    return total


def test_leucogaster_area_matches_independent_cell_count(built) -> None:
    hab = json.loads((built["out"] / "geojson/habitat.geojson").read_text())
    rng = leucogaster(json.loads((built["out"] / "geojson/ranges.geojson").read_text()))
    bounds = Boundaries.load(DATA / "boundaries" / "boundaries.gpkg")
    for (iso3, admin1), f in sorted(leucogaster(hab).items(), key=str):
        rule = rng[(iso3, admin1)]["properties"]["unit_rule"]
        if rule in ("whole-country", "named-admin1"):
            unit = (bounds.admin1_geometry(iso3, admin1) if admin1
                    else bounds.country_geometry(iso3))
        else:  # a region part or a qualified unit: the published range polygon
            unit = shapely.geometry.shape(rng[(iso3, admin1)]["geometry"])
        ref = independent_area(unit, 2500)
        got = f["properties"]["area_km2"]
        assert got == pytest.approx(ref, rel=0.01), (iso3, admin1, got, ref)
