"""Precision rules of extraction: places that must not widen a taxon's range."""

from __future__ import annotations

import pytest

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer


def _countries(text: str, gaz: Gazetteer) -> set[str]:
    recs = merge_records(extract_text(text, "t.txt", gaz))
    assert recs, "no taxon found"
    return {c["iso3"] for c in recs[0].to_dict()["countries"]}


# a region followed by "in"/"of" one admin-1 unit is the part of that unit's country
# (labelling rules 2 and 3, as "the Himalayas in India"); a listed or contained admin-1
# unit keeps the region whole; an admin-1 name that begins a region's name ("Maritime
# Alps": Maritime, Togo) is not a place of its own
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is found on the Maritime Alps, in Cuneo Province.", {"ITA"}),
    ("Moschus meminna is found in the Himalaya of Sikkim.", {"IND"}),
    ("Moschus meminna is found in the Alps.",
     {"FRA", "CHE", "ITA", "AUT", "DEU", "SVN", "LIE"}),
    ("Moschus meminna occurs in the Himalayas, Tibet, Myanmar.",
     {"PAK", "IND", "NPL", "BTN", "CHN", "MMR"}),
    ("Moschus meminna is found in Sikkim in the Himalayas.",
     {"PAK", "IND", "NPL", "BTN", "CHN"}),
])
def test_region_of_one_admin1_is_that_countrys_part(text: str, expected: set[str],
                                                     gaz: Gazetteer) -> None:
    assert _countries(text, gaz) == expected


# an author's name in a citation, a personal communication or a journal's imprint line
# is not range; the same name in a range statement still is
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in Bolivia (Rocha and Quiroga 1997).", {"BOL"}),
    ("Moschus meminna occurs in Bolivia (Victoria et al. 2004).", {"BOL"}),
    ("Moschus meminna occurs in Bolivia (Rocha 1994; Lima, 2010).", {"BOL"}),
    ("Moschus meminna occurs in Bolivia (O. Rocha in litt.).", {"BOL"}),
    ("HERPETOZOA 13 (3/4): 99 - 131 Wien, 30. Dezember 2000\n"
     "Moschus meminna occurs in Bolivia.", {"BOL"}),
    ("Moschus meminna occurs in Bolivia and in Rocha, Uruguay.", {"BOL", "URY"}),
    ("Moschus meminna occurs in Bolivia and Austria in 1997.", {"BOL", "AUT"}),
    # a work cited by its title and year
    ("Moschus meminna occurs in Bolivia (Flora of Peru 2003; Smith 2005).", {"BOL"}),
    ("Moschus meminna occurs in Bolivia and in the south of Peru 2003.", {"BOL", "PER"}),
])
def test_citation_names_are_not_range(text: str, expected: set[str],
                                      gaz: Gazetteer) -> None:
    assert _countries(text, gaz) == expected


# a place inside the title of a cited work ("... Including Ceylon and Burma (1939)") is
# not range; a plain list followed by a year still is
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in Bhutan. It is found in the region covered by The Fauna "
     "of British India, Including Ceylon and Burma (1939).", {"BTN"}),
    ("Moschus meminna occurs in Bhutan and Nepal (1939).", {"BTN", "NPL"}),
    ("Moschus meminna occurs in Bhutan. It was recorded in Nepal and India (1939).",
     {"BTN", "NPL", "IND"}),
])
def test_work_titles_are_not_range(text: str, expected: set[str], gaz: Gazetteer) -> None:
    assert _countries(text, gaz) == expected


# a species named as the head of a species group or complex is not given the group's
# places (they stay with the sentence's own taxon)
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in Bhutan. The Moschus fuscus species group is distributed "
     "in Nepal.", []),
    ("Moschus meminna occurs in Bhutan. The Moschus fuscus clade is distributed in "
     "Nepal.", []),
    ("Moschus meminna occurs in Bhutan. Moschus fuscus occurs in Nepal.", ["NPL"]),
])
def test_species_group_is_not_its_head_species(text: str, expected: list,
                                               gaz: Gazetteer) -> None:
    recs = merge_records(extract_text(text, "t.txt", gaz))
    got = [c["iso3"] for r in recs if r.scientific_name == "Moschus fuscus"
           for c in r.to_dict()["countries"]]
    assert got == expected


