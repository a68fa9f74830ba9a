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
    assert [(m.kind, m.name, m.targets) for m in ms] == [
        ("country", "India", (("IND", None),)), ("region", "Western Ghats", (("IND", None),))]


# --------------------------------------------------------------------------- issue 12: places

@pytest.fixture(scope="module")
def real() -> Gazetteer:
    return Gazetteer.load(BOUNDARIES)


def kinds(g: Gazetteer, text: str) -> list[tuple[str, str, str]]:
    return [(m.surface, m.kind, m.name) for m in g.find_mentions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a place inside a longer name: the longest name wins, or a feature word claims it
        ("found in the Tian Shan", [("Tian Shan", "region", "Tian Shan")]),
        ("found in the Tien Shan", [("Tien Shan", "region", "Tian Shan")]),
        ("found in Shan State", [("Shan State", "admin1", "Shan")]),
        ("around Lake Victoria", []),
        ("in Victoria, Australia", [("Victoria", "admin1", "Victoria"),
                                    ("Australia", "country", "Australia")]),
        ("along the Lima river", []),
        ("along the Lima River", []),
        ("on Mount Kenya", []),
        ("in the Gulf of Mexico", []),
        ("near Mexico City", []),
        ("at Victoria Falls", []),
        ("the upper Amur drainage", []),   # a river's basin, not the oblast
        ("in the Sichuan Basin", []),
        ("the Yunnan watershed", []),
        ("in Sagarmatha National Park", []),
        ("in Nepal: Khaptad, Sagarmatha, Shey-Phoksundo, Makalu Barun National Parks",
         [("Nepal", "country", "Nepal")]),
        ("in Sichuan, Gansu and Yunnan.", [("Sichuan", "admin1", "Sichuan"),
                                          ("Gansu", "admin1", "Gansu"),
                                          ("Yunnan", "admin1", "Yunnan")]),
        ("in the Alaska Range", []),
        ("Abies yuanbaoshanensis Lu & Fu", []),  # a two-letter alternate name of Louth
        ("in Ha, Bhutan", [("Ha", "admin1", "Ha"), ("Bhutan", "country", "Bhutan")]),
        ("RangeChina: N Guangxi", [("China", "country", "China"),
                                   ("Guangxi", "admin1", "Guangxi")]),
        ("KwaZulu-Natal and the Natal Drakensberg", [
            ("KwaZulu-Natal", "admin1", "KwaZulu-Natal"), ("Natal", "admin1", "KwaZulu-Natal")]),
        ("on Emei Shan and Yulong Shan", []),
        ("in southern Shan, Myanmar", [("Shan", "admin1", "Shan"),
                                       ("Myanmar", "country", "Myanmar")]),
        ("at the Salar de Atacama and Laguna Brava", []),
        ("in the Atacama Desert", []),
        ("in the Cordillera Occidental", []),
        ("Rocky Mts, Cascade Mts and the Cascade Range", [("Rocky Mts", "region",
                                                            "Rocky Mountains")]),
        ("in the Altai Republic", [("Altai Republic", "admin1", "Gorno-Altay")]),
        ("in the Altai Mountains", [("Altai Mountains", "region", "Altai")]),
        ("in the Korean Peninsula", [("Korean Peninsula", "region", "Korean Peninsula")]),
    ],
)
def test_whole_names_longest_wins(real: Gazetteer, text: str, expected: list) -> None:
    assert kinds(real, text) == expected


