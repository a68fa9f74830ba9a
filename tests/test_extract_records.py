"""Record assignment and record identity: which taxon a place belongs to in texts
that name several taxa, and which names are one taxon."""

from __future__ import annotations

import pytest

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer


def _records(text: str, gaz: Gazetteer) -> dict[str, tuple[set[str], tuple]]:
    """``{name: (countries, (min, max))}`` of the records that have places or a band
    (scientific name when there is one)."""
    out: dict[str, tuple[set[str], tuple]] = {}
    for r in merge_records(extract_text(text, "t.txt", gaz)):
        d = r.to_dict()
        countries = {c["iso3"] for c in d["countries"]}
        band = (d.get("elevation_min_m"), d.get("elevation_max_m"))
        if countries or band != (None, None):
            out[d["scientific_name"] or d["name"]] = (countries, band)
    return out


# HMW/HBW accounts flattened on one line: the heading's binomial (before "French:", or
# written again as "O. m. manul") is the taxon; the "Taxonomy." field's original name
# (another genus, another gender or spelling of the epithet) is that taxon, not a second
# record; an inline field label ("Habitat.") ends the reach of the previous sentence's taxon
@pytest.mark.parametrize(("text", "expected"), [
    ("12. Grey Fox Vulpes grisea French: Renard gris / German: Graufuchs Taxonomy. Vulpes "
     "griseus Hodgson, 1842. Monotypic. Distribution. Nepal and Bhutan . Habitat. Upland "
     "plains and hills from about 2500-5200 m . Found in alpine steppe.",
     {"Vulpes grisea": ({"NPL", "BTN"}, (2500, 5200))}),
    ("17. Andean Wild Cat Leopardus andinus French: Chat andin Taxonomy. Felis andina "
     "Cornalia, 1865. Monotypic. Distribution. SW Bolivia and NE Chile . Descriptive notes. "
     "About the size of a large house cat. Habitat. High (3000-4500 m), "
     "rocky treeless zone in the Andes mountains of Bolivia.",
     {"Leopardus andinus": ({"BOL", "CHL"}, (3000, 4500))}),
    ("28. Steppe Cat Otocolobus manul Other common names: Manul Taxonomy. Felis manul "
     "Pallas, 1776. Subspecies and Distribution. O. m. manul Pallas, 1776 — Mongolia . "
     "O. m. nigripectus Hodgson, 1842 — Nepal .",
     {"Otocolobus manul": ({"MNG", "NPL"}, (None, None))}),
])
def test_hmw_heading_and_original_name(text: str, expected: dict, gaz: Gazetteer) -> None:
    assert _records(text, gaz) == expected


# several taxa in one sentence: taxa listed together share the places and bands of their
# part of the sentence (common names, authorities and brackets may stand between them); a
# taxon that is the subject of its own verb takes the places after it; a comparison
# ("unlike B") or a verb between two taxa makes no list
@pytest.mark.parametrize(("text", "expected"), [
    ("Hylomyscus alpha is endemic to Kenya. H. beta, on the other hand, is endemic to "
     "Uganda, while H. gamma is found in Burundi and Rwanda.",
     {"Hylomyscus alpha": ({"KEN"}, (None, None)), "Hylomyscus beta": ({"UGA"}, (None, None)),
      "Hylomyscus gamma": ({"BDI", "RWA"}, (None, None))}),
    ("Carex aperta Boott, 1839 and Galium mexicanum Kunth, 1818 occur in Wyoming and "
     "Heterotheca fulcrata (Greene, 1898) occurs in Montana.",
     {"Carex aperta": ({"USA"}, (None, None)), "Galium mexicanum": ({"USA"}, (None, None)),
      "Heterotheca fulcrata": ({"USA"}, (None, None))}),
    ("Blyth's Tragopan Tragopan blythii, Great Hornbill Buceros bicornis and Ward's Trogon "
     "Harpactes wardi were recorded in Bhutan at 2000-3000 m.",
     {"Tragopan blythii": ({"BTN"}, (2000, 3000)), "Buceros bicornis": ({"BTN"}, (2000, 3000)),
      "Harpactes wardi": ({"BTN"}, (2000, 3000))}),
    ("We report new records from Ecuador of three glassfrogs: Centrolene peristictum "
     "(Lynch, 1971), Cochranella midas (Lynch, 1973) and Cochranella spinosa (Taylor, 1949).",
     {"Centrolene peristictum": ({"ECU"}, (None, None)),
      "Cochranella midas": ({"ECU"}, (None, None)),
      "Cochranella spinosa": ({"ECU"}, (None, None))}),
    ("Moschus alpha (Smith, 1900), unlike Moschus beta (Jones, 1901), occurs in Nepal.",
     {"Moschus alpha": ({"NPL"}, (None, None))}),
    ("The Alpine Ibex (Capra ibex) once included the Siberian Ibex (C. i. sibirica), found "
     "in Mongolia; and the Nubian Ibex (C. i. nubiana), found in Egypt.",
     {"Capra ibex": ({"MNG"}, (None, None)), "Nubian ibex": ({"EGY"}, (None, None))}),
])
def test_taxa_listed_together(text: str, expected: dict, gaz: Gazetteer) -> None:
    assert _records(text, gaz) == expected