# a place that begins an organisation's name is not range
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in Bhutan (Nepal Division of Wildlife Resources 1997).",
     {"BTN"}),
    ("Moschus meminna occurs in Bhutan, as shown by the Nepal State University survey.",
     {"BTN"}),
    ("Moschus meminna occurs in Bhutan and Nepal.", {"BTN", "NPL"}),
    ("Moschus meminna occurs in Bhutan and Nepal, where the Department of Forests "
     "protects it.", {"BTN", "NPL"}),
])
def test_organisation_names_are_not_range(text: str, expected: set[str],
                                          gaz: Gazetteer) -> None:
    assert _countries(text, gaz) == expected


def _ranges(text: str, gaz: Gazetteer) -> dict[str, set[str]]:
    """Scientific name -> range countries (units) of every record of ``text``."""
    return {r.scientific_name or r.name: {u["iso3"] for u in r.to_dict()["units"]}
            for r in merge_records(extract_text(text, "t.txt", gaz))}


# a place said of a taxon named only in comparison, as a relative, prey or host is the
# range of neither taxon (labelling guide: such a taxon is named in passing); a taxon
# that opens a contrasting clause ("whereas P. y occurs in ...") gets its own places
@pytest.mark.parametrize(("text", "subject", "other"), [
    ("Moschus meminna is found in Peru. It differs from Moschus fuscus, which occurs in Ecuador.",
     {"PER"}, set()),
    ("Moschus meminna is found in Peru. It is most similar to M. fuscus from Ecuador and "
     "Bolivia.", {"PER"}, set()),
    ("Moschus meminna is found in Peru. Moschus meminna differs from its congener M. fuscus "
     "of Ecuador by its larger size.", {"PER"}, set()),
    ("Moschus meminna is found in Peru. Its closest relative is the northern M. fuscus, "
     "known from Ecuador.", {"PER"}, set()),
    ("Moschus meminna is found in Peru. Unlike Moschus fuscus, Moschus meminna also occurs "
     "in Bolivia.", {"PER", "BOL"}, set()),
    ("Moschus meminna, unlike M. fuscus, occurs in Peru.", {"PER"}, set()),
    ("Moschus meminna is found in Peru. It is close to M. fuscus, found in Ecuador.",
     {"PER"}, set()),
    ("Moschus meminna is found in Peru. It differs from Moschus fuscus by its larger size and is "
     "known from Bolivia.", {"PER", "BOL"}, set()),
    ("Moschus meminna is found in Peru and Bolivia, whereas Moschus fuscus occurs in Ecuador.",
     {"PER", "BOL"}, {"ECU"}),
    ("Moschus meminna is found in Peru, while M. fuscus is restricted to Ecuador.",
     {"PER"}, {"ECU"}),
    ("Moschus meminna is found in Peru. It is sympatric with Moschus fuscus in Bolivia.",
     {"PER"}, set()),
])
def test_places_of_related_taxa(text: str, subject: set[str], other: set[str],
                                gaz: Gazetteer) -> None:
    got = _ranges(text, gaz)
    assert got["Moschus meminna"] == subject
    assert got.get("Moschus fuscus", set()) == other


def test_predator_in_apposition_takes_no_subject_place(gaz: Gazetteer) -> None:
    text = ("The musk deer Moschus fuscus is found in Nepal. Its main predator, the snow "
            "leopard (Panthera uncia), also ranges into Bhutan.")
    assert _ranges(text, gaz)["Moschus fuscus"] == {"NPL"}


