"""IUCN filters and --where on every command reading a range file; the smaller one-line
errors of the "never silently wrong" issue."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import yaml
from click.testing import CliRunner
from shapely.geometry import box

from rangemap.cli import cli


def invoke(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def iucn(tiny_world):
    p = tiny_world["dir"] / "iucn.gpkg"
    gpd.GeoDataFrame(
        {"sci_name": ["A a", "A a", "B b"], "presence": [1, 4, 1], "origin": [1, 1, 1],
         "seasonal": [1, 1, 2]},
        geometry=[box(4, 4, 8, 8), box(0, 0, 4, 8), box(4, 0, 8, 4)], crs=4326).to_file(p)
    tiny_world["iucn"] = p
    return tiny_world


def _band(w):
    return ["--dem", w["dem"], "--min-elevation", "100"]


def test_habitat_applies_iucn_codes_and_where(iucn) -> None:
    out = iucn["dir"] / "h.geojson"
    res = invoke(["habitat", "--range", iucn["iucn"], *_band(iucn), "-o", out])
    assert res.exit_code == 0, res.output
    assert "wrote 2 features of 3" in res.output  # presence 4 dropped
    feats = json.loads(out.read_text())["features"]
    assert sorted(f["properties"]["presence"] for f in feats) == [1, 1]
    res = invoke(["habitat", "--range", iucn["iucn"], *_band(iucn), "--presence", "1,4",
                  "--where", "sci_name = 'A a'", "-o", out, "--overwrite"])
    assert res.exit_code == 0, res.output
    feats = json.loads(out.read_text())["features"]
    assert sorted(f["properties"]["presence"] for f in feats) == [1, 4]


def test_area_applies_iucn_codes_and_where(iucn) -> None:
    res = invoke(["area", "--range", iucn["iucn"], *_band(iucn), "--seasonal", "2"])
    assert res.exit_code == 0, res.output
    rows = res.output.strip().splitlines()
    assert rows[0].startswith("sci_name") and len(rows) == 2 and rows[1].startswith("B b")
    res = invoke(["area", "--range", iucn["iucn"], *_band(iucn), "--where", "seasonal = 1"])
    assert res.exit_code == 0 and len(res.output.strip().splitlines()) == 2  # presence 4 out


def test_build_where(iucn) -> None:
    out = iucn["dir"] / "out"
    res = invoke(["build", "--range", iucn["iucn"], "--docs", iucn["dir"] / "none", "--dem",
                  iucn["dem"], "--boundaries", iucn["boundaries"], "--min-elevation", "100",
                  "--where", "sci_name = 'B b'", "--out", out])
    assert res.exit_code == 0, res.output
    hab = json.loads((out / "geojson/habitat.geojson").read_text())
    assert {f["properties"]["scientific_name"] for f in hab["features"]} == {"B b"}
    assert "B b (B b): 1 unit," in res.output  # not "1 units"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["range_where"] == "sci_name = 'B b'"


CASES = [
    ("bad --where", lambda w: ["area", "--range", w["iucn"], *_band(w), "--where",
                               "no_such_field = 1"], 2, "--where 'no_such_field = 1'"),
    ("--where matches nothing", lambda w: ["area", "--range", w["iucn"], *_band(w), "--where",
                                           "presence = 9"], 1, "no feature matches --where"),
    ("CSV without geometry", lambda w: ["area", "--range", _csv(w), *_band(w)], 1,
     "no geometry (a table without shapes)"),
    ("UTF-16 document", lambda w: ["extract", _utf16(w), "--boundaries", w["boundaries"]], 1,
     "UTF-16 text; rangemap reads UTF-8"),
    ("output into a missing folder", lambda w: ["habitat", "--range", w["iucn"], *_band(w), "-o",
                                                w["dir"] / "nope" / "h.gpkg"], 2,
     "does not exist; create it first"),
    ("extract into a missing folder", lambda w: ["extract", _utf8(w), "--boundaries",
                                                 w["boundaries"], "-o",
                                                 w["dir"] / "nope" / "r.yaml"], 2,
     "does not exist"),
    ("unreachable scheduler", lambda w: ["area", "--range", w["iucn"], *_band(w),
                                         "--scheduler", f"tcp://127.0.0.1:{_closed_port()}"],
     2, "no Dask scheduler answers there"),
    ("scheduler without a port", lambda w: ["area", "--range", w["iucn"], *_band(w),
                                            "--scheduler", "localhost"], 2,
     "give a Dask scheduler address"),
    ("swapped fetch bounds", lambda w: ["fetch-dem", "--bounds", "88", "26", "80", "31"], 2,
     "swapped? give west first, e.g. --bounds 80 26 88 31"),
]


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _csv(w):
    p = w["dir"] / "table.csv"
    p.write_text("sci_name,presence\nA a,1\n", encoding="utf-8")
    return p


def _utf8(w):
    p = w["dir"] / "d.txt"
    p.write_text("Test musk deer\nThe test musk deer (Moschus testus) is found in Aland.\n",
                 encoding="utf-8")
    return p


def _utf16(w):
    p = w["dir"] / "u16.txt"
    p.write_text("Test musk deer\nThe test musk deer (Moschus testus) is found in Aland.\n",
                 encoding="utf-16")
    return p


@pytest.mark.parametrize("name, make_args, code, fragment", CASES, ids=[c[0] for c in CASES])
def test_one_line_errors(iucn, name, make_args, code, fragment) -> None:
    res = invoke(make_args(iucn))
    assert res.exit_code == code, res.output
    assert fragment in res.output
    assert "Traceback" not in res.output and "internal error" not in res.output
    if code == 1:
        assert len(res.output.strip().splitlines()) == 1
    assert not (iucn["dir"] / "nope").exists()


def test_utf16_without_bom_is_named(tiny_world) -> None:
    p = tiny_world["dir"] / "le.txt"
    p.write_bytes("Test musk deer lives in Aland.\n".encode("utf-16-le"))
    res = invoke(["extract", p, "--boundaries", tiny_world["boundaries"]])
    assert res.exit_code == 1 and "UTF-16" in res.output


def test_ranges_yaml_unit_plural(tiny_world) -> None:
    ry = tiny_world["dir"] / "r.yaml"
    ry.write_text(yaml.safe_dump({"species": [{
        "name": "x deer", "scientific_name": "X x", "countries": [{"iso3": "AAA"}],
        "admin1": [], "elevation_min_m": 100, "elevation_max_m": None}]}), encoding="utf-8")
    res = invoke(["build", "--ranges", ry, "--dem", tiny_world["dem"], "--boundaries",
                  tiny_world["boundaries"], "--out", tiny_world["dir"] / "out"])
    assert res.exit_code == 0, res.output
    assert "x deer (X x): 1 unit," in res.output and "1 units" not in res.output


def test_range_file_slivers_are_dropped_with_a_warning(tiny_world) -> None:
    """A range on AAA (0..4 E) whose edge overshoots into BBB by 1e-4 degrees."""
    p = tiny_world["dir"] / "edge.gpkg"
    gpd.GeoDataFrame({"sci_name": ["A a"]}, geometry=[box(0, 0, 4.0001, 8)],
                     crs=4326).to_file(p)
    out = tiny_world["dir"] / "out"
    res = invoke(["build", "--range", p, "--docs", tiny_world["dir"] / "none", "--dem",
                  tiny_world["dem"], "--boundaries", tiny_world["boundaries"],
                  "--min-elevation", "0", "--out", out])
    assert res.exit_code == 0, res.output
    hab = json.loads((out / "geojson/habitat.geojson").read_text())
    assert [f["properties"]["iso3"] for f in hab["features"]] == ["AAA"]
    assert "[sliver-units] A a: dropped slivers in BBB (thin" in res.output


def test_small_compact_piece_is_kept(tiny_world) -> None:
    """A real corner in a neighbour (compact, 1e-5 of a large range) is a unit, not a sliver."""
    from rangemap.ranges import Boundaries, records_from_range_file

    gdf = gpd.GeoDataFrame({"sci_name": ["A a", "A a"]},
                           geometry=[box(0, 0, 4, 8), box(4, 0, 4.01, 0.01)], crs=4326)
    records, _ = records_from_range_file(gdf, Boundaries.load(tiny_world["boundaries"]), "x")
    assert [u["iso3"] for u in records[0]["units"]] == ["AAA", "BBB"]
