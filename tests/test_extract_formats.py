"""Rules for the structured source formats: MSW3 lines, floras, HMW/HBW paragraphs,
IUCN range text and Animal Diversity Web sections (short synthetic texts)."""

from __future__ import annotations

from typing import Any

import pytest

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer


def _records(text: str, gaz: Gazetteer) -> list[dict[str, Any]]:
    return [r.to_dict() for r in merge_records(extract_text(text, "t.txt", gaz))]


def _one(text: str, gaz: Gazetteer) -> dict[str, Any]:
    recs = _records(text, gaz)
    assert len(recs) == 1, [r["scientific_name"] or r["name"] for r in recs]
    return recs[0]


# --------------------------------------------------------------------------- floras

# bracketed extremes belong to the flora's one statement: the band is the outer values
@pytest.mark.parametrize(("habitat", "band"), [
    ("Alpine meadows, cliffs; (2900–) 3700–4100(–5100) m. S Gansu, W Sichuan.", (2900, 5100)),
    ("Alpine meadows; 3700-4100(-5100) m. Gansu.", (3700, 5100)),
    ("Alpine meadows; (2900-)3700-4100 m. Gansu.", (2900, 4100)),
    ("Alpine meadows; 3700--4100 m. Gansu.", (3700, 4100)),
    ("Scapes 8--16(--25) cm. Alpine meadows; 3000-4000 m. Gansu.", (3000, 4000)),
])
def test_flora_bracketed_extremes(gaz: Gazetteer, habitat: str, band: tuple) -> None:
    text = ("12. Saxifraga montanella Harry Smith, Acta Horti Gothob. 1: 14. 1924.\n\n"
            f"{habitat}\n")
    rec = _one(text, gaz)
    assert (rec["elevation_min_m"], rec["elevation_max_m"]) == band


_FOC_HEAD = "12. Primula testacea W. W. Smith, Notes Roy. Bot. Gard. Edinburgh 9: 12. 1916."


# HTML markup left in scraped flora pages is read as the breaks it stands for: a break
# or block tag is a line break, an inline tag is dropped; when every line ends in a break
# tag followed by a blank line (doubled line ends), the lines are one wrapped paragraph
@pytest.mark.parametrize("text", [
    f"{_FOC_HEAD}<br />\nHerbs perennial.<br /><br />Forests, thickets; 2400-3800 m. "
    "Gansu, Qinghai, Xizang [Bhutan, Nepal].<br />",
    f"<p>{_FOC_HEAD}</p><p>Herbs <i>perennial</i>.</p><p>Forests, thickets; 2400-3800 m. "
    "Gansu, Qinghai, Xizang [Bhutan, Nepal].</p>",
    f"{_FOC_HEAD}<br />\n\nHerbs perennial, leaves 3-8 cm. It is found in the mountains of"
    "<br />\n\nGansu, Qinghai and Xizang, mostly in forests<br />\n\nand thickets at "
    "2400-3800 m, also in Bhutan and Nepal.<br />\n\n",
    f"{_FOC_HEAD}\n\nForests, <strong>thickets</strong>; 2400-3800 m. Gansu, "
    "Qing<b></b>hai, Xizang&nbsp;[Bhutan, Nepal].",
])
def test_flora_html_markup(gaz: Gazetteer, text: str) -> None:
    rec = _one(text, gaz)
    assert sorted(c["iso3"] for c in rec["countries"]) == ["BTN", "CHN", "NPL"]
    assert sorted(a["boundary_name"] for a in rec["admin1"]) == ["Gansu", "Qinghai", "Xizang"]
    assert (rec["elevation_min_m"], rec["elevation_max_m"]) == (2400, 3800)
    # evidence still slices the text as given
    for c in rec["admin1"]:
        ev = c["evidence"][0]
        assert text[ev["start"]:ev["end"]] == c["name"] or "<" in text[ev["start"]:ev["end"]]