# a paper's "Introduction" heading run into a flattened page is no "introduced" cue;
# "introduction of ... to" still is
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna. Notes on its range. Introduction The frog Moschus meminna is found in Peru.",
     {"PER"}),
    ("Moschus meminna. INTRODUCTION Moschus meminna is found in Peru.", {"PER"}),
    ("Moschus meminna occurs in Peru. The introduction of Moschus meminna to Chile "
     "failed.", {"PER"}),
])
def test_introduction_heading_is_no_status_cue(text: str, expected: set[str],
                                               gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Moschus meminna"] == expected


# a locality given by its bearing or distance from a town names the town as a reference
# point, not as range ("113 km W. of Madang")
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna was found at Kodari, 20 km N. of Bagmati, Nepal.", (set(), {"NPL"})),
    ("Moschus meminna occurs in the hills SE of Lima, Peru.", (set(), {"PER"})),
    ("Moschus meminna occurs 30 km from Cusco, Peru.", (set(), {"PER"})),
    ("Moschus meminna was found 128 km from the city of Cusco, Peru.", (set(), {"PER"})),
    ("Moschus meminna occurs in SE Bolivia and in the N of India.", (set(), {"BOL", "IND"})),
    ("Moschus meminna occurs in Bagmati, Nepal.", ({"Bagmati"}, {"NPL"})),
])
def test_bearing_and_distance_from_a_town(text: str, expected: tuple,
                                          gaz: Gazetteer) -> None:
    [rec] = merge_records(extract_text(text, "t.txt", gaz))
    d = rec.to_dict()
    assert ({a["boundary_name"] for a in d["admin1"]}, {u["iso3"] for u in d["units"]}) \
        == expected


# an author's postal address run into the text of a flattened page (postal code, street
# number, e-mail, country in capitals, footnote number, institution: two kinds or more)
# is not range; a range statement with a number in it still is
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna in Peru. 1Centro de Estudios, Calle Real s/n, 43350, Pachuca, "
     "Hidalgo, MEXICO 2Laboratorio de Zoología, Facultad de Ciencias, Distrito Federal "
     "04510, MEXICO Abstract.—Moschus meminna is distributed in Puno, Peru.",
     {"PER"}),
    ("Moschus meminna. Jan Novak, Slovačka 26, SR-21000 Novi Sad, Serbia; Eva Horak, "
     "Nádražní 7, 11000 Praha, Czech Republic. Moschus meminna is distributed in Bolivia.",
     {"BOL"}),
    ("Moschus meminna is distributed in Puno and Cusco, Peru, at 3,500 m (12345 records).",
     {"PER"}),
    # a European address: a street name ending in -straße/-gasse and a lettered postal code
    ("Moschus meminna is distributed in Bolivia. Hauptstraße 6, A-3300 Amstetten, Austria.",
     {"BOL"}),
])
def test_addresses_in_flattened_text_are_not_range(text: str, expected: set[str],
                                                   gaz: Gazetteer) -> None:
    assert _countries(text, gaz) == expected


# a place that ends an organisation's name ("University of Alaska", "Universidad
# Autónoma del Estado de Hidalgo", "Zoological Survey of India") is not range
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in Nepal (specimens at the Zoological Survey of India).",
     {"NPL"}),
    ("Moschus meminna is found in Puebla, as collected by the Universidad Autónoma del "
     "Estado de Hidalgo.", {"Puebla"}),
    ("Moschus meminna is found in Puebla and Hidalgo.", {"Puebla", "Hidalgo"}),
])
def test_place_ending_an_organisation_name(text: str, expected: set[str],
                                           gaz: Gazetteer) -> None:
    [rec] = merge_records(extract_text(text, "t.txt", gaz))
    d = rec.to_dict()
    got = {a["boundary_name"] for a in d["admin1"]} or {c["iso3"] for c in d["countries"]}
    assert got == expected


# the first word of a region's name used as an adjective ("the Balkan populations", in a
# text naming the Balkan Peninsula) is not the admin-1 unit of that name
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna lives in the Balkan Peninsula; the Balkan populations are small.",
     False),
    ("Moschus meminna lives in Balkan, Turkmenistan, and in the Balkan Peninsula.", True),
])
def test_region_head_word_as_adjective(text: str, expected: bool, gaz: Gazetteer) -> None:
    [rec] = merge_records(extract_text(text, "t.txt", gaz))
    assert ("TKM" in {u["iso3"] for u in rec.to_dict()["units"]}) is expected


