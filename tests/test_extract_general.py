"""General rules for prose accounts: hedges and status, elevation bands, taxa in prose.

Each case is a short synthetic text written for the rule it checks (never a copy of an
evaluation text).
"""

from __future__ import annotations

import pytest

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer

LEAD = "Snow leopard\n\nThe snow leopard (Panthera uncia) occurs in Nepal. "


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
    ("It reportedly occurs in Bhutan.", "BTN", "uncertain"),
    ("It is apparently present in Bhutan.", "BTN", "uncertain"),
    ("There are anecdotal reports from Bhutan.", "BTN", "uncertain"),
    ("Records from Bhutan are dubious.", "BTN", "uncertain"),
    ("It has been claimed from Bhutan.", "BTN", "uncertain"),
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
    # an absence about other places leaves the place before it in the range
    ("It is known only from Lake Patzcuaro in Michoacan, Mexico, and has not been recorded "
     "from other localities.", "MEX", "native"),
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



# which band wins (labelling guide, elevation rules 2-6): the species-wide band over
# regional, seasonal, subspecies and extreme ones; a breeding band before a winter one;
# metres over feet; bounds alone; a point is no band. Each text follows "The snow leopard
# (Panthera uncia) lives in Nepal."
@pytest.mark.parametrize(("text", "band"), [
    ('It occurs at 2,000–4,000 m. In winter it descends to 1,500 m.',
     (2000, 4000)),
    ('In Nepal it occurs at 3,000–4,000 m. It is found at 2,500–4,500 m.',
     (2500, 4500)),
    ('It lives at 8,000–12,000 ft (2,438–3,658 m).',
     (2438, 3658)),
    ('It lives at 2,438–3,658 m (8,000–12,000 ft).',
     (2438, 3658)),
    ('It is found up to 4,000 m.',
     (None, 4000)),
    ('It is found above 2,500 m.',
     (2500, None)),
    ('It occurs from sea level to 2,000 m.',
     (0, 2000)),
    ('The subspecies P. u. baikalensis lives at 2,000–2,500 m; the species occurs at '
     '1,500–3,000 m.',
     (1500, 3000)),
    ('It breeds at 3,000–4,500 m and winters at 1,500–3,000 m.',
     (3000, 4500)),
    ('It winters at 1,500–3,000 m and breeds at 3,000–4,500 m.',
     (3000, 4500)),
    ('It is found between 1,200 and 3,600 m, mostly at 2,000–3,000 m.',
     (1200, 3600)),
    ('It occurs at elevations of 1,000–2,000 m in the south and 2,500–3,500 m in the north.',
     (1000, 2000)),
    ('It is found at altitudes of up to 5,000 m, rarely to 5,500 m.',
     (None, 5000)),
    ('It occurs at 4000-5000 m (13,000-16,400 ft).',
     (4000, 5000)),
    ('It has been recorded as high as 5,200 m.',
     (None, 5200)),
    ('It lives at 3,000–4,000 m, occasionally up to 4,800 m.',
     (3000, 4000)),
    ('It occurs from 2,000 to 4,000 m in Nepal and from 1,500 to 3,500 m in India.',
     (2000, 4000)),
    ('The species is found at 600–1,800 m in the Western Ghats.',
     (600, 1800)),
    ('Subspecies P. u. uncioides occurs at 1,000–2,000 m, subspecies P. u. baikalensis at '
     '2,000–3,000 m.',
     (1000, 2000)),
    ('It occurs at 3,000–5,000 m. In summer it moves up to 5,500 m, in winter down to 2,000 m.',
     (3000, 5000)),
    ('Its altitudinal range is 3,000–5,000 m, though in winter it descends to 2,000 m.',
     (3000, 5000)),
    ('Altitudinal range: 6,500–13,000 ft.',
     (1981, 3962)),
    ('It lives in mountainous areas to 17,000 feet.',
     (None, 5182)),
    ('It occurs at 1,500–4,000 m, but is most common at 2,500–3,500 m.',
     (1500, 4000)),
    ('A nest was found at 4,100 m.',
     (None, None)),
    ('It was photographed at 4,350 m in 2012.',
     (None, None)),
    ('It was photographed at 4,350 m in 2012. It occurs at 3,000–4,000 m.',
     (3000, 4000)),
    ('Elevation: 2,000–3,500 m. It has been seen as high as 4,800 m.',
     (2000, 3500)),
    ('It ranges from 1,000 m to 3,000 m.',
     (1000, 3000)),
    ('It is found at between 1000 and 3000 metres above sea level.',
     (1000, 3000)),
    ('It inhabits forests from 300 to 2,500 m.',
     (300, 2500)),
    ('It inhabits alpine meadows between 2,700 m and 4,000 m; in Bhutan it has been '
     'recorded at 2,400 m.',
     (2700, 4000)),
    ('In Bhutan it has been recorded at 2,400 m. It inhabits alpine meadows between '
     '2,700 m and 4,000 m.',
     (2700, 4000)),
    ('It is found at 2,400-4,900 m (mostly 3,000-4,000 m).',
     (2400, 4900)),
    ('It occurs in lowlands up to 1,500 m.',
     (0, 1500)),
    ('It occurs between 1.500 and 3.000 m.',
     (1500, 3000)),
    ('It occurs between 1 500 and 3 000 m altitude.',
     (1500, 3000)),
    ('It occurs between 5,000 and 10,000 feet.',
     (1524, 3048)),
    ('It is usually found above 3,000 m, sometimes as low as 2,500 m.',
     (3000, None)),
])
def test_which_band_wins(gaz: Gazetteer, text: str, band: tuple) -> None:
    recs = merge_records(extract_text(
        "Snow leopard\n\nThe snow leopard (Panthera uncia) lives in Nepal. " + text, "t.txt",
        gaz))
    (rec,) = [r for r in recs if r.scientific_name == "Panthera uncia"]
    assert (rec.elevation_min_m, rec.elevation_max_m) == band


