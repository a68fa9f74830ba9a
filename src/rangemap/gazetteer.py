"""Place names: countries, first-level admin units and named regions, and a text matcher.

A :class:`Gazetteer` holds the names rangemap can recognise in a text and what
each one denotes:

* **countries** -- ``(iso3, name)`` from the ``admin0`` boundary layer, plus
  country aliases (``kind=country`` rows of ``aliases.csv``; "Korea" denotes
  both KOR and PRK);
* **admin-1 units** -- ``(iso3, admin1_name, aliases)`` from the ``admin1``
  layer (the boundary name, e.g. "Uttaranchal", is what geometry code joins
  on), plus ``kind=admin1`` alias rows ("Uttarakhand" -> IND/Uttaranchal);
* **regions** -- mountain ranges and physiographic regions of
  ``regions.csv`` (:class:`RegionDef`: spellings, the countries it implies in
  order along the region, the admin-1 units or countries it is made of, an
  optional bounding box and lowest elevation; its polygon is built by
  ``scripts/build_data.py`` into ``regions.gpkg``), plus ``kind=region`` alias
  rows: one name, several units ("Kashmir" -> IND/Jammu and Kashmir, ...); an
  empty ``admin1_name`` means the whole country;
* **ISO 3166 names** -- the ISO 3166-1 short, official and common names and
  the ISO 3166-3 names of former countries with a single successor ("Burma",
  "Zaire", "Dahomey"), from ``pycountry``, as country aliases, unless the name
  already denotes something else.

Matching rules (:meth:`Gazetteer.find_mentions`)
------------------------------------------------
1. Text and names are compared after folding: case-insensitive, diacritics
   removed ("Hövsgöl" = "Hovsgol"), curly quotes and dashes normalised, "&"
   equals "and", and punctuation between words ignored ("Guinea-Bissau" =
   "Guinea Bissau", "Dem. Rep. Congo" = "Dem Rep Congo"). A leading "the" of a
   name is optional. Matches are on whole words; a possessive "'s" is not
   part of the name ("China's" matches "China").
2. At each word the longest name wins ("Jammu and Kashmir" beats "Kashmir",
   "Northern Areas" beats nothing shorter). Words of a multi-word name may be
   separated by spaces, hyphens, dots, apostrophes, brackets and at most one
   line break, never by a comma or other punctuation.
3. Capitalisation is required (first letter upper case) for admin-1 names and
   aliases, for country names in :data:`COMMON_WORD_NAMES` ("Chad", "Turkey",
   "Georgia" ...), and for names starting with a compass word ("Northern
   Cyprus", "South Korea"), so "northern Cyprus" is Cyprus with a qualifier.
4. Boundary-layer admin-1 names made only of generic words
   (:data:`GENERIC_ADMIN1_WORDS`: "Central", "Western", "Nord" ...), names
   whose words are all single letters ("K.P.") and one-word alternate names
   of one or two letters (Natural Earth's "Lu" for Louth) are never matched
   ("The Valley", Anguilla, is generic: "Palas Valley" names no Anguilla);
   explicit ``aliases.csv`` rows are always matched.
5. A name with several meanings ("Punjab": IND and PAK; "Georgia": a country
   and a US state; "Kashmir": a region and a KAS unit) is resolved by context.
   Each meaning scores 2.5 if one of its countries is named unambiguously in
   the same sentence as a country or an admin-1 unit, 2 if a region named there
   spans it ("the Bolivian Andes ... Cochabamba and Santa Cruz" is Bolivia's
   Santa Cruz, not Argentina's, though the Andes span both), 1 if named
   elsewhere in the text, else 0; the best-scoring
   meanings are kept, then only the highest kind (country > region > admin1).
   If meanings of that kind remain in several countries they are all kept
   (the mention's ``targets`` lists all of them) unless they span more than
   :data:`MAX_AMBIGUOUS_COUNTRIES` countries, in which case the mention is
   dropped as too ambiguous; two regions of one name (Sierra Nevada in
   California and in Spain) left unresolved are dropped too. The countries
   of a region named unambiguously count as named: "Georgia" next to "the
   Caucasus" is the country (both Punjabs lie in Himalaya countries, so "the
   Himalaya" alone does not choose between them). The meanings not kept are
   listed in the mention's ``alternatives``.
6. A name that is part of a longer proper name of a feature is not a place:
   preceded by a capitalised feature word (:data:`FEATURE_BEFORE`: "Lake
   Victoria", "Mount Kenya", "Gulf of Mexico", "Salar de Atacama"), "Shan"
   after a capitalised name (Chinese *shan*, mountain: "Emei Shan";
   :data:`FOREIGN_GENERIC_AFTER_NAME`) or followed by a feature word
   (:data:`FEATURE_AFTER`: "Lima river", "Victoria Falls", "Mexico City",
   "Sagarmatha National Park"; "Range", "Mountains", "Hills", "Plateau" only when
   capitalised), or after a capitalised feature word and one or two
   capitalised names ("Sierra Peña Nevada", "Cerro San Pedro"), or after a
   capitalised Romance article (:data:`ARTICLES_BEFORE`: "La Siberia", a
   Bolivian locality), or ending a list of proper names that closes with a plural
   feature word ("Khaptad, Sagarmatha and Langtang National Parks"). Names
   in the index are matched first, so "Tian Shan" (a
   region) is never "Shan" (an admin-1 unit of Myanmar) and "Altai Republic"
   is never the region.
7. Bounded fuzzy matching for misspellings ("Equador", "Columbia" is an
   alias, "Phillipines", "Himalya"): only a capitalised, purely alphabetic
   word of at least :data:`FUZZY_MIN_LEN` letters that matched no name and is
   not a common English word is compared with the one-word country and
   region names (and the admin-1 names of countries named exactly in the
   same text) of at least that length, the same first letter and a length
   within one letter (each distinct word once, so the scan is linear in the
   text); it matches when the
   ``rapidfuzz.fuzz.ratio`` is at least :data:`FUZZY_MIN_RATIO`, the first
   letters agree, the lengths differ by at most one letter and neither word
   is a prefix of the other (so "Austrian" is not Austria, "Siberian" not
   Siberia). Fuzzy mentions carry ``match="fuzzy"`` and the matched name.
8. Distance as context: a homonym none of whose meanings is named in the
   text prefers the meanings in a country (its largest polygon, not its
   overseas parts) within :data:`NEAR_DEG` degrees
   of the countries the text names (as countries or through regions); an
   admin-1 name with one meaning, in a country that is not named and lies
   farther than that from all named countries, is marked ``match="far"``
   (the extractor leaves it out of the range, with that reason). A region
   written with a capitalised compass word ("Southern Alps") none of whose
   countries lies near a country the text names is marked ``far`` too: it is
   another range of that name (New Zealand's, not Europe's).
9. Country adjectives before a region (:data:`COUNTRY_ADJECTIVES`: "Swiss,
   Italian, and French Alps", "French Pyrenees") are mentions of those
   countries, so the region's statement names its countries.
10. A unit's own boundary name shadows the alternate names that other units of
    the same country list: Natural Earth gives Lord Howe Island the alternate
    name "New South Wales" and Tungurahua "Napo", yet "New South Wales" and
    "Napo" denote only the units that bear those names. Another country's
    unit of that name is still a homonym (rule 5).
11. A one-word admin-1 name that is also an ordinary English word
    (:data:`COMMON_WORD_ADMIN1`: "Male" for Malé, "Reading", "Delta", "Lot") is
    not matched at the start of a sentence, where its capital proves nothing
    ("Male differs from ..."); one whose boundary name begins with "The" ("The
    Snares", New Zealand) is matched only with its article.
12. An admin-1 name followed by another country ("Santiago Province, Chile",
    "Victoria (Argentina)", "Cordoba in Spain"; a bare comma is a list: "Sichuan,
    Nepal") is a place of that name in that country, not the unit, when the text
    never names the unit's own country: it is marked ``match="elsewhere"``.
13. PDF text: a compass abbreviation glued to a name is split off ("SETajikistan",
    "NWIndia"), and two words joined by a hyphen and white space ("Paki- stan")
    match the name they make together, the first capitalised, the second not.
14. A name written inside the bracket of a country or region ("Bolivia (Cochabamba,
    Santa Cruz)", "[India (Sikkim)]", "Caucasus (Georgia, Armenia)"), or in a list
    closed by a country in brackets ("Santa Cruz and Cochabamba (Bolivia)"), keeps only
    its meanings in that place's countries; a country inside its own bracket is its
    admin-1 unit of that name ("Mexico (Jalisco, México)"); an admin-1 name with one
    meaning, in another country, inside a country's bracket ("Ethiopia (Tigray S to
    Bale)") is marked ``match="elsewhere"`` (after rule 8: a far one stays ``far``).
15. Flora of North America abbreviations that are also words or initials ("Mont.",
    "Ga.", "La.", "B.C.": :data:`LIST_ONLY_ABBREVIATIONS`) name their state or province
    only with their period, as items of a list next to a US or Canadian unit ("Idaho,
    Mont., Nev."; "Alta., B.C.; Ariz.") or to another such item that is.
"""

from __future__ import annotations

import bisect
import csv
import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rangemap.errors import DataError

