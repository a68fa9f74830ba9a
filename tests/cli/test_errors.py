"""Every failure a user can cause: one line naming the culprit and the fix, exit 1 or 2,
no traceback, nothing half-written. Plus a Hypothesis fuzz of the CLI."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from rangemap.cli import cli
from rangemap.fsutil import TMP_PREFIX
from tests.helpers import ramp_dem, write_dem

GOOD_DOC = ("Test musk deer\nThe test musk deer (Moschus testus) is found in Aland and in "
            "Upper Bee of Beeland, above altitudes of 4,000 m.\n")


def invoke(args: list[str]):
    return CliRunner().invoke(cli, args)


def truncated_dem(d: Path) -> Path:
    """A tiled, compressed GeoTIFF whose data blocks are cut off."""
    p = d / "trunc.tif"
    z = np.random.default_rng(0).integers(0, 8000, (512, 512)).astype("int16")
    with rasterio.open(p, "w", driver="GTiff", height=512, width=512, count=1, dtype="int16",
                       crs="EPSG:4326", transform=rasterio.transform.from_origin(0, 8, 1 / 64,
                                                                                  1 / 64),
                       tiled=True, blockxsize=256, blockysize=256, compress="deflate") as dst:
        dst.write(z, 1)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 3])
    return p


def _range_file(d: Path, geoms, name="r.gpkg") -> Path:
    p = d / name
    gpd.GeoDataFrame({"sci_name": ["x"] * len(geoms)}, geometry=geoms, crs=4326).to_file(p)
    return p


def _points_file(d: Path) -> Path:
    from shapely.geometry import Point

    p = d / "points.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(1, 1)], crs=4326).to_file(p)
    return p


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def _docs(d: Path) -> Path:
    (d / "docs").mkdir(exist_ok=True)
    (d / "docs" / "a.txt").write_text(GOOD_DOC, encoding="utf-8")
    return d / "docs"


# (id, argument builder given the tiny world, exit code, fragment of the message)
CASES = [
    ("empty DEM", lambda w: ["habitat", "--range", str(_range_file(w["dir"], [box(0, 0, 8, 8)])),
                             "--dem", str(_write(w["dir"] / "e.tif", b"")),
                             "--min-elevation", "1", "-o", str(w["dir"] / "o.gpkg")],
     1, "cannot read DEM"),
    ("truncated DEM", lambda w: ["habitat", "--range",
                                 str(_range_file(w["dir"], [box(0, 0, 8, 8)])), "--dem",
                                 str(truncated_dem(w["dir"])), "--min-elevation", "1", "-o",
                                 str(w["dir"] / "o.gpkg")], 1, "trunc.tif"),
    ("DEM without CRS", lambda w: ["habitat", "--range",
                                   str(_range_file(w["dir"], [box(0, 0, 8, 8)])), "--dem",
                                   str(write_dem(w["dir"] / "nocrs.tif", ramp_dem(), 0, 8, 1,
                                                 crs=None)),
                                   "--min-elevation", "1", "-o", str(w["dir"] / "o.gpkg")],
     1, "has no CRS"),
    ("range of points", lambda w: ["habitat", "--range", str(_points_file(w["dir"])), "--dem",
                                   str(w["dem"]), "--min-elevation", "1", "-o",
                                   str(w["dir"] / "o.gpkg")], 1, "no polygon features"),
    ("corrupt range", lambda w: ["habitat", "--range", str(_write(w["dir"] / "r.geojson",
                                                                  b"{not json")),
                                 "--dem", str(w["dem"]), "--min-elevation", "1", "-o",
                                 str(w["dir"] / "o.gpkg")], 1, "cannot read range file"),
    ("binary document", lambda w: ["build", "--docs", str(_write(w["dir"] / "b.txt",
                                                                 b"\x00\x01PK\x03")),
                                   "--dem", str(w["dem"]), "--boundaries", str(w["boundaries"]),
                                   "--out", str(w["dir"] / "out")], 1, "b.txt"),
    ("latin-1 document", lambda w: ["build", "--docs", str(_write(w["dir"] / "l.txt",
                                                                  "Café musk deer".encode(
                                                                      "latin-1"))),
                                    "--dem", str(w["dem"]), "--boundaries",
                                    str(w["boundaries"]), "--out", str(w["dir"] / "out")],
     1, "UTF-8"),
    ("empty document", lambda w: ["build", "--docs", str(_write(w["dir"] / "e.txt", b"")),
                                  "--dem", str(w["dem"]), "--boundaries", str(w["boundaries"]),
                                  "--out", str(w["dir"] / "out")], 1, "e.txt"),
    ("corrupt boundaries", lambda w: ["build", "--docs", str(_docs(w["dir"])), "--dem",
                                      str(w["dem"]), "--boundaries",
                                      str(_write(w["dir"] / "b.gpkg", b"SQLite junk")),
                                      "--out", str(w["dir"] / "out")], 1, "b.gpkg"),
    ("output is a file", lambda w: ["build", "--docs", str(_docs(w["dir"])), "--dem",
                                    str(w["dem"]), "--boundaries", str(w["boundaries"]),
                                    "--out", str(_write(w["dir"] / "f", b"x") / "out")],
     1, "check the path, permissions and free disk space"),
    ("negative margin", lambda w: ["build", "--elevation-margin", "-5"], 2, "elevation-margin"),
    ("nan elevation", lambda w: ["build", "--min-elevation", "nan"], 2, "not a finite number"),
    ("infinite elevation", lambda w: ["area", "--range", "r", "--dem", "d", "--min-elevation",
                                      "1", "--max-elevation", "1e400"], 2, "not a finite number"),
    ("bad fetch bounds", lambda w: ["fetch-dem", "--bounds", "10", "20", "5", "30"], 2,
     "bounds"),
]


@pytest.mark.parametrize("name, make_args, code, fragment", CASES, ids=[c[0] for c in CASES])
def test_error_table(tiny_world, name, make_args, code, fragment) -> None:
    res = invoke(make_args(tiny_world))
    assert res.exit_code == code, res.output
    assert fragment in res.output
    assert "Traceback" not in res.output
    assert "internal error" not in res.output
    if code == 1:
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rangemap: error: ")
    assert not list(tiny_world["dir"].rglob(f"{TMP_PREFIX}*"))
    assert not (tiny_world["dir"] / "o.gpkg").exists()


def test_traceback_flag_shows_it(tiny_world) -> None:
    res = invoke(["--traceback", "build", "--dem", str(tiny_world["dir"] / "x.tif"),
                  "--docs", str(_docs(tiny_world["dir"]))])
    assert res.exit_code == 1


def test_full_disk_leaves_previous_outputs(tiny_world, monkeypatch) -> None:
    d = tiny_world["dir"]
    args = ["build", "--docs", str(_docs(d)), "--dem", str(tiny_world["dem"]), "--boundaries",
            str(tiny_world["boundaries"]), "--out", str(d / "out")]
    assert invoke(args).exit_code == 0
    before = {p: p.read_bytes() for p in (d / "out").rglob("*") if p.is_file()}

    import rangemap.fsutil as fsutil

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(fsutil, "write_text_atomic", full)
    for mod in ("pipeline", "io.vectors", "io.cache"):
        monkeypatch.setattr(f"rangemap.{mod}.write_text_atomic", full, raising=False)
    res = invoke(args + ["--force"])
    assert res.exit_code == 1 and "No space left on device" in res.output
    assert "Traceback" not in res.output
    after = {p: p.read_bytes() for p in (d / "out").rglob("*")
             if p.is_file() and TMP_PREFIX not in str(p)}
    assert {p: b for p, b in after.items() if ".cache" not in p.parts} == {
        p: b for p, b in before.items() if ".cache" not in p.parts}


def test_antimeridian_range_is_cut_and_mapped(tmp_path) -> None:
    # A DEM covering 170E..180 and -180..-170 (two files), all at 3000 m.
    east = write_dem(tmp_path / "east.tif", np.full((10, 10), 3000, "int16"), 170, 70, 1)
    west = write_dem(tmp_path / "west.tif", np.full((10, 10), 3000, "int16"), -180, 70, 1)
    rng = _range_file(tmp_path, [Polygon([(172, 62), (188, 62), (188, 68), (172, 68)])])
    out = tmp_path / "h.geojson"
    res = invoke(["habitat", "--range", str(rng), "--dem", str(east), "--dem", str(west),
                  "--min-elevation", "2500", "-o", str(out)])
    assert res.exit_code == 0, res.output
    feat = json.loads(out.read_text())["features"][0]
    assert feat["geometry"]["type"] == "MultiPolygon"
    xs = [pt[0] for poly in feat["geometry"]["coordinates"] for ring in poly for pt in ring]
    assert min(xs) == -180 or min(xs) < -170
    assert max(xs) <= 180 and min(xs) >= -180
    assert set(feat["properties"]["dem_source"].split("+")) == {"east", "west"}
    # 16 x 6 one-degree cells, whole.
    assert feat["properties"]["area_km2"] > 0


def test_tiny_and_low_units_are_recorded(tiny_world) -> None:
    rng = _range_file(tiny_world["dir"], [box(0.1, 0.1, 0.2, 0.2), box(0, 0, 2, 2),
                                          MultiPolygon([box(4, 0, 12, 8)])])
    out = tiny_world["dir"] / "h.gpkg"
    res = invoke(["habitat", "--range", str(rng), "--dem", str(tiny_world["dem"]),
                  "--min-elevation", "4000", "-o", str(out)])
    assert res.exit_code == 0
    got = gpd.read_file(out)
    assert len(got) == 3  # nothing vanished
    assert list(got["area_km2"][:2]) == [0, 0]


# ---------------------------------------------------------------- fuzz

texts = st.one_of(st.text(max_size=400), st.binary(max_size=200).map(
    lambda b: b.decode("latin-1")), st.just(GOOD_DOC))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=st.one_of(texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.binary(max_size=300)),
       lo=st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: f"{v:g}"),
                    st.sampled_from(["abc", "nan", "1e400", ""])),
       cut=st.integers(0, 4))
def test_fuzz_build_never_tracebacks(tiny_world, doc, lo, cut) -> None:
    d = tiny_world["dir"]
    docs = d / "fuzz"
    docs.mkdir(exist_ok=True)
    (docs / "x.txt").write_bytes(doc)
    dem = tiny_world["dem"]
    if cut:
        raw = dem.read_bytes()
        dem = d / f"cut{cut}.tif"
        dem.write_bytes(raw[: len(raw) * cut // 5])
    out = d / "fz-out"
    args = ["build", "--docs", str(docs), "--dem", str(dem), "--boundaries",
            str(tiny_world["boundaries"]), "--out", str(out)]
    if lo is not None:
        args += ["--min-elevation", lo]
    res = invoke(args)
    assert res.exit_code in (0, 1, 2), res.output
    assert "Traceback" not in res.output
    assert "internal error" not in res.output  # a crash is a bug, not a clean exit 1
    if res.exit_code:
        assert res.output.strip().count("\n") <= 3  # click usage errors have a short header
    assert not list(d.rglob(f"{TMP_PREFIX}*"))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(coords=st.lists(st.tuples(st.floats(-200, 200, allow_nan=False),
                                 st.floats(-95, 95, allow_nan=False)), min_size=0, max_size=7),
       shape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       dtype=st.sampled_from(["int16", "uint8", "float32"]),
       nodata=st.sampled_from([None, 0, 255]))
def test_fuzz_habitat_never_tracebacks(tmp_path_factory, coords, shape, dtype, nodata) -> None:
    d = tmp_path_factory.mktemp("fz")
    z = (np.arange(shape[0] * shape[1]).reshape(shape) * 37 % 250).astype(dtype)
    dem = write_dem(d / "dem.tif", z, -1, 1, 0.5, nodata=nodata)
    if len(coords) >= 3:
        rng = d / "r.geojson"
        fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"n": 1},
             "geometry": {"type": "Polygon", "coordinates": [coords + [coords[0]]]}}]}
        rng.write_text(json.dumps(fc))
    else:
        rng = d / "r.geojson"
        rng.write_text("{}")
    out = d / "o.gpkg"
    res = invoke(["habitat", "--range", str(rng), "--dem", str(dem), "--min-elevation", "100",
                  "-o", str(out)])
    assert res.exit_code in (0, 1, 2), res.output
    assert "Traceback" not in res.output
    assert "internal error" not in res.output  # a crash is a bug, not a clean exit 1
    assert not list(d.rglob(f"{TMP_PREFIX}*"))
    if res.exit_code:
        assert not out.exists()


def test_window_limit_refuses_oversized_reads(tiny_world, monkeypatch) -> None:
    monkeypatch.setenv("RANGEMAP_MAX_WINDOW_CELLS", "10")
    rng = _range_file(tiny_world["dir"], [box(0, 0, 8, 8)])
    res = invoke(["habitat", "--range", str(rng), "--dem", str(tiny_world["dem"]),
                  "--min-elevation", "1", "-o", str(tiny_world["dir"] / "o.gpkg")])
    assert res.exit_code == 1 and "RANGEMAP_MAX_WINDOW_CELLS" in res.output
    assert not (tiny_world["dir"] / "o.gpkg").exists()