@pytest.mark.parametrize(
    ("text", "name", "iso3s"),
    [
        ("Sinkiang", "Xinjiang", ("CHN",)),
        ("Burma", "Myanmar", ("MMR",)),
        ("Ceylon", "Sri Lanka", ("LKA",)),
        ("Columbia", "Colombia", ("COL",)),
        ("Equador", "Ecuador", ("ECU",)),
        ("Tibet", "Xizang", ("CHN",)),
        ("Persia", "Iran", ("IRN",)),
        ("Dahomey", "Benin", ("BEN",)),          # ISO 3166-3 former name
        ("Upper Volta", "Burkina Faso", ("BFA",)),
        ("Türkiye", "Turkey", ("TUR",)),          # ISO 3166-1 short name
        ("Republic of India", "India", ("IND",)),  # ISO 3166-1 official name
        ("Sikhim", "Sikkim", ("IND",)),            # 19th-century spellings
        ("Thibet", "Xizang", ("CHN",)),
        ("Corea", "Corea", ("KOR", "PRK")),
        ("Belgian Congo", "Dem. Rep. Congo", ("COD",)),
        ("Zaire", "Dem. Rep. Congo", ("COD",)),
        ("Chinese Turkestan", "Xinjiang", ("CHN",)),
        ("Kirghizistan", "Kyrgyzstan", ("KGZ",)),  # Soviet-era transliterations
        ("Kirghizia", "Kyrgyzstan", ("KGZ",)),
        ("Tadzhikistan", "Tajikistan", ("TJK",)),
        ("Turkmenia", "Turkmenistan", ("TKM",)),
        ("Byelorussia", "Belarus", ("BLR",)),
    ],
)
def test_historic_names_and_misspellings(real: Gazetteer, text: str, name: str,
                                         iso3s: tuple) -> None:
    ms = real.find_mentions(f"It is found in {text}.")
    assert len(ms) == 1 and ms[0].name == name and ms[0].countries == iso3s


@pytest.mark.parametrize(
    ("word", "name"),
    [("Phillipines", "Philippines"), ("Himalya", "Himalaya"), ("Argentinia", "Argentina"),
     ("Tanzanai", "Tanzania")],
)
def test_fuzzy_matches(real: Gazetteer, word: str, name: str) -> None:
    ms = real.find_mentions(f"It occurs in {word} and nowhere else.")
    assert [(m.name, m.match) for m in ms] == [(name, "fuzzy")]


@pytest.mark.parametrize(
    "text",
    ["Austrian", "Siberian", "Mongolian forms", "Nepalese", "Chinese", "Himalayan",
     "Carpathian", "Perus", "Iraan", "the Guiana", "a ewuador", "Their range",
     "Indiana Jones"],
)
def test_fuzzy_is_bounded(real: Gazetteer, text: str) -> None:
    assert [m for m in real.find_mentions(f"Seen in {text}.") if m.match == "fuzzy"] == []


def test_fuzzy_admin1_only_for_named_countries(real: Gazetteer) -> None:
    ms = real.find_mentions("It lives in China, in Yunan and Sichuan.")
    assert [(m.name, m.match) for m in ms] == [
        ("China", "exact"), ("Yunnan", "fuzzy"), ("Sichuan", "exact")]
    assert real.find_mentions("It lives in Yunan.") == []


def test_homonym_resolved_by_region_context(real: Gazetteer) -> None:
    ms = real.find_mentions("It occurs in Georgia and the Caucasus.")
    assert ms[0].countries == ("GEO",) and ms[0].kind == "country"
    assert ms[0].alternatives == ("admin1 Georgia (USA)",)
    ms = real.find_mentions("It occurs in Georgia, United States.")
    assert ms[0].targets == (("USA", "Georgia"),)
    assert ms[0].alternatives == ("country Georgia (GEO)",)