__all__ = [
    "AliasRow",
    "Mention",
    "RegionDef",
    "Gazetteer",
    "read_regions",
    "FEATURE_BEFORE",
    "FEATURE_AFTER",
    "FUZZY_MIN_LEN",
    "FUZZY_MIN_RATIO",
    "fold",
    "COMMON_WORD_NAMES",
    "GENERIC_ADMIN1_WORDS",
    "MAX_AMBIGUOUS_COUNTRIES",
    "COMMON_WORD_ADMIN1",
    "LIST_ONLY_ABBREVIATIONS",
]

#: Country names that are also ordinary English words: matched only when capitalised.
COMMON_WORD_NAMES: frozenset[str] = frozenset({
    "chad", "china", "chile", "cuba", "georgia", "guinea", "jersey", "jordan", "japan",
    "malta", "mali", "niger", "oman", "panama", "peru", "turkey", "togo", "guernsey",
    "bermuda", "monaco", "man", "congo", "nauru", "samoa", "tonga",
})

#: Words that on their own do not name a place; an admin-1 boundary name made only
#: of these words (e.g. "Central", "North-East") is never matched.
GENERIC_ADMIN1_WORDS: frozenset[str] = frozenset({
    "north", "south", "east", "west", "northern", "southern", "eastern", "western",
    "central", "centre", "center", "northeast", "northwest", "southeast", "southwest",
    "nord", "sud", "est", "ouest", "norte", "sur", "este", "oeste", "centro", "mid",
    "capital", "coast", "coastal", "upper", "lower", "middle", "interior", "island",
    "islands", "lakes", "lake", "river", "rivers", "plateau", "plateaux", "littoral",
    "savanes", "mountain", "mountains", "highlands", "lowlands", "border", "federal",
    "national", "district", "region", "province", "state", "territory", "city", "zone",
    "neutral", "gulf", "cordillera", "laguna", "and", "of", "the", "valley", "valleys",
})

#: One-word admin-1 names of the boundary file that are also ordinary English words
#: (lower-case entries of Debian wamerican 2020.12.07-2's word list; regenerate with
#: ``scripts/common_word_admin1.py``): rule 11.
COMMON_WORD_ADMIN1: frozenset[str] = frozenset({
    "acre", "afar", "antique", "apace", "apes", "ascension", "bale", "bar", "bay", "bender",
    "bled", "bologna", "bong", "bury", "cabanas", "cascade", "chin", "colon", "cork",
    "dauphin", "debar", "delta", "derby", "down", "encamp", "falcon", "fife", "grad",
    "hackney", "harrow", "highland", "jersey", "liege", "limerick", "lira", "lot", "male",
    "maritime", "mascara", "mayo", "meta", "midlands", "mono", "moray", "muscat", "ogre",
    "oriental", "pecs", "pest", "pita", "pool", "quiche", "reading", "ruse", "saga",
    "shanghai", "slough", "snares", "store", "surrey", "unity", "van", "var",
    "wellington", "yap",
})

#: Compass words: a multi-word name starting with one must be capitalised.
_COMPASS = frozenset({
    "north", "south", "east", "west", "northern", "southern", "eastern", "western",
    "central", "n", "s", "e", "w",
})

#: An unresolved admin-1 name spanning more countries than this is dropped.
MAX_AMBIGUOUS_COUNTRIES = 2

#: Capitalised words that, directly before a place name, make it part of a feature's
#: name ("Lake Victoria", "Mount Kenya"); with "of" after them too ("Gulf of Mexico").
FEATURE_BEFORE: frozenset[str] = frozenset({
    "lake", "lakes", "lago", "lac", "loch", "mount", "mt", "mont", "monte",
    "river", "rio", "gulf", "bay", "cape", "cap", "isla", "sierra", "cerro", "pico",
    "volcan", "fort", "port", "puerto", "sea", "strait", "straits", "isle", "glacier",
    "cordillera", "serra", "nevado", "pic", "peak", "laguna", "salar", "quebrada", "bahia",
    "paso", "desierto",
})
#: Romance articles that, capitalised before a name, make it part of a proper name: "La
#: Siberia" (a Bolivian locality) is not Siberia, "El Altai" no region (a name written
#: with its article, "La Rioja", "El Salvador", is matched whole first).
ARTICLES_BEFORE: frozenset[str] = frozenset({"la", "el", "los", "las", "le", "les"})
#: Romance words before such an article: the text is Spanish, French or Italian, and the
#: article is only the article of the region ("en La Patagonia", "de Los Andes").
_ROMANCE_BEFORE_ARTICLE = frozenset({
    "en", "de", "del", "por", "y", "a", "desde", "hasta", "entre", "dans", "et", "da", "di"})
#: Words joining a feature word to its name: "Gulf of Mexico", "Salar de Atacama".
_FEATURE_JOIN = frozenset({"of", "de", "del", "da", "do", "di", "la"})
#: Admin-1 names that are also a generic word of another language when written after a
#: capitalised name: "Emei Shan", "Yulong Shan" (Chinese shan, mountain) are not Shan State.
FOREIGN_GENERIC_AFTER_NAME: frozenset[str] = frozenset({"shan"})

#: Words that, directly after a place name, make it part of a feature's name
#: ("Lima river", "Victoria Falls", "Mexico City"). Tuples are multi-word tails.
FEATURE_AFTER: tuple[tuple[str, ...], ...] = (
    ("river",), ("rivers",), ("lake",), ("falls",), ("city",), ("bay",), ("gulf",),
    ("strait",), ("sea",), ("national", "park"), ("national", "forest"),
    ("national", "reserve"), ("state", "park"), ("nature", "reserve"), ("reserve",),
    ("sanctuary",), ("wildlife", "sanctuary"), ("game", "reserve"),
    ("conservation", "area"), ("protected", "area"), ("biosphere", "reserve"),
    ("airport",), ("university",), ("museum",), ("zoo",), ("desert",),
    ("drainage",), ("basin",), ("watershed",),  # "upper Amur drainage" is a river's basin
)
#: Tails that count only when capitalised ("Alaska Range", but "the Yunnan mountains"
#: are Yunnan's).
FEATURE_AFTER_CAPITALISED: frozenset[str] = frozenset({
    "range", "ranges", "mountains", "mts", "mtns", "hills",
    # "the Adamawa Plateau" (Cameroon) is no Adamawa State of Nigeria
    "plateau", "plateaux", "massif"})

#: Rule 8: an admin-1 unit of a country farther than this (degrees, between simplified
#: country polygons) from every country the text names is probably another place of the
#: same name ("Cascade" in a North American text is not the Seychelles district).
NEAR_DEG = 25.0

#: Fuzzy matching bounds (rule 7).
FUZZY_MIN_LEN = 5
FUZZY_MIN_RATIO = 85.0
#: Capitalised words that are never compared fuzzily (common sentence starters and
#: words close to a country name).
_FUZZY_STOP = frozenset({
    "there", "their", "these", "those", "where", "which", "while", "after", "before",
    "about", "above", "below", "other", "under", "since", "until", "among", "along",
    "during", "within", "between", "although", "however", "males", "females", "young",
    "adults", "adult", "species", "genus", "family", "order", "habitat", "range",
    "distribution", "asian", "indian", "latin", "malay", "india", "media", "mania",
    "maria", "serbian", "nigerian", "austral", "ocean", "river", "lakes", "hills",
    "plain", "plains", "valley", "forest", "forests", "mountains", "islands",
})

_KIND_RANK = {"country": 0, "region": 1, "admin1": 2}
_TOKEN_RE = re.compile(r"[a-z0-9]+|&")
_GAP_OK_RE = re.compile(r"^[ \t\u00a0\-.'()]*\n?[ \t\u00a0\-.'()]*$")