def test_title_before_a_separator_names_the_subject(gaz: Gazetteer) -> None:
    """A page title "Common Name - Section" names the taxon written again in the text."""
    text = ("Snow Leopard - Range and Habitat\n\nRange and Habitat\n\n"
            "The snow leopard inhabits the mountains of Nepal and Bhutan.\n")
    recs = merge_records(extract_text(text, "t.txt", gaz))
    assert [r.name.lower() for r in recs] == ["snow leopard"]
    assert {c["iso3"] for c in recs[0].to_dict()["countries"]} == {"NPL", "BTN"}


@pytest.mark.parametrize(("text", "expected"), [
    # a plural subject refers back to the taxa listed before it in the paragraph
    ("Hylomyscus endorobae (Heller, 1910) together with Hylomyscus denniae (Thomas, 1906) "
     "and H. vulcanorum form a group. These three species are similar. However, because "
     "they inhabit montane forests above 2,000 m in Kenya, they are isolated.",
     {k: ({"KEN"}, 2000) for k in ("Hylomyscus endorobae", "Hylomyscus denniae",
                                   "Hylomyscus vulcanorum")}),
    # ", while" starts a clause about another taxon
    ("Hylomyscus denniae (Thomas, 1906) is endemic to the Ruwenzori Mountains of Uganda, "
     "while Hylomyscus vulcanorum (Lavrenchenko, 1998) is found in Burundi and Rwanda.",
     {"Hylomyscus denniae": ({"UGA"}, None),
      "Hylomyscus vulcanorum": ({"BDI", "RWA"}, None)}),
])
def test_sentences_about_several_taxa(gaz: Gazetteer, text: str, expected: dict) -> None:
    recs = {r.scientific_name: r for r in merge_records(extract_text(text, "t.txt", gaz))}
    got = {k: ({c["iso3"] for c in recs[k].to_dict()["countries"]}, recs[k].elevation_min_m)
           for k in expected}
    assert got == expected


