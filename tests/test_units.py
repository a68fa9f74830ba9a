"""Tests for rangemap.units (the narrowest place wins) and region geometry in ranges."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import shapely

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer
from rangemap.ranges import Boundaries, clip_to_qualifiers, range_units, validate_record
from rangemap.units import country_units, says_whole, span_countries

ROOT = Path(__file__).resolve().parents[1]
BOUNDARIES = ROOT / "data" / "boundaries" / "boundaries.gpkg"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load(BOUNDARIES)


@pytest.fixture(scope="module")
def bounds() -> Boundaries:
    return Boundaries.load(BOUNDARIES)


def record(gaz: Gazetteer, text: str) -> dict:
    recs = merge_records(extract_text("Snow leopard\n\nThe snow leopard (Panthera uncia) "
                                      + text, "t.txt", gaz))
    (rec,) = [r for r in recs if r.scientific_name == "Panthera uncia"]
    return rec.to_dict()


def units_of(d: dict) -> set[tuple]:
    return {(u["iso3"], u["admin1"], u["region"], tuple(u["qualifiers"]), u["rule"])
            for u in d["units"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a region named inside a country maps that part, not the whole country
        ("is found in the Himalayas in India.",
         {("IND", None, "Himalaya", (), "region")}),
        ("is found in the Himalaya of Nepal and Bhutan.",
         {("NPL", None, "Himalaya", (), "region"), ("BTN", None, "Himalaya", (), "region")}),
        # ... unless the text says the whole country
        ("is found throughout India, mostly in the Himalayas of India.",
         {("IND", None, None, (), "whole-country")}),
        # a region alone: its part in each of its countries, never a whole country
        ("is found in the Caucasus.",
         {(c, None, "Caucasus", (), "region") for c in ("RUS", "GEO", "ARM", "AZE")}),
        ("is found in southern Siberia.",
         {("RUS", None, "Siberia", ("southern",), "region")}),
        ("is found in the Korean Peninsula.",
         {("KOR", None, "Korean Peninsula", (), "region"),
          ("PRK", None, "Korean Peninsula", (), "region")}),
        # a country named elsewhere keeps its own unit; the region adds the others
        ("is found in the Caucasus. It also occurs in Russia.",
         {("RUS", None, None, (), "whole-country")}
         | {(c, None, "Caucasus", (), "region") for c in ("GEO", "ARM", "AZE")}),
        # an admin-1 unit does not name its country for a region (labelling guide)
        ("is found in Sikkim in the Himalayas.",
         {("IND", "Sikkim", None, (), "named-admin1")}
         | {(c, None, "Himalaya", (), "region") for c in ("PAK", "NPL", "BTN", "CHN")}),
        # an admin-1 unit named inside its country wins over the country
        ("is found in China, in SE Xizang.",
         {("CHN", "Xizang", None, ("south-eastern",), "named-admin1")}),
        ("is found in N Myanmar.",
         {("MMR", None, None, ("northern",), "whole-country")}),
        # a plain mention makes the unit whole again
        ("is found in northern India. It occurs in India.",
         {("IND", None, None, (), "whole-country")}),
        # a region named again after a statement placed it in some of its countries
        # refers back to that part (labelling guide, clarification of 2026-12-02)
        ("is found in the Alps of Switzerland. It is found in the Alps.",
         {("CHE", None, "Alps", (), "region")}),
        ("is found in the Himalayas in India and Nepal. It lives at 3000-4000 m on the "
         "southern slopes of the Himalayas.",
         {(c, None, "Himalaya", (), "region") for c in ("IND", "NPL")}),
        # ... but a region named alone first gives all its countries
        ("is found in the Alps. It is found in the Alps of Switzerland.",
         {(c, None, "Alps", (), "region")
          for c in ("CHE", "FRA", "ITA", "AUT", "DEU", "SVN", "LIE")}),
        # ... and another region named alone later still counts
        ("is found in the Alps of Switzerland. It also occurs in the Caucasus.",
         {("CHE", None, "Alps", (), "region")}
         | {(c, None, "Caucasus", (), "region") for c in ("RUS", "GEO", "ARM", "AZE")}),
        # a former mention does not stop the region
        ("is found in the Rocky Mountains. It formerly occurred in Canada.",
         {("USA", None, "Rocky Mountains", (), "region"),
          ("CAN", None, "Rocky Mountains", (), "region")}),
        # a country the text hedges is not implied by a region
        ("is found in the Himalaya. It probably occurs in Bhutan.",
         {(c, None, "Himalaya", (), "region") for c in ("PAK", "IND", "NPL", "CHN")}),
        # a span along a region: the region's countries between the ends
        ("is found in the Andes from Venezuela to Tierra del Fuego.",
         {(c, None, "Andes", (), "region")
          for c in ("VEN", "COL", "ECU", "PER", "BOL", "CHL", "ARG")}),
        ("is found in the Andes from Colombia to Peru.",
         {(c, None, "Andes", (), "region") for c in ("COL", "ECU", "PER")}),
        # "X along R to Y", an end outside the region standing for its nearer end
        ("is found from E Afghanistan E along the Himalayas to Bhutan.",
         {("AFG", None, None, ("eastern",), "whole-country")}
         | {(c, None, "Himalaya", (), "region") for c in ("PAK", "IND", "NPL", "BTN")}),
        # a region is not an end of its own span; named countries keep only their parts
        ("is found in Russia, Mongolia, China, Pakistan, India and Nepal, from the Altai "
         "Mountains in the north to the Himalayas in the south.",
         {(c, None, "Altai", (), "region") for c in ("RUS", "MNG", "CHN")}
         | {(c, None, "Himalaya", (), "region") for c in ("CHN", "PAK", "IND", "NPL")}),
    ],
)
def test_narrowest_place_wins(gaz: Gazetteer, text: str, expected: set) -> None:
    d = record(gaz, text)
    assert units_of(d) == expected


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("is found in Siberia.", {"RUS"}),
        ("is found in the Korean Peninsula.", {"KOR", "PRK"}),
        ("is found throughout the Himalaya.", {"PAK", "IND", "NPL", "BTN", "CHN"}),
        ("is found in the Andes from Venezuela to Tierra del Fuego.",
         {"VEN", "COL", "ECU", "PER", "BOL", "CHL", "ARG"}),
        ("is found in the Alps.", {"FRA", "CHE", "ITA", "AUT", "DEU", "SVN", "LIE"}),
    ],
)
def test_regions_imply_countries(gaz: Gazetteer, text: str, countries: set) -> None:
    d = record(gaz, text)
    assert {c["iso3"] for c in d["countries"]} == countries


def test_region_record_has_countries_and_polygon(gaz: Gazetteer) -> None:
    d = record(gaz, "is found in southern Siberia and the Caucasus.")
    regs = {r["name"]: r for r in d["regions"]}
    assert regs["Siberia"]["countries"] == ["RUS"]
    assert regs["Siberia"]["qualifiers"] == ["southern"]
    assert regs["Caucasus"]["countries"] == ["RUS", "GEO", "ARM", "AZE"]
    assert "at or above 500 m" in regs["Caucasus"]["polygon"]
    for key in ("name", "units", "evidence"):  # the old keys stay
        assert key in regs["Caucasus"]


def test_admin1_alternatives_kept(gaz: Gazetteer) -> None:
    d = record(gaz, "is found in Punjab, Pakistan.")
    (a,) = d["admin1"]
    assert (a["country_iso3"], a["boundary_name"]) == ("PAK", "Punjab")
    assert a["alternatives"] == ["admin1 Punjab (IND)"]


@pytest.mark.parametrize(
    ("prefix", "whole"),
    [("found throughout ", True), ("across ", True), ("all of ", True),
     ("the whole of ", True), ("found in ", False), ("found in northern ", False)],
)
def test_says_whole(prefix: str, whole: bool) -> None:
    assert says_whole(prefix) is whole


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [("Andes from Venezuela to Peru", ("VEN", "COL", "ECU", "PER")),
     ("Andes from Peru south to Venezuela", ("VEN", "COL", "ECU", "PER")),
     ("Andes of Venezuela and Peru", None)],
)
def test_span_countries(sentence: str, expected: tuple | None) -> None:
    andes = ("VEN", "COL", "ECU", "PER", "BOL", "CHL", "ARG")
    places = [(0, 5, andes)]
    for name, iso in (("Venezuela", "VEN"), ("Peru", "PER")):
        i = sentence.index(name)
        places.append((i, i + len(name), (iso,)))
    places.sort()
    assert span_countries(sentence, andes, places) == expected


@pytest.mark.parametrize(
    ("quals", "bounds"),
    [(["northern"], (0, 5, 10, 10)), (["southern"], (0, 0, 10, 5)),
     (["eastern"], (5, 0, 10, 10)), (["western"], (0, 0, 5, 10)),
     (["south-eastern"], (5, 0, 10, 5)), (["central"], (2.5, 2.5, 7.5, 7.5)),
     (["northern", "southern"], (0, 0, 10, 10)), (["upper"], (0, 0, 10, 10))],
)
def test_clip_to_qualifiers(quals: list, bounds: tuple) -> None:
    g = shapely.box(0, 0, 10, 10)
    assert clip_to_qualifiers(g, quals).bounds == pytest.approx(bounds)


def test_clip_by_region_extent() -> None:
    region = shapely.box(0, 0, 10, 10)
    part = shapely.box(0, 0, 4, 10)  # the western part of the region in one country
    assert clip_to_qualifiers(part, ["eastern"], region).bounds == pytest.approx((0, 0, 4, 10))
    assert clip_to_qualifiers(part, ["southern"], region).bounds == pytest.approx((0, 0, 4, 5))


def test_clip_across_antimeridian(bounds: Boundaries) -> None:
    rus = bounds.country_geometry("RUS")
    east = clip_to_qualifiers(rus, ["eastern"])
    assert east.is_valid and not east.is_empty
    # the east of Russia is Chukotka's side: it reaches the antimeridian, not the Baltic
    chukotka = bounds.admin1_geometry("RUS", "Chukchi Autonomous Okrug")
    assert east.intersection(chukotka).area > 0.9 * chukotka.area
    assert east.intersection(bounds.admin1_geometry("RUS", "Kaliningrad")).area == 0


def test_region_units_geometry(bounds: Boundaries) -> None:
    recs = [{"name": "x", "units": [
        {"iso3": "RUS", "admin1": None, "region": "Siberia", "qualifiers": ["southern"],
         "rule": "region"},
        {"iso3": "RUS", "admin1": None, "region": "Caucasus", "qualifiers": [], "rule": "region"},
        {"iso3": "IND", "admin1": "Sikkim", "rule": "named-admin1"},
        {"iso3": "IND", "admin1": None, "region": "Himalaya", "qualifiers": [],
         "rule": "region"},
    ]}]
    g = range_units(recs, bounds)
    def s(v: object) -> str | None:
        return v if isinstance(v, str) else None

    geoms = {(r.iso3, s(r.admin1), s(r.region)): r.geometry for r in g.itertuples()}
    siberia = geoms[("RUS", None, "Siberia")]
    # southern Siberia is neither Chukotka nor Kamchatka, and lies inside Russia
    for far in ("Chukchi Autonomous Okrug", "Kamchatka"):
        assert siberia.intersection(bounds.admin1_geometry("RUS", far)).area == 0
    assert siberia.intersection(bounds.admin1_geometry("RUS", "Irkutsk")).area > 0
    # the Caucasus in Russia is not all of Russia
    cauc = geoms[("RUS", None, "Caucasus")]
    assert cauc.area < 0.01 * bounds.country_geometry("RUS").area
    # the Himalaya in India leaves out the named Sikkim (no overlap) and all of peninsular India
    him = geoms[("IND", None, "Himalaya")]
    assert him.intersection(geoms[("IND", "Sikkim", None)]).area < 1e-6
    assert him.intersection(bounds.admin1_geometry("IND", "Kerala")).area == 0
    assert g.loc[g["region"] == "Siberia", "qualifiers"].iloc[0] == "southern"


def test_validate_unknown_region(bounds: Boundaries) -> None:
    from rangemap.errors import DataError

    rec = {"name": "x", "units": [{"iso3": "RUS", "admin1": None, "region": "Siberiaa",
                                   "rule": "region"}]}
    with pytest.raises(DataError, match="unknown region 'Siberiaa'.*'Siberia'"):
        validate_record(rec, bounds, "ranges.yaml")


def test_region_units_agree_with_the_record(gaz: Gazetteer) -> None:
    from rangemap.errors import DataError
    from rangemap.ranges import check_units_agree

    d = record(gaz, "is found in southern Siberia, the Himalayas of India and in Sikkim.")
    check_units_agree(d, "ranges.yaml")  # what the extractor writes always agrees
    bad = dict(d, units=d["units"] + [{"iso3": "GEO", "admin1": None, "region": "Caucasus",
                                       "qualifiers": [], "rule": "region", "evidence": []}])
    with pytest.raises(DataError, match="part of Caucasus in GEO but regions does not list"):
        check_units_agree(bad, "ranges.yaml")


def test_far_admin1_is_excluded_with_its_reason(gaz: Gazetteer) -> None:
    d = record(gaz, "is found in the USA and Canada (Cascade, Sierra Nevada).")
    assert "SYC" not in {u["iso3"] for u in d["units"]}
    (x,) = [x for x in d["excluded"] if x["iso3"] == "SYC"]
    assert x["reason"].startswith("far from every country the document names")


def test_fuzzy_place_is_a_warning(gaz: Gazetteer, tmp_path: Path) -> None:
    from rangemap.extract import extract_documents

    doc = tmp_path / "t.txt"
    doc.write_text("Snow leopard\n\nThe snow leopard (Panthera uncia) is found in Equador "
                   "and in the Himalya.\n", encoding="utf-8")
    out = extract_documents([doc], gaz)
    msgs = [w["message"] for w in out["warnings"] if w["code"] == "ambiguous-place"]
    assert any("'Himalya' read as Himalaya" in m for m in msgs)
    (sp,) = out["species"]
    assert {"NPL", "BTN"} <= {u["iso3"] for u in sp["units"]}


def test_build_regions_from_members_box_and_elevation(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/build_data.py builds region polygons and per-country parts (synthetic data)."""
    import importlib.util

    import geopandas as gpd
    import numpy as np
    import pyogrio
    import rasterio
    from rasterio.transform import from_origin

    spec = importlib.util.spec_from_file_location("build_data",
                                                  ROOT / "scripts" / "build_data.py")
    bd = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_data", bd)  # dataclasses look their module up
    spec.loader.exec_module(bd)

    box = shapely.box
    gpkg = tmp_path / "boundaries.gpkg"
    a0 = gpd.GeoDataFrame({"iso3": ["AAA", "BBB"], "name": ["Aland", "Beland"]},
                          geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=4326)
    a1 = gpd.GeoDataFrame({"iso3": ["AAA", "AAA", "BBB"], "name": ["Aland", "Aland", "Beland"],
                           "admin1_name": ["North", "South", "East"], "aliases": ["", "", ""]},
                          geometry=[box(0, 5, 10, 10), box(0, 0, 10, 5), box(10, 0, 20, 10)],
                          crs=4326)
    pyogrio.write_dataframe(a0, gpkg, layer="admin0", promote_to_multi=True)
    pyogrio.write_dataframe(a1, gpkg, layer="admin1", promote_to_multi=True, append=True)
    dem = tmp_path / "dem.tif"
    xs = np.arange(-1, 21, 0.5) + 0.25
    arr = np.tile((xs * 100).astype(np.int16), (24, 1))  # elevation = 100 m per degree east
    with rasterio.open(dem, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0],
                       count=1, dtype="int16", crs="EPSG:4326", nodata=-32768,
                       transform=from_origin(-1, 11, 0.5, 0.5)) as dst:
        dst.write(arr, 1)
    csv_path = tmp_path / "regions.csv"
    csv_path.write_text("region,spellings,countries,members,bbox,min_elev_m,source\n"
                        "Testia,Testia,AAA|BBB,AAA/North|BBB,3 0 18 10,500,made up\n",
                        encoding="utf-8")
    out = tmp_path / "regions.gpkg"
    areas = bd.build_regions(gpkg, dem, csv_path, out)
    assert set(areas) == {"Testia"}
    regions = pyogrio.read_dataframe(out, layer="regions")
    parts = pyogrio.read_dataframe(out, layer="region_parts")
    assert regions["countries"].tolist() == ["AAA|BBB"]
    assert "AAA/North" in regions["method"].iloc[0] and "500 m" in regions["method"].iloc[0]
    got = {r.iso3: r.geometry.bounds for r in parts.itertuples()}
    # AAA: the North unit only, east of the box edge (3) and of the 500 m line (5)
    assert got["AAA"] == pytest.approx((5, 5, 10, 10), abs=0.3)
    # BBB: whole country, cut by the box at 18
    assert got["BBB"] == pytest.approx((10, 0, 18, 10), abs=0.3)