class _FoldTable(dict):
    """``str.translate`` table folding each character to exactly one character."""

    _SPECIAL = {
        "\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
    }

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = self._SPECIAL.get(ch)
        if out is None:
            decomposed = unicodedata.normalize("NFKD", ch)
            base = decomposed[0] if decomposed else ch
            low = base.lower()
            out = low if len(low) == 1 else (ch.lower() if len(ch.lower()) == 1 else ch)
        self[code] = out
        return out


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Fold ``text`` for matching, keeping its length (offsets stay valid).

    >>> fold("Hövsgöl – Côte d’Ivoire")
    "hovsgol - cote d'ivoire"
    """
    return text.translate(_FOLD)


_CAMEL_RE = re.compile(r"(?<=[a-z\u00df-\u00ff])(?=[A-Z\u00c0-\u00de])|"
                       # a compass abbreviation glued to a name: "SETajikistan", "NWIndia"
                       r"(?<=\b[NSEW])(?=[A-Z][a-z]{2})|(?<=\b[NS][EW])(?=[A-Z][a-z]{2})")


def _tokenize(text: str, folded: str | None = None) -> list[tuple[int, int, str]]:
    """Words of ``text`` as (start, end, folded word), also split where a lower-case
    letter meets an upper-case one: scraped "RangeChina" is "Range China" (names
    written that way, "KwaZulu-Natal", are split the same way in the index)."""
    folded = fold(text) if folded is None else folded
    cuts = {m.start() for m in _CAMEL_RE.finditer(text)}
    out: list[tuple[int, int, str]] = []
    for m in _TOKEN_RE.finditer(folded):
        a, b = m.span()
        inner = sorted(c for c in cuts if a < c < b) if cuts else []
        for x, y in zip([a, *inner], [*inner, b], strict=True):
            out.append((x, y, folded[x:y]))
    return out


def _key(name: str) -> tuple[str, ...]:
    """Token key of a name: folded words, '&' as 'and', without a leading 'the'."""
    toks = ["and" if t[2] == "&" else t[2] for t in _tokenize(name)]
    if len(toks) > 1 and toks[0] == "the":
        toks = toks[1:]
    return tuple(toks)


@dataclass(frozen=True)
class AliasRow:
    """One row of ``aliases.csv``.

    Attributes
    ----------
    alias : str
        The alternative name as written in texts.
    kind : {"country", "admin1", "region"}
        What it denotes.
    iso3 : str
        Country of the target.
    admin1_name : str or None
        Boundary admin-1 name (``None`` or ``""`` = whole country).
    source : str
        Where the alias comes from.
    """

    alias: str
    kind: str
    iso3: str
    admin1_name: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Mention:
    """A place name found in a text.

    Attributes
    ----------
    start, end : int
        Character offsets; ``text[start:end] == surface``.
    surface : str
        The name as written.
    kind : {"country", "admin1", "region"}
        What it denotes.
    targets : tuple of (iso3, admin1_name or None)
        The units denoted (``None`` = whole country).
    name : str
        Canonical name: country name, boundary admin-1 name or region name.
    alternatives : tuple of str
        Other meanings of the name that context ruled out, as
        ``"<kind> <name> (<ISO3>, ...)"`` (rule 5).
    match : {"exact", "fuzzy", "far", "elsewhere"}
        How the name was matched (rules 7, 8 and 12).
    """

    start: int
    end: int
    surface: str
    kind: str
    targets: tuple[tuple[str, str | None], ...]
    name: str = ""
    alternatives: tuple[str, ...] = ()
    match: str = "exact"

    @property
    def countries(self) -> tuple[str, ...]:
        """Distinct ISO3 codes of the targets, in order."""
        return tuple(dict.fromkeys(t[0] for t in self.targets))


@dataclass(frozen=True)
class RegionDef:
    """A named region of ``regions.csv`` and how its polygon is made.

    Attributes
    ----------
    name : str
        Canonical name ("Himalaya").
    spellings : tuple of str
        Names matched in texts ("Himalaya", "Himalayas").
    countries : tuple of str
        ISO3 codes it implies, in order along the region (used for spans
        "from X to Y").
    members : tuple of (iso3, admin1_name or None, bbox or None)
        The countries or admin-1 units it is made of, each optionally cut by
        its own box ``(minx, miny, maxx, maxy)``.
    bbox : tuple of float or None
        Box the union of the members is cut by.
    min_elev_m : float or None
        Land below this elevation (pvlib 5-arc-minute DEM) is left out.
    source : str
        Where the definition comes from.
    """

    name: str
    spellings: tuple[str, ...]
    countries: tuple[str, ...]
    members: tuple[tuple[str, str | None, tuple[float, float, float, float] | None], ...]
    bbox: tuple[float, float, float, float] | None = None
    min_elev_m: float | None = None
    source: str = ""

    @property
    def method(self) -> str:
        """How the polygon is made, in words (reported in ``regions`` records)."""
        parts = []
        for iso3, a1, box in self.members:
            m = f"{iso3}/{a1}" if a1 else iso3
            if box:
                m += " within " + _fmt_box(box)
            parts.append(m)
        out = "union of " + ", ".join(parts)
        if self.bbox:
            out += "; cut by the box " + _fmt_box(self.bbox)
        if self.min_elev_m is not None:
            out += f"; land at or above {self.min_elev_m:g} m (pvlib 5-arc-minute DEM)"
        return out + f"; source: {self.source}" if self.source else out


def _fmt_box(box: tuple[float, float, float, float]) -> str:
    return f"lon {box[0]:g}..{box[2]:g}, lat {box[1]:g}..{box[3]:g}"


@dataclass
class _Entry:
    kind: str
    name: str
    targets: tuple[tuple[str, str | None], ...]
    needs_capital: bool
    explicit: bool = False
    alternate: bool = False  # an admin-1 unit's alternate name from the boundary layer

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(t[0] for t in self.targets)


@dataclass
class _Index:
    by_key: dict[tuple[str, ...], list[_Entry]] = field(default_factory=dict)
    max_len: int = 1

    def add(self, key: tuple[str, ...], entry: _Entry) -> None:
        if not key:
            return
        entries = self.by_key.setdefault(key, [])
        for e in entries:
            if e.kind == entry.kind and e.targets == entry.targets:
                e.needs_capital = e.needs_capital and entry.needs_capital
                return
        entries.append(entry)
        self.max_len = max(self.max_len, len(key))


def _shadow_alternates(idx: _Index) -> None:
    """Rule 10: a unit's own name shadows other units' alternate names in its country.

    Natural Earth lists "New South Wales" as an alternate name of Lord Howe Island,
    "Napo" of Tungurahua, "Valencia" of Alicante: such a name denotes the unit that
    bears it, never the units that merely list it (other countries' meanings stay,
    for rule 5).
    """
    for key, entries in idx.by_key.items():
        owners = {e.targets[0][0] for e in entries if e.kind == "admin1" and not e.alternate}
        if owners and any(e.alternate and e.targets[0][0] in owners for e in entries):
            idx.by_key[key] = [e for e in entries if not (
                e.alternate and e.targets[0][0] in owners)]


class Gazetteer:
    """Names of countries, admin-1 units and regions, with a text matcher.

    Parameters
    ----------
    countries : sequence of (iso3, name)
        Countries (admin-0 units).
    admin1 : sequence of (iso3, admin1_name, aliases)
        Admin-1 units with their boundary name and alternative names.
    aliases : sequence of AliasRow, optional
        Extra names (``aliases.csv``).
    regions : sequence of RegionDef, optional
        Regions with polygons (``regions.csv``).
    shapes : dict, optional
        ISO3 -> simplified country polygon (shapely), for rule 8.

    Examples
    --------
    >>> gaz = Gazetteer([("IND", "India"), ("PAK", "Pakistan")],
    ...                 [("IND", "Punjab", []), ("PAK", "Punjab", [])])
    >>> [m.targets for m in gaz.find_mentions("Punjab, Pakistan")]
    [(('PAK', 'Punjab'),), (('PAK', None),)]
    """

    def __init__(
        self,
        countries: Sequence[tuple[str, str]],
        admin1: Sequence[tuple[str, str, Sequence[str]]],
        aliases: Sequence[AliasRow] = (),
        regions: Sequence[RegionDef] = (),
        shapes: dict[str, Any] | None = None,
    ) -> None:
        self._shapes: dict[str, Any] = dict(shapes or {})
        self._dist: dict[tuple[str, str], float] = {}
        self._countries: dict[str, str] = {}
        self._admin1: dict[str, dict[str, str]] = {}  # iso3 -> folded name -> boundary name
        self._admin1_alias: dict[str, dict[str, str]] = {}  # iso3 -> folded alias -> name
        self._regions: dict[str, list[tuple[str, str | None]]] = {}
        self._country_alias: dict[str, list[str]] = {}
        self._region_defs: dict[str, RegionDef] = {}
        idx = _Index()
        for iso3, name in countries:
            if not iso3 or not name:
                continue
            self._countries[iso3] = name
            key = _key(name)
            idx.add(key, _Entry("country", name, ((iso3, None),), _needs_cap(key, country=True)))
        for iso3, a1, alts in admin1:
            if not iso3 or not a1:
                continue
            self._admin1.setdefault(iso3, {})[fold(a1)] = a1
            for nm in [a1, *alts]:
                if not nm:
                    continue
                self._admin1_alias.setdefault(iso3, {})[fold(nm)] = a1
                key = _key(nm)
                if _generic(key) or (nm is not a1 and len(key) == 1 and len(key[0]) <= 2):
                    continue  # a one- or two-letter alternate name ("Lu") is never matched
                if len(key) == 1 and key[0] in COMMON_WORD_ADMIN1 \
                        and fold(nm).startswith("the "):
                    key = ("the", *key)  # "The Snares" needs its article
                idx.add(key, _Entry("admin1", a1, ((iso3, a1),), True,
                                    alternate=_key(a1) != key))
        _shadow_alternates(idx)
        grouped: dict[tuple[str, str], list[AliasRow]] = {}
        for row in aliases:
            grouped.setdefault((row.kind, fold(row.alias)), []).append(row)
        for (kind, _), rows in grouped.items():
            alias = rows[0].alias
            key = _key(alias)
            if kind == "country":
                targets = tuple(dict.fromkeys((r.iso3, None) for r in rows))
                self._country_alias[fold(alias)] = [t[0] for t in targets]
                name = self._countries.get(targets[0][0], alias) if len(targets) == 1 else alias
                idx.add(key, _Entry("country", name, targets, _needs_cap(key, True), True))
            elif kind == "region":
                targets = tuple(dict.fromkeys((r.iso3, r.admin1_name or None) for r in rows))
                self._regions[alias] = list(targets)
                idx.add(key, _Entry("region", alias, targets, _needs_cap(key, False), True))
            elif kind == "admin1":
                for r in rows:
                    if not r.admin1_name:
                        continue
                    self._admin1_alias.setdefault(r.iso3, {})[fold(alias)] = r.admin1_name
                    idx.add(key, _Entry("admin1", r.admin1_name, ((r.iso3, r.admin1_name),),
                                        True, True))
        for rd in regions:
            targets = tuple((c, None) for c in rd.countries)
            self._regions[rd.name] = list(targets)
            self._region_defs[fold(rd.name)] = rd
            for sp in dict.fromkeys((rd.name, *rd.spellings)):
                self._region_defs[fold(sp)] = rd
                idx.add(_key(sp), _Entry("region", rd.name, targets, True, True))
        self._index = idx
        self._first_tokens = {k[0] for k in idx.by_key}
        # one-word names for bounded fuzzy matching (rule 7)
        self._fuzzy: dict[str, list[_Entry]] = {}
        for key, entries in idx.by_key.items():
            if len(key) == 1 and len(key[0]) >= FUZZY_MIN_LEN and key[0].isalpha():
                keep = [e for e in entries if e.kind in ("country", "region")]
                if keep:
                    self._fuzzy[key[0]] = keep

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, boundaries: str | Path, aliases: str | Path | None = None) -> Gazetteer:
        """Read names from a boundaries GeoPackage (and an aliases CSV).

        Parameters
        ----------
        boundaries : path
            GeoPackage with layers ``admin0`` (iso3, name) and ``admin1``
            (iso3, admin1_name, aliases).
        aliases : path, optional
            ``aliases.csv``; defaults to ``aliases.csv`` beside ``boundaries``
            when that file exists.

        Raises
        ------
        DataError
            If a file is missing, unreadable or lacks the expected fields.
        """
        import pyogrio  # I/O edge: imported lazily

        bpath = Path(boundaries)
        hint = "pass --boundaries with a GeoPackage that has layers admin0 and admin1"
        if not bpath.is_file():
            raise DataError(f"{bpath}: boundaries file not found; {hint}")
        try:
            a0 = pyogrio.read_dataframe(bpath, layer="admin0")
            a1 = pyogrio.read_dataframe(bpath, layer="admin1", read_geometry=False)
        except Exception as exc:  # noqa: BLE001 - any driver error is a data error
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(f"{bpath}: cannot read boundaries ({msg}); {hint}") from None
        for layer, df, cols in (("admin0", a0, ("iso3", "name")),
                                ("admin1", a1, ("iso3", "admin1_name"))):
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise DataError(
                    f"{bpath}: layer {layer} lacks field(s) {', '.join(missing)}; {hint}"
                )
        countries = [(_s(i), _s(n)) for i, n in zip(a0["iso3"], a0["name"], strict=True)]
        alias_col = a1["aliases"] if "aliases" in a1.columns else [""] * len(a1)
        admin1 = [
            (_s(i), _s(n), [x.strip() for x in _s(al).split("|") if x.strip()])
            for i, n, al in zip(a1["iso3"], a1["admin1_name"], alias_col, strict=True)
        ]
        if aliases is None:
            beside = bpath.with_name("aliases.csv")
            apath = beside if beside.is_file() else None
        else:
            apath = Path(aliases)
        rows = read_aliases(apath) if apath is not None else []
        rpath = bpath.with_name("regions.csv")
        known = {c for c, _ in countries}
        pairs = {(i, a) for i, a, _ in admin1}
        regions = []
        if rpath.is_file():
            for rd in read_regions(rpath):
                # a normalized copy of other boundaries may lack some member units
                members = tuple(m for m in rd.members if m[0] in known
                                and (m[1] is None or (m[0], m[1]) in pairs))
                if members:
                    regions.append(RegionDef(
                        rd.name, rd.spellings, tuple(c for c in rd.countries if c in known),
                        members, rd.bbox, rd.min_elev_m, rd.source))
        taken = {fold(n) for _, n in countries} | {fold(r.alias) for r in rows}
        taken |= {fold(a) for _, a, alts in admin1 for a in (a, *alts)}
        taken |= {fold(sp) for rd in regions for sp in (rd.name, *rd.spellings)}
        rows += [r for r in iso_country_aliases(sorted(known)) if fold(r.alias) not in taken]
        import shapely

        simple = shapely.simplify(a0.geometry.values, 0.25)
        shapes = {_s(i): _main_part(g) for i, g in zip(a0["iso3"], simple, strict=True)
                  if g is not None and not g.is_empty}
        return cls(countries, admin1, rows, regions, shapes)

    # ------------------------------------------------------------------ lookups
    @property
    def iso3s(self) -> list[str]:
        """All country codes, sorted."""
        return sorted(self._countries)

    def country_name(self, iso3: str) -> str | None:
        """Name of the country ``iso3`` (``None`` if unknown)."""
        return self._countries.get(iso3)

    def admin1_names(self, iso3: str) -> list[str]:
        """Boundary admin-1 names of a country, sorted."""
        return sorted(self._admin1.get(iso3, {}).values())

    def boundary_admin1(self, iso3: str, name: str) -> str | None:
        """Boundary admin-1 name for ``name`` (a boundary name or alias) in ``iso3``; a
        unit's own name wins over another unit's alternate name (rule 10)."""
        key = fold(name.strip())
        return self._admin1.get(iso3, {}).get(key) or self._admin1_alias.get(iso3, {}).get(key)

    def has_admin1(self, iso3: str, name: str) -> bool:
        """Whether ``name`` (boundary name or alias, any case) is an admin-1 unit of ``iso3``."""
        return self.boundary_admin1(iso3, name) is not None

    def suggest_admin1(self, iso3: str, name: str, n: int = 3) -> list[str]:
        """Close boundary admin-1 names for a misspelt ``name`` (for error messages)."""
        table = self._admin1_alias.get(iso3, {})
        close = difflib.get_close_matches(fold(name.strip()), list(table), n=n * 2, cutoff=0.6)
        return list(dict.fromkeys(table[c] for c in close))[:n]

    def region_def(self, name: str) -> RegionDef | None:
        """The :class:`RegionDef` of a region name or spelling (``None`` if it has none)."""
        return self._region_defs.get(fold(name.strip()))

    @property
    def region_defs(self) -> list[RegionDef]:
        """All regions with polygon definitions, by name."""
        return sorted({id(r): r for r in self._region_defs.values()}.values(),
                      key=lambda r: r.name)

    def region_units(self, name: str) -> list[tuple[str, str | None]]:
        """Units of a region (case-insensitive), ``[]`` if unknown.

        For a region of ``regions.csv`` these are its countries (whole-country
        targets; its polygon says which part of them).
        """
        rd = self.region_def(name)
        if rd is not None:
            return [(c, None) for c in rd.countries]
        f = fold(name.strip())
        for k, v in self._regions.items():
            if fold(k) == f:
                return list(v)
        return []

    def resolve_countries(self, text: str) -> list[str]:
        """All ISO3 codes ``text`` may denote: an ISO3 code, a country name or an alias."""
        t = text.strip()
        if t.upper() in self._countries:
            return [t.upper()]
        f = fold(t)
        hits = [iso for iso, nm in self._countries.items() if fold(nm) == f]
        if hits:
            return hits
        if f in self._country_alias:
            return list(self._country_alias[f])
        key = _key(t)
        for e in self._index.by_key.get(key, []):
            if e.kind == "country":
                return sorted(e.countries)
        return []

    def resolve_country(self, text: str) -> str | None:
        """The ISO3 code ``text`` denotes, or ``None`` if unknown or ambiguous ("Korea")."""
        hits = self.resolve_countries(text)
        return hits[0] if len(hits) == 1 else None

    # ------------------------------------------------------------------ matching
    def find_mentions(
        self, text: str, sentences: Sequence[tuple[int, int]] | None = None
    ) -> list[Mention]:
        """Find the place names in ``text`` (see the module rules).

        Parameters
        ----------
        text : str
            Any text.
        sentences : sequence of (start, end), optional
            Sentence spans used to resolve ambiguous names; by default the
            text is split at ``.``, ``!``, ``?`` and line breaks.

        Returns
        -------
        list of Mention
            In text order, non-overlapping.
        """
        raw = self._scan(text)
        raw += self._fuzzy_scan(text, raw)
        raw += self._adjective_scan(text, raw)
        raw += _abbreviation_list_scan(text, raw)
        if not raw:
            return []
        raw.sort(key=lambda r: r[0])
        # rule 14: the country whose bracket holds a name, or closes its list
        local = _bracket_countries(text, raw)
        spans = list(sentences) if sentences is not None else _simple_sentences(text)
        starts = [s for s, _ in spans]

        def sent_of(pos: int) -> int:
            return bisect.bisect_right(starts, pos) - 1

        doc_countries: set[str] = set()
        named0: set[str] = set()  # countries named as countries or by a region
        sent_countries: dict[int, set[str]] = {}
        sent_named: dict[int, set[str]] = {}  # named as a country or an admin-1 unit
        for start, _end, entries, _how in raw:
            if len(entries) == 1 and entries[0].kind in ("country", "admin1", "region"):
                cs = entries[0].countries
                doc_countries |= cs
                sent_countries.setdefault(sent_of(start), set()).update(cs)
                if entries[0].kind != "region":
                    sent_named.setdefault(sent_of(start), set()).update(cs)
                if entries[0].kind != "admin1":
                    named0 |= cs
        out: list[Mention] = []
        outside: set[int] = set()  # admin-1 names inside another country's bracket
        for start, end, entries, how in raw:
            chosen = entries
            if start in local:
                owner, inside = local[start]
                chosen = _in_bracket_meanings(entries, owner)
                if not chosen:
                    chosen = entries
                    if inside and len(entries) == 1 and entries[0].kind == "admin1":
                        outside.add(start)
            if len(chosen) > 1:
                entries_all = entries
                entries = chosen
                here = sent_countries.get(sent_of(start), set())
                named_here = sent_named.get(sent_of(start), set())

                # a country or unit named in the sentence beats one a region there spans
                # ("the Bolivian Andes ... Cochabamba and Santa Cruz": Bolivia's)
                def score(e: _Entry, here: set[str] = here,
                          named_here: set[str] = named_here) -> float:
                    if e.countries & named_here:
                        return 2.5
                    if e.countries & here:
                        return 2
                    if e.countries & doc_countries:
                        return 1
                    return 0.5 if any(self._near(c, named0) for c in e.countries) else 0

                best = max(score(e) for e in entries)
                chosen = [e for e in entries if score(e) == best]
                top = min(_KIND_RANK[e.kind] for e in chosen)
                chosen = [e for e in chosen if _KIND_RANK[e.kind] == top]
                ncountries = len(set().union(*(e.countries for e in chosen)))
                if len(chosen) > 1 and (ncountries > MAX_AMBIGUOUS_COUNTRIES
                                        or chosen[0].kind == "region"):
                    continue  # too ambiguous; two regions are never merged into one
                entries = entries_all
            targets = tuple(dict.fromkeys(t for e in chosen for t in e.targets))
            names = list(dict.fromkeys(e.name for e in chosen))
            alts = tuple(dict.fromkeys(
                f"{e.kind} {e.name} ({', '.join(sorted(e.countries))})"
                for e in entries if e not in chosen))
            out.append(Mention(start, end, text[start:end], chosen[0].kind, targets,
                               " / ".join(names), alts, how))
        # rule 8, after resolution: the countries named as countries or through regions
        resolved = {c for m in out if m.kind in ("country", "region") for c in m.countries}
        for k, m in enumerate(out):
            if m.kind == "admin1" and m.match == "exact" and resolved \
                    and len(m.countries) == 1 and m.countries[0] not in resolved \
                    and not self._near(m.countries[0], resolved):
                out[k] = Mention(m.start, m.end, m.surface, m.kind, m.targets, m.name,
                                 m.alternatives, "far")  # probably another place of this name
        # rule 14: an admin-1 name inside another country's bracket ("Ethiopia (Tigray S
        # to Bale)": Burkina Faso's Balé is not meant) is another place of that name
        for k, m in enumerate(out):
            if m.start in outside and m.match == "exact":
                out[k] = Mention(m.start, m.end, m.surface, m.kind, m.targets, m.name,
                                 m.alternatives, "elsewhere")
        # rule 12: an admin-1 name followed by another country ("Santiago Province, Chile"
        # is not the Dominican province) is a place of that name in that country
        countries_at = {m.start: m for m in out if m.kind == "country"}
        named_countries = {c for m in out if m.kind == "country" for c in m.countries}
        for k, m in enumerate(out):
            if m.kind != "admin1" or m.match != "exact" or set(m.countries) & named_countries:
                continue  # "Ladakh (Pakistan)" in a text naming India stays Indian
            tail = _APPOSED_COUNTRY_RE.match(text, m.end)
            c = countries_at.get(tail.end()) if tail else None
            if c is not None and not set(c.countries) & set(m.countries):
                out[k] = Mention(m.start, m.end, m.surface, m.kind, m.targets, m.name,
                                 m.alternatives, "elsewhere")
        # a region written with a capitalised compass word ("Southern Alps" in a text about
        # New Zealand) none of whose countries is near a country the text names is
        # another range of that name
        named = {c for m in out if m.kind == "country" for c in m.countries}
        for k, m in enumerate(out):
            if m.kind == "region" and m.match == "exact" and named \
                    and _CAP_COMPASS_BEFORE_RE.search(text, max(0, m.start - 12), m.start) \
                    and not any(self._near(c, named) for c in m.countries):
                out[k] = Mention(m.start, m.end, m.surface, m.kind, m.targets, m.name,
                                 m.alternatives, "far")
        return out

    def region_end_near(self, rd: RegionDef, iso3: str) -> str | None:
        """The end country of ``rd`` (first or last) nearer to ``iso3``, by centroids.

        ``None`` if ``iso3`` has no shape or both ends are farther than
        :data:`NEAR_DEG` degrees or equally far.
        """
        shapes = self._shapes
        ends = [c for c in dict.fromkeys((rd.countries[0], rd.countries[-1])) if c in shapes]
        if iso3 not in shapes or not ends:
            return None
        here = shapes[iso3].centroid
        dists = sorted((float(here.distance(shapes[c].centroid)), c) for c in ends)
        if dists[0][0] > NEAR_DEG or (len(dists) > 1 and dists[0][0] == dists[1][0]):
            return None
        return dists[0][1]

    def _near(self, iso3: str, others: set[str]) -> bool:
        """Whether country ``iso3`` lies within :data:`NEAR_DEG` of one of ``others``.

        True when no shapes are known (no distance test without geometry).
        """
        shapes = self._shapes
        if iso3 not in shapes:
            return True
        for o in others:
            if o == iso3:
                return True
            if o not in shapes:
                continue
            key = (iso3, o) if iso3 < o else (o, iso3)
            d = self._dist.get(key)
            if d is None:
                d = self._dist[key] = float(shapes[iso3].distance(shapes[o]))
            if d <= NEAR_DEG:
                return True
        return False

    def _scan(self, text: str) -> list[tuple[int, int, list[_Entry], str]]:
        folded = fold(text)
        toks = _tokenize(text, folded)
        words = ["and" if t[2] == "&" else t[2] for t in toks]
        n = len(toks)
        by_key = self._index.by_key
        out: list[tuple[int, int, list[_Entry], str]] = []
        i = 0
        while i < n:
            if i + 1 < n and _BROKEN_GAP_RE.match(folded[toks[i][1]:toks[i + 1][0]]) \
                    and text[toks[i][0]].isupper() and text[toks[i + 1][0]].islower():
                # a name broken by a hyphen whose line break became a space (PDF text):
                # "Paki- stan" (not "Sichuan- Yunnan", not "north- and south-facing")
                joined = by_key.get((words[i] + words[i + 1],), [])
                if joined and (words[i] + words[i + 1]) not in _FUZZY_STOP:
                    out.append((toks[i][0], toks[i + 1][1], joined, "exact"))
                    i += 2
                    continue
            if words[i] not in self._first_tokens:
                i += 1
                continue
            matched = False
            for length in range(min(self._index.max_len, n - i), 0, -1):
                entries = by_key.get(tuple(words[i:i + length]))
                if not entries:
                    continue
                if length > 1 and not all(
                    _GAP_OK_RE.match(folded[toks[j][1]:toks[j + 1][0]])
                    for j in range(i, i + length - 1)
                ):
                    continue
                start, end = toks[i][0], toks[i + length - 1][1]
                if (start > 0 and folded[start - 1].isalnum()
                        and not (i > 0 and toks[i - 1][1] == start)) or (
                    end < len(folded) and folded[end].isalnum()
                        and not (i + length < n and toks[i + length][0] == end)
                ):
                    continue
                capital = text[start].isupper()
                ok = [e for e in entries if capital or not e.needs_capital]
                if length == 1 and words[i] in COMMON_WORD_ADMIN1 and _sentence_initial(
                        text, start):
                    # rule 11: "Male differs from ..." is no Malé
                    ok = [e for e in ok if e.kind != "admin1" or e.explicit]
                if not ok:
                    continue
                i += length
                matched = True
                if not _in_feature_name(text, folded, toks, words, i - length, i):
                    out.append((start, end, ok, "exact"))
                break
            if not matched:
                i += 1
        return out

    def _fuzzy_scan(self, text: str, exact: Sequence[tuple[int, int, list[_Entry], str]]
                    ) -> list[tuple[int, int, list[_Entry], str]]:
        """Misspelt one-word names (rule 7), outside the exact matches.

        Linear in the length of the text: the exact matches are walked once
        with a pointer (they come in text order), each distinct word is
        scored once, and a word is compared only with the names that could
        pass rule 7 at all (same first letter, length within one letter), so
        the work per word is bounded by the size of that bucket, never by
        the text.
        """
        from rapidfuzz import fuzz, process

        scorer = _SCORER or fuzz.ratio
        doc_countries = {c for _, _, es, _ in exact if len(es) == 1
                         and es[0].kind == "country" for c in es[0].countries}
        choices: dict[str, list[_Entry]] = dict(self._fuzzy)
        for iso3 in sorted(doc_countries):
            for f, a1 in self._admin1.get(iso3, {}).items():
                if len(f) >= FUZZY_MIN_LEN and f.isalpha():
                    choices.setdefault(f, []).append(
                        _Entry("admin1", a1, ((iso3, a1),), True))
        if not choices:
            return []
        buckets: dict[tuple[str, int], list[str]] = {}
        for name in choices:
            buckets.setdefault((name[0], len(name)), []).append(name)
        covered = sorted((a, b) for a, b, _, _ in exact)
        ci = 0
        best_of: dict[str, str | None] = {}  # each distinct word is scored once
        out: list[tuple[int, int, list[_Entry], str]] = []
        folded: str | None = None
        toks: list[tuple[int, int, str]] = []
        words: list[str] = []
        tok_at: dict[int, int] = {}
        for m in _FUZZY_WORD_RE.finditer(text):
            start, end = m.span()
            while ci < len(covered) and covered[ci][1] <= start:
                ci += 1  # words come in text order: matches ending before it never return
            if ci < len(covered) and covered[ci][0] < end:
                continue
            word = fold(m.group())
            if word in _FUZZY_STOP or word in choices or not word.isalpha():
                continue
            if word not in best_of:
                # rule 7's bounds (first letter, length) choose the candidates; a best
                # name that is a prefix of the word ("Himalayan") or vice versa rejects it
                cands = [n for k in (len(word) - 1, len(word), len(word) + 1)
                         for n in buckets.get((word[0], k), ())]
                best = process.extractOne(word, cands, scorer=scorer,
                                          score_cutoff=FUZZY_MIN_RATIO) if cands else None
                best_of[word] = None if best is None or best[0].startswith(word) \
                    or word.startswith(best[0]) else best[0]
            name = best_of[word]
            if name is None:
                continue
            if folded is None:
                folded = fold(text)
                toks = _tokenize(text, folded)
                words = [t[2] for t in toks]
                tok_at = {t[0]: k for k, t in enumerate(toks)}
            idx = tok_at.get(start)
            if idx is not None and _in_feature_name(text, folded, toks, words, idx, idx + 1):
                continue
            out.append((start, end, choices[name], "fuzzy"))
        return out


    def _adjective_scan(self, text: str, found: Sequence[tuple[int, int, list[_Entry], str]]
                        ) -> list[tuple[int, int, list[_Entry], str]]:
        """Country adjectives written before a region (rule 9): "Swiss, Italian, and
        French Alps", "French Pyrenees", "Chinese Tien Shan" name those countries."""
        out: list[tuple[int, int, list[_Entry], str]] = []
        for start, _end, entries, _how in found:
            if not any(e.kind == "region" for e in entries):
                continue
            m = _ADJ_LIST_BEFORE_RE.search(text, max(0, start - 120), start)
            if m is None:
                continue
            for a in _ADJ_RE.finditer(text, m.start(), m.end()):
                iso3 = COUNTRY_ADJECTIVES.get(a.group())
                if iso3 and iso3 in self._countries:
                    out.append((a.start(), a.end(), [_Entry(
                        "country", self._countries[iso3], ((iso3, None),), True)], "exact"))
        return out


