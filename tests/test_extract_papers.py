"""Extraction from papers read as abstracts or PDF text: headings, new taxa, records."""

from __future__ import annotations

import pytest

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer


def _ranges(text: str, gaz: Gazetteer) -> dict[str, tuple[set[str], set[str]]]:
    """Scientific name -> (range countries, range admin-1 names) of every record."""
    out = {}
    for r in merge_records(extract_text(text, "t.txt", gaz)):
        d = r.to_dict()
        out[r.scientific_name or r.name] = ({c["iso3"] for c in d["countries"]},
                                            {a["name"] for a in d["admin1"]})
    return out


_AFFILIATION = "Museo de Zoología, Universidad Central, Quito, Ecuador. ana.perez@example.org"


# a paper's section heading ("ABSTRACT", "Resumen", "Summary:") alone on its line is a
# heading even after a line without final punctuation (an address ending in an e-mail),
# and run into flattened text it starts a sentence: the abstract is not read as part of
# the author's address
@pytest.mark.parametrize(("text", "countries", "admin1"), [
    (f"Hyloxalus fakeus Smith, 1990 on the eastern slopes\n{_AFFILIATION}\nABSTRACT\n"
     "Hyloxalus fakeus was found in Junín, Peru.", {"PER"}, {"Junín"}),
    (f"Hyloxalus fakeus Smith, 1990 on the eastern slopes\n{_AFFILIATION}\nResumen\n"
     "Hyloxalus fakeus se distribuye en el departamento de Junín.", {"PER"}, {"Junín"}),
    (f"Hyloxalus fakeus Smith, 1990 on the eastern slopes\n{_AFFILIATION}\nSummary:\n"
     "Hyloxalus fakeus was found in Junín, Peru.", {"PER"}, {"Junín"}),
    (f"Hyloxalus fakeus Smith, 1990 on the eastern slopes. {_AFFILIATION} Abstract "
     "Hyloxalus fakeus was found in Junín, Peru.", {"PER"}, {"Junín"}),
    (f"Hyloxalus fakeus Smith, 1990 on the eastern slopes. {_AFFILIATION} ABSTRACT: "
     "Hyloxalus fakeus was found in Junín, Peru.", {"PER"}, {"Junín"}),
    # a line of prose that merely starts with the word is no heading
    ("Hyloxalus fakeus was found in Junín, Peru.\nSummary statistics were computed in Quito, "
     "Ecuador.", {"PER"}, {"Junín"}),
])
def test_paper_headings_end_the_address(text: str, countries: set[str], admin1: set[str],
                                        gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Hyloxalus fakeus"] == (countries, admin1)
    rec = merge_records(extract_text(text, "t.txt", gaz))[0].to_dict()
    (junin,) = rec["admin1"]
    # the evidence is the abstract's sentence, without the address before the heading
    assert all("example.org" not in e["sentence"] for e in junin["evidence"])
    assert all(e["sentence"].rstrip(".").endswith(("Junín, Peru", "Junín"))
               for e in junin["evidence"])


# where a paper describes a new taxon from is its range, with the taxon's "sp. nov."
# between the cue and the place; "a new species for <Place>" is a record statement
@pytest.mark.parametrize(("text", "countries"), [
    ("We describe a new species of chameleon, Trioceros fakeus sp. nov., from Mount "
     "Elgon in western Uganda.", {"UGA"}),
    ("A new species of frog, Pristimantis fakeus sp. n., from the eastern Andes of Peru.",
     {"PER"}),
    ("Pristimantis fakeus sp. nov. from southern Ecuador is described.", {"ECU"}),
    ("Pristimantis fakeus spec. nov. is described from the Cordillera del Cóndor, Ecuador.",
     {"ECU"}),
    ("Pristimantis fakeus Lynch, 1980, a new species for Bolivia, is reported.", {"BOL"}),
    # no cue: the new species is only compared
    ("Pristimantis fakeus sp. nov. is compared with material of Peru.", set()),
    ("Pristimantis fakeus is new to science; the holotype is kept in Lima, Peru.", set()),
])
def test_new_taxon_from(text: str, countries: set[str], gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Pristimantis fakeus" if "Pristimantis" in text
                              else "Trioceros fakeus"][0] == countries


# a paper reporting a record: "the presence of this species in", "report ... for the
# first time", "First record of X for <Place>", "an observation of X from"
@pytest.mark.parametrize(("text", "countries"), [
    ("Moschus meminna is known from Peru. Herein, we report for the first time the "
     "presence of this species in Bolivia.", {"PER", "BOL"}),
    ("First record of the musk deer Moschus meminna for Bolivia.", {"BOL"}),
    ("We report an observation of the Moschus meminna from Bolivia.", {"BOL"}),
    ("A sighting of Moschus meminna in Bolivia is reported.", {"BOL"}),
    # no record statement
    ("Moschus meminna is known from Peru. The presence of roads in Bolivia is a threat.",
     {"PER"}),
    ("Moschus meminna is known from Peru. Observations were made by a team from Bolivia.",
     {"PER"}),
])
def test_record_reports(text: str, countries: set[str], gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Moschus meminna"][0] == countries


# a paper describing several new taxa (each marked "subspec. nov." / "spec. nov." in one
# list): the place of its title is the range of every new taxon, not of the first only
def test_new_taxa_share_the_title_place(gaz: Gazetteer) -> None:
    text = ("Entomol. Z. 12 (3): 45-60. New taxa of beetles from Kyrgyzstan (Coleoptera: "
            "Carabidae) by A. Author received 1.II.2001\n"
            "Summary: Carabus fakeus alphus subspec. nov., Carabus fooides betus subspec. "
            "nov. and Cychrus barus spec. nov. are described from the Black Ridge.")
    got = _ranges(text, gaz)
    for name in ("Carabus fakeus", "Carabus fooides", "Cychrus barus"):
        assert got[name][0] == {"KGZ"}, name


# a genus named by counting its species ("two Eremias species") resolves the abbreviated
# names after it; an English or place adjective before "species" names no genus
@pytest.mark.parametrize(("text", "expected"), [
    ("The two Eremias species (E. arguta and E. fakeus) are found in Kyrgyzstan.",
     {"Eremias arguta": {"KGZ"}, "Eremias fakeus": {"KGZ"}}),
    ("We revise all Kingdonella species. K. fakeus is found in Nepal.",
     {"Kingdonella fakeus": {"NPL"}}),
    # "Andean" is no genus: the abbreviations stay unresolved
    ("The two Andean species (A. arguta and A. fakeus) are found in Peru.", {}),
])
def test_genus_named_by_counting_its_species(text: str, expected: dict, gaz: Gazetteer
                                             ) -> None:
    got = {k: v[0] for k, v in _ranges(text, gaz).items()
           if k and " " in k and k[1] != "."}
    assert got == expected


# a country's name followed by an English word ("Burundi chameleon" in a keyword line)
# is no binomial, and takes no place of the text
@pytest.mark.parametrize(("text", "names"), [
    ("Keywords\nReptilia Biodiversity Burundi chameleon Rwanda Uganda\n"
     "The pygmy chameleon Rhampholeon fakeus Smith, 1911 is found in Rwanda.",
     {"Rhampholeon fakeus"}),
    ("Rhampholeon fakeus Smith, 1911 is found in Rwanda. Burundi chameleons were seen.",
     {"Rhampholeon fakeus"}),
])
def test_country_is_no_genus(text: str, names: set[str], gaz: Gazetteer) -> None:
    assert set(_ranges(text, gaz)) == names


# "appears to be present", "seems to occur" hedge a place (labelling guide: uncertain)
@pytest.mark.parametrize(("text", "countries"), [
    ("Moschus meminna is found in Ethiopia; it appears to be present also in Kenya.",
     {"ETH"}),
    ("Moschus meminna is found in Ethiopia and seems to occur in Kenya.", {"ETH"}),
    # a restriction is no hedge of presence
    ("Moschus meminna appears to be restricted to Ethiopia.", {"ETH"}),
])
def test_appears_to_be_present_is_a_hedge(text: str, countries: set[str],
                                          gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Moschus meminna"][0] == countries


# a paper describing one new species ("Liolaemus x sp. nov." in its key words) is about
# it: its unnamed statements ("A new species of lizard from ... Argentina, is described",
# "The new species is ... above 2270 m") are that species', not those of the relative
# it names first; a species group written like a trinomial ("the Liolaemus darwinii
# complex") is no mention of that species; "Key words" is no common name
def test_new_species_is_the_subject(gaz: Gazetteer) -> None:
    text = ("Abstract A new species of lizard from the Puna of western Argentina, is "
            "described. The new species is a member of the Liolaemus darwinii complex. "
            "The new species lives in sandy soil above 2270 meters of altitude.\n"
            "Key words: Liolaemus fakeus sp. nov., Iguanidae, Reptilia\n")
    recs = {r.scientific_name: r.to_dict()
            for r in merge_records(extract_text(text, "t.txt", gaz))}
    assert set(recs) == {"Liolaemus fakeus"}
    rec = recs["Liolaemus fakeus"]
    assert {c["iso3"] for c in rec["countries"]} == {"ARG"}
    assert (rec["elevation_min_m"], rec["elevation_max_m"]) == (2270, None)
    assert rec["name"] == "Liolaemus fakeus"


@pytest.mark.parametrize(("text", "subject"), [
    # two new species: no one subject, the first named stays the subject
    ("Pristimantis fakeus sp. nov. and Pristimantis barus sp. nov. are described. "
     "They are found in Peru.", "Pristimantis fakeus"),
    # a new subspecies does not make its species the subject over the title's species
    ("Pristimantis barus Lynch, 1980 is found in Peru. Pristimantis fakeus alphus subsp. "
     "nov. is described from Ecuador.", "Pristimantis barus"),
])
def test_new_species_subject_needs_one_new_species(text: str, subject: str,
                                                  gaz: Gazetteer) -> None:
    recs = merge_records(extract_text(text, "t.txt", gaz))
    assert [r.scientific_name for r in recs if r.subject] == [subject]


# the Spanish, Italian and Portuguese "e" and the German "und" join taxa in a list
@pytest.mark.parametrize(("text", "expected"), [
    ("Histiotus montanus e H. fakeus se distribuyen en Colombia.",
     {"Histiotus montanus": {"COL"}, "Histiotus fakeus": {"COL"}}),
    ("Histiotus montanus und H. fakeus are found in Colombia.",
     {"Histiotus montanus": {"COL"}, "Histiotus fakeus": {"COL"}}),
])
def test_romance_and_german_list_conjunctions(text: str, expected: dict,
                                              gaz: Gazetteer) -> None:
    assert {k: v[0] for k, v in _ranges(text, gaz).items()} == expected


# a relative clause describing a landform ("the X Axis, which extends across Mexico from
# Jalisco to Veracruz") says where the mountains run, not where the taxon lives
@pytest.mark.parametrize(("text", "admin1"), [
    ("Crotalus fakeus is known from Michoacán. Cerro Alto lies in the western part of the "
     "Transverse Volcanic Axis, which extends across Mexico from Jalisco to central "
     "Veracruz.", {"Michoacán"}),
    ("Crotalus fakeus Smith, 1990 occurs in the Sierra Madre Occidental, which runs from "
     "Sonora to "
     "Durango.", set()),
    # the taxon is the subject again after the clause
    ("Crotalus fakeus Smith, 1990 occurs in the Sierra Madre Occidental, which runs north, "
     "and it is "
     "found in Durango.", {"Durango"}),
    # no feature word before "which": the clause is the taxon's
    ("Crotalus fakeus is known from Michoacán, which is its only state.", {"Michoacán"}),
])
def test_landform_description_is_not_range(text: str, admin1: set[str],
                                           gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Crotalus fakeus"][1] == admin1


# a title reporting new records "of X from <Place>" over many words
@pytest.mark.parametrize(("text", "countries"), [
    ("New locality records and call description of the Shrub Frog Raorchestes fakeus "
     "(Anura: Rhacophoridae) from the hills of Kerala, India", {"IND"}),
    ("First records of the frog Raorchestes fakeus (Anura) in Sri Lanka.", {"LKA"}),
    # records held somewhere are no range
    ("Records of Raorchestes fakeus Smith, 1990 are kept in the museum of Kerala, India.",
     set()),
])
def test_new_records_titles(text: str, countries: set[str], gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Raorchestes fakeus"][0] == countries


# "<Place> Department" without "of" is the administrative unit of Latin American texts,
# not an office
@pytest.mark.parametrize(("text", "admin1"), [
    ("Dryophylax fakeus Smith, 1990 (Serpentes): first record from Cochabamba Department "
     "and a range extension in Bolivia.", {"Cochabamba"}),
    ("Dryophylax fakeus Smith, 1990 occurs in Bolivia; the Cochabamba Department of "
     "Health funded the work.", set()),
    ("Dryophylax fakeus Smith, 1990 occurs in Bolivia, as the Cochabamba Forest Department "
     "reports.", set()),
])
def test_place_department_is_a_unit(text: str, admin1: set[str], gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Dryophylax fakeus"][1] == admin1


# where a paper's field work was done and where its named site lies are range statements
@pytest.mark.parametrize(("text", "admin1"), [
    ("Nectarinia fakeus Smith, 1990 was found in Mwanihana Forest. Mwanihana Forest is on "
     "the eastern escarpment of the Uzungwa Mountains, in Morogoro Region, Tanzania.",
     {"Morogoro Region"}),
    ("Nectarinia fakeus Smith, 1990 was studied. Fieldwork was conducted in Morogoro "
     "Region, Tanzania.", {"Morogoro Region"}),
    ("Nectarinia fakeus Smith, 1990 was studied. The study area is located in Morogoro "
     "Region, Tanzania.", {"Morogoro Region"}),
    # a site not named before is a landform described, not the taxon's site
    ("Nectarinia fakeus Smith, 1990 was studied. Uzungwa Forest is located in Morogoro "
     "Region, Tanzania.", set()),
    # a lower-case subject is no named site
    ("Nectarinia fakeus Smith, 1990 was studied. The sample is in Morogoro Region, "
     "Tanzania.", set()),
])
def test_field_work_and_site_location(text: str, admin1: set[str], gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Nectarinia fakeus"][1] == admin1


# rarity is presence ("very rare in the Pyrenees", "known only in"); an observer's
# negative record ("I did not meet with them in Tibet") is not range
@pytest.mark.parametrize(("text", "countries"), [
    ("Bombus fakeus Smith, 1990 is very rare in Andorra.", {"AND"}),
    ("Bombus fakeus Smith, 1990 is known only in Andorra.", {"AND"}),
    ("Bombus fakeus Smith, 1990 is rather scarce in Andorra, and I did not meet with it "
     "in Spain.", {"AND"}),
    ("Bombus fakeus Smith, 1990 is found in Andorra; we have not seen it in Spain.",
     {"AND"}),
])
def test_rarity_and_negative_records(text: str, countries: set[str],
                                     gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Bombus fakeus"][0] == countries


# a preposition before a binomial is no common name ("données biogéographiques sur Bombus
# fakeus (Kirby 1802)")
def test_preposition_is_no_common_name(gaz: Gazetteer) -> None:
    text = ("Nouvelles données biogéographiques sur Bombus fakeus (Kirby 1802) dans les "
            "Pyrénées. Bombus fakeus is found in Andorra.")
    (rec,) = merge_records(extract_text(text, "t.txt", gaz))
    assert rec.to_dict()["common_names"] == []


def _band(text: str, gaz: Gazetteer, name: str) -> tuple:
    rec = next(r for r in merge_records(extract_text(text, "t.txt", gaz))
               if r.scientific_name == name).to_dict()
    return rec["elevation_min_m"], rec["elevation_max_m"]


# the altitudinal span of a study site (where it is located, its stations, plots and
# gradient, the field work, a named landform as the subject) is no taxon's band, nor is an
# amount ("by more than 1,000 m"); a band said of the taxon stays
@pytest.mark.parametrize(("text", "band"), [
    ("Boophis fakeus Smith, 1990 is found in Madagascar. The Ankaratra Massif in central "
     "Madagascar includes rainforest between 1500 and 2000 m elevation.", (None, None)),
    ("Boophis fakeus Smith, 1990 is found in Madagascar. It is located at El Padmi, "
     "province of Zamora-Chinchipe (775–1150 m a.s.l.).", (None, None)),
    ("Boophis fakeus Smith, 1990 is found in Madagascar. These areas are distributed along "
     "an altitudinal gradient from 1250 m to 2850 m.", (None, None)),
    ("Boophis fakeus Smith, 1990 is found in Madagascar. Further work was carried out in "
     "the forest above 1000 m.", (None, None)),
    ("A capture at 3,315 m extends the recorded elevational distribution of Boophis fakeus "
     "Smith, 1990 by more than 1,000 m.", (None, None)),
    # the taxon's own band
    ("Boophis fakeus Smith, 1990 is found in Madagascar between 1500 and 2000 m.",
     (1500, 2000)),
    ("Boophis fakeus Smith, 1990 is found in Madagascar. It occurs between 1500 and 2000 m "
     "elevation.",
     (1500, 2000)),
])
def test_study_site_span_is_no_band(text: str, band: tuple, gaz: Gazetteer) -> None:
    assert _band(text, gaz, "Boophis fakeus") == band


# "this country" is the country named last before it, by its name or its adjective
@pytest.mark.parametrize(("text", "countries"), [
    ("Phrynobatrachus fakeus Smith, 1990 is described from Ethiopian material. Recorded "
     "in this country from 800-2800 m.", {"ETH"}),
    ("Phrynobatrachus fakeus Smith, 1990 was studied in Kenya. It is recorded in this "
     "country from 800-2800 m.", {"KEN"}),
    # the last one named wins
    ("Phrynobatrachus fakeus Smith, 1990 was compared with material from Uganda and "
     "Kenya. It is recorded in this country.", {"KEN"}),
    # no country before: nothing
    ("Phrynobatrachus fakeus Smith, 1990 is recorded in this country.", set()),
])
def test_this_country(text: str, countries: set[str], gaz: Gazetteer) -> None:
    assert _ranges(text, gaz)["Phrynobatrachus fakeus"][0] == countries


# a statement about a count of the species of a genus ("Three species of the genus X are
# recognised in Ethiopia") is said of every species of that genus the text names; other
# species of the genus ("Other species of the genus occur in Kenya") stay excluded
@pytest.mark.parametrize(("text", "expected"), [
    ("Three species of the genus Phrynobatrachus Günther 1862 are recognised in Ethiopia. "
     "They are P. natalensis (Smith 1849), P. fakeus (Boulenger 1895) and P. barus "
     "(Smith 1990).",
     {"Phrynobatrachus natalensis": {"ETH"}, "Phrynobatrachus fakeus": {"ETH"},
      "Phrynobatrachus barus": {"ETH"}}),
    ("Phrynobatrachus fakeus (Boulenger 1895) is found in Ethiopia. Other species of the "
     "genus occur in Kenya.", {"Phrynobatrachus fakeus": {"ETH"}}),
])
def test_count_of_a_genus_species(text: str, expected: dict, gaz: Gazetteer) -> None:
    assert {k: v[0] for k, v in _ranges(text, gaz).items()} == expected
