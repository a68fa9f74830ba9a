"""Tests for rangemap.preferences: habitat words -> IUCN codes, slope statements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rangemap.errors import DataError
from rangemap.extract import extract_documents, extract_text
from rangemap.gazetteer import Gazetteer
from rangemap.preferences import (
    find_habitats,
    find_slopes,
    habitat_table,
    normalize_record,
)
from rangemap.ranges import Boundaries, load_ranges_yaml

ROOT = Path(__file__).resolve().parents[1]
BOUNDARIES = ROOT / "data" / "boundaries" / "boundaries.gpkg"
SCHEMA = ROOT / "src" / "rangemap" / "schema" / "ranges.schema.json"

# (sentence, expected [(code, phrase)]); the first block is real phrasing from the
# seed documents (data/documents) and the dev texts (data/eval/dev).
HABITAT_CASES = [
    ("The survey also found that, in summer, musk deer inhabit remote alpine scrub on "
     "scattered rock outcrops and in upper fringes of closed coniferous forests at c. "
     "3,000–3,500 m.",
     [("3.4", "remote alpine scrub"), ("6", "scattered rock outcrops"),
      ("1.4", "closed coniferous forests")]),
    ("It is most common in the taiga of southern Siberia, but is also found in parts of "
     "Mongolia, Inner Mongolia, Manchuria and the Korean peninsula.", [("1.1", "taiga")]),
    ("The Siberian musk deer (Moschus moschiferus) is a musk deer found in the mountain "
     "forests of Northeast Asia.", [("1.4", "mountain forests")]),
    ("Anhui musk deer inhabit high-elevations which consist of coniferous, broad-leaved, or "
     "mixed forests.", [("1.4", "coniferous, broad-leaved, or mixed forests")]),
    ("Anhui musk deer are believed to require the dense vegetation of intact forests or "
     "shrublands, similar to other musk deer.[5]",
     [("1.4", "intact forests"), ("3.4", "shrublands")]),
    ("Kashmir musk deer like to look for food where the mountains are steep and rocky.",
     [("6", "steep and rocky")]),
    ("Scientists have seen them 3000-3500 meters above sea level on mountains with pine "
     "cone tree forests.[3]", [("1.4", "pine cone tree forests")]),
    ("Their small shape allows them to hide from predators through tiny openings in the "
     "rocky terrain and also allow them to run exceptionally fast from their predators.",
     [("6", "rocky terrain")]),
    ("Additionally, they seek refuge in dense vegetation or under rock ledges if necessary.",
     [("6", "rock ledges")]),
    ("Its natural habitats are subtropical high-altitude shrubland, grassland, rivers, "
     "swamps, intermittent freshwater marshes, and ponds.",
     [("3.7", "subtropical high-altitude shrubland"), ("4.7", "grassland"), ("5.1", "rivers"),
      ("5.4", "swamps"), ("5.8", "intermittent freshwater marshes"), ("5.7", "ponds")]),
    ("Himalayan marmots occur primarily in dry, open habitats, including alpine meadows, "
     "grasslands, and deserts.",
     [("4.4", "alpine meadows"), ("4.4", "grasslands"), ("8.2", "deserts")]),
    # flora habitat lines: the sentence is the list
    ("Alpine meadows, gravelly mountain slopes, moist riverbeds, sand dunes; 2400-4300 m",
     [("4.4", "Alpine meadows"), ("5.1", "moist riverbeds")]),
    ("Habitat & Behaviour: Grassy places in mountains, often in clearings in forests.",
     [("4.4", "Grassy places"), ("1.4", "forests")]),
    ("The plants live at high altitude in the Páramo ecosystems.", [("4.7", "Páramo")]),
    ("Laguna Colorada and other salt-lakes are where it breeds.", [("5.14", "salt-lakes")]),
    # next to a habitat is not in it; proper names are places
    ("Polylepis racemosa grows as shrubby trees on steep, rocky slopes above cloud forest.",
     [("6", "steep, rocky slopes")]),
    ("It lives in the Black Forest, along the Nile River and the Aras river, and in the "
     "Rocky Mountains.", []),
    ("In the Drakensberg they form \"orchards\" on the slopes where they grow.", []),
    ("Hens occupy moist meadows near springs in summer.",
     [("4.4", "moist meadows"), ("5.9", "springs")]),
    ("Forest and Rangeland Birds of the United States: Natural History and Habitat Use", []),
    ("In Tibet, the western boundary is formed by the great bend of the Yarlung Zangbo "
     "(Tsangpo) river, where it occurs south of Medog on the mountain slopes.", []),
    # diet, not habitat: shrubs after "leaves of"
    ("At night, they emerge to feed in more open habitats, and preferably select leaves of "
     "trees and shrubs with high protein and low fibre contents.", []),
    # threats: loss, destruction, restoration are not preferences
    ("The most pressing threats facing this species are the destruction and fragmentation "
     "of forests within its range.", []),
    ("A long-term conservation strategy should focus on efforts to restore degraded areas "
     "of forest that could serve as potential habitats for Muschus meminna.", []),
    ("It survives despite unregulated hunting, extensive deforestation, habitat "
     "degradation, and the absence of the rule of law.", []),
    # climate words decide the sub-code
    ("The dwarf musk deer is a small, elusive species native to the temperate forests of "
     "Asia, where it lives.", [("1.4", "temperate forests")]),
    ("It inhabits tropical montane forest and subtropical cloud forest.",
     [("1.9", "tropical montane forest"), ("1.9", "subtropical cloud forest")]),
    ("It lives in subtropical dry deciduous forests.",
     [("1.5", "subtropical dry deciduous forests")]),
    ("It lives in tropical lowland rainforest.", [("1.6", "tropical lowland rainforest")]),
    ("It occurs in boreal forest and wet tundra.",
     [("1.1", "boreal forest"), ("4.1", "wet tundra")]),
    ("Found in tropical areas on montane grassland and high-altitude shrublands.",
     [("4.7", "montane grassland"), ("3.7", "high-altitude shrublands")]),
    ("It inhabits alpine meadows, grassland and steppe.",
     [("4.4", "alpine meadows"), ("4.4", "grassland"), ("4.4", "steppe")]),
    ("It lives among rhododendron scrub and on cliffs and scree.",
     [("3.4", "rhododendron scrub"), ("6", "cliffs"), ("6", "scree")]),
    ("It breeds in shrub tundra and tundra pools.",
     [("3.1", "shrub tundra"), ("5.10", "tundra pools")]),
    ("It is found in marshes, bogs and alpine wetlands.",
     [("5.4", "marshes"), ("5.4", "bogs"), ("5.11", "alpine wetlands")]),
    ("It inhabits cold high-altitude deserts and caves.",
     [("8.3", "cold high-altitude deserts"), ("7.1", "caves")]),
    ("It inhabits hot deserts.", [("8.1", "hot deserts")]),
    # negation and non-preference contexts, clause by clause
    ("It avoids open grassland but inhabits forest.", [("1.4", "forest")]),
    ("It is absent from deserts and not found in wetlands.", []),
    ("It occurs in forest, but never in plantations.", [("1.4", "forest")]),
    # no habitat statement: a habitat noun without cue or locative
    ("Forest cover declined by a third.", []),
]


@pytest.mark.parametrize(("sentence", "expected"), HABITAT_CASES,
                         ids=[c[0][:40] for c in HABITAT_CASES])
def test_habitat_words(sentence: str, expected: list[tuple[str, str]]) -> None:
    hits = find_habitats(sentence)
    assert [(h.code, h.phrase) for h in hits] == expected
    for h in hits:
        assert sentence[h.start:h.end] == h.phrase or " ".join(
            sentence[h.start:h.end].split()) == h.phrase
        assert h.code in habitat_table()


def test_climate_basis_says_when_temperate_is_assumed() -> None:
    (h,) = find_habitats("They inhabit closed coniferous forest.")
    assert h.code == "1.4" and "temperate assumed" in h.basis
    (h,) = find_habitats("They inhabit temperate coniferous forest.")
    assert h.code == "1.4" and "'temperate' in the phrase" in h.basis
    # one climate in the sentence governs a noun without its own
    (h,) = find_habitats("In this tropical country it inhabits montane forest.")
    assert h.code == "1.9" and "in the sentence" in h.basis


SLOPE_CASES = [
    ("They invariably use steep slopes (≥ 20°), which makes them difficult to approach.",
     [(20, None)]),
    ("It keeps to slopes of 30–45°.", [(30, 45)]),
    ("Found on slopes between 15 and 35 degrees.", [(15, 35)]),
    ("It grazes on gentle slopes (< 10°).", [(None, 10)]),
    ("Nests on slopes steeper than 25 degrees.", [(25, None)]),
    ("It prefers slopes of about 30°.", [(30, 30)]),
    ("It avoids slopes steeper than 40°.", [(None, 40)]),
    ("It avoids slopes of 0–10°.", []),
    # not slopes: temperature, latitude, no slope word, no number
    ("Steep slopes are cold, down to -30 °C, at 30° N.", []),
    ("The tusks grow at 30° to the jaw.", []),
    ("White-bellied musk deer have broad toes that provide stability on steep slopes.", []),
    ("On slopes of 120° nothing lives.", []),
]


@pytest.mark.parametrize(("sentence", "expected"), SLOPE_CASES,
                         ids=[c[0][:40] for c in SLOPE_CASES])
def test_slope_statements(sentence: str, expected: list[tuple[float | None, float | None]]
                          ) -> None:
    assert [(h.lo, h.hi) for h in find_slopes(sentence)] == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc forestscrub°≥<>0123456789-–,.;: ")),
               max_size=80))
def test_arbitrary_text_never_crashes(text: str) -> None:
    for h in find_habitats(text):
        assert 0 <= h.start < h.end <= len(text)
    for s in find_slopes(text):
        assert 0 <= s.start < s.end <= len(text)
        assert s.lo is None or 0 <= s.lo <= 90


def test_table_has_string_codes_of_the_scheme() -> None:
    t = habitat_table()
    assert len(t) == 126
    assert t["5.10"].startswith("Wetlands (inland) - Tundra") and t["5.1"] != t["5.10"]
    assert t["1.4"] == "Forest - Temperate" and t["6"].startswith("Rocky Areas")
    assert "9.10" in t and "15.10" in t and "11.1.2" in t


# --------------------------------------------------------------------------- extraction


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load(BOUNDARIES)


def _by_name(result: dict) -> dict[str, dict]:
    return {r["scientific_name"] or r["name"]: r for r in result["species"]}


def test_extract_reads_habitats_and_slope_from_the_dev_text(gaz: Gazetteer) -> None:
    doc = ROOT / "data" / "eval" / "dev" / "kashmir_musk_deer.txt"
    rec = _by_name(extract_documents([doc], gaz))["Moschus cupreus"]
    assert [h["code"] for h in rec["habitats"]] == ["1.4", "3.4", "6"]
    assert rec["slope_min_deg"] == 20 and rec["slope_max_deg"] is None
    text = doc.read_text(encoding="utf-8")
    (ev,) = rec["slope_evidence"]
    assert text[ev["start"]:ev["end"]] == "≥ 20°"
    for h in rec["habitats"]:
        for e in h["evidence"]:
            assert " ".join(text[e["start"]:e["end"]].split()) in e["sentence"]


def test_habitats_skip_threat_sections_and_follow_the_taxon(gaz: Gazetteer) -> None:
    text = ("Snow leopard\n\nThe snow leopard (Panthera uncia) is found in Nepal. It inhabits "
            "alpine meadows and rocky cliffs on slopes of 30–45°.\n\nThe red fox (Vulpes "
            "vulpes) lives in forests.\n\nThreats\n\nThe snow leopard is threatened by loss "
            "of grassland and lives in deserts near towns.\n")
    recs = {r.scientific_name: r.to_dict() for r in extract_text(text, "t.txt", gaz)}
    leo = recs["Panthera uncia"]
    assert [h["code"] for h in leo["habitats"]] == ["4.4", "6"]
    assert (leo["slope_min_deg"], leo["slope_max_deg"]) == (30, 45)
    assert [h["code"] for h in recs["Vulpes vulpes"]["habitats"]] == ["1.4"]


def test_seed_and_dev_output_matches_schema(gaz: Gazetteer) -> None:
    from tests.test_extract import _check_schema

    docs = sorted((ROOT / "data" / "documents").glob("*.txt"))
    docs += sorted((ROOT / "data" / "eval" / "dev").glob("*.txt"))
    res = extract_documents(docs, gaz)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    _check_schema(schema, res, schema["$defs"])
    codes = {h["code"] for r in res["species"] for h in r["habitats"]}
    assert {"1.1", "1.4", "3.4", "6"} <= codes


# --------------------------------------------------------------------------- ranges.yaml


def test_normalize_accepts_codes_and_fills_names() -> None:
    out = normalize_record({"name": "x", "habitats": ["1.4", {"code": 6}, "1.4"],
                            "slope_min_deg": 20}, "r.yaml")
    assert [(h["code"], h["name"]) for h in out["habitats"]] == [
        ("1.4", "Forest - Temperate"), ("6", habitat_table()["6"])]
    assert out["slope_min_deg"] == 20 and out["slope_max_deg"] is None


@pytest.mark.parametrize(("record", "fragment"), [
    ({"habitats": ["1.44"]}, "unknown IUCN habitat code '1.44' (did you mean 1.4"),
    ({"habitats": [{"code": "Forest - Temprate"}]}, "did you mean"),
    ({"habitats": [5.10]}, "quote it"),
    ({"habitats": "1.4"}, "habitats must be a list"),
    ({"habitats": [{"name": "Forest"}]}, "lacks 'code'"),
    ({"slope_min_deg": 95}, "slope_min_deg must be a number of degrees in 0..90"),
    ({"slope_min_deg": 40, "slope_max_deg": 20}, "is above slope_max_deg"),
])
def test_normalize_rejects_with_a_fix(record: dict, fragment: str) -> None:
    with pytest.raises(DataError, match=None) as err:
        normalize_record(dict(record, name="Moschus cupreus"), "r.yaml")
    msg = str(err.value)
    assert msg.startswith("r.yaml: Moschus cupreus: ") and fragment in msg, msg
    assert "\n" not in msg


def test_ranges_yaml_loader_checks_codes(tmp_path: Path) -> None:
    bounds = Boundaries.load(BOUNDARIES)
    rec = {"name": "snow leopard", "scientific_name": "Panthera uncia",
           "countries": [{"iso3": "NPL", "name": "Nepal", "evidence": []}], "admin1": [],
           "elevation_min_m": 3000, "elevation_max_m": 5000,
           "habitats": [{"code": "4.4", "name": "edited by hand", "evidence": []}],
           "slope_min_deg": 20, "slope_max_deg": None}
    p = tmp_path / "ranges.yaml"
    p.write_text(yaml.safe_dump({"species": [rec]}), encoding="utf-8")
    (out,) = load_ranges_yaml(p, bounds)
    assert out["habitats"][0]["name"] == "Grassland - Temperate"
    assert out["slope_min_deg"] == 20
    p.write_text(yaml.safe_dump({"species": [dict(rec, habitats=["4.44"])]}), encoding="utf-8")
    with pytest.raises(DataError, match=r"ranges.yaml: Panthera uncia: unknown IUCN habitat"):
        load_ranges_yaml(p, bounds)
