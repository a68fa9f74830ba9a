"""Precision on unseen texts: contexts that name a place as something other than range.

Each table holds made-up sentences of one class and, beside each, the range countries
of the sentence's subject (*Moschus meminna*): the class's place must be left out, the
range place of the same sentence must stay.
"""

from __future__ import annotations

import pytest

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer


def _subject(text: str, gaz: Gazetteer) -> set[str]:
    """Range countries (units) of Moschus meminna in ``text``."""
    recs = {r.scientific_name: r for r in merge_records(extract_text(text, "t.txt", gaz))}
    return {u["iso3"] for u in recs["Moschus meminna"].to_dict()["units"]}


def _excluded(text: str, gaz: Gazetteer) -> dict[str, str]:
    """ISO3 -> status of the subject's excluded places."""
    recs = {r.scientific_name: r for r in merge_records(extract_text(text, "t.txt", gaz))}
    return {x["iso3"]: x["status"] for x in recs["Moschus meminna"].to_dict()["excluded"]
            if x.get("iso3")}


# cultivation is not range (like captivity); a garden escape is introduced; habitats
# named after cultivation ("cultivated fields", "forest edge and cultivation") still are
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is native to Nepal and cultivated in Japan and France.", {"NPL"}),
    ("Moschus meminna is native to Nepal; it is grown as an ornamental in Japan.", {"NPL"}),
    ("Moschus meminna is native to Nepal and is widely planted in Japan.", {"NPL"}),
    ("Moschus meminna is native to Nepal and is in cultivation in Japan.", {"NPL"}),
    ("Moschus meminna is native to Nepal and has escaped from gardens in Japan.", {"NPL"}),
    ("Moschus meminna is native to Nepal and grown in botanical gardens in Japan.", {"NPL"}),
    ("Moschus meminna is found in cultivated fields in Nepal and Japan.", {"NPL", "JPN"}),
    ("Moschus meminna inhabits forest edge and cultivation in Nepal.", {"NPL"}),
])
def test_cultivation_is_not_range(text: str, expected: set[str], gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# a non-range cue written after a place but followed by its own place ("kept in zoos in
# Germany") is about that place, not the range place before it
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is found in Nepal and is kept in zoos in Germany.", {"NPL"}),
    ("Moschus meminna is found in Nepal and is sold in markets of China.", {"NPL"}),
    ("Moschus meminna is found in Nepal, where it is traded.", set()),
])
def test_non_range_cue_before_its_own_place(text: str, expected: set[str],
                                            gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# fossil and subfossil records are former range; "fossil records are reviewed for X" (a
# topic of a review) is no fossil record of X
@pytest.mark.parametrize(("text", "expected", "former"), [
    ("Moschus meminna occurs in Nepal. Fossils are known from Bhutan.", {"NPL"}, {"BTN"}),
    ("Moschus meminna occurs in Nepal. Fossil remains have been found in Bhutan and China.",
     {"NPL"}, {"BTN", "CHN"}),
    ("Moschus meminna occurs in Nepal. Subfossil bones from Bhutan show it lived there.",
     {"NPL"}, {"BTN"}),
    ("Moschus meminna occurs in Nepal. In Bhutan it is known only from fossils.",
     {"NPL"}, {"BTN"}),
    ("Moschus meminna is reviewed. Its distribution, ecology and fossil records are "
     "reviewed here for Turkey.", {"TUR"}, set()),
])
def test_fossil_records_are_former(text: str, expected: set[str], former: set[str],
                                   gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected
    assert {k for k, v in _excluded(text, gaz).items() if v == "former"} == former


# the study's people and funding, and places compared by size or latitude, are not range;
# a place listed right after a reference point is one too ("the border with India and
# China"); a plain range list after a reference point is not ("north of Lima, in Peru")
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is found in Nepal. A team of researchers from Germany found it in "
     "Nepal.", {"NPL"}),
    ("Moschus meminna is found in Nepal. Ornithologists from Japan recorded it in Nepal.",
     {"NPL"}),
    ("Moschus meminna is found in Nepal; the survey was funded by the government of Japan.",
     {"NPL"}),
    ("Moschus meminna is found in Nepal, in an area the size of Belgium.", {"NPL"}),
    ("Moschus meminna is found in Nepal, at similar latitudes to Japan.", {"NPL"}),
    ("Moschus meminna is found in Nepal, near the border with India and China.", {"NPL"}),
    ("Moschus meminna is found north of Canada and Greenland, in Russia.", {"RUS"}),
    ("Moschus meminna is found in Nepal and Bhutan.", {"NPL", "BTN"}),
])
def test_people_funding_and_comparisons(text: str, expected: set[str],
                                        gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# other species than the subject ("other species of the genus", "its congeners") and a
# related taxon named with an adjective ("the closely related X", "a similar species, X",
# "replaced by X") do not give their places to the subject, nor keep them as a taxon
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is found in Nepal. Other species of the genus occur in India and "
     "China.", {"NPL"}),
    ("Moschus meminna is found in Nepal; its congeners are found in India.", {"NPL"}),
    ("Moschus meminna is found in Nepal. Unlike other species of the genus, it also occurs "
     "in India.", {"NPL", "IND"}),
    ("Moschus meminna is found in Nepal. Other populations occur in India.", {"NPL", "IND"}),
    ("Moschus meminna is found in Nepal, where it is replaced at higher elevations by "
     "M. fuscus, which occurs in India.", {"NPL"}),
])
def test_other_species_places(text: str, expected: set[str], gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


@pytest.mark.parametrize("text", [
    "Moschus meminna is found in Nepal. The closely related Moschus fuscus occurs in India.",
    "Moschus meminna is found in Nepal. A similar species, Moschus fuscus, is found in India.",
])
def test_related_taxon_named_with_an_adjective(text: str, gaz: Gazetteer) -> None:
    recs = {r.scientific_name: r for r in merge_records(extract_text(text, "t.txt", gaz))}
    assert {u["iso3"] for u in recs["Moschus meminna"].to_dict()["units"]} == {"NPL"}
    other = recs.get("Moschus fuscus")
    assert other is None or not other.to_dict()["units"]
    assert all(r.name in (None, r.scientific_name) or "related" not in r.name
               for r in recs.values())


# references: a line that starts with an author-year reference, and a place followed by
# the marks of an online reference, are the publisher's town; journals named after a
# place ("Pakistan Journal of Zoology") are not range
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in Peru.\nTaxonomic Source(s): Frost, D.R. 2014. Amphibian "
     "Species of the World. Version 6. New York, USA.", {"PER"}),
    ("Moschus meminna occurs in Peru.\nSmith, J. and Lee, K. (2003). Mammals. Lima, Peru.",
     {"PER"}),
    ("Moschus meminna occurs in Peru.\nMammal Species of the World. New York, USA. "
     "Available at: (Accessed: 2 May 2014).", {"PER"}),
    ("Moschus meminna occurs in Peru (Pakistan Journal of Zoology 23: 45-67).", {"PER"}),
    ("Moschus meminna occurs in Peru. Its records from Peru were published in the "
     "Journal of the Washington Academy and the New Zealand Journal of Zoology.", {"PER"}),
    ("Moschus meminna occurs in Peru and New York, USA.", {"PER", "USA"}),
])
def test_references_and_journals_are_not_range(text: str, expected: set[str],
                                               gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# a span's end at a country's boundary ("from the western boundaries of Bhutan ... to
# Kashmir") makes the country a reference point, not range (a hedge on it elsewhere in
# the sentence then decides); "along the northern border of" and "the borders of" do not
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna ranges from the western boundary of Bhutan to Nepal.", {"NPL"}),
    ("FROM the western boundaries of Bhutan (and it probably occurs in Bhutan itself) to "
     "Nepal, Moschus meminna is to be met with.", {"NPL"}),
    ("Moschus meminna is found along the northern border of India.", {"IND"}),
    ("Moschus meminna ranges from Nepal to the eastern frontier of India.", {"NPL"}),
])
def test_span_end_at_a_boundary(text: str, expected: set[str], gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# "reported to be (or have been) present" is a hedge like "reported to be present"
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna occurs in France. It has also been reported to be (or have been) "
     "present in Italy.", {"FRA"}),
    ("Moschus meminna occurs in France. It is reported to be present in Italy.", {"FRA"}),
    ("Moschus meminna occurs in France. It was reported from Italy.", {"FRA", "ITA"}),
])
def test_reported_presence_is_a_hedge(text: str, expected: set[str], gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# an IUCN presence/origin label in a bracket after a country gives it its status
@pytest.mark.parametrize(("label", "status"), [
    ("Extant, Native", None),
    ("Possibly Extant, Native", "uncertain"),
    ("Extant, Introduced", "introduced"),
    ("Regionally Extinct, Native", "former"),
    ("Possibly Extinct", "uncertain"),
    ("Extant & Origin Uncertain", None),
    ("Extant; Vagrant", "vagrant"),
])
def test_bracketed_presence_labels(label: str, status: str | None, gaz: Gazetteer) -> None:
    text = f"Moschus meminna\n\nCountry occurrence: Nepal (Extant, Native); Japan ({label})"
    assert _subject(text, gaz) == ({"NPL", "JPN"} if status is None else {"NPL"})
    assert _excluded(text, gaz).get("JPN") == status


# a contrast that doubts the statement before it ("...; but ... I can say nothing as to
# this habitat") makes its places uncertain; a doubt about another place named after the
# contrast, or "no doubt", does not
@pytest.mark.parametrize(("text", "expected", "uncertain"), [
    ("Moschus meminna is confined to Switzerland. According to Nordmann, it is also found "
     "in Georgia; but as neither Lederer nor Romanoff include it in their lists, I can say "
     "nothing as to this habitat.", {"CHE"}, {"GEO"}),
    ("Moschus meminna occurs in Switzerland and Austria, but its status in Italy is "
     "doubtful.", {"CHE", "AUT"}, {"ITA"}),
    ("Moschus meminna occurs in Switzerland, but there is no doubt that it is rare.",
     {"CHE"}, set()),
    ("Moschus meminna occurs in Switzerland and was reported from Italy, although we have "
     "not seen specimens.", {"CHE"}, {"ITA"}),
])
def test_doubting_contrast(text: str, expected: set[str], uncertain: set[str],
                           gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected
    assert {k for k, v in _excluded(text, gaz).items() if v == "uncertain"} == uncertain


# encyclopedia sections about people, cultivation, fossils and other taxa are not range;
# a section on an invasive species gives its places "introduced"
@pytest.mark.parametrize(("heading", "expected"), [
    ("Cultivation", {"NPL"}),
    ("Etymology", {"NPL"}),
    ("Relationship with humans", {"NPL"}),
    ("In popular culture", {"NPL"}),
    ("Similar species", {"NPL"}),
    ("Fossil record", {"NPL"}),
    ("As an invasive species", {"NPL"}),
    ("Distribution and habitat", {"NPL", "JPN"}),
])
def test_sections_that_are_not_range(heading: str, expected: set[str],
                                      gaz: Gazetteer) -> None:
    text = (f"Moschus meminna\n\nDistribution\nIt is found in Nepal.\n\n{heading}\n"
            "It is found in Japan.")
    assert _subject(text, gaz) == expected


# IUCN country lines "Nepal (native)" under "Countries of occurrence" are values, not
# headings; their bracket gives each its status
def test_country_lines_with_status_brackets(gaz: Gazetteer) -> None:
    text = ("Moschus meminna\n\nCountries of occurrence\nNepal (native)\nJapan (introduced)\n"
            "India (possibly extant)\nBhutan (extinct)\nChina (vagrant)")
    assert _subject(text, gaz) == {"NPL"}
    assert _excluded(text, gaz) == {"JPN": "introduced", "IND": "uncertain",
                                    "BTN": "former", "CHN": "vagrant"}


# an unnamed other species after a relation ("confused with a species found in India")
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is found in Nepal. It was long confused with a species found in "
     "India.", {"NPL"}),
    ("Moschus meminna is found in Nepal. It differs from another small species known from "
     "India.", {"NPL"}),
    ("Moschus meminna is found in Nepal. It is a montane species found in India.",
     {"NPL", "IND"}),
])
def test_unnamed_other_species(text: str, expected: set[str], gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# "range" naming mountains (counted ranges, a range's size) is no distribution cue;
# "migrates (north) to X" names a wintering area, which is range
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is a deer.\n\nThe Andes is split into several ranges in Peru.", set()),
    ("Moschus meminna is a deer.\n\nThis range is about 7,000 km long and crosses Peru.",
     set()),
    ("Moschus meminna is a deer. Its range is restricted to Peru.", {"PER"}),
    ("Moschus meminna breeds in Chile. It migrates north to Bolivia.", {"CHL", "BOL"}),
])
def test_mountain_ranges_and_migration(text: str, expected: set[str],
                                       gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# statements about a higher taxon or about populations split off, failed searches, and
# a ";" clause of another named species are not the subject's range
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is known from Peru. Moschus is distributed from Ecuador to Argentina.",
     {"PER"}),
    ("Moschus meminna is known from Peru. Moschus is one of the most diverse genera, widely "
     "distributed in Chile and Argentina.", {"PER"}),
    ("Moschus meminna is known from Peru. Members of the genus occur in Ecuador and Chile.",
     {"PER"}),
    ("Moschus meminna is known from Peru. The family occurs from Mexico to Argentina.",
     {"PER"}),
    ("Moschus meminna is known from Peru. Deer of this family are found in Mexico.", {"PER"}),
    ("Moschus meminna is a species in the family Moschidae, native to Peru.", {"PER"}),
    ("Moschus meminna is known from Peru. Surveys in Bolivia failed to find it.", {"PER"}),
    ("Moschus meminna is known from Peru. Populations in Bolivia were recently described as "
     "a separate species.", {"PER"}),
    ("Moschus meminna is known from Peru. Specimens from Bolivia are now assigned to "
     "M. fuscus.", {"PER"}),
    ("Moschus meminna is known from Peru; M. fuscus is widespread in Bolivia and Chile.",
     {"PER"}),
    ("Moschus meminna is known from Peru. It is sympatric with M. fuscus, which also occurs "
     "in Bolivia.", {"PER"}),
    ("Moschus meminna is known from Peru (Frost 2014; Lehr, Smith & Chile 2005).", {"PER"}),
])
def test_higher_taxa_splits_and_searches(text: str, expected: set[str],
                                         gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# "Taxonomic Notes" before an IUCN page's range is a section, not the back matter
def test_taxonomic_notes_are_not_back_matter(gaz: Gazetteer) -> None:
    text = ("Moschus meminna\n\nTaxonomic Notes\nIt was split from M. fuscus.\n\n"
            "Geographic Range\nThis species is known from Peru.\n\nNotes\nSee Chile.")
    assert _subject(text, gaz) == {"PER"}


# a named landform's extent ("The Altiplano extends into Peru") and a disease or decline
# reported from a place are not range; a river without a name and "We describe X from
# Bolivia" are
@pytest.mark.parametrize(("text", "expected"), [
    ("Moschus meminna is found in Bolivia. The Altiplano extends into Peru, Chile and "
     "Argentina.", {"BOL"}),
    ("Moschus meminna is found in Bolivia. Lake Titicaca drains into Peru.", {"BOL"}),
    ("Moschus meminna is found in Bolivia. Chytridiomycosis has been reported in Peru.",
     {"BOL"}),
    ("Moschus meminna is found in Bolivia. Similar declines have been observed in Peru.",
     {"BOL"}),
    ("Moschus meminna is found in Mexico. The species was found where the river crosses "
     "Michoacán.", {"MEX"}),
    ("Moschus meminna sp. nov.\n\nAbstract: We describe Moschus meminna from Bolivia.",
     {"BOL"}),
])
def test_landforms_diseases_and_descriptions(text: str, expected: set[str],
                                             gaz: Gazetteer) -> None:
    assert _subject(text, gaz) == expected


# a common name written shorter than the linked one ("the Pamir vole" for the "Pamir rock
# vole (Neodon juldaschi)") is that taxon, not a second one that takes the range; a
# shorter name that fits two taxa stays its own
@pytest.mark.parametrize(("text", "records"), [
    ("The Pamir rock vole (Neodon juldaschi) is a rodent.\n\nDistribution\n\nThe Pamir vole "
     "occurs in Pakistan.", {"Neodon juldaschi": {"PAK"}}),
    ("The greater rock vole (Neodon juldaschi) is a rodent. The greater water vole (Neodon "
     "aquaticus) is another.\n\nDistribution\n\nThe greater vole occurs in Pakistan.",
     {"Neodon juldaschi": set(), "Neodon aquaticus": set(), "greater vole": {"PAK"}}),
])
def test_shortened_common_names(text: str, records: dict[str, set[str]],
                                gaz: Gazetteer) -> None:
    got = {r.scientific_name or r.name: {u["iso3"] for u in r.to_dict()["units"]}
           for r in merge_records(extract_text(text, "t.txt", gaz))}
    assert {k: v for k, v in got.items()} == records
