"""Tests for rangemap.validate and 'rangemap validate': point prevalence against occurrences."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import yaml
from click.testing import CliRunner
from shapely.geometry import box

from rangemap.cli import cli
from rangemap.errors import DataError
from rangemap.validate import _Grid, point_prevalence, read_occurrences

ROOT = Path(__file__).resolve().parents[1]
IBEX = ROOT / "data" / "occurrences" / "capra_sibirica_gbif.csv"


def _write_records(path: Path, rows: list[dict[str, str]], tab: bool = False) -> Path:
    cols = list(rows[0])
    with open(path, "w", encoding="utf-8", newline="") as f:
        if tab:  # GBIF download: tab-separated, unquoted
            f.write("\t".join(cols) + "\n")
            for r in rows:
                f.write("\t".join(r[c] for c in cols) + "\n")
        else:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
    return path


def _rec(name: str, lon: float, lat: float, status: str = "PRESENT") -> dict[str, str]:
    return {"scientificName": name, "decimalLatitude": f"{lat}",
            "decimalLongitude": f"{lon}", "occurrenceStatus": status}


def _points() -> list[dict[str, str]]:
    """Records generated in code for a range 0..10 x 0..10 with habitat 0..5 x 0..10 and
    a 1° grid: 12 habitat cells, 3 range-only cells, duplicates, outsiders, junk."""
    rows = [_rec("Testus cervus (Smith, 1900)", 0.5 + i % 5, 0.5 + i // 5) for i in range(12)]
    rows += [_rec("Testus cervus", 7.5, 0.5 + i) for i in range(3)]      # range, not habitat
    rows += [_rec("TESTUS CERVUS", 0.6, 0.6) for _ in range(4)]           # same cell as #0
    rows += [_rec("Testus cervus", 20.5, 5.5), _rec("Testus cervus", -3, 5)]  # outside range
    rows += [_rec("Testus cervus", 1.5, 1.5, status="ABSENT")]
    rows += [_rec("Testus cervus", float("nan"), 1), _rec("Testus cervus", 0, 0),
             _rec("Testus cervus", 200, 1)]
    rows += [_rec("Otherus rarus", 2.5, 2.5), _rec("Otherus rarus", 3.5, 3.5)]
    rows += [_rec("Nobody knows", 1.5, 1.5)]
    return rows


def _layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[dict]]:
    ranges = gpd.GeoDataFrame({"taxon_id": ["testus-cervus", "otherus-rarus"],
                               "iso3": ["AAA", "AAA"]},
                              geometry=[box(0, 0, 10, 10), box(0, 0, 10, 10)], crs=4326)
    habitat = gpd.GeoDataFrame({"taxon_id": ["testus-cervus", "otherus-rarus"],
                                "iso3": ["AAA", "AAA"], "area_km2": [50.0, 100.0],
                                "range_area_km2": [100.0, 100.0]},
                               geometry=[box(0, 0, 5, 10), box(0, 0, 10, 10)], crs=4326)
    taxa = [{"taxon_id": "testus-cervus", "name": "test deer", "scientific_name": "Testus cervus",
             "rank": "species"},
            {"taxon_id": "otherus-rarus", "name": "rare", "scientific_name": "Otherus rarus",
             "rank": "species"}]
    return ranges, habitat, taxa


@pytest.mark.parametrize("tab", [False, True], ids=["darwin-core-csv", "gbif-tsv"])
def test_point_prevalence_one_point_per_cell(tmp_path: Path, tab: bool) -> None:
    occ = read_occurrences(_write_records(tmp_path / "occ.txt", _points(), tab=tab))
    assert occ.dropped == {"occurrenceStatus absent": 1, "missing or invalid coordinates": 2,
                           "at (0, 0)": 1}
    grid = _Grid("g", west=0, north=10, dx=1, dy=1, width=10, height=10)
    ranges, habitat, taxa = _layers()
    rows, points, unmatched = point_prevalence(occ, ranges, habitat, taxa, [grid])
    deer, rare = rows
    assert deer["records"] == 12 + 3 + 4 + 2
    assert deer["points_in_range"] == 19
    assert (deer["cells_in_range"], deer["cells_in_habitat"]) == (15, 12)
    assert deer["point_prevalence"] == pytest.approx(12 / 15, abs=1e-4)
    assert deer["area_prevalence"] == 0.5 and deer["below_area_prevalence"] is False
    assert deer["status"] == "ok"
    assert rare["point_prevalence"] is None and rare["status"].startswith("not enough points")
    assert unmatched == {"nobody knows": 1}
    d = points[points["taxon_id"] == "testus-cervus"]
    assert int(d["counted"].sum()) == 15 and not d.loc[~d["in_range"], "counted"].any()


def test_point_prevalence_below_area_prevalence_is_flagged(tmp_path: Path) -> None:
    rows = [_rec("Testus cervus", 7.5, 0.5 + i) for i in range(9)]
    rows += [_rec("Testus cervus", 0.5, 0.5 + i) for i in range(2)]
    occ = read_occurrences(_write_records(tmp_path / "o.csv", rows))
    grid = _Grid("g", west=0, north=10, dx=1, dy=1, width=10, height=10)
    ranges, habitat, taxa = _layers()
    (deer, _), _, _ = point_prevalence(occ, ranges, habitat, taxa, [grid], min_points=10)
    assert deer["point_prevalence"] == pytest.approx(2 / 11, abs=1e-4)
    assert deer["below_area_prevalence"] is True and "below area prevalence" in deer["status"]


def test_genus_record_takes_its_species(tmp_path: Path) -> None:
    occ = read_occurrences(_write_records(tmp_path / "o.csv", [
        _rec("Moschus leucogaster", 0.5, 0.5), _rec("Moschus chrysogaster", 1.5, 0.5)]))
    ranges, habitat, _ = _layers()
    ranges["taxon_id"] = habitat["taxon_id"] = "moschus"
    taxa = [{"taxon_id": "moschus", "name": "musk deer", "scientific_name": "Moschus",
             "rank": "genus"}]
    (row,), _, unmatched = point_prevalence(occ, ranges, habitat, taxa, [])
    assert row["records"] == 2 and unmatched == {}


@pytest.mark.parametrize(("text", "fragment"), [
    ("lat,lon,name\n1,2,x\n", "no column decimalLatitude, decimalLongitude, scientificName"),
    ("decimalLatitude,decimalLongitude\n1,2\n", "no column scientificName"),
])
def test_bad_occurrence_files_say_what_to_fix(tmp_path: Path, text: str, fragment: str) -> None:
    p = tmp_path / "o.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_occurrences(p)
    assert fragment in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(DataError, match="occurrence file not found"):
        read_occurrences(tmp_path / "missing.csv")


# --------------------------------------------------------------------------- CLI, tiny world


def _tiny_build(tiny_world: dict[str, Path], name: str = "test deer") -> Path:
    d = tiny_world["dir"]
    ranges = d / "ranges.yaml"
    ranges.write_text(yaml.safe_dump({"species": [{
        "name": name, "scientific_name": "Testus cervus", "rank": "species",
        "countries": [{"iso3": "AAA", "name": "Aland", "evidence": []},
                      {"iso3": "BBB", "name": "Beeland", "evidence": []}],
        "admin1": [{"country_iso3": "BBB", "name": "North Bee", "boundary_name": "North Bee",
                    "evidence": []}],
        "elevation_min_m": 4000, "elevation_max_m": None}]}), encoding="utf-8")
    out = d / "out"
    res = CliRunner().invoke(cli, ["build", "--ranges", str(ranges), "--dem",
                                   str(tiny_world["dem"]), "--boundaries",
                                   str(tiny_world["boundaries"]), "--out", str(out),
                                   "--no-figures"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out


def test_cli_validate_tiny_build(tiny_world: dict[str, Path]) -> None:
    # ramp DEM z = 1000*col + 100*row, band >= 4000 m: habitat is North Bee (4..8E, 4..8N),
    # Aland (0..4E) is range without habitat, South Bee is outside the range
    name = "deer <img src=x onerror=alert(1)> `${x}`"
    out = _tiny_build(tiny_world, name)
    rows = [_rec("Testus cervus", 4.5 + i % 4, 4.5 + i // 4) for i in range(10)]
    rows += [_rec("Testus cervus", 0.5 + i, 2.5) for i in range(4)]
    rows += [_rec("Testus cervus", 4.6, 4.6), _rec("Testus cervus", 6.5, 1.5)]
    occ = _write_records(tiny_world["dir"] / "occ.csv", rows)
    res = CliRunner().invoke(cli, ["validate", "--occurrences", str(occ), "--out", str(out),
                                   "--boundaries", str(tiny_world["boundaries"])],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "validation" / "point_prevalence.json").read_text("utf-8"))
    (row,) = rep["taxa"]
    assert (row["records"], row["points_in_range"]) == (16, 15)
    assert (row["cells_in_range"], row["cells_in_habitat"]) == (14, 10)
    assert row["point_prevalence"] == pytest.approx(10 / 14, abs=1e-4)
    with open(out / "validation" / "point_prevalence.csv", encoding="utf-8") as f:
        (csv_row,) = list(csv.DictReader(f))
    assert csv_row["cells_in_habitat"] == "10" and csv_row["species"] == name
    page = (out / "validation" / "maps" / "testus-cervus.html").read_text("utf-8")
    assert "16 occurrence records" in page and "<img src=x" not in page and "${x}" not in page
    pts = json.loads((out / "validation" / "occurrences.geojson").read_text("utf-8"))
    assert len(pts["features"]) == 16
    # a new build makes the report stale: it is removed, not left beside new habitat
    res = CliRunner().invoke(cli, ["build", "--ranges", str(tiny_world["dir"] / "ranges.yaml"),
                                   "--dem", str(tiny_world["dem"]), "--boundaries",
                                   str(tiny_world["boundaries"]), "--out", str(out),
                                   "--no-figures", "--min-elevation", "5000"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert not (out / "validation").exists()


def test_cli_validate_errors_are_one_line(tiny_world: dict[str, Path]) -> None:
    occ = _write_records(tiny_world["dir"] / "occ.csv", [_rec("Nobody knows", 1, 1)])
    res = CliRunner().invoke(cli, ["validate", "--occurrences", str(occ), "--out",
                                   str(tiny_world["dir"] / "nobuild")])
    assert res.exit_code == 1 and "run 'rangemap build' first" in res.output
    assert len(res.output.strip().splitlines()) == 1
    out = _tiny_build(tiny_world)
    res = CliRunner().invoke(cli, ["validate", "--occurrences", str(occ), "--out", str(out)])
    assert res.exit_code == 1 and "no record names a taxon of the build" in res.output
    res = CliRunner().invoke(cli, ["validate", "--occurrences", str(occ), "--min-points", "0"])
    assert res.exit_code == 2


# --------------------------------------------------------------------------- real records


def test_real_ibex_records_against_an_independent_cell_test(tmp_path: Path) -> None:
    """Published GBIF records of Capra sibirica (data/occurrences) on a small real build
    (Kyrgyzstan and Tajikistan, 2,000-5,000 m, GLOBE 30″): every counted point's verdict
    equals an independent check of its DEM cell (value in the band, centre in range)."""
    dem = ROOT / "data" / "elevation" / "globe30s_55e90e_20n50n.tif"
    ranges = tmp_path / "ibex.yaml"
    ranges.write_text(yaml.safe_dump({"species": [{
        "name": "Siberian ibex", "scientific_name": "Capra sibirica", "rank": "species",
        "countries": [{"iso3": "KGZ", "name": "Kyrgyzstan", "evidence": []},
                      {"iso3": "TJK", "name": "Tajikistan", "evidence": []}],
        "admin1": [], "elevation_min_m": 2000, "elevation_max_m": 5000}]}), encoding="utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(cli, ["build", "--ranges", str(ranges), "--dem", str(dem), "--out",
                              str(out), "--no-figures"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["validate", "--occurrences", str(IBEX), "--out", str(out),
                              "--no-maps"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    (row,) = json.loads((out / "validation" / "point_prevalence.json").read_text("utf-8"))["taxa"]
    assert row["records"] == 89 and row["cells_in_range"] >= 10
    pts = gpd.read_file(out / "validation" / "occurrences.geojson")
    counted = pts[pts["counted"]]
    assert len(counted) == row["cells_in_range"]
    rng = shapely.union_all(gpd.read_file(out / "geojson" / "ranges.geojson").geometry.values)
    with rasterio.open(dem) as src:
        t = src.transform
        expect = []
        for g in counted.geometry:
            r, c = src.index(g.x, g.y)
            z = src.read(1, window=((r, r + 1), (c, c + 1)))[0, 0]
            cx, cy = t * (c + 0.5, r + 0.5)
            expect.append(bool(2000 <= z <= 5000 and rng.contains(shapely.Point(cx, cy))))
    assert list(counted["in_habitat"]) == expect
    assert row["cells_in_habitat"] == sum(expect)
    assert row["point_prevalence"] == pytest.approx(sum(expect) / len(expect), abs=1e-4)
    assert np.isfinite(row["area_prevalence"])


def test_shipped_ibex_ranges_file_loads() -> None:
    from rangemap.pipeline import default_boundaries
    from rangemap.ranges import Boundaries, load_ranges_yaml

    path = ROOT / "data" / "occurrences" / "capra_sibirica_ranges.yaml"
    (rec,) = load_ranges_yaml(path, Boundaries.load(default_boundaries()))
    assert rec["scientific_name"] == "Capra sibirica"
    assert [h["code"] for h in rec["habitats"]] == ["4.4", "6"]
    assert {u["iso3"] for u in rec["units"]} >= {"KGZ", "TJK", "PAK", "AFG"}