def test_regions_have_polygon_definitions(real: Gazetteer) -> None:
    table = {  # docs/LABELLING.md, "Regions"
        "Himalaya": {"PAK", "IND", "NPL", "BTN", "CHN"}, "Karakoram": {"PAK", "IND", "CHN"},
        "Hindu Kush": {"AFG", "PAK"}, "Pamir": {"TJK", "AFG", "CHN", "KGZ"},
        "Tian Shan": {"KGZ", "KAZ", "CHN", "UZB"}, "Altai": {"RUS", "MNG", "CHN", "KAZ"},
        "Kunlun": {"CHN"}, "Tibetan Plateau": {"CHN"}, "Siberia": {"RUS"},
        "Russian Far East": {"RUS"}, "Manchuria": {"CHN"}, "Korean Peninsula": {"KOR", "PRK"},
        "Caucasus": {"RUS", "GEO", "ARM", "AZE"},
        "Alps": {"FRA", "CHE", "ITA", "AUT", "DEU", "SVN", "LIE"},
        "Pyrenees": {"ESP", "FRA", "AND"},
        "Carpathians": {"ROU", "UKR", "SVK", "POL", "CZE", "HUN", "SRB"},
        "Andes": {"VEN", "COL", "ECU", "PER", "BOL", "CHL", "ARG"},
        "Patagonia": {"ARG", "CHL"}, "Ethiopian Highlands": {"ETH", "ERI"},
        "Albertine Rift": {"COD", "UGA", "RWA", "BDI", "TZA"},
        "Rocky Mountains": {"USA", "CAN"}, "Appalachians": {"USA", "CAN"},
        "Hengduan Mountains": {"CHN"}, "Western Ghats": {"IND"},
        "Borneo": {"MYS", "IDN", "BRN"}, "New Guinea": {"IDN", "PNG"},
    }
    for name, countries in table.items():
        rd = real.region_def(name)
        assert rd is not None, name
        assert set(rd.countries) == countries, name
        assert rd.method.startswith("union of "), name
    assert real.region_def("Himalayas") is real.region_def("Himalaya")
    assert real.region_def("Rockies").name == "Rocky Mountains"


def test_read_regions_errors(tmp_path: Path) -> None:
    from rangemap.gazetteer import read_regions

    p = tmp_path / "regions.csv"
    p.write_text("region,spellings\nX,Y\n")
    with pytest.raises(DataError, match="missing column"):
        read_regions(p)
    p.write_text("region,spellings,countries,members,bbox,min_elev_m,source\n"
                 "X,X,IND,IND,1 2 3,,s\n")
    with pytest.raises(DataError, match="line 2: bad box"):
        read_regions(p)
    p.write_text("region,spellings,countries,members,bbox,min_elev_m,source\n"
                 "X,X,IND,IND/Sikkim@88 27 89 28.2,,1000,s\n")
    (rd,) = read_regions(p)
    assert rd.members == (("IND", "Sikkim", (88.0, 27.0, 89.0, 28.2)),)
    assert rd.min_elev_m == 1000 and "at or above 1000 m" in rd.method


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Found in the Sierra Nevada of Spain.", ["Sierra Nevada (Spain)", "Spain"]),
        ("Found in the Sierra Nevada of California.",
         ["Sierra Nevada (California)", "California"]),
        ("Found in the Sierra Nevada.", []),  # two regions, no context: dropped
        ("to Calif., Nev., Utah and Colo., N. Mex., Alta., Sask.",
         ["California", "Nevada", "Utah", "Colorado", "New Mexico", "Alberta", "Saskatchewan"]),
        ("Alta Verapaz, Guatemala", ["Alta Verapaz", "Guatemala"]),
    ],
)
def test_region_homonyms_and_abbreviations(real: Gazetteer, text: str, expected: list) -> None:
    assert [m.name for m in real.find_mentions(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an admin-1 name of a far-away country, in a text naming other countries: "far"
        ("Found in the USA and Canada (Cascade, Sierra Nevada).",
         [("USA", "exact"), ("Canada", "exact"), ("Cascade", "far"),
          ("Sierra Nevada", "exact")]),
        ("Found in Cascade.", [("Cascade", "exact")]),  # nothing named: no distance test
        ("Found in Bolivia and Argentina; Rocha.", [("Bolivia", "exact"),
                                                    ("Argentina", "exact"),
                                                    ("Rocha", "exact")]),  # Uruguay is near
    ],
)
def test_far_admin1(real: Gazetteer, text: str, expected: list) -> None:
    assert [(m.surface, m.match) for m in real.find_mentions(text)] == expected