def _names(text: str, gaz: Gazetteer) -> set[str]:
    return {r.to_dict()["scientific_name"] or r.to_dict()["name"]
            for r in merge_records(extract_text(text, "t.txt", gaz))}


# false or split records: page phrases read as binomials, a genus that ends a place's
# name, names in image file names, synonyms (another gender or spelling of the epithet,
# the type locality of another name, "known historically as"), an authority with a
# particle ("(de Blainville 1816)")
@pytest.mark.parametrize(("text", "names", "place_owner", "countries"), [
    ("Trifolium parryi A. Gray\nHabitat | Alpine meadows.\nSubspecies parryi is widespread "
     "in Colorado. (Discussion copyrighted by Flora of North America.)\n",
     {"Trifolium parryi"}, "Trifolium parryi", {"USA"}),
    ("The genus Surdisorex represents Kenya's only endemic genus of shrews. Its species "
     "are found in Kenya.",
     {"Surdisorex"}, "Surdisorex", {"KEN"}),
    ("New Zealand rock wren\n\nThe New Zealand rock wren (Xenicus gilviventris) is endemic to "
     "the South Island of New Zealand. New Zealand wrens are small.",
     {"Xenicus gilviventris"}, "Xenicus gilviventris", {"NZL"}),
    ("LLareta (Azorella compacte phil.).jpg\nin Lauca National Park\n\nYareta (Azorella "
     "compacta, known historically as Azorella yareta) grows in Peru and Bolivia.",
     {"Azorella compacta"}, "Azorella compacta", {"PER", "BOL"}),
    ("Oreamnos americanus (de Blainville 1816) . Type Locality: restricted to the type "
     "locality of Ovis montanus Ord, 1815 , the Columbia River area. Distribution: SE "
     "Alaska ( USA ) and S Yukon ( Canada ).",
     {"Oreamnos americanus"}, "Oreamnos americanus", {"USA", "CAN"}),
    ("Source. Flora zambesiaca 8(2): 73 (1990).\nLimosella australis R.Br.\nIn shallow "
     "lakes. Zimbabwe and Malawi.",
     {"Limosella australis"}, "Limosella australis", {"ZWE", "MWI"}),
])
def test_no_false_or_split_records(text: str, names: set[str], place_owner: str,
                                   countries: set[str], gaz: Gazetteer) -> None:
    assert _names(text, gaz) == names
    assert _records(text, gaz)[place_owner][0] == countries


# species accounts: in a page of several accounts (Red List profiles, a flora checklist)
# a name line owns the paragraphs after it up to the next account; name lines with no
# prose between them are one taxon's names (its synonyms); places before the first name
# line belong to an account whose name is not in the text and go to no taxon
@pytest.mark.parametrize(("text", "expected"), [
    ("CR Eleutherodactylus alphus Smith, 1990 Critically Endangered\n\nGeographic Range "
     "This species is known only from Pichincha Province, Ecuador.\n\nEN Eleutherodactylus "
     "betus Rivero, 1963 Endangered\n\nGeographic Range This species has a patchy "
     "distribution in Puerto Rico, and has an altitudinal range of 455-1,152m asl.\n",
     {"Eleutherodactylus alphus": ({"ECU"}, (None, None)),
      "Eleutherodactylus betus": ({"PRI"}, (455, 1152))}),
    ("Erect perennial herb of open grasslands; 2,150-2,440 m. Malawi and Zambia.\n"
     "Source. Flora zambesiaca 8(2): 156 (1990).\n\nLimosella australis R.Br.\n"
     "Limosella subulata Ives\nSmall creeping herb of muddy lakesides. Zimbabwe and Malawi.\n"
     "\nLindernia nummulariifolia (D.Don) Wettst.\nErect annual herb of wet grasslands. "
     "Kenya and Uganda.\n",
     {"Limosella australis": ({"ZWE", "MWI"}, (None, None)),
      "Lindernia nummulariifolia": ({"KEN", "UGA"}, (None, None))}),
    ("Duttaphrynus himalayanus (Günther, 1864)\n\nBufo abatus Ahl, 1925\nBufo cyphosus Ye, "
     "1977\nTaxonomic Notes: Treated here as one species following Yang (1991).\n\n"
     "Range Description: This species is found in Nepal and Bhutan.\n",
     {"Duttaphrynus himalayanus": ({"NPL", "BTN"}, (None, None))}),
])
def test_species_accounts(text: str, expected: dict, gaz: Gazetteer) -> None:
    assert _records(text, gaz) == expected


