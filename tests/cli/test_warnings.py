"""Warnings summary at the end of every run (stderr and manifest.json); --strict exits 1
without touching earlier outputs; shared options work after the command name."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from shapely.geometry import Polygon, box

from rangemap.cli import cli
from rangemap.errors import StrictError, WarningLog, collecting, current_warnings, warn
from tests.helpers import write_dem

RANGES = {"species": [{
    "name": "test deer", "scientific_name": "Testus cervus", "rank": "species",
    "countries": [{"iso3": "AAA", "name": "Aland", "evidence": []}], "admin1": [],
    "elevation_min_m": 100, "elevation_max_m": None}]}


def invoke(args):
    return CliRunner().invoke(cli, args)


def test_warning_log_api() -> None:
    with collecting() as log:
        assert current_warnings() is log
        warn("partial-dem", "x: DEM data cover 50% of the unit")
        warn("partial-dem", "x: DEM data cover 50% of the unit")  # duplicates dropped
        warn("no-dem", "y: no DEM")
    assert current_warnings() is None
    assert log.to_list() == [{"code": "partial-dem", "message": "x: DEM data cover 50% of the "
                              "unit"}, {"code": "no-dem", "message": "y: no DEM"}]
    assert log.summary()[0] == "2 warnings:"
    log.check_strict()  # not strict: nothing raised
    strict = WarningLog(strict=True)
    strict.check_strict()
    strict.add("no-taxon", "a.txt: no taxon found")
    assert strict.summary()[0] == "1 warning:"
    with pytest.raises(StrictError, match="1 warning with --strict"):
        strict.check_strict()


@pytest.fixture
def half_dem_world(tiny_world):
    """The tiny world with a DEM over 0..2 E only: half of Aland (0..4 E) has data."""
    d = tiny_world["dir"]
    tiny_world["half"] = write_dem(d / "half.tif", np.full((8, 2), 3000, "int16"), 0, 8, 1)
    ry = d / "r.yaml"
    ry.write_text(yaml.safe_dump(RANGES), encoding="utf-8")
    tiny_world["ranges"] = ry
    return tiny_world


def _build(w, *extra, dem=None):
    return invoke(["build", "--ranges", str(w["ranges"]), "--dem", str(dem or w["half"]),
                   "--boundaries", str(w["boundaries"]), "--out", str(w["dir"] / "out"),
                   *extra])


def test_partial_coverage_is_in_the_summary_and_manifest(half_dem_world) -> None:
    res = _build(half_dem_world)
    assert res.exit_code == 0, res.output
    assert "rangemap: 1 warning:" in res.output
    assert "[partial-dem] test deer AAA: DEM data cover 50% of the unit" in res.output
    manifest = json.loads((half_dem_world["dir"] / "out/manifest.json").read_text())
    assert [w["code"] for w in manifest["warnings"]] == ["partial-dem"]
    # An up-to-date rerun says it again.
    again = _build(half_dem_world)
    assert "up to date" in again.output and "[partial-dem]" in again.output


def test_unit_outside_every_dem(half_dem_world) -> None:
    far = write_dem(half_dem_world["dir"] / "far.tif", np.full((2, 2), 3000, "int16"), 50, 52, 1)
    res = _build(half_dem_world, dem=far)
    assert res.exit_code == 0, res.output
    assert "[no-dem] test deer AAA: no DEM covers the unit" in res.output


@pytest.mark.parametrize("where", ["before", "after"])
def test_strict_exits_1_and_keeps_earlier_outputs(half_dem_world, where) -> None:
    w = half_dem_world
    ok = _build(w, dem=w["dem"])  # full coverage: no warning
    assert ok.exit_code == 0 and "warning" not in ok.output, ok.output
    out = w["dir"] / "out"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    args = ["build", "--ranges", str(w["ranges"]), "--dem", str(w["half"]), "--boundaries",
            str(w["boundaries"]), "--out", str(out)]
    res = invoke(["--strict", *args] if where == "before" else [*args, "--strict"])
    assert res.exit_code == 1, res.output
    assert "[partial-dem]" in res.output
    assert "rangemap: error: 1 warning with --strict" in res.output
    assert "Traceback" not in res.output
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts}
    assert after == {p: b for p, b in before.items() if ".cache" not in p.parts}


def test_habitat_and_area_warn_and_strict(half_dem_world) -> None:
    w = half_dem_world
    rng = w["dir"] / "r.gpkg"
    gpd.GeoDataFrame({"sci_name": ["a"]}, geometry=[box(0, 0, 4, 8)], crs=4326).to_file(rng)
    out = w["dir"] / "h.geojson"
    base = ["--range", str(rng), "--dem", str(w["half"]), "--min-elevation", "100"]
    res = invoke(["habitat", *base, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "[partial-dem] r.gpkg feature 1: DEM data cover 50%" in res.output
    props = json.loads(out.read_text())["features"][0]["properties"]
    assert props["dem_coverage"] == 0.5 and props["dem_resolution"] == "60′"
    table = invoke(["area", *base])
    header, row = table.output.strip().splitlines()[:2]
    assert "dem_resolution,dem_coverage" in header and "60′,0.5" in row
    out2 = w["dir"] / "h2.geojson"
    res = invoke(["habitat", *base, "-o", str(out2), "--strict"])
    assert res.exit_code == 1 and not out2.exists()
    res = invoke(["area", *base, "--strict", "-o", str(w["dir"] / "t.csv")])
    assert res.exit_code == 1 and not (w["dir"] / "t.csv").exists()
    assert "[partial-dem]" in res.output


def test_repaired_geometry_is_a_warning(tiny_world) -> None:
    rng = tiny_world["dir"] / "bowtie.geojson"
    bowtie = Polygon([(0, 0), (4, 8), (4, 0), (0, 8)])
    gpd.GeoDataFrame({"n": [1]}, geometry=[bowtie], crs=4326).to_file(rng)
    res = invoke(["habitat", "--range", str(rng), "--dem", str(tiny_world["dem"]),
                  "--min-elevation", "0", "-o", str(tiny_world["dir"] / "o.gpkg")])
    assert res.exit_code == 0, res.output
    assert "[repaired-geometry]" in res.output and "1 invalid polygon feature" in res.output


def test_shared_options_after_the_command(tiny_world) -> None:
    rng = tiny_world["dir"] / "r.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(0, 0, 4, 8)], crs=4326).to_file(rng)
    base = ["area", "--range", str(rng), "--dem", str(tiny_world["dem"]), "--min-elevation",
            "100"]
    for extra in (["--traceback"], ["-v"], ["-q"], ["--strict"]):
        res = invoke([*base, *extra])
        assert res.exit_code == 0, (extra, res.output)
    # -v shows rangemap's messages but not GDAL/rasterio debug lines; -vvv does.
    verbose = invoke([*base, "-v"])
    assert "DEBUG" not in verbose.output and "Entering env context" not in verbose.output
    debug = invoke([*base, "-vvv"])
    assert "Entering env context" in debug.output or "rasterio" in debug.output.lower()


def test_boundaries_lacking_named_countries_warn(tiny_world) -> None:
    """Tiny boundaries (Aland, Beeland) and a text that also names Nepal: Nepal's unit is
    dropped, and the summary says so."""
    docs = tiny_world["dir"] / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Test musk deer\nThe test musk deer (Moschus testus) is found "
                                "in Aland and in Nepal, above 1,000 m.\n", encoding="utf-8")
    res = invoke(["build", "--docs", str(docs), "--dem", str(tiny_world["dem"]),
                  "--boundaries", str(tiny_world["boundaries"]), "--out",
                  str(tiny_world["dir"] / "out")])
    assert res.exit_code == 0, res.output
    # (the real gazetteer also reads "Aland" as Åland, ALA: also absent here)
    line = next(x for x in res.output.splitlines() if "[dropped-units]" in x)
    assert "Moschus testus: the documents name" in line and "NPL" in line
