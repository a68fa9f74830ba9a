"""Tests for rangemap.gazetteer: name matching, ambiguity, lookups, loading errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rangemap.errors import DataError
from rangemap.gazetteer import AliasRow, Gazetteer, fold

ROOT = Path(__file__).resolve().parents[1]
BOUNDARIES = ROOT / "data" / "boundaries" / "boundaries.gpkg"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    countries = [
        ("IND", "India"), ("PAK", "Pakistan"), ("CHN", "China"), ("GEO", "Georgia"),
        ("USA", "United States of America"), ("TCD", "Chad"), ("TUR", "Turkey"),
        ("CIV", "Côte d'Ivoire"), ("BIH", "Bosnia and Herz."), ("KOR", "South Korea"),
        ("PRK", "North Korea"), ("CYN", "Northern Cyprus"), ("CYP", "Cyprus"),
        ("GNB", "Guinea-Bissau"), ("GIN", "Guinea"),
    ]
    admin1 = [
        ("IND", "Punjab", []), ("PAK", "Punjab", []), ("IND", "Uttaranchal", ["Uttarakhand"]),
        ("IND", "Jammu and Kashmir", []), ("CHN", "Xizang", []), ("USA", "Georgia", []),
        ("GHA", "Western", []), ("MNG", "Hövsgöl", []),
    ]
    aliases = [
        AliasRow("Tibet", "admin1", "CHN", "Xizang"),
        AliasRow("Korea", "country", "KOR", None), AliasRow("Korea", "country", "PRK", None),
        AliasRow("Kashmir", "region", "IND", "Jammu and Kashmir"),
        AliasRow("Kashmir", "region", "PAK", None),
        AliasRow("The Gambia", "country", "GMB", None),
    ]
    return Gazetteer(countries, admin1, aliases)


def names(g: Gazetteer, text: str) -> list[tuple[str, str, tuple]]:
    return [(m.surface, m.kind, m.targets) for m in g.find_mentions(text)]


def test_fold_keeps_length() -> None:
    s = "Hövsgöl – Côte d’Ivoire İstanbul"
    assert len(fold(s)) == len(s)
    assert fold("Hövsgöl") == "hovsgol"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Found in India.", [("India", "country", (("IND", None),))]),
        ("found in india", [("india", "country", (("IND", None),))]),
        ("Jammu & Kashmir", [("Jammu & Kashmir", "admin1", (("IND", "Jammu and Kashmir"),))]),
        ("Jammu and Kashmir", [("Jammu and Kashmir", "admin1", (("IND", "Jammu and Kashmir"),))]),
        ("in Tibet", [("Tibet", "admin1", (("CHN", "Xizang"),))]),
        ("Uttarakhand", [("Uttarakhand", "admin1", (("IND", "Uttaranchal"),))]),
        ("Cote d'Ivoire", [("Cote d'Ivoire", "country", (("CIV", None),))]),
        ("Côte d’Ivoire", [("Côte d’Ivoire", "country", (("CIV", None),))]),
        ("Bosnia & Herz.", [("Bosnia & Herz", "country", (("BIH", None),))]),
        ("Guinea Bissau", [("Guinea Bissau", "country", (("GNB", None),))]),
        ("Hovsgol", [("Hovsgol", "admin1", (("MNG", "Hövsgöl"),))]),
        ("Korea", [("Korea", "country", (("KOR", None), ("PRK", None)))]),
        ("the Gambia", [("Gambia", "country", (("GMB", None),))]),
        ("China's north", [("China", "country", (("CHN", None),))]),
    ],
)
def test_matching_forms(gaz: Gazetteer, text: str, expected: list) -> None:
    assert names(gaz, text) == expected


@pytest.mark.parametrize(
    "text",
    ["they chad a turkey dinner", "a guinea pig", "the western slopes", "Western slopes",
     "Indiana", "Chinatown", "bindia", "Siberian musk deer", "Himalayan"],
)
def test_no_false_positives(gaz: Gazetteer, text: str) -> None:
    assert names(gaz, text) == []


def test_capitalised_common_word_countries(gaz: Gazetteer) -> None:
    assert names(gaz, "Chad and Turkey") == [
        ("Chad", "country", (("TCD", None),)), ("Turkey", "country", (("TUR", None),))
    ]


def test_compass_prefixed_names_need_capital(gaz: Gazetteer) -> None:
    assert names(gaz, "northern Cyprus")[0][2] == (("CYP", None),)
    assert names(gaz, "Northern Cyprus")[0][2] == (("CYN", None),)


def test_longest_match_wins(gaz: Gazetteer) -> None:
    got = names(gaz, "Jammu and Kashmir and Kashmir")
    assert [g[1] for g in got] == ["admin1", "region"]


def test_punjab_resolved_by_sentence(gaz: Gazetteer) -> None:
    ms = gaz.find_mentions("It occurs in Punjab, Pakistan. India is far.")
    assert ms[0].targets == (("PAK", "Punjab"),)


def test_punjab_resolved_by_document(gaz: Gazetteer) -> None:
    ms = gaz.find_mentions("Known from India. It occurs in Punjab.")
    assert ms[1].targets == (("IND", "Punjab"),)


def test_punjab_unresolved_keeps_both(gaz: Gazetteer) -> None:
    ms = gaz.find_mentions("It occurs in Punjab.")
    assert ms[0].targets == (("IND", "Punjab"), ("PAK", "Punjab"))


def test_georgia_country_unless_usa_context(gaz: Gazetteer) -> None:
    assert gaz.find_mentions("Found in Georgia.")[0].targets == (("GEO", None),)
    ms = gaz.find_mentions("Found in Georgia, United States of America.")
    assert ms[0].targets == (("USA", "Georgia"),)


def test_offsets_slice(gaz: Gazetteer) -> None:
    text = "Côte d’Ivoire,\tthe Gambia & Jammu  &  Kashmir (Tibet)"
    for m in gaz.find_mentions(text):
        assert text[m.start:m.end] == m.surface


def test_lookups(gaz: Gazetteer) -> None:
    assert gaz.country_name("IND") == "India"
    assert gaz.country_name("XXX") is None
    assert gaz.has_admin1("IND", "uttarakhand")
    assert gaz.has_admin1("CHN", "Tibet")
    assert gaz.boundary_admin1("CHN", "Tibet") == "Xizang"
    assert not gaz.has_admin1("IND", "Tibet")
    assert "Uttaranchal" in gaz.suggest_admin1("IND", "Uttaranchl")
    assert gaz.resolve_country("india") == "IND"
    assert gaz.resolve_country("ind") == "IND"
    assert gaz.resolve_country("Korea") is None
    assert gaz.resolve_countries("Korea") == ["KOR", "PRK"]
    assert gaz.resolve_country("Atlantis") is None
    assert gaz.region_units("kashmir") == [("IND", "Jammu and Kashmir"), ("PAK", None)]


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="--boundaries"):
        Gazetteer.load(tmp_path / "nope.gpkg")


def test_load_not_a_geopackage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gpkg"
    bad.write_text("hello")
    with pytest.raises(DataError, match=r"bad\.gpkg: cannot read boundaries"):
        Gazetteer.load(bad)


def test_bad_aliases_csv(tmp_path: Path) -> None:
    from rangemap.gazetteer import read_aliases

    p = tmp_path / "aliases.csv"
    p.write_text("alias,kind\nX,country\n")
    with pytest.raises(DataError, match="missing column"):
        read_aliases(p)
    p.write_text("alias,kind,iso3,admin1_name,source\nX,planet,IND,,\n")
    with pytest.raises(DataError, match="line 2: unknown kind"):
        read_aliases(p)


def test_real_boundaries_load() -> None:
    assert BOUNDARIES.is_file(), f"{BOUNDARIES} is missing"
    g = Gazetteer.load(BOUNDARIES)
    assert g.country_name("NPL") == "Nepal"
    assert g.boundary_admin1("IND", "Uttarakhand") == "Uttaranchal"
    assert g.boundary_admin1("PAK", "Gilgit-Baltistan") == "Northern Areas"
    assert {t[0] for t in g.region_units("Himalayas")} >= {"NPL", "BTN", "IND"}
    ms = g.find_mentions("Northern India, Central and East Asia, the Western Ghats")
    assert [m.targets for m in ms] == [(("IND", None),)]