@pytest.mark.parametrize(("name", "iso3"), [
    ("the Democratic Republic of the Congo", "COD"),
    ("the Democratic Republic of Congo", "COD"),
    ("the D.R. Congo", "COD"),
    ("DR Congo", "COD"),
    ("the Republic of the Congo", "COG"),
    ("Congo-Brazzaville", "COG"),
])
def test_congo_names(gaz: Gazetteer, name: str, iso3: str) -> None:
    assert [m.countries for m in gaz.find_mentions(f"It is found in {name}.")] == [(iso3,)]


def test_image_file_name_names_no_taxon(gaz: Gazetteer) -> None:
    text = ("Yareta\n\nLLareta (Azorella compacte phil.).jpg\n\n"
            "Yareta or llareta (Azorella compacta) is native to South America. It grows in "
            "the Andes in Peru and Bolivia.\n")
    got = _taxa(text, gaz)
    assert "Azorella compacte" not in got and got["Azorella compacta"][1] == {"PER", "BOL"}


def test_field_notes_and_photo_captions(gaz: Gazetteer) -> None:
    """A field guide's "Field notes" section is no back matter; a photo caption ending in
    its country is a record; "Taxonomic Notes" stays out of the range."""
    text = ("Erebia meolans\n\nPiedmont Ringlet\n\nValais, Switzerland, June 2017\n\n"
            "Field notes and information\n\nWidespread and common in Andorra.\n\n"
            "Distribution & Flight: Sporadic from Spain to Italy.\n\n"
            "Taxonomic Notes: A population in Austria is sometimes assigned here.\n")
    (rec,) = [r for r in merge_records(extract_text(text, "t.txt", gaz))
              if r.scientific_name == "Erebia meolans"]
    d = rec.to_dict()
    assert {c["iso3"] for c in d["countries"]} == {"CHE", "AND", "ESP", "ITA"}
    assert [a["boundary_name"] for a in d["admin1"]] == ["Valais"]


@pytest.mark.parametrize(("text", "expected"), [
    # the subject of a record statement, and the taxa listed beside it
    ("Allium kermesinum is new for Austria; Carex rupestris and Draba dubia are new for "
     "Slovenia.", {"Allium kermesinum": {"AUT"}, "Carex rupestris": {"SVN"},
                   "Draba dubia": {"SVN"}}),
    # a genus written with two or more epithets, and the list it heads
    ("Cercyon alpinus , Cercyon tatricus , Helophorus montenegrinus and Paracymus "
     "scutellaris are recorded for the first time in Switzerland.",
     {k: {"CHE"} for k in ("Cercyon alpinus", "Cercyon tatricus", "Helophorus montenegrinus",
                           "Paracymus scutellaris")}),
])
def test_record_statements_name_taxa(gaz: Gazetteer, text: str, expected: dict) -> None:
    got = _taxa(text, gaz)
    assert {k: v[1] for k, v in got.items() if k in expected} == expected


def test_url_is_no_binomial(gaz: Gazetteer) -> None:
    got = _taxa("Download .Pdf File https://doi.org/10.1/x. Panthera uncia (Schreber, 1775) "
                "is found in Nepal.", gaz)
    assert set(got) == {"Panthera uncia"}


def test_image_file_name_gives_no_cue_and_no_place(gaz: Gazetteer) -> None:
    """ "Zoo" and "Salzburg" in a gallery file name are neither a cue nor a place; the
    caption after it is read; a file name never reaches back over a sentence end."""
    text = ("Rupicapra rupicapra (Linnaeus, 1758) is found in Italy.\n\n"
            "Gamse (Rupicapra rupicapra) Zoo Salzburg 2014 g-crop.jpg Rupicapra rupicapra "
            "occurs in Turkey and the Caucasus.\n")
    got = _taxa(text, gaz)
    assert got["Rupicapra rupicapra"][1] == {"ITA", "TUR", "RUS", "GEO", "ARM", "AZE"}
    from rangemap.extract import _IMAGE_FILE_RE
    assert [m.group() for m in _IMAGE_FILE_RE.finditer("It lives in Slovenia. photo.jpg")] \
        == [" photo.jpg"]