#: Country adjectives (English), for rule 9 only: a region qualified by them ("French
#: Pyrenees") is that country's part. Source: Wikipedia, "List of adjectival and
#: demonymic forms for countries and nations" (adjectival forms of sovereign states;
#: ambiguous ones such as "Congolese", "Guinean" and "Korean" left out).
COUNTRY_ADJECTIVES: dict[str, str] = {
    "Afghan": "AFG", "Albanian": "ALB", "Algerian": "DZA", "Andorran": "AND",
    "Angolan": "AGO", "Argentine": "ARG", "Argentinian": "ARG", "Armenian": "ARM",
    "Australian": "AUS", "Austrian": "AUT", "Azerbaijani": "AZE", "Bangladeshi": "BGD",
    "Belarusian": "BLR", "Belgian": "BEL", "Bhutanese": "BTN", "Bolivian": "BOL",
    "Bosnian": "BIH", "Brazilian": "BRA", "Bulgarian": "BGR", "Burmese": "MMR",
    "Cambodian": "KHM", "Cameroonian": "CMR", "Canadian": "CAN", "Chilean": "CHL",
    "Chinese": "CHN", "Colombian": "COL", "Croatian": "HRV", "Cuban": "CUB",
    "Czech": "CZE", "Danish": "DNK", "Dutch": "NLD", "Ecuadorian": "ECU",
    "Egyptian": "EGY", "Eritrean": "ERI", "Estonian": "EST", "Ethiopian": "ETH",
    "Finnish": "FIN", "French": "FRA", "Georgian": "GEO", "German": "DEU",
    "Ghanaian": "GHA", "Greek": "GRC", "Guatemalan": "GTM", "Honduran": "HND",
    "Hungarian": "HUN", "Icelandic": "ISL", "Indian": "IND", "Indonesian": "IDN",
    "Iranian": "IRN", "Iraqi": "IRQ", "Irish": "IRL", "Israeli": "ISR",
    "Italian": "ITA", "Japanese": "JPN", "Jordanian": "JOR", "Kazakh": "KAZ",
    "Kazakhstani": "KAZ", "Kenyan": "KEN", "Kyrgyz": "KGZ", "Laotian": "LAO",
    "Latvian": "LVA", "Lebanese": "LBN", "Lithuanian": "LTU", "Malagasy": "MDG",
    "Malawian": "MWI", "Malaysian": "MYS", "Mexican": "MEX", "Moldovan": "MDA",
    "Mongolian": "MNG", "Montenegrin": "MNE", "Moroccan": "MAR", "Mozambican": "MOZ",
    "Namibian": "NAM", "Nepalese": "NPL", "Nepali": "NPL", "Nicaraguan": "NIC",
    "Nigerian": "NGA", "Norwegian": "NOR", "Omani": "OMN", "Pakistani": "PAK",
    "Panamanian": "PAN", "Paraguayan": "PRY", "Peruvian": "PER", "Philippine": "PHL",
    "Polish": "POL", "Portuguese": "PRT", "Romanian": "ROU", "Russian": "RUS",
    "Rwandan": "RWA", "Saudi": "SAU", "Serbian": "SRB", "Slovak": "SVK",
    "Slovenian": "SVN", "Somali": "SOM", "Spanish": "ESP", "Sri Lankan": "LKA",
    "Sudanese": "SDN", "Swedish": "SWE", "Swiss": "CHE", "Syrian": "SYR",
    "Taiwanese": "TWN", "Tajik": "TJK", "Tanzanian": "TZA", "Thai": "THA",
    "Tunisian": "TUN", "Turkish": "TUR", "Turkmen": "TKM",
    "Ugandan": "UGA", "Ukrainian": "UKR", "Uruguayan": "URY", "Uzbek": "UZB",
    "Venezuelan": "VEN", "Vietnamese": "VNM", "Yemeni": "YEM", "Zambian": "ZMB",
    "Zimbabwean": "ZWE",
}
_ADJ_ALT = "|".join(sorted((re.escape(a) for a in COUNTRY_ADJECTIVES), key=len, reverse=True))
_ADJ_RE = re.compile(rf"\b(?:{_ADJ_ALT})\b")
#: One or more country adjectives ending right before a region: "Swiss, Italian, and
#: French " / "French " / "Chinese and Mongolian ".
_ADJ_LIST_BEFORE_RE = re.compile(
    rf"\b(?:{_ADJ_ALT})(?:\s*,\s*(?:(?:and|&)\s+)?(?:{_ADJ_ALT})|\s+(?:and|&)\s+(?:{_ADJ_ALT}))*"
    r"\s+(?:the\s+)?$")

