"""One rule for elevation bands: an upper limit alone has no lower limit; empty bands exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rangemap.bands import DEFAULT_MIN_ELEVATION_M, check_band, default_band
from rangemap.cli import cli
from rangemap.errors import UsageError

RECORD = {"name": "test deer", "scientific_name": "Testus cervus", "rank": "species",
          "countries": [{"iso3": "AAA", "name": "Aland", "evidence": []}], "admin1": [],
          "elevation_min_m": None, "elevation_max_m": None}


def _yaml(d: Path, **limits) -> Path:
    p = d / "r.yaml"
    p.write_text(yaml.safe_dump({"species": [{**RECORD, **limits}]}), encoding="utf-8")
    return p


def _build(w, *extra: str, ranges: Path | None = None, docs: Path | None = None):
    args = ["build", "--dem", str(w["dem"]), "--boundaries", str(w["boundaries"]),
            "--out", str(w["dir"] / "out"), *extra]
    args += ["--ranges", str(ranges)] if ranges is not None else ["--docs", str(docs)]
    return CliRunner().invoke(cli, args)


def _aland(w) -> dict:
    fc = json.loads((w["dir"] / "out/geojson/habitat.geojson").read_text())
    return fc["features"][0]["properties"]


def test_default_rule() -> None:
    assert default_band(None, None) == (DEFAULT_MIN_ELEVATION_M, None, True)
    assert default_band(None, 1600) == (None, 1600.0, False)
    assert default_band(float("nan"), 1600) == (None, 1600.0, False)
    assert default_band(3000, None) == (3000.0, None, False)
    check_band(100, 100, "x")
    with pytest.raises(UsageError, match="x: empty elevation band: minimum 200 m"):
        check_band(200, 100, "x")


def test_given_upper_limit_alone_has_no_lower_limit(tiny_world) -> None:
    # Aland is 0..3700 m (columns 0-3); cells at or below 2000 m: 8 + 8 + 1.
    res = _build(tiny_world, "--max-elevation", "2000", ranges=_yaml(tiny_world["dir"]))
    assert res.exit_code == 0, res.output
    p = _aland(tiny_world)
    assert p["elevation_min_m"] is None and p["elevation_max_m"] == 2000
    assert p["habitat_cells"] == 17


def test_stated_upper_limit_alone_has_no_lower_limit(tiny_world) -> None:
    res = _build(tiny_world, ranges=_yaml(tiny_world["dir"], elevation_max_m=2000))
    assert res.exit_code == 0, res.output
    p = _aland(tiny_world)
    assert p["elevation_min_m"] is None and p["habitat_cells"] == 17


def test_document_stating_only_an_upper_limit(tiny_world) -> None:
    docs = tiny_world["dir"] / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Test musk deer\nThe test musk deer (Moschus testus) is found in "
                                "Aland, below 2,000 m.\n", encoding="utf-8")
    res = _build(tiny_world, docs=docs)
    assert res.exit_code == 0, res.output
    p = _aland(tiny_world)
    assert p["elevation_min_m"] is None and p["elevation_max_m"] == 2000
    assert p["habitat_cells"] == 17


@pytest.mark.parametrize("extra, limits, fragment", [
    (["--min-elevation", "3000", "--max-elevation", "2000"], {}, "--min-elevation"),
    ([], {"elevation_min_m": 3000, "elevation_max_m": 2000}, "elevation_min_m"),
    (["--max-elevation", "2000"], {"elevation_min_m": 3000}, "--max-elevation"),
])
def test_empty_band_is_a_usage_error_and_keeps_outputs(tiny_world, extra, limits,
                                                       fragment) -> None:
    ok = _build(tiny_world, ranges=_yaml(tiny_world["dir"], elevation_min_m=1000))
    assert ok.exit_code == 0, ok.output
    out = tiny_world["dir"] / "out"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    res = _build(tiny_world, *extra, ranges=_yaml(tiny_world["dir"], **limits))
    assert res.exit_code == 2, res.output
    assert "empty elevation band" in res.output and fragment in res.output
    assert "Traceback" not in res.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_document_band_emptied_by_an_option_names_the_document(tiny_world) -> None:
    docs = tiny_world["dir"] / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Test musk deer\nThe test musk deer (Moschus testus) is found in "
                                "Aland, above 3,000 m.\n", encoding="utf-8")
    res = _build(tiny_world, "--max-elevation", "2000", docs=docs)
    assert res.exit_code == 2, res.output
    assert "a.txt" in res.output and "--max-elevation" in res.output


def test_habitat_and_area_take_an_upper_limit_alone(tiny_world) -> None:
    import csv
    import io

    import geopandas as gpd
    from shapely.geometry import box

    rng = tiny_world["dir"] / "r.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(0, 0, 4, 8)], crs=4326).to_file(rng)
    base = ["--range", str(rng), "--dem", str(tiny_world["dem"])]
    res = CliRunner().invoke(cli, ["area", *base, "--max-elevation", "2000"])
    assert res.exit_code == 0, res.output
    row = next(csv.DictReader(io.StringIO(res.output)))
    assert int(row["cells"]) == 17  # no lower limit: 0..2000 m
    out = tiny_world["dir"] / "h.geojson"
    res = CliRunner().invoke(cli, ["habitat", *base, "--max-elevation", "2000", "-o", str(out)])
    assert res.exit_code == 0, res.output
    props = json.loads(out.read_text())["features"][0]["properties"]
    assert props["elevation_min_m"] is None and props["elevation_max_m"] == 2000
    res = CliRunner().invoke(cli, ["area", *base])
    assert res.exit_code == 2 and "give --min-elevation, --max-elevation or both" in res.output