# a page that starts inside an earlier account: its places before a numbered name line
# ("23) Capricornis thar ...") are that account's, whose name is not in the excerpt
@pytest.mark.parametrize(("lead", "mapped"), [
    ("23) ", []),
    ("", ["CHN", "IND"]),   # not numbered: the page is about its one taxon
    ("1. ", ["CHN", "IND"]),  # the first account: nothing before it
])
def test_places_before_a_numbered_account(gaz: Gazetteer, lead: str, mapped: list) -> None:
    text = ("The current distribution of this species is not well known.\n\n"
            "Distribution outside Nepal\nChina, India.\n\n"
            f"{lead}Capricornis thar (Hodgson, 1831)\n\nGoat-like body, dark brown coat.\n")
    rec = _one(text, gaz)
    assert sorted(c["iso3"] for c in rec["countries"]) == mapped


# "no information on ... in Nepal" says nothing of presence
def test_no_information_is_no_range(gaz: Gazetteer) -> None:
    rec = _one("Ovis testa (Hodgson, 1831)\n\nThere is no information available on the "
               "population size of this species in Nepal. It occurs in Bhutan.", gaz)
    assert [c["iso3"] for c in rec["countries"]] == ["BTN"]
    assert [x["iso3"] for x in rec["excluded"]] == ["NPL"]


# a flora's habitat clause is elevation context (lower-case habitat words)
@pytest.mark.parametrize(("line", "countries", "band"), [
    ("Herb; in shallow lakes or on muddy lakesides; up to 2,340 m. Zimbabwe and Malawi.",
     ["MWI", "ZWE"], (None, 2340)),
    ("Herb; on sandy or gravelly ground, 1500-2500 m. Kenya, Tanzania.",
     ["KEN", "TZA"], (1500, 2500)),
    # a capitalised name is no habitat word: "Lake" county is no lake
    ("Known from Grand, Lake, and Summit counties (8900-13500 ft).", [], (None, None)),
])
def test_flora_habitat_clause_and_continents(gaz: Gazetteer, line: str, countries: list,
                                             band: tuple) -> None:
    rec = _one(f"Limosella testa R.Br.\n\n{line}\n", gaz)
    assert sorted(c["iso3"] for c in rec["countries"]) == countries
    assert (rec["elevation_min_m"], rec["elevation_max_m"]) == band


# floras write altitude "alt." (a period before a number ends no sentence), with or
# without habitat words; an HMW/HBW "Habitat." field is elevation context for a bare band
@pytest.mark.parametrize(("body", "band"), [
    ("Scree, alpine meadows; alt. 3900–5700 m. Qinghai, Xizang [Nepal].", (3900, 5700)),
    ("Distribution: Pakistan, Nepal.\n\nAlt. 3300-5000 m.", (3300, 5000)),
    ("Hab. Open slopes, alt. (2500-)3000-4000(-4500) m. Distr. Nepal, Sikkim.", (2500, 4500)),
    ("Elev. 1200-2400 m. Nepal.", (1200, 2400)),
    ("Taxonomy. Monotypic. Distribution. Andes of N Peru (Cajamarca). Habitat. Puna; "
     "3000-5000 m. Food and Feeding. Ants.", (3000, 5000)),
    # a bare band outside a habitat field, with no context, is still none
    ("Distribution. Andes of N Peru (Cajamarca). Weight 3000-5000 g; 30-50 m.", (None, None)),
])
def test_flora_altitude_abbreviation_and_habitat_field(gaz: Gazetteer, body: str,
                                                       band: tuple) -> None:
    rec = _one(f"Primula testa Hook.f.\n\n{body}\n", gaz)
    assert (rec["elevation_min_m"], rec["elevation_max_m"]) == band


# Flora of North America: the places of a habitat line are ";" clauses after the band
@pytest.mark.parametrize(("line", "admin1"), [
    ("Rocky slopes, open forest; 1500-3400 m; Alta., B.C.; Ariz., Calif., Mont., Nev., Wyo.",
     {"Alberta", "British Columbia", "Arizona", "California", "Montana", "Nevada", "Wyoming"}),
    ("Moist gravelly slopes, tundra; 2500-4000 m; Alaska, Yukon, N.W.T.; Colo., N.Mex.; "
     "Eurasia.", {"Alaska", "Yukon", "Northwest Territories", "Colorado", "New Mexico"}),
    # no band before them: a clause of two places is no flora habitat line
    ("It is protected in parks; Alaska, Yukon.", set()),
    # one place after the band is no list either
    ("Rocky slopes; 1500-3400 m; near Calgary, Alta.", set()),
])
def test_fna_habitat_line_places(gaz: Gazetteer, line: str, admin1: set) -> None:
    rec = _one(f"Pinus testa Engelm.\n\nFlowering spring. {line}\n", gaz)
    assert {a["boundary_name"] for a in rec["admin1"]} == admin1