#: Flora of North America's state and province abbreviations that are also words, initials
#: or other names ("Mont.", "Ga.", "La.", "Ind.", "B.C.", "N.C."): rule 15, only as items of
#: a list of abbreviations. Abbreviation (dots and spaces removed) -> (ISO3, admin-1 name).
LIST_ONLY_ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "BC": ("CAN", "British Columbia"), "Que": ("CAN", "Québec"), "Man": ("CAN", "Manitoba"),
    "NB": ("CAN", "New Brunswick"), "NS": ("CAN", "Nova Scotia"),
    "Mont": ("USA", "Montana"), "Ga": ("USA", "Georgia"), "La": ("USA", "Louisiana"),
    "Ind": ("USA", "Indiana"), "Ill": ("USA", "Illinois"), "Mass": ("USA", "Massachusetts"),
    "Miss": ("USA", "Mississippi"), "Mo": ("USA", "Missouri"), "Md": ("USA", "Maryland"),
    "Ky": ("USA", "Kentucky"), "Va": ("USA", "Virginia"), "Vt": ("USA", "Vermont"),
    "Pa": ("USA", "Pennsylvania"), "Del": ("USA", "Delaware"), "Wis": ("USA", "Wisconsin"),
    "Ala": ("USA", "Alabama"), "Ark": ("USA", "Arkansas"), "NY": ("USA", "New York"),
    "NJ": ("USA", "New Jersey"), "NH": ("USA", "New Hampshire"), "RI": ("USA", "Rhode Island"),
    "SC": ("USA", "South Carolina"), "NC": ("USA", "North Carolina"),
}
_LIST_ABBR_RE = re.compile(
    r"(?<![\w.])(B\.\s?C|N\.\s?[BSYJHC]|R\.\s?I|S\.\s?C|Que|Man|Mont|Ga|La|Ind|Ill|"
    r"Mass|Miss|Mo|Md|Ky|Va|Vt|Pa|Del|Wis|Ala|Ark)\.(?=[ \t]*(?:[,;.)\]]|$))", re.M)