def test_homonym_prefers_the_near_meaning(real: Gazetteer) -> None:
    # neither Spain nor Argentina is named: the meaning near the named country wins
    (m, _) = real.find_mentions("Córdoba; also known from Portugal.")
    assert m.countries == ("ESP",) and "admin1 Córdoba (ARG)" in m.alternatives
    (m, _) = real.find_mentions("Córdoba; also known from Uruguay.")
    assert m.countries == ("ARG",)


def _long_text(paragraphs: int) -> str:
    """A generated text: place names, misspellings and ever-new capitalised words."""
    import itertools

    syll = ["ba", "ko", "mi", "sa", "tu", "ne", "ri", "lo"]
    made = ("".join(p).capitalize() for p in itertools.product(syll, repeat=4))
    out = []
    for _ in range(paragraphs):
        new = [next(made) for _ in range(4)]
        out.append(f"It occurs in Nepal, China and Yunan; {new[0]} and {new[1]} report it "
                   f"from Sichuan, the Himalya and {new[2]}. {new[3]} saw it in Phillipines.")
    return "\n".join(out)


def test_fuzzy_scan_is_linear_in_text_length(real: Gazetteer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # counts the name comparisons of rule 7, not time: each distinct word is compared
    # with a bounded bucket of names, so the count grows with the words, not faster
    from rapidfuzz import fuzz

    import rangemap.gazetteer as g

    calls = [0]

    def counting(a: str, b: str, **kw: object) -> float:
        calls[0] += 1
        return fuzz.ratio(a, b, **kw)

    monkeypatch.setattr(g, "_SCORER", counting)
    counts = {}
    for n in (50, 400):
        calls[0] = 0
        text = _long_text(n)
        ms = real.find_mentions(text)
        assert sum(m.match == "fuzzy" for m in ms) == 3 * n  # Yunan, Himalya, Phillipines
        counts[n] = calls[0], len(text.split())
    (c1, w1), (c2, w2) = counts[50], counts[400]
    assert c2 <= 1.1 * c1 * w2 / w1  # linear in the number of words (8x words)
    assert c2 / w2 < 50  # and a bounded number of comparisons per word


def test_overseas_parts_do_not_make_a_country_near(real: Gazetteer) -> None:
    # France's Caribbean departments are next to Anguilla, but a text about the Alps
    # that names France means metropolitan France
    assert not real._near("AIA", {"FRA"})
    assert real._near("AIA", {"USA"})
    # and "Guil Valley" is no The Valley (AIA) at all: "Valley" alone is a generic word
    ms = real.find_mentions("It lives in Italy and in the Guil Valley in France.")
    assert [m.name for m in ms if m.kind == "admin1"] == []


@pytest.mark.parametrize(
    ("text", "match"),
    [("In South Canterbury, New Zealand, the Southern Alps gecko.", "far"),
     ("It occurs in Chile and in the Southern Alps.", "far"),
     ("It occurs in the Southern Alps of France.", "exact"),  # near France: the Alps
     ("Found in the Alps and in Nepal.", "exact"),  # no compass word: a list of ranges
     ("In New Zealand and the Alps.", "exact")],
)
def test_compass_named_region_far_from_the_text_is_another_range(
        real: Gazetteer, text: str, match: str) -> None:
    [region] = [m for m in real.find_mentions(text) if m.kind == "region"]
    assert region.match == match


@pytest.mark.parametrize(
    ("text", "countries"),
    [("Swiss, Italian, and French Alps; W Austria.", ["CHE", "ITA", "FRA", "AUT"]),
     ("introduced into French Pyrenees", ["FRA"]),
     ("the Chinese and Kazakh Tien Shan", ["CHN", "KAZ"]),
     ("French speakers in the Alps", []),  # an adjective not before the region
     ("the Indian Ocean", []),             # not a region: no country
     ("Himalayan and Chinese forms", [])],
)
def test_country_adjectives_before_a_region(real: Gazetteer, text: str,
                                            countries: list) -> None:
    ms = real.find_mentions(text)
    assert [m.countries[0] for m in ms if m.kind == "country"] == countries


# rule 10: a unit's own name shadows the alternate names other units of the same country
# list (Natural Earth gives Lord Howe Island the alternate name "New South Wales"); an
# alternate name that no unit of its country bears still matches, and another country's
# unit of that name stays a homonym for rule 5
@pytest.mark.parametrize(
    ("text", "targets"),
    [("Found in Eastland.", (("AAA", "Eastland"),)),
     ("Found in Westmark.", (("AAA", "Westmark"),)),
     ("Found in Old Eastland.", (("AAA", "Islet"),)),
     ("Found in Northshire.", (("AAA", "Northshire"), ("BBB", "Southfold")))],
)
def test_own_name_shadows_other_units_alternate_names(text: str, targets: tuple) -> None:
    g = Gazetteer([("AAA", "Aland"), ("BBB", "Bland")],
                  [("AAA", "Eastland", []), ("AAA", "Islet", ["Eastland", "Old Eastland"]),
                   ("AAA", "Westmark", []), ("AAA", "Northshire", ["Westmark"]),
                   ("BBB", "Southfold", ["Northshire"])])
    [m] = g.find_mentions(text)
    assert m.targets == targets
    assert g.boundary_admin1("AAA", "Eastland") == "Eastland"


@pytest.mark.parametrize(
    ("text", "targets"),
    [("Found in New South Wales.", (("AUS", "New South Wales"),)),
     ("Found in Napo, Ecuador.", (("ECU", "Napo"),)),
     ("Found in Tungurahua, Ecuador.", (("ECU", "Tungurahua"),))],
)
def test_own_name_shadows_alternates_in_the_boundaries(real: Gazetteer, text: str,
                                                      targets: tuple) -> None:
    assert [m.targets for m in real.find_mentions(text) if m.kind == "admin1"] == [targets]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [("the Sierra Peña Nevada, Mexico", ["country"]),
     ("the Cerro San Pedro Nevada", []),
     ("in Nevada and Utah", ["admin1", "admin1"]),
     ("Sierra Madre, Nevada", ["admin1"])],
)
def test_feature_word_two_names_back(real: Gazetteer, text: str, kinds: list) -> None:
    assert [m.kind for m in real.find_mentions(text)] == kinds