# a flattened flora line of several accounts: a binomial with a botanical authority
# ("(K.Schum.) Bremek.", "(Hiern) Bridson & Verdc.") is a taxon where it stands, and the
# places after it are its own
def test_botanical_authority_names_in_a_flattened_line(gaz: Gazetteer) -> None:
    text = ("Leptactina alpestris (Benth. & Hook.f.) R.D.Good Suffrutex; leaves opposite; "
            "in miombo woodland. Zimbabwe to Angola. Manostachya montana (K.Schum.) Bremek. "
            "Woody-based herb; in grassland. Zambia and Malawi to Tanzania. Multidentia "
            "sylvatica (Hiern) Bridson & Verdc. Shrub 3-6 m tall; in woodland. Kenya and "
            "Uganda.")
    got = {r["scientific_name"]: sorted(c["iso3"] for c in r["countries"])
           for r in _records(text, gaz)}
    assert got == {"Leptactina alpestris": ["AGO", "ZWE"],
                   "Manostachya montana": ["MWI", "TZA", "ZMB"],
                   "Multidentia sylvatica": ["KEN", "UGA"]}


@pytest.mark.parametrize("text", [
    "Found in Nepal (Mustang) India. Rare.",          # a place in brackets is no author
    "Rhododendron testa grows in Nepal (Sikkim) Bhutan.",
])
def test_no_botanical_authority_without_an_abbreviated_author(gaz: Gazetteer,
                                                             text: str) -> None:
    names = {r["scientific_name"] for r in _records(text, gaz)}
    assert "Nepal Mustang" not in names and len(names) <= 1


# a flattened flora line: the author and journal of the name ("Cullen, Notes Roy. Bot.
# Gard.") are no field label, so the places after them stay range
def test_author_comma_journal_is_no_label(gaz: Gazetteer) -> None:
    rec = _one("5b. Rhododendron anthopogon subsp. hypenanthum (Balfour f.) Cullen, Notes Roy. "
               "Bot. Gard. Edinburgh 34: 170. 1976. Shrubs 0.5-1.5 m tall; branchlets densely "
               "covered with scales. Leaves aromatic, blade ovate to elliptic, 1.5-4 cm, "
               "scaly beneath. Inflorescence terminal, capitate, 4-9-flowered. Corolla "
               "yellow, hypocrateriform, tube 6-8 mm, lobes 5. Stamens 5. Fl. May-Jul, fr. "
               "Sep-Oct. Slopes, thickets; 3500-4500 m. Yunnan, Sichuan [Bhutan, Nepal].", gaz)
    assert sorted(c["iso3"] for c in rec["countries"]) == ["BTN", "CHN", "NPL"]


# HMW/HBW's "Movements, Home range and Social organization." field and "home ranges" in
# prose speak of an animal's area of movement, not of the taxon's range
@pytest.mark.parametrize(("body", "countries"), [
    ("Distribution. Mongolia. Activity patterns. Crepuscular. Movements, Home range and Social "
     "organization. Collared cats in Gansu used 23 km2.", ["MNG"]),
    ("Distribution. Mongolia. Activity patterns. Crepuscular. Home ranges in Gansu averaged "
     "23 km2.", ["MNG"]),
    ("Distribution. Mongolia. Activity patterns. Crepuscular. Its range extends to Gansu.",
     ["CHN", "MNG"]),
])
def test_home_range_is_no_distribution(gaz: Gazetteer, body: str, countries: list) -> None:
    # (a comma label needs a label word first: "Cullen, Notes Roy." is a reference)
    rec = _one(f"Ochotona pallasi Gray, 1867\n\n{body}\n", gaz)
    assert sorted(c["iso3"] for c in rec["countries"]) == countries