_LIST_SEP_BEFORE_RE = re.compile(r"[ \t]*[,;][ \t]*(?:and[ \t]+)?$")
_LIST_SEP_AFTER_RE = re.compile(r"\.?[ \t]*[,;][ \t]*(?:and[ \t]+)?")


def _abbreviation_list_scan(text: str, raw: Sequence[tuple[int, int, list[_Entry], str]]
                            ) -> list[tuple[int, int, list[_Entry], str]]:
    """Rule 15: Flora of North America's abbreviations that are also words or initials
    ("Mont.", "Ga.", "B.C.": :data:`LIST_ONLY_ABBREVIATIONS`) name their state or
    province only as items of a list, next (across ", " or "; ") to a US or Canadian
    unit ("Idaho, Mont., Nev."; "Alta., B.C.; Ariz.") or to another such item that is
    ("Fla., Ga., S.C."), with the abbreviation's period written."""
    hits = [m for m in _LIST_ABBR_RE.finditer(text)]
    if not hits:
        return []
    taken = [(r[0], r[1]) for r in raw]
    hits = [m for m in hits if not any(a < m.end(1) and m.start() < b for a, b in taken)]
    anchors = {}  # start and end positions of US and Canadian units
    for start, end, entries, _how in raw:
        if entries and all(e.kind == "admin1" and e.countries <= {"USA", "CAN"}
                           for e in entries):
            anchors[start] = anchors[end] = True
    accepted: dict[int, re.Match[str]] = {}
    changed = True
    while changed:
        changed = False
        for m in hits:
            if m.start() in accepted:
                continue
            before = _LIST_SEP_BEFORE_RE.search(text, max(0, m.start() - 12), m.start())
            after = _LIST_SEP_AFTER_RE.match(text, m.end(1))
            ends = set()
            if before:
                left = text[:before.start()]
                ends.add(len(left.rstrip(".")))
            starts = {after.end()} if after else set()
            near = any(p in anchors for p in ends | starts) or any(
                a.end(1) in ends or a.start() in starts for a in accepted.values())
            if near:
                accepted[m.start()] = m
                changed = True
    out = []
    for m in accepted.values():
        iso3, name = LIST_ONLY_ABBREVIATIONS[re.sub(r"[.\s]", "", m.group(1))]
        out.append((m.start(), m.end(1), [_Entry("admin1", name, ((iso3, name),), True,
                                                  explicit=True)], "exact"))
    return out


