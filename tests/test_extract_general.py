"""General rules for prose accounts: hedges and status, elevation bands, taxa in prose.

Each case is a short synthetic text written for the rule it checks (never a copy of an
evaluation text).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer

BOUNDARIES = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "boundaries.gpkg"
LEAD = "Snow leopard\n\nThe snow leopard (Panthera uncia) occurs in Nepal. "


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    assert BOUNDARIES.is_file(), f"{BOUNDARIES} is missing"
    return Gazetteer.load(BOUNDARIES)


def _record(text: str, gaz: Gazetteer) -> dict:
    recs = merge_records(extract_text(text, "t.txt", gaz))
    (rec,) = [r for r in recs if r.scientific_name == "Panthera uncia"]
    return rec.to_dict()


def _status(d: dict, iso3: str) -> str | None:
    """Status of a country: its range status when mapped, else its excluded status."""
    for c in d["countries"]:
        if c["iso3"] == iso3:
            return str(c["status"])
    return next((str(x["status"]) for x in d["excluded"] if x["iso3"] == iso3), None)


# hedges, former range and rejected records the cue list reads (labelling guide: what
# counts as range); each sentence follows "The snow leopard ... occurs in Nepal."
@pytest.mark.parametrize(("sentence", "iso3", "status"), [
    # uncertain
    ("The records from Bhutan are questionable.", "BTN", "uncertain"),
    ("There are unverified reports from Bhutan.", "BTN", "uncertain"),
    ("Its presence in Bhutan is unknown.", "BTN", "uncertain"),
    ("Its status in Bhutan is unclear.", "BTN", "uncertain"),
    ("Reports from Bhutan have not been confirmed.", "BTN", "uncertain"),
    ("Its occurrence in Bhutan has not been confirmed.", "BTN", "uncertain"),
    ("Records from Bhutan need verification.", "BTN", "uncertain"),
    ("It may have occurred in Bhutan.", "BTN", "uncertain"),
    ("It might still survive in Bhutan.", "BTN", "uncertain"),
    ("It almost certainly occurs in Bhutan.", "BTN", "uncertain"),
    ("It is not known whether it occurs in Bhutan.", "BTN", "uncertain"),
    ("It should be looked for in Bhutan.", "BTN", "uncertain"),
    ("Sight records from Bhutan are not accepted.", "BTN", "uncertain"),
    # a hedge after a contrast that refers back to the clause before it
    ("It was reported from Bhutan, but this needs verification.", "BTN", "uncertain"),
    ("It has been reported from Bhutan, but the record needs confirmation.", "BTN",
     "uncertain"),
    ("It was reported from Bhutan (Ali 1987) but this has not been confirmed.", "BTN",
     "uncertain"),
    ("It has been recorded from Bhutan, though the identification is uncertain.", "BTN",
     "uncertain"),
    # former range
    ("It occurred in Bangladesh until the 1930s.", "BGD", "former"),
    ("It has not been recorded in Bangladesh since 1920.", "BGD", "former"),
    ("In Bangladesh it has not been seen since 1960.", "BGD", "former"),
    ("It was once widespread in Bangladesh.", "BGD", "former"),
    ("It has vanished from Bangladesh.", "BGD", "former"),
    ("It has been lost from Bangladesh.", "BGD", "former"),
    # a rejected record is not range
    ("A record from Bhutan is considered erroneous.", "BTN", "non-range"),
    # "until <year>" governs only a place written before it
    ("It was not described until 1990 from material found in Bhutan.", "BTN", "native"),
    # a hedge about something other than presence leaves the place in the range
    ("It is found in Bhutan, where it is possibly declining.", "BTN", "native"),
    ("It occurs in India, where it is likely the most common cat.", "IND", "native"),
    # a presence stated or confirmed is range
    ("It has been confirmed in Bhutan.", "BTN", "native"),
    ("Its presence in Bhutan was confirmed in 2010.", "BTN", "native"),
    # a field label glued to its value ends the cue before it ("probably ... Native:Bhutan")
    ("It probably occurs in Tibet [::Countries] Native:Bhutan; India.", "BTN", "native"),
    ("It probably occurs in Tibet [::Countries] Native:Bhutan; India.", "CHN", "uncertain"),
])
def test_hedges_and_status(gaz: Gazetteer, sentence: str, iso3: str, status: str) -> None:
    assert _status(_record(LEAD + sentence, gaz), iso3) == status


def _taxa(text: str, gaz: Gazetteer) -> dict[str | None, tuple[str, set[str]]]:
    """scientific name -> (display name, countries) of every record of ``text``."""
    out = {}
    for r in merge_records(extract_text(text, "t.txt", gaz)):
        d = r.to_dict()
        out[r.scientific_name] = (r.name, {c["iso3"] for c in d["countries"]})
    return out


# taxa named in prose without brackets or authority: in apposition after a common name
# introduced by an article, listed beside a binomial that is a taxon, abbreviated in a
# list; a list of taxa (even across ";" and group labels) shares the sentence's places
@pytest.mark.parametrize(("text", "expected"), [
    ("The moss mouse Pseudohydromys fuscus and the giant rat Mallomys rothschildi were "
     "recorded in Papua New Guinea.",
     {"Pseudohydromys fuscus": {"PNG"}, "Mallomys rothschildi": {"PNG"}}),
    ("Owls live in Kenya. It is eaten by the Sooty Owl, Tyto tenebricosa, in Kenya.",
     {"Tyto tenebricosa": {"KEN"}}),
    ("Four species are known from Mexico: Ambystoma rivulare, Pseudoeurycea bellii bellii, "
     "P. leprosa and P. robertsi.",
     {"Ambystoma rivulare": {"MEX"}, "Pseudoeurycea bellii": {"MEX"},
      "Pseudoeurycea leprosa": {"MEX"}, "Pseudoeurycea robertsi": {"MEX"}}),
    ("Frogs: Litoria angiana, L. arfakiana, Nyctimystes disrupter, N. foricula; skinks: "
     "Emoia pallidiceps; and the snake Natrix montana are reported from Simbai in Papua "
     "New Guinea.",
     {k: {"PNG"} for k in ("Litoria angiana", "Litoria arfakiana", "Nyctimystes disrupter",
                           "Nyctimystes foricula", "Emoia pallidiceps", "Natrix montana")}),
    # clauses of different taxa keep their own places
    ("The Alpine Ibex (Capra ibex) is found in Italy; the Nubian Ibex (Capra nubiana) is "
     "found in Egypt.", {"Capra ibex": {"ITA"}, "Capra nubiana": {"EGY"}}),
])
def test_taxa_in_prose(gaz: Gazetteer, text: str, expected: dict) -> None:
    got = _taxa(text, gaz)
    assert {k: v[1] for k, v in got.items() if k in expected} == expected


@pytest.mark.parametrize(("text", "absent"), [
    # an article phrase ending in a function word, a short "genus": no taxon
    ("The ornithology of the Mwa nihana Forest in Tanzania is known. Panthera uncia is "
     "found in Nepal.", "Mwa nihana"),
    ("Panthera uncia is found in a large Alpine area in Switzerland.", "Alpine area"),
    # an abbreviation outside a list, with two genera of that initial, stays unresolved
    ("Panthera uncia (Schreber, 1775) and Psammomys obesus (Cretzschmar, 1828) live in "
     "Nepal. Several species live in Nepal, including P. albertus.", "Panthera albertus"),
])
def test_no_taxon_from_prose_noise(gaz: Gazetteer, text: str, absent: str) -> None:
    got = _taxa(text, gaz)
    assert absent not in got
    assert all(absent != v[0] for v in got.values())


def test_common_name_before_binomial_is_kept(gaz: Gazetteer) -> None:
    got = _taxa("The Giant panda, Ailuropoda melanoleuca, lives in China. The giant panda "
                "is rare.", gaz)
    assert got["Ailuropoda melanoleuca"][0].lower() == "giant panda"


@pytest.mark.parametrize(("sentence", "expected"), [
    # "N and M m" closing a list of altitudes is a list of points, not a band
    ("Nets were set at elevations of 400, 600, 800, 1700 and 1800 m.", []),
    ("It lives at elevations between 1700 and 1800 m.", [(1700.0, 1800.0)]),
    ("It occurs at altitudes of 2,000 and 3,500 m.", [(2000.0, 3500.0)]),
])
def test_elevation_lists_are_points(sentence: str, expected: list) -> None:
    from rangemap.extract import parse_elevations
    assert [(lo, hi) for lo, hi, _a, _b in parse_elevations(sentence)] == expected


def test_binomial_named_as_a_species(gaz: Gazetteer) -> None:
    got = _taxa("Interest grew after a new and distinct species of , Nectarinia rufipennis, "
                "was found in Tanzania. The species Tyto alba occurs in Kenya.", gaz)
    assert "Nectarinia rufipennis" in got and got["Tyto alba"][1] == {"KEN"}