# --------------------------------------------------------------------------- IUCN lists

def _statuses(rec: dict[str, Any]) -> dict[str, str]:
    out = {c["iso3"]: "native" for c in rec["countries"]}
    for x in rec["excluded"]:
        if x.get("iso3") and x["iso3"] not in out:
            out[x["iso3"]] = x["status"]
    return out


_IUCN_HEAD = "Ochotona iliensis\n\nRange Description: This species lives in mountains.\n\n"


# IUCN presence labels, inline or bare with their values on the lines below, and
# BirdLife's country table: each label gives the places of its values their status
@pytest.mark.parametrize(("body", "expected"), [
    ("Country Occurrence:\nNative, Extant (resident): China (Xinjiang); Kazakhstan\n"
     "Native, Possibly Extant (resident): Kyrgyzstan\nNative, Extinct Post-1500: Mongolia\n",
     {"CHN": "native", "KAZ": "native", "KGZ": "uncertain", "MNG": "former"}),
    ("Country Occurrence\nNative, Extant (resident)\nChina (Xinjiang)\nKazakhstan\n"
     "Native, Possibly Extant (resident)\nKyrgyzstan\nNative, Extinct Post-1500\nMongolia\n",
     {"CHN": "native", "KAZ": "native", "KGZ": "uncertain", "MNG": "former"}),
    ("Countries of occurrence\nNative:\nBhutan; China (Gansu)\nNepal\nPossibly extant:\n"
     "Myanmar\nRegionally extinct:\nAfghanistan\nIntroduced:\nNew Zealand\n",
     {"BTN": "native", "CHN": "native", "NPL": "native", "MMR": "uncertain",
      "AFG": "former", "NZL": "introduced"}),
    ("Extant & Origin Uncertain: Nepal\nPresence Uncertain: Bhutan\n",
     {"NPL": "native", "BTN": "uncertain"}),
    ("Distribution\nCountry/Territory\tPresence\tOrigin\tResident\tBreeding\tNon-breeding\n"
     "Afghanistan\tExtant\tNative\tYes\nPakistan\tPossibly Extant\tNative\tYes\n"
     "Tajikistan\tExtant\tNative\tYes\nMyanmar\tExtinct\tNative\tYes\n"
     "Japan    Extant    Introduced    Yes\nNepal Extant Origin Uncertain Yes\n",
     {"AFG": "native", "PAK": "uncertain", "TJK": "native", "MMR": "former",
      "JPN": "introduced", "NPL": "native"}),
])
def test_iucn_presence_labels(gaz: Gazetteer, body: str, expected: dict) -> None:
    rec = _one(_IUCN_HEAD + body, gaz)
    assert _statuses(rec) == expected
    if "Xinjiang" in body:  # a value line is no heading: its admin-1 unit is range
        assert [a["boundary_name"] for a in rec["admin1"]] == ["Xinjiang"]


def test_iucn_value_lines_end_at_a_heading(gaz: Gazetteer) -> None:
    text = (_IUCN_HEAD + "Native, Possibly Extant (resident)\nMyanmar\nPopulation\n"
            "It is common. It is found in Nepal.\n")
    assert _statuses(_one(text, gaz)) == {"MMR": "uncertain", "NPL": "native"}


# --------------------------------------------------------------------------- ADW

_ADW = ("Lagopus muta\nrock ptarmigan\n\nGeographic Range\nRock ptarmigans are found in "
        "Iceland, Greenland and Japan.\n\nHabitat\nRock ptarmigans breed in alpine tundra. "
        "In Japan they occur between 2,400 and 3,000 m.\n\n{field}\n")