#: What may stand between the names of a list: "Sichuan, Gansu, and " / " & " / " or ",
#: with a compass word after ("Jujuy and NW ").
_LIST_GAP_RE = re.compile(
    r"\s*(?:,\s*(?:(?:and|&|or)\s+)?|(?:and|&|or)\s+)"
    r"(?:(?:N|S|E|W|C|NE|NW|SE|SW|NC|SC|EC|WC|[Nn]orth|[Ss]outh|[Ee]ast|[Ww]est|"
    r"[Cc]entral|[Nn]orthern|[Ss]outhern|[Ee]astern|[Ww]estern|extreme)\.?\s+)?$")


def _bracket_countries(text: str, raw: Sequence[tuple[int, int, list[_Entry], str]]
                       ) -> dict[int, tuple[frozenset[str], bool]]:
    """Rule 14: for a name written inside the bracket of a country or region ("Bolivia
    (Cochabamba, Santa Cruz)", "Caucasus (Georgia, Armenia)", "[India (Sikkim)]"), or in
    a list closed by one in brackets ("Santa Cruz and Cochabamba (Bolivia)"), that place's
    countries and whether the name is inside: ``{start: (countries, inside)}``."""
    # the bracket's owner: a country (whatever admin-1 homonyms it has: "Mexico") or one
    # region
    owners: dict[int, tuple[frozenset[str], bool]] = {}
    owner_at: dict[int, frozenset[str]] = {}
    for start, end, entries, _how in raw:
        cs = [e for e in entries if e.kind == "country"]
        if len(cs) == 1 or (not cs and len(entries) == 1 and entries[0].kind == "region"):
            e = cs[0] if cs else entries[0]
            owners[end] = (e.countries, e.kind == "country")
            owner_at[start] = e.countries
    out: dict[int, tuple[frozenset[str], bool]] = {}
    for k, (start, _end, _entries, _how) in enumerate(raw):
        # inside: the innermost bracket open before the name on its line
        depth, j = 0, start - 1
        lo = max(0, start - 300)
        while j >= lo and text[j] != "\n":
            c = text[j]
            if c in ")]":
                depth += 1
            elif c in "([":
                if depth == 0:
                    break
                depth -= 1
            j -= 1
        if j >= lo and text[j] in "([":
            own = owners.get(len(text[:j].rstrip()))
            if own is not None:
                out[start] = own
                continue
        # before: a list of names ending in "(Country)"
        i = k
        while i + 1 < len(raw):
            gap = text[raw[i][1]:raw[i + 1][0]]
            if re.fullmatch(r"\s*\(\s*", gap) and raw[i + 1][0] in owner_at and re.match(
                    r"\s*\)", text[raw[i + 1][1]:raw[i + 1][1] + 5]):
                if i + 1 != k:
                    out[start] = (owner_at[raw[i + 1][0]], False)
                break
            if not _LIST_GAP_RE.match(gap) or len(gap) > 12:
                break
            i += 1
    return out


def _in_bracket_meanings(entries: Sequence[_Entry], owner: frozenset[str]) -> list[_Entry]:
    """The meanings of a name that lie in the countries of the bracket it is written in
    (rule 14); a country inside its own bracket is its admin-1 unit of that name
    ("Mexico (Jalisco, México, Morelos)"). Empty when none does."""
    inside = [e for e in entries if e.countries & owner]
    units = [e for e in inside if e.kind == "admin1"]
    if units and len(owner) == 1:
        inside = [e for e in inside if not (e.kind == "country" and e.countries == owner)]
    return inside


#: Scorer of rule 7 when set (a test counts comparisons through it); else ``fuzz.ratio``.
_SCORER: Any = None


#: Between an admin-1 name and the country it is said to lie in: "Santiago Province, ",
#: "Cordoba (", "Victoria Department of ".
#: A bare comma is not enough: "Sichuan, Nepal, Bhutan" is a list.
_APPOSED_COUNTRY_RE = re.compile(
    r"(?:\s+(?:Province|Department|Dept\.|District|State|Region|County|Municipality|"
    r"Oblast|Prefecture|Parish|Canton)\s*(?:,|\(|\s+in|\s+of)|\s*\(|\s+(?:in|of))"
    r"\s*(?:the\s+)?")

#: A capitalised compass word right before a name: part of the name ("Southern Alps").
_CAP_COMPASS_BEFORE_RE = re.compile(r"\b(?:North|South|East|West)(?:ern)?[ -]$")

_FUZZY_WORD_RE = re.compile(rf"(?<![\w'-])[A-Z][^\W\d_]{{{FUZZY_MIN_LEN - 1},}}(?![\w'-])")


_NAME_ITEM = r"[A-Z][\w'\u2019-]*(?:[ -][A-Z][\w'\u2019-]*){0,2}"
#: A list of proper names ending in a plural feature word: "Khaptad, Sagarmatha, Langtang
#: and Makalu Barun National Parks" -- every name of the list is a park, not a place.
_LIST_TAIL_RE = re.compile(
    rf"(?:\s*,\s*(?:and\s+|&\s+)?{_NAME_ITEM}|\s+(?:and|&)\s+{_NAME_ITEM})+\s*,?\s*"
    r"(?:National\s+Parks|Parks|Reserves|Nature\s+Reserves|Game\s+Reserves|Sanctuaries|"
    r"Wildlife\s+Sanctuaries|Conservation\s+Areas|Protected\s+Areas)\b")


