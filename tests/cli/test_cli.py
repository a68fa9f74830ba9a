"""CLI: exit codes, one-line errors, outputs of build and habitat (tiny generated data)."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import pytest
import yaml
from click.testing import CliRunner

from rangemap.cli import cli

TINY_RANGES = {
    "species": [
        {
            "name": "test deer",
            "scientific_name": "Testus cervus",
            "rank": "species",
            "countries": [{"iso3": "AAA", "name": "Aland", "evidence": []},
                          {"iso3": "BBB", "name": "Beeland", "evidence": []}],
            "admin1": [{"country_iso3": "BBB", "name": "Upper Bee", "boundary_name": "North Bee",
                        "evidence": [{"document": "t.txt", "start": 0, "end": 9,
                                      "sentence": "Upper Bee <b>is</b> home."}]}],
            "elevation_min_m": 4000,
            "elevation_max_m": None,
        }
    ]
}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_build_from_ranges_yaml_writes_every_output(tiny_world) -> None:
    d = tiny_world["dir"]
    ranges = write_yaml(d / "ranges.yaml", TINY_RANGES)
    out = d / "out"
    res = run("build", "--ranges", str(ranges), "--dem", str(tiny_world["dem"]),
              "--boundaries", str(tiny_world["boundaries"]), "--out", str(out))
    assert res.exit_code == 0, res.output
    for rel in ["geojson/ranges.geojson", "geojson/habitat.geojson", "rangemap.gpkg",
                "maps/index.html", "maps/testus-cervus.html", "summary.csv", "manifest.json"]:
        assert (out / rel).stat().st_size > 0, rel
    hab = json.loads((out / "geojson/habitat.geojson").read_text())
    assert "crs" not in hab
    feats = {(f["properties"]["iso3"], f["properties"]["admin1"]): f for f in hab["features"]}
    # AAA whole country (rule whole-country); in BBB only the named unit North Bee.
    assert set(feats) == {("AAA", None), ("BBB", "North Bee")}
    props = feats[("BBB", "North Bee")]["properties"]
    for key in ["species", "scientific_name", "iso3", "admin1", "elevation_min_m",
                "elevation_max_m", "area_km2", "dem_source"]:
        assert key in props
    assert props["elevation_min_m"] == 4000 and props["elevation_max_m"] is None
    assert props["habitat_cells"] == 16 and props["dem_source"] == "dem"
    assert feats[("AAA", None)]["properties"]["area_km2"] == 0  # all below 4000 m
    layers = {name for name, _ in pyogrio.list_layers(out / "rangemap.gpkg")}
    assert layers - {"layer_styles"} == {"ranges", "habitat"}
    assert (out / "geojson/habitat.qml").is_file() and (out / "geojson/ranges.qml").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert {i["path"] for i in manifest["inputs"]} >= {str(ranges), str(tiny_world["dem"])}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    # No temporary files left behind.
    assert not [p for p in out.rglob(".*") if p.is_file()]


def test_habitat_command_keeps_attributes(tiny_world, tmp_path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    rng = tmp_path / "range.gpkg"
    gpd.GeoDataFrame({"sci_name": ["A a", "B b"], "presence": [1, 2]},
                     geometry=[box(0, 0, 8, 8), box(4, 4, 8, 8)], crs=4326).to_file(rng)
    out = tmp_path / "h.geojson"
    res = run("habitat", "--range", str(rng), "--dem", str(tiny_world["dem"]),
              "--min-elevation", "4000", "--max-elevation", "5700", "-o", str(out))
    assert res.exit_code == 0, res.output
    fc = json.loads(out.read_text())
    assert [f["properties"]["sci_name"] for f in fc["features"]] == ["A a", "B b"]
    p = fc["features"][0]["properties"]
    assert p["presence"] == 1 and p["elevation_min_m"] == 4000 and p["elevation_max_m"] == 5700
    assert p["dem_source"] == "dem" and p["area_km2"] > 0
    # Refuses to overwrite without --overwrite (usage error), then accepts it.
    again = run("habitat", "--range", str(rng), "--dem", str(tiny_world["dem"]),
                "--min-elevation", "4000", "-o", str(out))
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert run("habitat", "--range", str(rng), "--dem", str(tiny_world["dem"]),
               "--min-elevation", "4000", "-o", str(out), "--overwrite").exit_code == 0


def _bad_yaml(d: Path, **changes) -> Path:
    data = json.loads(json.dumps(TINY_RANGES))
    data["species"][0].update(changes)
    return write_yaml(d / "bad.yaml", data)


CASES = [
    # (name, args builder, exit code, message fragment)
    ("missing dem", lambda w: ["build", "--dem", str(w["dir"] / "nope.tif")], 1,
     "DEM not found"),
    ("unknown country", lambda w: ["build", "--ranges", str(_bad_yaml(
        w["dir"], countries=[{"iso3": "AAX", "name": "x", "evidence": []}], admin1=[]))], 1,
     "unknown country code 'AAX' (did you mean AAA"),
    ("unknown unit", lambda w: ["build", "--ranges", str(_bad_yaml(
        w["dir"], admin1=[{"country_iso3": "BBB", "name": "x", "boundary_name": "Nort Bee",
                           "evidence": []}]))], 1, "did you mean 'North Bee'"),
    ("min above max", lambda w: ["build", "--ranges", str(_bad_yaml(
        w["dir"], elevation_min_m=5000, elevation_max_m=100))], 2, "empty elevation band"),
    ("bad yaml", lambda w: ["build", "--ranges", str(_write(w["dir"] / "x.yaml", "a: [b"))], 1,
     "not valid YAML"),
    ("missing boundaries", lambda w: ["build", "--boundaries", str(w["dir"] / "no.gpkg")], 1,
     "boundaries file not found"),
    ("non-numeric option", lambda w: ["habitat", "--range", "r", "--dem", "d",
                                      "--min-elevation", "high", "-o", "x.geojson"], 2,
     "not a valid float"),
    ("max below min", lambda w: ["habitat", "--range", "r", "--dem", "d", "--min-elevation",
                                 "3000", "--max-elevation", "100", "-o", "x.geojson"], 2,
     "empty elevation band"),
    ("bad output suffix", lambda w: ["habitat", "--range", "r", "--dem", "d",
                                     "--min-elevation", "3000", "-o", "x.txt"], 2,
     ".geojson, .gpkg or .fgb"),
    ("range file missing", lambda w: ["habitat", "--range", str(w["dir"] / "r.gpkg"),
                                      "--dem", str(w["dem"]), "--min-elevation", "1",
                                      "-o", str(w["dir"] / "o.gpkg")], 1,
     "range file not found"),
    ("unknown command", lambda w: ["bogus"], 2, "No such command"),
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, make_args, code, fragment", CASES, ids=[c[0] for c in CASES])
def test_errors_are_one_line_with_exit_code(tiny_world, name, make_args, code, fragment):
    args = make_args(tiny_world)
    if args[0] == "build":
        defaults = {"--dem": str(tiny_world["dem"]), "--boundaries": str(tiny_world["boundaries"]),
                    "--ranges": str(write_yaml(tiny_world["dir"] / "ok.yaml", TINY_RANGES)),
                    "--out": str(tiny_world["dir"] / "out")}
        for opt, val in defaults.items():
            if opt not in args:
                args += [opt, val]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == code, res.output
    assert fragment in res.output
    assert "Traceback" not in res.output
    if code == 1:
        assert len(res.output.strip().splitlines()) == 1
        assert not (tiny_world["dir"] / "out").exists()  # nothing half-written


def test_version_and_help() -> None:
    assert run("--version").output.startswith("rangemap, version")
    for cmd in ["build", "extract", "habitat"]:
        res = run(cmd, "--help")
        assert res.exit_code == 0 and "Example" in res.output


def test_extract_then_build_round_trip(tiny_world) -> None:
    d = tiny_world["dir"]
    doc = d / "deer.txt"
    doc.write_text("Test musk deer\nThe test musk deer (Moschus testus) is found in Aland and "
                   "in Upper Bee of Beeland, above altitudes of 4,000 m (13,100 ft).\n",
                   encoding="utf-8")
    ry = d / "ranges.yaml"
    res = run("extract", str(doc), "--boundaries", str(tiny_world["boundaries"]), "-o", str(ry))
    assert res.exit_code == 0, res.output
    data = yaml.safe_load(ry.read_text())
    rec = next(s for s in data["species"] if s["scientific_name"] == "Moschus testus")
    assert rec["elevation_min_m"] == 4000
    assert {(u["iso3"], u["admin1"]) for u in rec["units"]} == {("AAA", None), ("BBB", "North Bee")}
    # Existing output is not replaced without --overwrite.
    again = run("extract", str(doc), "--boundaries", str(tiny_world["boundaries"]), "-o", str(ry))
    assert again.exit_code == 2
    out = d / "out"
    res = run("build", "--ranges", str(ry), "--dem", str(tiny_world["dem"]),
              "--boundaries", str(tiny_world["boundaries"]), "--out", str(out))
    assert res.exit_code == 0, res.output
    hab = json.loads((out / "geojson/habitat.geojson").read_text())
    cells = {(f["properties"]["iso3"], f["properties"]["admin1"]): f["properties"]["habitat_cells"]
             for f in hab["features"] if f["properties"]["scientific_name"] == "Moschus testus"}
    assert cells == {("AAA", None): 0, ("BBB", "North Bee"): 16}


def test_extract_json_flag_chooses_the_printed_format(tiny_world) -> None:
    d = tiny_world["dir"]
    doc = d / "deer.txt"
    doc.write_text("The test musk deer (Moschus testus) is found in Aland.\n", encoding="utf-8")
    base = ("extract", str(doc), "--boundaries", str(tiny_world["boundaries"]))
    as_yaml = run(*base)
    as_json = run(*base, "--json")
    assert as_yaml.exit_code == as_json.exit_code == 0
    assert not as_yaml.output.lstrip().startswith("{")
    assert as_json.output.lstrip().startswith("{")
    assert yaml.safe_load(as_yaml.output) == json.loads(as_json.output)
    written = run(*base, "-o", str(d / "r.yaml"))
    assert written.exit_code == 0 and "species" not in written.output
    assert yaml.safe_load((d / "r.yaml").read_text()) == json.loads(as_json.output)


def test_python_dash_m_runs() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "rangemap", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and "rangemap, version" in proc.stdout


def test_build_with_relative_out(tiny_world, monkeypatch) -> None:
    monkeypatch.chdir(tiny_world["dir"])
    write_yaml(tiny_world["dir"] / "r.yaml", TINY_RANGES)
    res = run("build", "--ranges", "r.yaml", "--dem", "dem.tif", "--boundaries",
              "boundaries.gpkg", "--out", "rel_out")
    assert res.exit_code == 0, res.output
    manifest = json.loads((tiny_world["dir"] / "rel_out/manifest.json").read_text())
    assert "maps/index.html" in manifest["outputs"]


def test_build_from_iucn_style_range_shapefile(tiny_world) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    d = tiny_world["dir"]
    shp = d / "ranges.shp"
    gpd.GeoDataFrame(
        {"sci_name": ["Testus a", "Testus a", "Testus a", "Testus b"],
         "presence": [1, 4, 1, 2], "origin": [1, 1, 3, 1], "seasonal": [1, 1, 1, 2]},
        # kept: 0..6 E (spans both countries); dropped: presence 4, origin 3
        geometry=[box(0, 0, 6, 8), box(6, 0, 8, 8), box(7, 0, 8, 8), box(4, 4, 8, 8)],
        crs=4326,
    ).to_file(shp)
    out = d / "out"
    res = run("build", "--range", str(shp), "--docs", str(d / "none"), "--dem",
              str(tiny_world["dem"]), "--boundaries", str(tiny_world["boundaries"]),
              "--min-elevation", "4000", "--out", str(out))
    assert res.exit_code == 0, res.output
    hab = json.loads((out / "geojson/habitat.geojson").read_text())
    got = {(f["properties"]["scientific_name"], f["properties"]["iso3"]):
           (f["properties"]["habitat_cells"], f["properties"]["unit_rule"])
           for f in hab["features"]}
    # Testus a: AAA (0..4 E) all below 4000 m; BBB part 4..6 E -> 2 columns x 8 rows.
    assert got == {("Testus a", "AAA"): (0, "range-file"), ("Testus a", "BBB"): (16, "range-file"),
                   ("Testus b", "BBB"): (16, "range-file")}
    # Only presence 1 kept: Testus b (presence 2) disappears.
    res = run("build", "--range", str(shp), "--docs", str(d / "none"), "--dem",
              str(tiny_world["dem"]), "--boundaries", str(tiny_world["boundaries"]),
              "--presence", "1", "--out", str(out))
    assert res.exit_code == 0, res.output
    hab = json.loads((out / "geojson/habitat.geojson").read_text())
    assert {f["properties"]["scientific_name"] for f in hab["features"]} == {"Testus a"}
    bad = CliRunner().invoke(cli, ["build", "--range", str(shp), "--presence", "one"])
    assert bad.exit_code == 2 and "integer codes" in bad.output


def test_build_with_user_admin1_boundaries(tiny_world) -> None:
    """A GADM-like admin-1 file with its own field names, normalized on the fly."""
    import geopandas as gpd
    from shapely.geometry import box

    d = tiny_world["dir"]
    gadm = d / "gadm_like.gpkg"
    gpd.GeoDataFrame(
        {"GID_0": ["AAA", "BBB", "BBB"], "NAME_1": ["Aland Whole", "Upper Bee", "Lower Bee"],
         "GID_1": ["AAA.1_1", "BBB.1_1", "BBB.2_1"]},
        geometry=[box(0, 0, 4, 8), box(4, 4, 8, 8), box(4, 0, 8, 4)], crs=4326,
    ).to_file(gadm, layer="ADM_1")
    data = json.loads(json.dumps(TINY_RANGES))
    data["species"][0]["admin1"][0]["boundary_name"] = "Upper Bee"
    ry = write_yaml(d / "r.yaml", data)
    out = d / "out"
    res = run("build", "--ranges", str(ry), "--dem", str(tiny_world["dem"]), "--boundaries",
              str(gadm), "--country-field", "GID_0", "--name-field", "NAME_1", "--id-field",
              "GID_1", "--out", str(out))
    assert res.exit_code == 0, res.output
    hab = json.loads((out / "geojson/habitat.geojson").read_text())
    assert {(f["properties"]["iso3"], f["properties"]["admin1"]) for f in hab["features"]} == {
        ("AAA", None), ("BBB", "Upper Bee")}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["boundaries"] == str(gadm)
    # A wrong field name is a data error naming the file and the fields.
    res = CliRunner().invoke(cli, ["build", "--ranges", str(ry), "--dem", str(tiny_world["dem"]),
                                   "--boundaries", str(gadm), "--country-field", "ISO",
                                   "--name-field", "NAME_1", "--out", str(out)])
    assert res.exit_code == 1 and "no field 'ISO' for --country-field" in res.output
    res = CliRunner().invoke(cli, ["build", "--boundaries", str(gadm), "--country-field", "GID_0"])
    assert res.exit_code == 2


def test_build_with_workers_matches_serial(tiny_world) -> None:
    d = tiny_world["dir"]
    ranges = write_yaml(d / "ranges.yaml", TINY_RANGES)
    outs = {}
    for name, extra in (("serial", []), ("two", ["--workers", "2"])):
        out = d / name
        res = run("build", "--ranges", str(ranges), "--dem", str(tiny_world["dem"]),
                  "--boundaries", str(tiny_world["boundaries"]), "--out", str(out), *extra)
        assert res.exit_code == 0, res.output
        outs[name] = (out / "geojson/habitat.geojson").read_text()
    assert outs["serial"] == outs["two"]