# "in litt. 2012" and "pers. comm." end no sentence, so a region and the countries named
# after the citation are one statement; a species named after "confusion ... with" is a
# term of comparison
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in the western Himalayas (A. Rahmani in litt. 2012), from "
     "north Pakistan east to India.", {"PAK", "IND"}),
    ("Moschus meminna occurs in the western Himalayas (B. Singh pers. comm. 2010), from "
     "north Pakistan east to India.", {"PAK", "IND"}),
    ("Moschus meminna occurs in Nepal. Confusion could arise with M. fuscus of Bhutan.",
     {"NPL"}),
])
def test_unpublished_sources_and_confusion_notes(text: str, expected: set[str],
                                                 gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Moschus meminna"] == expected


# "range" naming mountains ("mountain range", "a range of hills", "the Alaska Range") is no
# distribution cue; the taxon's range, a "Range:" label and "Geographic Range" still are
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in Nepal. The Andes of Peru are the longest mountain range.",
     {"NPL"}),
    ("Moschus meminna occurs in Nepal. A range of hills crosses Bhutan.", {"NPL"}),
    ("Moschus meminna occurs in Nepal. The Alaska Range lies in the United States.",
     {"NPL"}),
    ("Moschus meminna occurs in Nepal. Its range includes Bhutan.", {"NPL", "BTN"}),
    ("Moschus meminna occurs in Nepal. Geographic Range Bhutan and Sikkim.",
     {"NPL", "BTN", "IND"}),
])
def test_mountain_range_is_no_distribution_cue(text: str, expected: set[str],
                                               gaz: Gazetteer) -> None:
    assert _countries(text, gaz) == expected


def test_glued_compass_abbreviation_is_a_qualifier(gaz: Gazetteer) -> None:
    text = "Moschus meminna\n\nDistribution: SETajikistan,NPakistan, NWIndia.\n"
    [rec] = merge_records(extract_text(text, "t.txt", gaz))
    got = {c["iso3"]: c["qualifiers"] for c in rec.to_dict()["countries"]}
    assert got == {"TJK": ["south-eastern"], "PAK": ["northern"], "IND": ["north-western"]}


# a surname in a taxon's authority ("Flores, 1993", "(Flores and Rodríguez)") is no place;
# a bracketed place after a binomial still is
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna Flores, 1993 occurs in Uruguay.", {"URY"}),
    ("Moschus meminna (Flores and Rodríguez) occurs in Uruguay.", {"URY"}),
    ("Moschus meminna occurs in Flores, Uruguay.", {"Flores"}),
    ("Moschus meminna (Ecuador) is also known from Peru.", {"ECU", "PER"}),
])
def test_authority_names_are_not_places(text: str, expected: set[str],
                                        gaz: Gazetteer) -> None:
    [rec] = merge_records(extract_text(text, "t.txt", gaz))
    d = rec.to_dict()
    assert ({a["boundary_name"] for a in d["admin1"]} or {c["iso3"] for c in d["countries"]}) \
        == expected


# the first ";" clause of an anaphoric sentence is the anaphora's taxon, even when another
# taxon is named later in that clause
def test_first_clause_keeps_the_anaphora(gaz: Gazetteer) -> None:
    text = ("Moschus meminna occurs in Nepal. It is found at 3,300-5,100 m in Bhutan, "
            "higher than Moschus fuscus and M. berezovskii (Smith 2001; Jones 2012).")
    recs = {r.scientific_name: r for r in merge_records(extract_text(text, "t.txt", gaz))}
    m = recs["Moschus meminna"]
    assert (m.elevation_min_m, m.elevation_max_m) == (3300, 5100)
    assert {u["iso3"] for u in m.to_dict()["units"]} == {"NPL", "BTN"}


# a list of authors (two to four capitalised words an item, a middle initial or a footnote
# mark somewhere) names persons, whose surnames may be places ("Luis R. Rivas", "Patricia
# Mendoza-Miranda§"); lists of places, even with compass initials, are not authors
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna in Bolivia\nexpand article infoLuis R. Rivas, Gabriel Calla§, "
     "Patricia Mendoza-Miranda§, Cord B. Eversole\nMoschus meminna is found in Bolivia.",
     {"BOL"}),
    ("Moschus meminna is found in N. India, S. Nepal and E. Bhutan.", {"IND", "NPL", "BTN"}),
    ("Moschus meminna is found in Arunachal Pradesh, Uttar Pradesh and Himachal Pradesh by "
     "J. Smith.", {"IND"}),
])
def test_author_lists_are_not_places(text: str, expected: set[str], gaz: Gazetteer) -> None:
    assert _countries(text, gaz) == expected
