"""Area of Habitat: crosswalks, per-taxon criteria, the IUCN fallbacks, the CLI options."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import box

from rangemap import aoh, engine
from rangemap.aoh import AohOptions, habitats_with_fallbacks, taxon_criteria
from rangemap.cli import cli
from rangemap.criteria import LandCover, SlopeLimits
from rangemap.errors import DataError
from rangemap.landcover import LEGENDS, classes_for, crosswalk_path, read_crosswalk
from rangemap.rasters.dem import DemStack

# ----------------------------------------------------------------------------- crosswalks


def test_crosswalk_codes_stay_strings(tmp_path) -> None:
    p = tmp_path / "xw.csv"
    p.write_text("code,value\n5.1,11\n5.10,80\n1,10.0\n", encoding="utf-8")
    xw = read_crosswalk(p)
    assert xw == {"5.1": {11}, "5.10": {80}, "1": {10}}


@pytest.mark.parametrize("text, msg", [
    ("code,klass\n1.4,10\n", "code,value"),
    ("code,value\n1.x,10\n", "line 2"),
    ("code,value\n1.4,ten\n", "not an integer"),
])
def test_crosswalk_errors_name_the_file_and_line(tmp_path, text, msg) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=msg) as err:
        read_crosswalk(p)
    assert str(p) in str(err.value)


def test_classes_for_matches_exact_then_ancestor_then_children() -> None:
    xw = {"1.4": {1, 5}, "1.9": {2}, "5": {11}}
    assert classes_for(["1.4"], xw) == ((1, 5), [])
    assert classes_for(["5.4"], xw) == ((11,), [])  # ancestor row
    assert classes_for(["1"], xw) == ((1, 2, 5), [])  # every subcode
    assert classes_for(["7.1", "1.9"], xw) == ((2,), ["7.1"])


@pytest.mark.parametrize("legend", sorted(LEGENDS))
def test_shipped_crosswalks_use_their_legend(legend) -> None:
    xw = read_crosswalk(crosswalk_path(legend))
    for code, classes in xw.items():
        assert classes <= set(LEGENDS[legend]), (legend, code)
    with open(crosswalk_path(legend), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert all(r["basis"].strip() for r in rows)  # every row says why
    # the terrestrial level-1 classes a mountain mammal needs are all mapped
    assert not classes_for(["1", "3", "4", "6"], xw)[1]


def test_igbp_crosswalk_keeps_forest_and_alpine_apart() -> None:
    xw = read_crosswalk(crosswalk_path("igbp"))
    forest = set(classes_for(["1.4"], xw)[0])
    assert {1, 2, 3, 4, 5} <= forest and 10 not in forest
    assert set(classes_for(["4.4"], xw)[0]) == {10}
    assert set(classes_for(["6"], xw)[0]) == {16}


# ----------------------------------------------------------------------------- criteria


def _lc(tmp_path, arr, west=0.0, north=8.0, res=1.0, name="lc.tif"):
    path = tmp_path / name
    with rasterio.open(path, "w", driver="GTiff", height=arr.shape[0], width=arr.shape[1],
                       count=1, dtype="uint8", crs="EPSG:4326", nodata=255,
                       transform=from_origin(west, north, res, res)) as dst:
        dst.write(arr.astype("uint8"), 1)
    return path


def test_taxon_criteria_from_records_and_options(tmp_path) -> None:
    lc = _lc(tmp_path, np.full((8, 8), 10))
    rec = {"scientific_name": "Moschus x", "habitats": [{"code": "1.4", "name": "Forest"},
                                                        {"code": "4.4"}],
           "slope_min_deg": 20, "slope_max_deg": None}
    # Embedded map: composition only, slope from the record.
    crit = taxon_criteria(rec, AohOptions())
    assert crit[0] == SlopeLimits(20.0, None)
    assert [type(c) for c in crit] == [SlopeLimits, LandCover] and not crit[1].filters
    # A user's map: the habitats filter through the legend's crosswalk.
    crit = taxon_criteria(rec, AohOptions(landcover=str(lc), min_slope=10, max_slope=35))
    assert crit[0] == SlopeLimits(10.0, 35.0)
    assert crit[1].classes == (1, 2, 3, 4, 5, 8, 10) and crit[1].habitats == ("1.4", "4.4")
    # Options override the record; classes win over habitats.
    crit = taxon_criteria(rec, AohOptions(landcover=str(lc), habitats=("6",)))
    assert crit[-1].classes == (16,)
    crit = taxon_criteria(rec, AohOptions(landcover=str(lc), landcover_classes=(3, 1)))
    assert crit[-1].classes == (1, 3)
    warn: list[str] = []
    crit = taxon_criteria({"habitats": [{"code": "7.1"}]},
                          AohOptions(landcover=str(lc)), warn)
    assert not crit[-1].filters and len(warn) == 2 and "7.1" in warn[0]


def _world(tmp_path):
    """8 x 8 one-degree DEM (z = 1000 col + 100 row) and land cover: forest (5) in the
    west half, grassland (10) in the east half."""
    from tests.helpers import ramp_dem, write_dem

    dem = write_dem(tmp_path / "dem.tif", ramp_dem(), west=0, north=8, res=1)
    cls = np.full((8, 8), 10)
    cls[:, :4] = 5
    return dem, _lc(tmp_path, cls)


def test_fallback_when_the_habitat_filter_leaves_nothing(tmp_path) -> None:
    dem, lc = _world(tmp_path)
    units = [box(0, 0, 8, 8)]
    with DemStack([dem]) as st:
        res = habitats_with_fallbacks(units, list(st), [(4000, None)],
                                      [(LandCover(str(lc), classes=(16,)),)], [[0]])
        elev = engine.habitats(units, list(st), (4000, None))
    assert res[0].fallback == aoh.HABITAT_DROPPED
    assert res[0].cells == elev[0].cells == 32
    assert res[0].area_km2 == pytest.approx(elev[0].area_km2, rel=1e-12)
    text = aoh.criteria_text((4000, None), res[0])
    assert "habitat filter dropped" in text and "classes" not in text


def test_fallback_when_elevation_and_habitat_do_not_meet(tmp_path) -> None:
    dem, lc = _world(tmp_path)
    units = [box(0, 0, 8, 8)]
    with DemStack([dem]) as st:
        # forest only in the west (z < 4000), band z >= 4000: drop the elevation limits
        res = habitats_with_fallbacks(units, list(st), [(4000, None)],
                                      [(LandCover(str(lc), classes=(5,)),)], [[0]])
        plain = habitats_with_fallbacks(units, list(st), [(2000, None)],
                                        [(LandCover(str(lc), classes=(5,)),)], [[0]])
    assert res[0].fallback == aoh.ELEVATION_DROPPED and res[0].cells == 32
    assert plain[0].fallback is None and plain[0].cells == 16  # columns 2, 3
    assert aoh.criteria_text((4000, None), res[0]).startswith("land cover (igbp) classes 5")


def test_fallbacks_are_judged_per_group(tmp_path) -> None:
    """A taxon with habitat in one unit keeps its filter in the other, empty unit."""
    dem, lc = _world(tmp_path)
    units = [box(0, 0, 4, 8), box(4, 0, 8, 8)]
    crit = [(LandCover(str(lc), classes=(5,)),)] * 2
    with DemStack([dem]) as st:
        taxon = habitats_with_fallbacks(units, list(st), [(0, None)] * 2, crit, [[0, 1]])
        apart = habitats_with_fallbacks(units, list(st), [(0, None)] * 2, crit, [[0], [1]])
    assert [r.fallback for r in taxon] == [None, None] and taxon[1].cells == 0
    assert apart[1].fallback == aoh.HABITAT_DROPPED and apart[1].cells == 32


# ----------------------------------------------------------------------------- CLI


def _range(tmp_path):
    import geopandas as gpd

    p = tmp_path / "r.geojson"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[box(0, 0, 8, 8), box(4, 0, 8, 8)],
                     crs=4326).to_file(p)
    return p


def test_area_with_landcover_and_habitats(tmp_path) -> None:
    dem, lc = _world(tmp_path)
    rng = _range(tmp_path)
    out = tmp_path / "t.csv"
    r = CliRunner().invoke(cli, ["area", "--range", str(rng), "--dem", str(dem),
                                 "--min-elevation", "2000", "--landcover", str(lc),
                                 "--habitats", "1.4", "-o", str(out)])
    assert r.exit_code == 0, r.output
    with open(out, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    a, b = rows
    assert int(a["cells"]) == 16 and a["fallback"] == ""
    assert "classes 1,2,3,4,5,8" in a["criteria"] and a["habitat_codes"] == "1.4"
    assert float(a["elevation_km2"]) > float(a["area_km2"]) > 0
    assert float(a["prevalence"]) == pytest.approx(
        float(a["area_km2"]) / float(a["range_km2"]), abs=1e-6)
    assert json.loads(a["landcover_shares"]) == {"5": pytest.approx(2 / 6, abs=0.01),
                                                 "10": pytest.approx(4 / 6, abs=0.01)}
    # The east feature has no forest: elevation only, flagged.
    assert b["fallback"] == aoh.HABITAT_DROPPED and int(b["cells"]) == 32
    assert "warning" not in r.output.lower() or "falling back" in r.output


def test_area_without_aoh_options_keeps_its_columns(tiny_world) -> None:
    rng = _range(tiny_world["dir"])
    r = CliRunner().invoke(cli, ["area", "--range", str(rng), "--dem",
                                 str(tiny_world["dem"]), "--min-elevation", "4000"])
    assert r.exit_code == 0, r.output
    header = r.output.splitlines()[0].split(",")
    assert header[0] == "name"
    assert [h for h in header if h in aoh.AREA_FIELDS] == aoh.AREA_FIELDS
    assert header[-len(aoh.AOH_FIELDS):] == aoh.AOH_FIELDS  # added at the end


@pytest.mark.parametrize("args, hint", [
    (["--min-slope", "30", "--max-slope", "20"], "--max-slope"),
    (["--min-slope", "95"], "--min-slope"),
    (["--habitats", "forest"], "--habitats"),
    (["--landcover-classes", "300"], "--landcover-classes"),
    (["--crosswalk", "missing.csv"], "--crosswalk"),
    (["--landcover", "missing.tif"], "--landcover"),
    (["--landcover-legend", "corine"], "--landcover-legend"),
])
def test_bad_aoh_options_are_usage_errors(tiny_world, args, hint) -> None:
    rng = _range(tiny_world["dir"])
    for cmd in (["area"], ["habitat", "-o", str(tiny_world["dir"] / "h.gpkg")]):
        r = CliRunner().invoke(cli, [*cmd, "--range", str(rng), "--dem",
                                     str(tiny_world["dem"]), "--min-elevation", "0", *args])
        assert r.exit_code == 2, r.output
        assert hint in r.output and "Traceback" not in r.output


def test_habitat_command_writes_aoh_fields(tmp_path) -> None:
    import geopandas as gpd

    dem, lc = _world(tmp_path)
    rng = _range(tmp_path)
    out = tmp_path / "h.gpkg"
    r = CliRunner().invoke(cli, ["habitat", "--range", str(rng), "--dem", str(dem),
                                 "--min-elevation", "0", "--landcover", str(lc),
                                 "--landcover-classes", "10", "--min-slope", "0", "-o",
                                 str(out)])
    assert r.exit_code == 0, r.output
    g = gpd.read_file(out)
    assert list(g["habitat_codes"].isna()) == [True, True]
    assert g["criteria"].iloc[0] == "elevation ≥ 0 m; land cover (lc.tif) classes 10"
    assert g["area_km2"].iloc[0] == pytest.approx(g["area_km2"].iloc[1], rel=1e-9)
    assert g["slope_median_deg"].notna().all() and (g["slope_min_deg"] == 0).all()


# ----------------------------------------------------------------------------- maps


def test_map_popups_and_tables_show_aoh_fields_escaped(tmp_path) -> None:
    from rangemap.maps import write_maps
    from tests.test_maps import _frames

    ranges, habitat, taxa = _frames()
    habitat["elevation_km2"] = [200.0, 0.0, 20.0]
    habitat["criteria"] = ["elevation ≥ 2500 m; land cover <b>x</b> classes 5", None, None]
    habitat["fallback"] = [aoh.HABITAT_DROPPED, None, None]
    habitat["landcover_shares"] = ['{"10": 0.75, "16": 0.25}', None, None]
    habitat["landcover_legend"] = ["igbp", None, None]
    habitat["slope_median_deg"] = [23.4, None, None]
    taxa[0] = {**taxa[0], "prevalence": 0.041, "criteria": "slope <i>", "fallback": None}
    paths = write_maps(ranges, habitat, taxa, tmp_path)
    page = "".join(p.read_text(encoding="utf-8") for p in paths if p.suffix == ".html")
    assert "<b>x</b>" not in page and "slope <i>" not in page
    assert "slope &lt;i&gt;" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    # popups are embedded as escaped JS strings, tables as HTML
    assert "10 grassland 75 %" in page and "16 barren 25 %" in page
    assert "habitat filter dropped" in page
    assert "Median slope: 23.4" in page
    assert "<th>Prevalence</th>" in page and "4.1 %" in page


def test_band_layers_apply_the_taxon_criteria(tmp_path) -> None:
    """The widened/narrowed habitat drawn on the maps keeps the land-cover filter."""
    from rangemap.pipeline import band_habitat

    dem, lc = _world(tmp_path)
    crit = {"t": (LandCover(str(lc), classes=(5,)),), "u": (LandCover(str(lc)),)}
    with DemStack([dem]) as st:
        make = band_habitat(st, 500.0, crit)
        wide, narrow = make({"taxon_id": "t"}, [box(0, 0, 8, 8)], [(2000, None)])
        plain, _ = make({"taxon_id": "u"}, [box(0, 0, 8, 8)], [(2000, None)])
        dropped, _ = make({"taxon_id": "t", "fallback": aoh.HABITAT_DROPPED},
                          [box(0, 0, 8, 8)], [(2000, None)])
    assert wide[0].bounds[2] <= 4.0  # forest (west half) only
    assert narrow[0].area < wide[0].area
    assert plain[0].bounds[2] == dropped[0].bounds[2] == 8.0


def test_habitats_without_a_filter_warn(tiny_world) -> None:
    rng = _range(tiny_world["dir"])
    r = CliRunner().invoke(cli, ["area", "--range", str(rng), "--dem",
                                 str(tiny_world["dem"]), "--min-elevation", "0",
                                 "--habitats", "1.4"])
    assert r.exit_code == 0, r.output
    assert "--habitat-filter" in r.output  # the warning line (stderr is mixed in)


def test_shared_results_compute_each_unit_once_and_keep_fallbacks_per_taxon(
        tmp_path, monkeypatch) -> None:
    """Two taxa sharing a unit: the engine sees it once; a fallback of one taxon does
    not leak into the other's copy; results equal separate computations."""
    dem, lc = _world(tmp_path)
    west, east = box(0, 0, 4, 8), box(4, 0, 8, 8)
    forest = (LandCover(str(lc), classes=(5,)),)
    calls: list[int] = []
    real = engine.habitats

    def counting(geoms, *a, **k):
        calls.append(len(geoms))
        return real(geoms, *a, **k)

    monkeypatch.setattr(engine, "habitats", counting)
    shared = aoh.SharedResults()
    with DemStack([dem]) as st:
        # taxon A: west + east, filter kept (forest in the west)
        a = habitats_with_fallbacks([west, east], list(st), [(0, None)] * 2, [forest] * 2,
                                    [[0, 1]], shared=shared)
        # taxon B: east only, same band and criteria: the filter leaves nothing there
        b = habitats_with_fallbacks([east], list(st), [(0, None)], [forest], [[0]],
                                    shared=shared)
        alone = habitats_with_fallbacks([east], list(st), [(0, None)], [forest], [[0]])
    # A: west+east; B: east reused, only its fallback (no filter) is new; alone: 2 calls
    assert calls == [2, 1, 1, 1]
    assert shared.computed == 3 and shared.reused == 1  # east (filtered) reused by B
    assert a[1].fallback is None and a[1].cells == 0
    assert b[0].fallback == aoh.HABITAT_DROPPED and b[0].cells == alone[0].cells == 32
    assert b[0].area_km2 == pytest.approx(alone[0].area_km2, rel=1e-12)
    assert shared.key(east, (0, None), forest, 100.0, True) != shared.key(
        east, (1, None), forest, 100.0, True)