@pytest.mark.parametrize(
    "text",
    ["is found in the Himalayas of India and Nepal, in Sikkim and in the Caucasus.",
     "is found in the Andes from Colombia to Peru. It also occurs in Chile.",
     "is found in southern Siberia and Mongolia."],
)
def test_units_derived_again_without_units_list(gaz: Gazetteer, text: str) -> None:
    """Deleting 'units:' from what the extractor wrote gives the same units back,
    compass qualifiers included ("southern Siberia" stays southern)."""
    from rangemap.ranges import assemble_units

    d = record(gaz, text)
    derived = {(u["iso3"], u["admin1"], u.get("region"), tuple(u["qualifiers"]))
               for u in assemble_units({k: v for k, v in d.items() if k != "units"})}
    assert derived == {(u["iso3"], u["admin1"], u["region"], tuple(u["qualifiers"]))
                       for u in d["units"]}


def test_country_units_is_the_one_parts_or_whole_rule() -> None:
    """Rules 1 and 2, shared by the extractor and ranges.yaml without units."""
    assert country_units(["Sikkim", "Assam"], ["Himalaya"], whole=False) == [
        ("Sikkim", None, "named-admin1"), ("Assam", None, "named-admin1"),
        (None, "Himalaya", "region")]
    assert country_units(["Sikkim"], ["Himalaya"], whole=True) == [
        (None, None, "whole-country")]
    assert country_units([], [], whole=False) == [(None, None, "whole-country")]