# rule 11: a one-word admin-1 name that is an ordinary English word is not matched at a
# sentence start; "The Valley" needs its article
@pytest.mark.parametrize(
    ("text", "admin1"),
    [("Male differs from the female by its red face.", []),
     ("Plumage grey. Male larger.", []),
     ("It breeds on atolls near Male, Maldives.", ["Malé"]),
     ("found in the Palas Valley of Pakistan", []),
     ("found on The Snares, New Zealand", ["The Snares"]),
     ("found on snares and in traps", []),
     ("Yunnan: common.", ["Yunnan"])],
)
def test_common_word_admin1_names(real: Gazetteer, text: str, admin1: list) -> None:
    assert [m.name for m in real.find_mentions(text) if m.kind == "admin1"] == admin1


def test_common_word_admin1_list_matches_boundaries(real: Gazetteer) -> None:
    # every listed word is the folded name of a boundary admin-1 unit
    from rangemap.gazetteer import COMMON_WORD_ADMIN1
    names = {fold(n).removeprefix("the ") for iso3 in real.iso3s
             for n in real.admin1_names(iso3)}
    assert COMMON_WORD_ADMIN1 <= names


# a country name that holds a shorter name of another country maps its own country
@pytest.mark.parametrize(
    ("text", "iso3"),
    [("in the Democratic Republic of the Congo", ["COD"]),
     ("in Uganda and the D.R. Congo", ["UGA", "COD"]),
     ("in DR Congo and DRC", ["COD", "COD"]),
     ("in the Republic of the Congo", ["COG"]),
     ("in Northern Ireland", ["GBR"]),
     ("in Ireland", ["IRL"]),
     ("in Bosnia-Herzegovina", ["BIH"])],
)
def test_country_names_holding_another_countrys_name(real: Gazetteer, text: str,
                                                     iso3: list) -> None:
    assert [m.countries[0] for m in real.find_mentions(text)] == iso3