# Animal Diversity Web's header: the binomial, its common name on the next line; the
# bare field "Range elevation" labels the value on the line below
@pytest.mark.parametrize(("field", "band"), [
    ("Range elevation\n0 to 2800 m\n0.00 to 9186.35 ft", (0, 2800)),
    ("Range elevation: 0 to 2800 m", (0, 2800)),
    ("Average elevation\n2000 m\n6561.68 ft", (2400, 3000)),  # one altitude is no band
])
def test_adw_header_and_elevation_field(gaz: Gazetteer, field: str, band: tuple) -> None:
    rec = _one(_ADW.format(field=field), gaz)
    assert (rec["scientific_name"], rec["name"]) == ("Lagopus muta", "rock ptarmigan")
    assert {c["iso3"] for c in rec["countries"]} == {"ISL", "GRL", "JPN"}
    assert (rec["elevation_min_m"], rec["elevation_max_m"]) == band


def test_line_after_binomial_not_written_again_is_no_name(gaz: Gazetteer) -> None:
    text = ("Lagopus muta\nScientific Information\n\nIt is found in Iceland and Japan. "
            "Scientific notes follow.\n")
    rec = _one(text, gaz)
    assert rec["common_names"] == []


# --------------------------------------------------------------------------- IUCN prose

# "in litt." / "pers. comm." end no sentence, so the statement keeps its countries
# together; feature names and Romance articles hide a place; a unit named in the
# sentence resolves a homonym better than a region spanning both meanings
@pytest.mark.parametrize(("text", "countries", "admin1"), [
    ("The tragopan (Tragopan melanocephalus) has a range in the western Himalayas "
     "(A. Rahmani in litt. 2012), occurring from north Pakistan east to Himachal Pradesh, India.",
     {"PAK", "IND"}, {("IND", "Himachal Pradesh")}),
    ("The tragopan (Tragopan melanocephalus) occurs in the Himalayas "
     "(J. Smith pers. comm. 2014), in Pakistan and India.", {"PAK", "IND"}, set()),
    ("The pine (Pinus nelsonii) occurs around the Sierra Peña Nevada in Nuevo León, Mexico.",
     {"MEX"}, {("MEX", "Nuevo León")}),
    ("The frog (Telmatobius edaphonastes) is known only from the Bolivian Andes, "
     "at La Siberia, between Cochabamba and Santa Cruz.",
     {"BOL"}, {("BOL", "Cochabamba"), ("BOL", "Santa Cruz")}),
    ("The tragopan (Tragopan melanocephalus) occurs in north Pakistan, the largest "
     "population in Palas Valley.", {"PAK"}, set()),
])
def test_iucn_prose_places(gaz: Gazetteer, text: str, countries: set, admin1: set) -> None:
    rec = _one(text, gaz)
    assert {c["iso3"] for c in rec["countries"]} == countries
    assert {(a["country_iso3"], a["boundary_name"]) for a in rec["admin1"]} == admin1


# --------------------------------------------------------------------------- MSW3/HMW lines

# the authority after a binomial is no place; a ";" clause is a statement of its own, so
# a region listed in a clause that names none of its countries implies them (guide rule 3)
@pytest.mark.parametrize(("text", "countries"), [
    ("CR Eleutherodactylus hamiotae Flores, 1993 Critically Endangered Country "
     "Distribution: Brazil", {"BRA"}),
    ("Mustela altaica Pallas, 1811. Distribution: Pamir and Tien Shan ranges; also NE "
     "China and Mongolia.", {"TJK", "AFG", "CHN", "KGZ", "KAZ", "UZB", "MNG"}),
    ("Mustela altaica Pallas, 1811. Distribution: Pamir and Tien Shan ranges in China "
     "and Mongolia.", {"CHN", "MNG"}),
])
def test_msw3_hmw_lines(gaz: Gazetteer, text: str, countries: set) -> None:
    assert {c["iso3"] for c in _one(text, gaz)["countries"]} == countries


# a status bracket that closes a bare list clause covers the whole list (MSW3 style);
# after a verb it stays on the name before it
@pytest.mark.parametrize(("line", "expected"), [
    ("Distribution: Nepal; Chile and Argentina (introduced); Bhutan.",
     {"NPL": "native", "CHL": "introduced", "ARG": "introduced", "BTN": "native"}),
    ("Distribution: Nepal, India; Morocco, Algeria, Tunisia (extinct).",
     {"NPL": "native", "IND": "native", "MAR": "former", "DZA": "former", "TUN": "former"}),
    ("Distribution: it occurs in Nepal and India (extinct).",
     {"NPL": "native", "IND": "former"}),
    ("Distribution: Nepal and India (Sikkim); Bhutan.",
     {"NPL": "native", "IND": "native", "BTN": "native"}),
])
def test_msw3_status_bracket_after_list(gaz: Gazetteer, line: str, expected: dict) -> None:
    rec = _one(f"Cervus elaphus Linnaeus, 1758.\n{line}\n", gaz)
    assert _statuses(rec) == expected