@pytest.mark.parametrize("keep", [1, 2, 3])
def test_shared_results_read_back_from_the_spill_equal_fresh_ones(tmp_path, keep) -> None:
    """Results pushed out of memory (``keep`` most recent stay) come back from the
    temporary file equal to a fresh computation: cells, areas, AOO cells, geometry."""
    dem, _ = _world(tmp_path)
    units = [box(x, y, x + 3, y + 3) for x, y in ((0, 0), (2, 1), (4, 4), (1, 5))]
    bands = [(0, None), (3000, None), (0, 5500), (2000, 6000)]
    shared = aoh.SharedResults(keep=keep)
    with DemStack([dem]) as st:
        fresh = engine.habitats(units, list(st), bands)
        for order in ([0, 1, 2, 3], [3, 0, 2, 1], [1, 1, 0, 3, 2]):
            got = shared.habitats([units[i] for i in order], list(st),
                                  [bands[i] for i in order], 100.0, polygons=True,
                                  executor=None, criteria=[()] * len(order))
            for i, res in zip(order, got, strict=True):
                want = fresh[i]
                assert (res.cells, res.area_km2, res.cell_area_km2) == (
                    want.cells, want.area_km2, want.cell_area_km2)
                assert np.array_equal(res.aoo_keys, want.aoo_keys)
                assert res.geometry.equals_exact(want.geometry, 0)
    assert shared.computed == 4 and shared.reused == 9
    assert 4 - keep <= len(shared._spilled) <= 4  # pushed out (once is enough to stay there)
    shared.close()