# rule 12: an admin-1 name placed in another country is a place of that name there
@pytest.mark.parametrize(
    ("text", "match"),
    [("Santiago Province, Chile", "elsewhere"),
     ("Santiago (Chile)", "elsewhere"),
     ("Sichuan, Nepal and Bhutan", "exact"),      # a list
     ("Sichuan Province, China", "exact"),        # its own country
     ("Sichuan in China", "exact"),
     ("Ladakh (Pakistan) and India", "exact")],  # its country is named too
)
def test_admin1_placed_in_another_country(real: Gazetteer, text: str, match: str) -> None:
    [m] = [m for m in real.find_mentions(text) if m.kind == "admin1"]
    assert m.match == match


# words run together by PDF text: a compass abbreviation glued to a name ("SETajikistan",
# "NWIndia") and a name broken by a hyphen whose line break became a space ("Paki- stan")
@pytest.mark.parametrize(
    ("text", "iso3"),
    [("SETajikistan,NPakistan, NWIndia", ["TJK", "PAK", "IND"]),
     ("Paki- stan and Bhu-\ntan", ["PAK", "BTN"]),
     ("Si- chuan", ["CHN"]),
     ("north- and south-facing slopes of Nepal", ["NPL"]),
     ("the Sichuan- Yunnan border", ["CHN", "CHN"])],
)
def test_words_run_together_or_broken(real: Gazetteer, text: str, iso3: list) -> None:
    assert [m.countries[0] for m in real.find_mentions(text)] == iso3


@pytest.mark.parametrize(
    ("text", "kinds"),
    [("known from La Siberia, on the border", []),     # a local place name in English prose
     ("en La Patagonia de Chile", ["region", "country"]),  # Spanish: the region
     ("in La Rioja, Spain", ["admin1", "country"])],   # a name that holds its article
)
def test_romance_article_before_a_name(real: Gazetteer, text: str, kinds: list) -> None:
    assert [m.kind for m in real.find_mentions(text)] == kinds


def test_homonym_prefers_a_country_named_over_one_a_region_implies(real: Gazetteer) -> None:
    # the Andes imply Argentina too, but Cochabamba names Bolivia itself
    ms = real.find_mentions("on the slopes of the Andes between Cochabamba and Santa Cruz.")
    [sc] = [m for m in ms if m.surface == "Santa Cruz"]
    assert sc.targets == (("BOL", "Santa Cruz"),)