# flattened pages: a field label inside a paragraph sets the section of what follows
@pytest.mark.parametrize(("text", "countries", "excluded"), [
    # IUCN headings run into their text
    ("CR Arthroleptis crusculum Angel, 1950 Geographic Range This species is known only from "
     "Guinea. Population It is rare. Conservation Measures The species occurs in a reserve "
     "whose part in Liberia was added in 1982.", {"GIN"}, {"LBR"}),
    # HMW/HBW labels written inline
    ("29. Tibetan Fox Vulpes ferrilata French: Renard du Tibet Taxonomy. Vulpes ferrilatus "
     "Hodgson, 1842, Tibet. Monotypic. Distribution. Widespread in China. In Nepal, N of "
     "the Himalaya, especially in the Mustang area. Descriptive notes. Larger than foxes "
     "of India.", {"CHN", "NPL"}, {"IND"}),
])
def test_flattened_inline_sections(gaz: Gazetteer, text: str, countries: set,
                                   excluded: set) -> None:
    rec = _one(text, gaz)
    assert {c["iso3"] for c in rec["countries"]} == countries
    assert excluded <= {x["iso3"] for x in rec["excluded"]}


# Flora of North America's state abbreviations and MSW3's "Ladak"; an abbreviated state
# inside a journal title ("Proc. Biol. Soc. Wash.") is a reference, not range
@pytest.mark.parametrize(("text", "admin1"), [
    ("Pinus albicaulis Engelmann, Trans. Acad. Sci. St. Louis 2: 209. 1863.\n\n"
     "Habitat: Subalpine forests; 1300--3700 m.\nDistribution: Alta.; Idaho, Wash., Tex., "
     "N.Dak., W.Va.; Nfld., N.W.T., P.E.I.\n",
     {("CAN", "Alberta"), ("USA", "Idaho"), ("USA", "Washington"), ("USA", "Texas"),
      ("USA", "North Dakota"), ("USA", "West Virginia"), ("CAN", "Newfoundland and Labrador"),
      ("CAN", "Northwest Territories"), ("CAN", "Prince Edward Island")}),
    ("Marmota himalayana Hodgson, 1841.\nDistribution:Montane regions of W China, Nepal, "
     "and N India to Ladak.\n", {("IND", "Jammu and Kashmir")}),
    ("Neotomodon alstoni Merriam, 1898 . Proc. Biol. Soc. Washington, 12:128 .\n"
     "DISTRIBUTION: Cordillera Transvolcanica, Mexico, from WC Michoacan eastwards to C "
     "Veracruz.\nCOMMENT: See Misc. Publ. Univ. Kans. Mus. Nat. Hist., 51:223-230.\n",
     {("MEX", "Michoacán"), ("MEX", "Veracruz")}),
])
def test_state_abbreviations_and_journal_titles(gaz: Gazetteer, text: str,
                                                admin1: set) -> None:
    rec = _one(text, gaz)
    assert {(a["country_iso3"], a["boundary_name"]) for a in rec["admin1"]} == admin1


# IUCN seasonality in a presence label: uncertain seasonality is present, passage is not
# range (the guide's IUCN seasonal codes 1-3)
def test_iucn_seasonality(gaz: Gazetteer) -> None:
    text = (_IUCN_HEAD + "Country Occurrence:\nNative, Extant (seasonality uncertain): Nepal\n"
            "Native, Extant (passage): Bhutan\nNative, Extant (non-breeding): India\n"
            "Introduced, Extant (seasonality uncertain): Japan\n")
    assert _statuses(_one(text, gaz)) == {"NPL": "native", "BTN": "vagrant", "IND": "native",
                                          "JPN": "introduced"}