def _in_feature_name(text: str, folded: str, toks: Sequence[tuple[int, int, str]],
                     words: Sequence[str], i: int, j: int) -> bool:
    """Whether tokens ``i:j`` are part of a longer feature name (rule 6)."""
    if _LIST_TAIL_RE.match(text, toks[j - 1][1], min(len(text), toks[j - 1][1] + 200)):
        return True
    if i > 0:
        prev = words[i - 1]
        gap = folded[toks[i - 1][1]:toks[i][0]]
        if prev in FEATURE_BEFORE and gap.strip(" .") == "" and "\n" not in gap \
                and text[toks[i - 1][0]].isupper():
            return True
        if j == i + 1 and words[i] in FOREIGN_GENERIC_AFTER_NAME and gap.strip(" -") == "" \
                and "\n" not in gap and text[toks[i - 1][0]].isupper() \
                and prev not in _COMPASS and prev not in ("the", "in", "and", "of"):
            return True
        if prev in _FEATURE_JOIN and i > 1 and words[i - 2] in FEATURE_BEFORE \
                and text[toks[i - 2][0]].isupper() \
                and "\n" not in folded[toks[i - 2][0]:toks[i][0]]:
            return True
        if prev in ARTICLES_BEFORE and gap.strip() == "" and "\n" not in gap \
                and text[toks[i - 1][0]].isupper() \
                and not (i > 1 and words[i - 2] in _ROMANCE_BEFORE_ARTICLE):
            return True  # "La Siberia" (but Spanish "en La Patagonia" is Patagonia)
        # a feature word before one or two capitalised names: "Sierra Peña Nevada",
        # "Cerro San Pedro", "Sierra San Pedro Martír"
        for k in (2, 3):
            if i - k < 0 or words[i - k] not in FEATURE_BEFORE:
                continue
            between = range(i - k, i)
            if all(text[toks[x][0]].isupper() for x in between) and all(
                    folded[toks[x][1]:toks[x + 1][0]].strip(" .") == ""
                    and "\n" not in folded[toks[x][1]:toks[x + 1][0]] for x in between):
                return True
    if j < len(words):
        gap = folded[toks[j - 1][1]:toks[j][0]]
        if gap.strip(" -") == "" and "\n" not in gap:
            for tail in FEATURE_AFTER:
                if tuple(words[j:j + len(tail)]) == tail:
                    return True
            if words[j] in FEATURE_AFTER_CAPITALISED and text[toks[j][0]].isupper():
                return True
    return False


def _main_part(geom: Any) -> Any:
    """The largest polygon of a country, for rule 8's distances.

    A country's overseas parts (France's Caribbean departments, the Netherlands'
    islands) would make every place near them "near" the country: a text about the
    Alps that names France is not about Anguilla's "The Valley".
    """
    parts = getattr(geom, "geoms", None)
    if not parts:
        return geom
    return max(parts, key=lambda g: g.area)


def read_aliases(path: str | Path) -> list[AliasRow]:
    """Read an ``aliases.csv`` (header ``alias,kind,iso3,admin1_name,source``).

    Raises
    ------
    DataError
        If the file is unreadable, lacks columns or has an unknown kind.
    """
    p = Path(path)
    need = ("alias", "kind", "iso3", "admin1_name")
    try:
        with p.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in need if c not in header]
            if missing:
                raise DataError(
                    f"{p}: missing column(s) {', '.join(missing)}; "
                    "the header must be alias,kind,iso3,admin1_name,source"
                )
            rows: list[AliasRow] = []
            for lineno, r in enumerate(reader, start=2):
                alias = (r.get("alias") or "").strip()
                kind = (r.get("kind") or "").strip().lower()
                iso3 = (r.get("iso3") or "").strip().upper()
                if not alias:
                    continue
                if kind not in _KIND_RANK:
                    raise DataError(
                        f"{p}: line {lineno}: unknown kind {kind!r}; "
                        "use country, admin1 or region"
                    )
                if not iso3:
                    raise DataError(f"{p}: line {lineno}: empty iso3; give an ISO3 country code")
                a1 = (r.get("admin1_name") or "").strip() or None
                if kind == "admin1" and a1 is None:
                    raise DataError(
                        f"{p}: line {lineno}: admin1 alias {alias!r} has no admin1_name; "
                        "fill it in or use kind=country"
                    )
                rows.append(AliasRow(alias, kind, iso3, a1, (r.get("source") or "").strip()))
    except OSError as exc:
        raise DataError(f"{p}: cannot read aliases ({exc.strerror}); check the path") from None
    except UnicodeDecodeError:
        raise DataError(f"{p}: not UTF-8 text; save it as UTF-8") from None
    return rows


def read_regions(path: str | Path) -> list[RegionDef]:
    """Read a ``regions.csv``.

    Header: ``region,spellings,countries,members,bbox,min_elev_m,source``.

    ``spellings``, ``countries`` and ``members`` are ``|``-separated; a member
    is ``ISO3`` (a whole country) or ``ISO3/admin1_name``, optionally followed
    by ``@minx miny maxx maxy``; ``bbox`` is ``minx miny maxx maxy`` or empty.

    Raises
    ------
    DataError
        If the file is unreadable or a row is malformed.
    """
    p = Path(path)
    need = ("region", "spellings", "countries", "members", "bbox", "min_elev_m", "source")
    out: list[RegionDef] = []
    try:
        with p.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in need if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{p}: missing column(s) {', '.join(missing)}; the header "
                                f"must be {','.join(need)}")
            for lineno, r in enumerate(reader, start=2):
                name = (r.get("region") or "").strip()
                if not name:
                    continue
                try:
                    members = []
                    for m in (r.get("members") or "").split("|"):
                        m = m.strip()
                        if not m:
                            continue
                        unit, _, box = m.partition("@")
                        iso3, _, a1 = unit.partition("/")
                        members.append((iso3.strip().upper(), a1.strip() or None,
                                        _box(box) if box.strip() else None))
                    bbox = _box(r["bbox"]) if (r.get("bbox") or "").strip() else None
                    lo = (r.get("min_elev_m") or "").strip()
                    min_elev = float(lo) if lo else None
                except ValueError as exc:
                    raise DataError(f"{p}: line {lineno}: {exc}; a box is 'minx miny maxx "
                                    "maxy' in degrees, min_elev_m a number") from None
                countries = tuple(c.strip().upper() for c in r["countries"].split("|")
                                  if c.strip())
                if not members or not countries:
                    raise DataError(f"{p}: line {lineno}: region {name!r} needs countries "
                                    "and members")
                spellings = tuple(x.strip() for x in (r.get("spellings") or "").split("|")
                                  if x.strip())
                out.append(RegionDef(name, spellings or (name,), countries, tuple(members),
                                     bbox, min_elev, (r.get("source") or "").strip()))
    except OSError as exc:
        raise DataError(f"{p}: cannot read regions ({exc.strerror}); check the path") from None
    except UnicodeDecodeError:
        raise DataError(f"{p}: not UTF-8 text; save it as UTF-8") from None
    return out


def _box(text: str) -> tuple[float, float, float, float]:
    vals = [float(v) for v in text.split()]
    if len(vals) != 4 or vals[0] >= vals[2] or vals[1] >= vals[3]:
        raise ValueError(f"bad box {text.strip()!r}")
    return (vals[0], vals[1], vals[2], vals[3])


def iso_country_aliases(iso3s: Sequence[str]) -> list[AliasRow]:
    """Country aliases from ISO 3166 (``pycountry``) for the given ISO3 codes.

    The ISO 3166-1 short name (when it has no comma: "Türkiye", "Czechia"),
    official name ("Republic of India") and common name ("Bolivia"), and the
    ISO 3166-3 names of former countries whose code names a single successor
    ("Burma", "Zaire", "Upper Volta", "Dahomey", "East Timor"; the part before
    a comma). Empty if ``pycountry`` is not installed.
    """
    try:
        import pycountry
    except ImportError:  # optional at run time: the alias table still works
        return []
    from importlib.metadata import version

    ver = version("pycountry")
    want = set(iso3s)
    rows: list[AliasRow] = []
    for c in pycountry.countries:
        if c.alpha_3 not in want:
            continue
        for attr in ("name", "official_name", "common_name"):
            nm = getattr(c, attr, None)
            if nm and "," not in nm:
                rows.append(AliasRow(nm, "country", c.alpha_3, None,
                                     f"ISO 3166-1 {attr} (pycountry {ver})"))
    for h in pycountry.historic_countries:
        succ = getattr(h, "alpha_4", "")[2:]
        if len(succ) != 2 or succ == "HH":
            continue
        new = pycountry.countries.get(alpha_2=succ)
        if new is None or new.alpha_3 not in want:
            continue
        nm = h.name.split(",")[0].strip()
        rows.append(AliasRow(nm, "country", new.alpha_3, None,
                             f"ISO 3166-3 former name, code {h.alpha_4} (pycountry {ver})"))
    return rows


def _s(v: object) -> str:
    """String value of a table cell (``""`` for null/NaN)."""
    if v is None:
        return ""
    if isinstance(v, float) and v != v:
        return ""
    return str(v).strip()


def _needs_cap(key: tuple[str, ...], country: bool) -> bool:
    if not key:
        return True
    if len(key) > 1 and key[0] in _COMPASS:
        return True
    return country and len(key) == 1 and key[0] in COMMON_WORD_NAMES


def _generic(key: tuple[str, ...]) -> bool:
    return not key or all(t in GENERIC_ADMIN1_WORDS for t in key) or all(
        len(t) == 1 for t in key
    )


def _sentence_initial(text: str, start: int) -> bool:
    """Whether ``text[start:]`` begins a sentence (its capital proves nothing): only
    white space, quotes or brackets between it and the text's start or a ``. ! ? : ;``
    or dash."""
    j = start - 1
    while j >= 0 and (text[j].isspace() or text[j] in "\"'“‘([«"):
        j -= 1
    return j < 0 or text[j] in ".!?:;—–"


#: Between the halves of a word broken at a line end whose break became a space.
_BROKEN_GAP_RE = re.compile(r"-[ \t]*\r?\n?[ \t]*$")

_SIMPLE_SENT_RE = re.compile(r"[^.!?\n]+[.!?]*")


def _simple_sentences(text: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in _SIMPLE_SENT_RE.finditer(text)]
    return spans or [(0, len(text))]