# rule 14: a name written in a country's (or region's) bracket, or in a list closed by one
# in brackets, means the unit of that country; an admin-1 name with no meaning there is
# another place of that name
@pytest.mark.parametrize(
    ("text", "surface", "targets", "match"),
    [("Andes of Bolivia (Cochabamba, Santa Cruz) and NW Argentina (Jujuy, Salta)",
      "Santa Cruz", (("BOL", "Santa Cruz"),), "exact"),
     ("N Argentina (Jujuy, Santa Cruz) and Bolivia (Cochabamba)",
      "Santa Cruz", (("ARG", "Santa Cruz"),), "exact"),
     ("Santa Cruz and Cochabamba (Bolivia); Jujuy (Argentina)",
      "Santa Cruz", (("BOL", "Santa Cruz"),), "exact"),
     ("Venezuela (Amazonas, Bolívar) and N Brazil (Roraima)",
      "Amazonas", (("VEN", "Amazonas"),), "exact"),
     ("SE Colombia (Amazonas, Putumayo) and NE Peru (Loreto)",
      "Amazonas", (("COL", "Amazonas"),), "exact"),
     ("Peru (La Libertad, Lima) and El Salvador (Santa Ana)",
      "La Libertad", (("PER", "La Libertad"),), "exact"),
     ("W Mexico (Jalisco, Colima, México, Morelos)", "México", (("MEX", "México"),), "exact"),
     ("S USA (Georgia, Florida) and Caucasus (Georgia, Armenia)", "Georgia",
      (("USA", "Georgia"),), "exact"),
     ("[Bhutan, India (Sikkim, Punjab), Nepal]", "Punjab", (("IND", "Punjab"),), "exact"),
     ("Ethiopia (Tigray S to Bale and Sidamo) and SE Sudan", "Bale", (("BFA", "Balé"),),
      "elsewhere"),
     # outside any bracket: both meanings stay (nothing places it)
     ("Punjab, Nepal and Pakistan; India", "Punjab", (("IND", "Punjab"), ("PAK", "Punjab")),
      "exact")],
)
def test_name_in_a_countrys_bracket(real: Gazetteer, text: str, surface: str,
                                    targets: tuple, match: str) -> None:
    m = next(m for m in real.find_mentions(text) if m.surface == surface)
    assert (m.targets, m.match) == (targets, match)


def test_country_in_a_regions_bracket_is_the_country(real: Gazetteer) -> None:
    ms = real.find_mentions("S USA (Georgia, Florida) and Caucasus (Georgia, Armenia)")
    assert [(m.kind, m.countries) for m in ms if m.surface == "Georgia"] == [
        ("admin1", ("USA",)), ("country", ("GEO",))]


# historic and source-specific spellings (alias rows with sources), and a capitalised
# "Plateau" after a name: a landform, not the unit
@pytest.mark.parametrize(
    ("text", "expected"),
    [("Kwangtung, Fukien, Chekiang and Honan", [("CHN", "Guangdong"), ("CHN", "Fujian"),
                                               ("CHN", "Zhejiang"), ("CHN", "Henan")]),
     ("S Peru (Cuzco, Puno)", [("PER", None), ("PER", "Cusco"), ("PER", "Puno")]),
     ("E DRCongo (Kivu) and Rwanda", [("COD", None), ("RWA", None)]),
     ("Russia (Adygea, Krasnodar)", [("RUS", None), ("RUS", "Adygey"), ("RUS", "Krasnodar")]),
     ("the Adamawa Plateau of Cameroon", [("CMR", None)]),
     ("Adamawa State, Nigeria", [("NGA", "Adamawa"), ("NGA", None)])],
)
def test_spellings_and_plateaus(real: Gazetteer, text: str, expected: list) -> None:
    assert [m.targets[0] for m in real.find_mentions(text)] == expected


# rule 15: FNA abbreviations that are also words or initials name their unit only in a
# list, next to a US or Canadian unit (or to another such item that is)
@pytest.mark.parametrize(
    ("text", "names"),
    [("Alta., B.C.; Ariz., Calif., Mont., Nev.", ["Alberta", "British Columbia", "Arizona",
                                                  "California", "Montana", "Nevada"]),
     ("Fla., Ga., S.C., N.C., Va.", ["Florida", "Georgia", "South Carolina",
                                     "North Carolina", "Virginia"]),
     ("Labrador, Man., Newfoundland, Que.", ["Newfoundland and Labrador", "Manitoba",
                                             "Newfoundland and Labrador", "Québec"]),
     ("Mont. Blanc and Mont Nimba", []),
     ("described by B.C. Stone (1970)", []),
     ("Ind., Pak., Nepal", ["Nepal"]),
     ("Mo., Ill., Ind.", [])],   # no US unit of its own in the list
)
def test_list_only_abbreviations(real: Gazetteer, text: str, names: list) -> None:
    assert [m.name for m in real.find_mentions(text)] == names