# a ";"-separated list of taxa with group labels shares the places of its last clause; a
# word before a web address is no binomial
def test_labelled_list_and_url(gaz: Gazetteer) -> None:
    text = ("Pdf File https://doi.org/10.1/x Abstract Frogs: Litoria angiana (Boulenger, "
            "1915), Litoria arfakiana (Peters, 1878); skinks: Sphenomorphus flavipes (Parker, "
            "1936), Emoia pallida (Brown, 1953); and the snake Natrix montana (Jong, 1926) are "
            "reported from Simbai in Papua New Guinea.")
    assert _records(text, gaz) == {
        k: ({"PNG"}, (None, None)) for k in ("Litoria angiana", "Litoria arfakiana",
                                             "Sphenomorphus flavipes", "Emoia pallida",
                                             "Natrix montana")}


# a survey or checklist text that lists three or more species: the study area's places
# (sentences that name no taxon) are those of every listed species; the study area's
# altitudinal span is no species' band; without a survey cue, or with fewer than three
# listed species, the places stay with the subject
@pytest.mark.parametrize(("text", "expected"), [
    ("Bird surveys were carried out in Eaglenest Wildlife Sanctuary, Arunachal Pradesh, "
     "India. The survey recorded three threatened species (Blyth's Tragopan Tragopan "
     "blythii, Rufous-necked Hornbill Aceros nipalensis and Rusty-bellied Shortwing "
     "Brachypteryx hyperythra).",
     {k: ({"IND"}, (None, None)) for k in ("Tragopan blythii", "Aceros nipalensis",
                                           "Brachypteryx hyperythra")}),
    ("Floristic records from the Karawanken. Abstract. New records from the eastern "
     "Karawanken (Slovenia and Austria) are reported. Carex rupestris (Allioni, 1785), "
     "Draba dubia (Suter, 1802) and Pedicularis rosea (Wulfen, 1781) are new there.",
     {k: ({"SVN", "AUT"}, (None, None)) for k in ("Carex rupestris", "Draba dubia",
                                                 "Pedicularis rosea")}),
    ("Field observations on salamanders of Nevado de Toluca\nField observations on the "
     "salamanders\nAbstract. The salamander fauna of Estado de México, Mexico, is reviewed. "
     "Four species have been reported from this volcano: Ambystoma rivulare (Taylor, 1940), "
     "Pseudoeurycea bellii (Gray, 1850), P. leprosa and P. robertsi. The species list was "
     "first recorded in 1938.",
     {k: ({"MEX"}, (None, None)) for k in ("Ambystoma rivulare", "Pseudoeurycea bellii",
                                           "Pseudoeurycea leprosa", "Pseudoeurycea robertsi")}),
    ("Blyth's tragopan (Tragopan blythii) is found in Arunachal Pradesh, India. It is "
     "larger than Aceros nipalensis (Hodgson, 1836), Brachypteryx hyperythra (Jerdon, 1844) "
     "and Buceros bicornis (Linnaeus, 1758).",
     {"Tragopan blythii": ({"IND"}, (None, None))}),
])
def test_inventory_study_area(text: str, expected: dict, gaz: Gazetteer) -> None:
    assert _records(text, gaz) == expected


# record identity: a name the text gives the subject ("sometimes referred to as N.
# cranbrooki") is a synonym; an epithet glued by PDF text to the next word ("Parnassius
# accogyanglaputsai subspec. nov." beside "P. acco") is the species with a subspecies; an
# epithet split by a PDF space ("Arabis ste lulata") is the name written whole elsewhere;
# a derived epithet ("ornithopodioides") is not split
@pytest.mark.parametrize(("text", "names"), [
    ("Naemorhedus baileyi (Pocock, 1914)\n\nThis species, sometimes referred to as N. "
     "cranbrooki, inhabits forests in southeastern Tibet, China.",
     {"Naemorhedus baileyi"}),
    ("1. Parnassius accogyanglaputsai subspec. nov. (plate 1)\n\nThe district lies in the "
     "range of P. acco Gray, 1852, in Xizang, China.",
     {"Parnassius acco"}),
    ("New localities of Carex ornithopodoides (Hausm., 1854), Arabis ste lulata and Salix "
     "serpi lifolia are presented.\nPovzetek. Carex ornithopodoides, Arabis stelulata in "
     "Salix serpilifolia.",
     {"Carex ornithopodoides", "Arabis stelulata", "Salix serpilifolia"}),
    ("Carex ornithopoda (Willd., 1805) and Carex ornithopodioides (Hausm., 1854) occur in "
     "Austria.",
     {"Carex ornithopoda", "Carex ornithopodioides"}),
])
def test_synonyms_and_glued_names(text: str, names: set[str], gaz: Gazetteer) -> None:
    assert _names(text, gaz) == names
