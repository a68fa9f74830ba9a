"""A build streams its habitat polygons (spooled, written a few taxa at a time): the outputs
are the same files, byte for byte, as writing every row at once."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
import yaml
from shapely.geometry import MultiPolygon, box

from rangemap import aoh, pipeline
from rangemap.fsutil import GeometrySpool
from rangemap.io import vectors
from rangemap.io.vectors import LayerWriter, write_layers
from rangemap.pipeline import build, default_boundaries


def _batch(path: Path) -> Path:
    """4 made-up taxa over real Bhutanese units (which straddle the 90°E edge of the 30″
    DEM, so two DEMs serve them): 2 units each out of 4, the last taxon the first one's
    units again, so taxa share (unit, band) results, some after they were spilled."""
    a1 = pyogrio.read_dataframe(default_boundaries(), layer="admin1",
                                columns=["iso3", "name", "admin1_name"])
    a1 = a1[a1["iso3"] == "BTN"].reset_index(drop=True)
    pts = a1.geometry.representative_point()
    near = np.argsort(np.hypot(pts.x - 89.9, pts.y - 27.6))[:4]
    species = []
    for i, (pick, lo, hi) in enumerate((((0, 1), 2000.0, None), ((1, 2), 2000.0, None),
                                        ((2, 3), 1000.0, 3500.0), ((1, 0), 2000.0, None))):
        rows = a1.iloc[near[list(pick)]]
        species.append({
            "name": f"stream taxon {i}", "scientific_name": f"Streamus sp{i}",
            "rank": "species",
            "countries": [{"iso3": "BTN", "name": "Bhutan", "evidence": []}],
            "admin1": [{"country_iso3": "BTN", "name": r.admin1_name,
                        "boundary_name": r.admin1_name, "evidence": []}
                       for r in rows.itertuples()],
            "elevation_min_m": lo, "elevation_max_m": hi,
        })
    path.write_text(yaml.safe_dump({"species": species}), encoding="utf-8")
    return path


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != "manifest.json"}


def test_streamed_build_is_the_one_pass_build(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    ranges = _batch(tmp_path / "batch.yaml")
    outs = {}
    for name, rows, keep in (("one", 10**9, 10**9), ("streamed", 2, 1)):
        # one chunk and nothing spilled (what the build did before streaming), against
        # chunks of one taxon and every shared engine result spilled and read back
        monkeypatch.setattr(pipeline, "PUBLISH_CHUNK_ROWS", rows)
        monkeypatch.setattr(aoh, "SHARED_KEEP", keep)
        spilled: list[str] = []
        orig = aoh.SharedResults._get

        def spy(self, key, _orig=orig, _seen=spilled):  # type: ignore[no-untyped-def]
            if key not in self._recent:
                _seen.append(key)
            return _orig(self, key)

        monkeypatch.setattr(aoh.SharedResults, "_get", spy)
        outs[name] = tmp_path / name
        build(ranges_yaml=ranges, out=outs[name], figures=True)
        if name == "streamed":
            assert spilled  # shared results were read back from the temporary file
    one, streamed = _files(outs["one"]), _files(outs["streamed"])
    assert sorted(one) == sorted(streamed)
    assert {"rangemap.gpkg", "geojson/habitat.geojson", "summary.csv", "maps/index.html",
            "figures/streamus-sp0.png"} <= set(one)
    differ = [k for k in one if one[k] != streamed[k]]
    assert differ == []
    m1, m2 = (json.loads((o / "manifest.json").read_text()) for o in outs.values())
    assert m1["outputs"] == m2["outputs"] and m1["taxa"] == m2["taxa"]
    # what the layers hold: every unit of every taxon, with areas
    hab = pyogrio.read_dataframe(outs["streamed"] / "rangemap.gpkg", layer="habitat")
    assert len(hab) == 8 and (hab["area_km2"] > 0).any()
    # two DEMs met in some units: their polygons carry a precision grid, which the spool
    # keeps (GeoJSON snapping is then a no-op, as it was before streaming)
    fc = json.loads((outs["streamed"] / "geojson/habitat.geojson").read_text())
    assert {f["properties"]["dem_source"] for f in fc["features"]} >= {"globe30s+pvlib5m"}


def test_spool_keeps_geometry_and_precision() -> None:
    snapped = shapely.set_precision(box(0.123456789, 0, 1, 1), 1e-7)
    geoms = [box(0, 0, 1, 1), None, MultiPolygon(), snapped, shapely.Point(1, 2, 3)]
    spool = GeometrySpool()
    assert spool.extend(geoms[:2]) == 0 and spool.extend(geoms[2:]) == 2
    back = spool.read(0, len(geoms))
    assert back[1] is None
    for a, b in zip(geoms, back, strict=True):
        if a is not None:
            assert shapely.to_wkb(a) == shapely.to_wkb(b)
    assert shapely.get_precision(back[3]) == 1e-7
    assert spool.read(3, 4)[0].equals(snapped)
    assert spool.kinds() == ({0, 3, 6}, True)
    spool.close()


def test_layers_written_in_chunks_equal_one_write(tmp_path: Path) -> None:
    # a column null in the first rows only, Polygon then MultiPolygon rows, an empty one
    geoms = [box(0, 0, 1, 1), box(1, 0, 2, 1), MultiPolygon([box(2, 0, 3, 1), box(4, 0, 5, 1)]),
             MultiPolygon()]
    hab = gpd.GeoDataFrame({"taxon_id": ["a", "a", "b", "c"], "species": ["A", "A", "B", "C"],
                            "note": [None, None, "x", None], "cells": [1, 2, 3, 0],
                            "area_km2": [1.5, np.nan, 2.0, 0.0]},
                           geometry=geoms, crs="EPSG:4326")
    rng = hab[["taxon_id", "species"]].assign(geometry=[box(0, 0, 9, 9)] * 4)
    rng = gpd.GeoDataFrame(rng, geometry="geometry", crs="EPSG:4326")
    whole = write_layers(rng, hab, tmp_path / "whole")
    kinds = {"ranges": vectors.geometry_kinds(rng.geometry.values),
             "habitat": vectors.geometry_kinds(hab.geometry.values)}
    writer = LayerWriter(tmp_path / "chunks", vectors.layer_categories(hab), kinds)
    with writer:
        for a, b in ((0, 2), (2, 3), (3, 4)):
            writer.add(rng.iloc[a:b], hab.iloc[a:b])
    assert [p.relative_to(tmp_path / "chunks") for p in writer.written] == [
        p.relative_to(tmp_path / "whole") for p in whole]
    for name in ("geojson/ranges.geojson", "geojson/habitat.geojson", "geojson/habitat.qml"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "chunks" / name).read_bytes()
    for layer in ("ranges", "habitat"):
        info = [pyogrio.read_info(tmp_path / d / "rangemap.gpkg", layer=layer)
                for d in ("whole", "chunks")]
        assert info[0]["geometry_type"] == info[1]["geometry_type"] == "MultiPolygon"
        assert list(info[0]["fields"]) == list(info[1]["fields"])
        assert list(info[0]["dtypes"]) == list(info[1]["dtypes"])
        frames = [pyogrio.read_dataframe(tmp_path / d / "rangemap.gpkg", layer=layer)
                  for d in ("whole", "chunks")]
        assert frames[0].drop(columns="geometry").equals(frames[1].drop(columns="geometry"))
        assert all(shapely.to_wkb(a) == shapely.to_wkb(b) for a, b in
                   zip(frames[0].geometry.values, frames[1].geometry.values, strict=True))


def test_failed_layer_writer_leaves_nothing(tmp_path: Path) -> None:
    hab = gpd.GeoDataFrame({"taxon_id": ["a"], "species": ["A"]}, geometry=[box(0, 0, 1, 1)],
                           crs="EPSG:4326")
    kinds = {"ranges": ({3}, False), "habitat": ({3}, False)}
    with pytest.raises(RuntimeError), LayerWriter(tmp_path, [("a", "A")], kinds) as w:
        w.add(hab, hab)
        raise RuntimeError("killed half way")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