def test_ranges_yaml_units_follow_the_same_rule() -> None:
    """A hand-written record: admin-1 units and region parts in listed order, else whole."""
    from rangemap.ranges import assemble_units

    rec = {"countries": [{"iso3": "NPL", "evidence": [{"document": "n"}]},
                         {"iso3": "IND", "regions": ["Himalaya"]}],
           "admin1": [{"country_iso3": "IND", "name": "Sikkim", "evidence": [{"document": "s"}]}]}
    got = [(u["iso3"], u["admin1"], u.get("region"), u["rule"], u["evidence"])
           for u in assemble_units(rec)]
    assert got == [("NPL", None, None, "whole-country", [{"document": "n"}]),
                   ("IND", "Sikkim", None, "named-admin1", [{"document": "s"}]),
                   ("IND", None, "Himalaya", "region", [])]


def test_hand_written_qualifiers_reach_the_units() -> None:
    """'northern' written on a country, admin-1 or region item clips its unit (it was dropped)."""
    from rangemap.ranges import assemble_units

    rec = {"countries": [{"iso3": "NPL", "qualifiers": ["northern"]},
                         {"iso3": "IND", "regions": ["Himalaya"]},
                         {"iso3": "CHN"}],
           "admin1": [{"country_iso3": "CHN", "name": "Xizang", "qualifiers": ["southeastern"]}],
           "regions": [{"name": "Himalaya", "qualifiers": ["western"]}]}
    got = {(u["iso3"], u["admin1"], u.get("region")): u["qualifiers"] for u in assemble_units(rec)}
    assert got == {("NPL", None, None): ["northern"], ("IND", None, "Himalaya"): ["western"],
                   ("CHN", "Xizang", None): ["southeastern"]}
