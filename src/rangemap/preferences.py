"""Habitat preferences and slope limits read from a taxon's sentences.

:mod:`rangemap.extract` decides which sentences speak of which taxon; this
module reads each such sentence for *habitat words* (mapped to codes of the
IUCN Habitats Classification Scheme, version 3.1) and *slope statements*
(degrees).  It is pure: a sentence in, hits with character spans out.  The
rules, in order:

1. Habitat nouns
   * Each entry of :data:`HABITAT_TERMS` is a pattern for a habitat noun
     ("forest", "taiga", "scrub", "meadows", "steppe", "rock outcrops",
     "cliff", "scree", "tundra", "marsh", "desert", "cave" ...) and its
     *kind* (forest, shrubland, grassland, tundra, wetland, rocky, cave,
     desert, savanna, artificial).  Word boundaries matter: "deforestation"
     is not a forest.
   * Plant words that are food as often as habitat ("shrubs", "bushes")
     count only right after a locative preposition ("in the very thick
     bushes", "among shrubs"), never in "leaves of trees and shrubs".
   * Any other habitat noun counts when it follows a locative preposition
     (in, on, among, within, across, through, along, near, under ...) within
     its noun phrase, or when the sentence has a habitat cue
     (:data:`HABITAT_CUES`: inhabits, habitat, lives, found, occurs, prefers,
     uses, frequents, require, seen, dwelling, grows, where ...), or when the
     sentence is a habitat list as floras write them: it opens with the noun
     (after a "Habitat:" label and at most two modifiers) followed by a comma,
     a semicolon or a preposition ("Alpine meadows, gravelly slopes; 2400-4300
     m", "Grasslands on mountain slopes").
   * Proper names are places, not habitats: a capitalised noun next to
     another capitalised word ("Black Forest", "Nile River", "Rocky
     Mountains"), and a river or lake after a capitalised word ("the Aras
     river").  A noun right after above/below/beyond/outside ("above cloud
     forest") is a position next to the habitat and is dropped.
2. Non-preference contexts.  A hit is dropped when a cue of
   :data:`NON_PREFERENCE_CUES` (avoids, absent from, not found in, never,
   rarely, except, unlike, loss/destruction/fragmentation of, degraded,
   logging, restore ...) stands before it in the same clause (clauses end at
   ``; :`` and at "but", "whereas", "while", "although").  Sections about
   threats or conservation never reach this module (see ``extract``).
3. Climate decides the sub-code, from the nearest statement:
   * a climate word in the noun phrase ("temperate forests", "tropical
     montane forest", "boreal forest"; "taiga" is boreal in itself), else
   * the one climate named in the sentence (if it names exactly one), else
   * temperate, *assumed*, and said so in the hit's ``basis`` (the reviewer
     edits the code in ``ranges.yaml`` if that is wrong).
   Tropical/subtropical is refined by the phrase: montane/mountain/cloud/
   highland -> moist montane (1.9), high altitude shrub or grassland (3.7,
   4.7); dry/deciduous -> dry (1.5, 3.5, 4.5); swamp -> 1.8; mangrove ->
   1.7; otherwise moist lowland (1.6, 3.6) or dry grassland (4.5).  Alpine,
   subalpine, montane and mountain are altitude words, not climates: "alpine
   scrub" in the Himalaya is 3.4 Shrubland - Temperate.
   Tundra: "tundra" alone is 4.1 Grassland - Tundra, "shrub tundra" 3.1,
   "forest-tundra" 1.2, tundra pools or wetlands 5.10.  Deserts: cold, high,
   alpine or plateau deserts are 8.3, hot or tropical ones 8.1, others 8.2.
4. Slope statements: a number of degrees (``°``, "degrees", "deg") not
   followed by C/F or a compass letter, in a sentence about slopes ("slope",
   "steep", "incline", "gradient", "inclination"):
   * ranges "30–45°", "30° to 45°", "between 30 and 45 degrees";
   * lower bounds "≥ 20°", ">20°", "over/above/more than/at least/steeper
     than 20°"; upper bounds "≤ 10°", "<10°", "below/under/less than/up to/
     at most/gentler than 10°";
   * a bare value ("slopes of 30°") is both bounds.
   After a non-preference cue ("avoids slopes steeper than 40°") a bound is
   turned round (an upper bound 40°); a range is then dropped.  Values above
   90° are ignored.  ``slope_min_deg`` is the lowest lower bound stated,
   ``slope_max_deg`` the highest upper bound; "steep slopes" without a
   number gives no value.

The IUCN code -> name table is ``schema/iucn_habitats_3.1.csv`` (codes are
strings: "5.10" is not "5.1").
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rangemap.errors import DataError
from rangemap.values import plain_number as _num

__all__ = [
    "HabitatHit",
    "SlopeHit",
    "HABITAT_TERMS",
    "HABITAT_CUES",
    "NON_PREFERENCE_CUES",
    "habitat_table",
    "find_habitats",
    "find_slopes",
    "find_all",
    "record_fields",
    "normalize_record",
]

# --------------------------------------------------------------------------- table


@cache
def habitat_table() -> dict[str, str]:
    """IUCN Habitats Classification Scheme 3.1: code (string) -> name, in scheme order."""
    text = resources.files("rangemap").joinpath("schema/iucn_habitats_3.1.csv").read_text(
        encoding="utf-8")
    # csv, not pandas: codes stay strings ("5.10" would otherwise become 5.1)
    return {row["code"]: row["name"] for row in csv.DictReader(text.splitlines())}


def code_key(code: str) -> tuple[int, ...]:
    """Sort key of a code in scheme order ("5.2" before "5.10")."""
    return tuple(int(p) for p in code.split(".") if p.isdigit())


# --------------------------------------------------------------------------- vocabulary

#: Habitat noun patterns (regex, case-insensitive) -> kind.  Order matters only
#: for overlaps: the first pattern matching at a position wins.
HABITAT_TERMS: tuple[tuple[str, str], ...] = (
    (r"forest[\s-]+tundra", "forest-tundra"),
    (r"shrub[\s-]+tundra", "shrub-tundra"),
    (r"tundra\s+(?:wetlands?|pools?|ponds?|bogs?|marsh(?:es)?)", "tundra-wetland"),
    (r"mangroves?(?:\s+forests?)?", "mangrove"),
    (r"(?:rain|cloud|swamp)\s*forests?", "forest"),
    (r"taiga", "forest"),
    (r"forest(?:s|ed)?", "forest"),
    (r"woodlands?|woods", "forest"),
    (r"shrublands?|scrub(?:lands?)?|thickets?|brush|krummholz|maquis|chaparral|heaths?"
     r"|heathlands?|moorlands?|fynbos", "shrubland"),
    (r"shrubs|bushes", "shrubland-plant"),
    (r"p[aá]ramos?|puna", "grassland-tropical-alpine"),
    (r"meadows?|grasslands?|steppes?|prairies?|grassy\s+(?:slopes?|places|areas?|habitats?"
     r"|hillsides?|clearings?)", "grassland"),
    (r"(?:alpine|high[\s-]altitude|mountain|montane)\s+pastures?", "grassland"),
    (r"tundra", "tundra"),
    (r"wetlands?|marsh(?:es|land|lands)?|bogs?|swamps?|fens?|peatlands?|mires?", "wetland"),
    (r"(?:alpine|glacial|mountain)\s+(?:lakes?|pools?|ponds?)", "wetland-alpine"),
    (r"(?:salt|saline|brackish|alkaline|soda)[\s-]+(?:lakes?|pans?|flats?)", "saline-lake"),
    (r"(?:salt|saline|brackish|alkaline)[\s-]+(?:marsh(?:es)?|pools?)", "saline-marsh"),
    (r"ponds?|pools?", "pool"),
    (r"streams?|rivers?|creeks?|river\s*banks?|riverbanks?|riverbeds?|streambanks?|brooks?",
     "river"),
    (r"lakes?", "lake"),
    (r"springs|oases|oasis", "spring"),
    (r"(?:rock|rocky)\s+outcrops?|outcrops?|cliffs?|crags?|scree|talus|rock\s+ledges?"
     r"|ledges|boulders?(?:\s+fields?)?|rock\s*faces?|rocky\s+(?:terrain|slopes?|areas?"
     r"|ground|hillsides?|places|habitats?|gorges?|cliffs?|mountains?)|rocky"
     r"|mountain\s+peaks", "rocky"),
    (r"caves?|caverns?|grottos?", "cave"),
    (r"semi[\s-]?deserts?|deserts?", "desert"),
    (r"savann?ah?s?", "savanna"),
    (r"plantations?|orchards?", "plantation"),
    (r"farmland|croplands?|arable\s+land|cultivated\s+(?:land|fields?|areas?)", "arable"),
    (r"pastures?|pastureland", "pasture"),
    (r"gardens?", "garden"),
    (r"urban\s+areas?|cities|towns", "urban"),
)

#: Sentence cues that make the habitat nouns in it a statement of habitat.
HABITAT_CUES: tuple[str, ...] = (
    r"inhabit\w*", r"habitats?", r"li(?:ve|ves|ving)", r"found", r"occur\w*", r"prefer\w*",
    r"frequent(?:s|ed|ing)?", r"use[sd]?", r"using", r"requir\w*", r"dwell\w*", r"seen",
    r"recorded", r"observed", r"resid\w*", r"roam\w*", r"shelter\w*", r"refuge", r"hid(?:e|es|ing)",
    r"forag\w*", r"feed(?:s|ing)?\s+in", r"look\s+for\s+food", r"where", r"favou?r\w*",
    r"restricted\s+to", r"confined\s+to", r"associated\s+with", r"common\s+in", r"breed\w*",
    r"nest\w*", r"consist\w*", r"characteri[sz]ed\s+by", r"select\w*", r"grow(?:s|ing)?",
    r"occup(?:y|ies|ied|ying)",
)

#: Cues that make a habitat noun after them (same clause) not a preference.
NON_PREFERENCE_CUES: tuple[str, ...] = (
    r"avoid\w*", r"absent", r"not", r"never", r"rarely", r"seldom", r"except", r"unlike",
    r"instead\s+of", r"rather\s+than", r"away\s+from", r"outside", r"shun\w*", r"without",
    r"no\s+longer", r"loss", r"destruction", r"fragmentation", r"degrad\w*", r"clearing",
    r"clearance", r"convers\w*", r"logging", r"logged", r"restor\w*", r"encroach\w*",
    r"threat\w*", r"burn\w*", r"cut(?:ting)?", r"felling",
)

# "above/below/beyond the forest" place a thing outside a habitat: not locative here
_LOCATIVE = (r"in|on|among|amongst|amid|within|across|through|throughout|along|near|under|"
             r"beneath|at|inside|into|around|between|beside|by")
_CLIMATE = {
    "boreal": r"boreal|taiga",
    "subarctic": r"sub-?arctic|forest[\s-]+tundra",
    "subantarctic": r"sub-?antarctic",
    "subtropical/tropical": r"(?:sub-?)?tropic(?:al|s)|rain\s*forests?|cloud\s*forests?|mangroves?",
    "temperate": r"temperate",
    "mediterranean": r"mediterranean|maquis|chaparral|garrigue|fynbos",
}
_CLIMATE_RE = {k: re.compile(rf"\b(?:{v})\b", re.IGNORECASE) for k, v in _CLIMATE.items()}
_MONTANE_RE = re.compile(r"\b(?:montane|mountains?|cloud|highlands?|uplands?|hills?|"
                         r"high[\s-]+(?:altitude|elevation)s?|alpine|subalpine)\b", re.I)
_DRY_RE = re.compile(r"\b(?:dry|arid|semi-?arid|xeric|deciduous|monsoon)\b", re.I)
_WET_RE = re.compile(r"\b(?:seasonally\s+(?:wet|flooded)|flooded|inundated|wet)\b", re.I)
_SWAMP_RE = re.compile(r"\bswamp", re.I)
_COLD_RE = re.compile(r"\b(?:cold|high|alpine|plateau|high-altitude|montane|mountain)\b", re.I)
_HOT_RE = re.compile(r"\b(?:hot|tropical|subtropical|sandy)\b", re.I)

_TERMS_RE = re.compile(
    "|".join(rf"(?P<t{i}>\b(?:{p})\b)" for i, (p, _) in enumerate(HABITAT_TERMS)), re.I)
_CUES_RE = re.compile(rf"\b(?:{'|'.join(HABITAT_CUES)})\b", re.I)
_NONPREF_RE = re.compile(rf"\b(?:{'|'.join(NON_PREFERENCE_CUES)})\b|n't\b", re.I)
_CLAUSE_END_RE = re.compile(r"[;:]|\b(?:but|whereas|while|although|though)\b", re.I)
# The noun phrase before a habitat noun: modifiers joined by spaces, commas,
# hyphens, "and"/"or"; it stops at a locative preposition, other punctuation or
# another habitat noun (handled by the caller).
_PHRASE_STOP_RE = re.compile(rf"(?:[.;:!?()\[\]●•]|\b(?:{_LOCATIVE}|of|with|the|a|an|its|"
                             r"their|which|that|is|are|was|were|has|have|such|as|like|"
                             r"including|includes?|to|other|same|especially|mainly|mostly|"
                             r"often|usually|typically|above|below|beyond|over)\b)", re.I)
_PHRASE_CUT_RE = _CUES_RE
_WORD_RE = re.compile(r"[\w'’-]+")
# a comma after a plural noun ends a list item ("gravelly slopes, moist riverbeds"); after
# an adjective it joins modifiers ("coniferous, broad-leaved, or mixed forests")
_NOUN_COMMA_RE = re.compile(r"\b\w+s(?<!ous)(?<!ss),", re.I)
_PHRASE_WORDS = 4
# "above cloud forest", "beyond the treeline": a position next to a habitat, not in it
_BESIDE_RE = re.compile(r"\b(?:above|below|beyond|outside)\s+(?:the\s+)?$", re.I)
_LOCATIVE_BEFORE_RE = re.compile(
    rf"\b(?:{_LOCATIVE})\s+(?:(?:the|a|an|some|its|their|this|these|those)\s+)?"
    r"(?:[\w'’-]+[\s,]+){0,4}$", re.I)
_PLANT_LOCATIVE_RE = re.compile(
    rf"\b(?:{_LOCATIVE})\s+(?:(?:the|a|an|some|its|their)\s+)?(?:[\w'’-]+\s+){{0,3}}$", re.I)


@dataclass(frozen=True)
class HabitatHit:
    """A habitat noun phrase in a sentence and the IUCN code it maps to.

    ``start``/``end`` are offsets in the sentence; ``basis`` says how the code
    was chosen (readable, for review).
    """

    code: str
    start: int
    end: int
    phrase: str
    basis: str


@dataclass(frozen=True)
class SlopeHit:
    """A slope statement: lower and/or upper limit in degrees, offsets in the sentence."""

    lo: float | None
    hi: float | None
    start: int
    end: int


# --------------------------------------------------------------------------- habitats

def _climate_in(text: str) -> list[str]:
    return [k for k, rx in _CLIMATE_RE.items() if rx.search(text)]


def _code_for(kind: str, phrase: str, climate: str | None, context: str = "") -> str:
    """IUCN code of a habitat noun of ``kind`` with modifiers ``phrase`` in ``climate``
    (``context``: text whose altitude words also count)."""
    montane = bool(_MONTANE_RE.search(phrase) or _MONTANE_RE.search(context))
    dry = bool(_DRY_RE.search(phrase))
    if kind == "mangrove":
        return "1.7"
    if kind == "forest-tundra":
        return "1.2"
    if kind == "shrub-tundra":
        return "3.1"
    if kind == "tundra-wetland":
        return "5.10"
    if kind == "forest":
        if re.search(r"\bcloud\s*forest", phrase, re.I):
            return "1.9"
        if climate == "subtropical/tropical":
            if _SWAMP_RE.search(phrase):
                return "1.8"
            if montane:
                return "1.9"
            if dry:
                return "1.5"
            return "1.6"
        return {"boreal": "1.1", "subarctic": "1.2", "subantarctic": "1.3"}.get(climate or "",
                                                                                "1.4")
    if kind in ("shrubland", "shrubland-plant"):
        if climate == "subtropical/tropical":
            return "3.7" if montane else "3.5" if dry else "3.6"
        return {"boreal": "3.3", "subarctic": "3.1", "subantarctic": "3.2",
                "mediterranean": "3.8"}.get(climate or "", "3.4")
    if kind == "grassland":
        if climate == "subtropical/tropical":
            if montane:
                return "4.7"
            return "4.6" if _WET_RE.search(phrase) else "4.5"
        return {"subarctic": "4.2", "subantarctic": "4.3", "boreal": "4.2"}.get(climate or "",
                                                                                "4.4")
    if kind == "tundra":
        return "4.1"
    seasonal = bool(re.search(r"\b(?:seasonal|intermittent|ephemeral|temporary)\b", phrase,
                              re.I))
    if kind == "wetland":
        if re.search(r"\btundra\b", phrase, re.I):
            return "5.10"
        if re.search(r"\b(?:alpine|subalpine|high[\s-]altitude)\b", phrase, re.I):
            return "5.11"
        if re.search(r"\bmarsh", phrase, re.I) and re.search(r"\bfreshwater\b", phrase, re.I):
            return "5.8" if seasonal else "5.7"
        return "5.4"
    if kind == "pool":
        return "5.8" if seasonal else "5.7"
    if kind == "saline-lake":
        return "5.15" if seasonal or re.search(r"\b(?:pans?|flats?)\b", phrase, re.I) else "5.14"
    if kind == "saline-marsh":
        return "5.17" if seasonal else "5.16"
    if kind == "grassland-tropical-alpine":
        return "4.7"
    if kind == "wetland-alpine":
        return "5.11"
    if kind == "river":
        return "5.2" if seasonal or re.search(r"\bdry\b", phrase, re.I) else "5.1"
    if kind == "lake":
        return "5.6" if seasonal else "5.5"
    if kind == "spring":
        return "5.9"
    if kind == "rocky":
        return "6"
    if kind == "cave":
        return "7.1"
    if kind == "desert":
        if _COLD_RE.search(phrase):
            return "8.3"
        if climate == "subtropical/tropical" or _HOT_RE.search(phrase):
            return "8.1"
        return "8.2"
    if kind == "savanna":
        if dry:
            return "2.1"
        return "2.2" if re.search(r"\b(?:moist|wet|humid)\b", phrase, re.I) else "2"
    return {"plantation": "14.3", "arable": "14.1", "pasture": "14.2", "garden": "14.4",
            "urban": "14.5"}[kind]


_SEG_START_RE = re.compile(r"(?:^|[:;●•]\s*|[.!?]\s+)\s*$")
_CAP_BEFORE_RE = re.compile(r"([A-Z][\w'’-]*)\)?\s+$")
_LIST_LEAD_RE = re.compile(r"^\s*(?:[●•*-]\s*)?(?:[A-Z][\w &/-]{0,30}:\s*)?"
                           r"(?:[\w'’-]+\s+){0,2}$")
_LIST_TAIL_RE = re.compile(r"^\s*(?:(?:slopes?|areas?|edges?|margins?|habitats?|places|"
                           r"clearings?|ecosystems?)\b)?\s*(?:[,;]|$|\b(?:on|in|at|and|or|"
                           r"with|near|along|among|of)\b)", re.I)


def _is_name(sentence: str, start: int, end: int, kind: str) -> bool:
    """A habitat noun that is part of a proper name: "Black Forest", "Nile River",
    "Rocky Mountains", "the Aras river" (rivers and lakes after a capitalised word)."""
    m = _CAP_BEFORE_RE.search(sentence, 0, start)
    prev_cap = m is not None and not _SEG_START_RE.search(sentence, 0, m.start())
    # "Rocky Mountains", and title words: "Forest and Rangeland Birds", "Forest of Dean"
    next_cap = re.match(r"\s+(?:(?:and|or|of|&)\s+)?[A-Z]", sentence[end:end + 8]) is not None
    if sentence[start].isupper() and (prev_cap or next_cap
                                      or re.search(r"\s[A-Z]", sentence[start:end])):
        return True
    return kind in ("river", "lake") and prev_cap


def _habitat_list(sentence: str, start: int, end: int) -> bool:
    """The sentence *is* a habitat list, as floras write them ("Alpine meadows, gravelly
    slopes; 2400-4300 m", "Grasslands on mountain slopes"): it opens with the habitat
    noun (after a label and at most two modifiers) and a list or a place follows."""
    return bool(_LIST_LEAD_RE.match(sentence[:start])
                and _LIST_TAIL_RE.match(sentence[end:end + 40]))


#: Kinds whose code depends on the climate (the others do not use it).
_CLIMATE_KINDS = {"forest", "shrubland", "shrubland-plant", "grassland", "desert"}


def find_habitats(sentence: str) -> list[HabitatHit]:
    """Habitat words of one sentence with their IUCN codes (rules 1-3 of the module docs).

    Parameters
    ----------
    sentence : str
        One sentence of a document (about one taxon).

    Returns
    -------
    list of HabitatHit
        In order of position; spans are offsets into ``sentence``.

    Examples
    --------
    >>> [(h.code, h.phrase) for h in find_habitats(
    ...     "They inhabit alpine scrub on rock outcrops and closed coniferous forests.")]
    [('3.4', 'alpine scrub'), ('6', 'rock outcrops'), ('1.4', 'closed coniferous forests')]
    """
    terms = []
    for m in _TERMS_RE.finditer(sentence):
        idx = next(int(k[1:]) for k, v in m.groupdict().items() if v is not None)
        terms.append((m.start(), m.end(), HABITAT_TERMS[idx][1]))
    if not terms:
        return []
    cue = bool(_CUES_RE.search(sentence)) or _habitat_list(sentence, terms[0][0], terms[0][1])
    sent_climates = _climate_in(sentence)
    out: list[HabitatHit] = []
    prev_end = 0
    for start, end, kind in terms:
        before = sentence[:start]
        # noun phrase: back to a stop word, punctuation or the previous habitat noun
        lo = prev_end
        for rx in (_PHRASE_STOP_RE, _PHRASE_CUT_RE, _NOUN_COMMA_RE):
            for stop in rx.finditer(sentence, prev_end, start):
                lo = max(lo, stop.end())
        prev_end = end
        if _is_name(sentence, start, end, kind) or sentence[start - 1:start] in ('"', "“"):
            continue  # a place name, or a figure of speech (they form "orchards")
        # at most _PHRASE_WORDS modifier words ("and"/"or" not counted)
        words = [w for w in _WORD_RE.finditer(sentence, lo, start)
                 if w.group().lower() not in ("and", "or", "nor")]
        phrase_start = words[-_PHRASE_WORDS].start() if len(words) >= _PHRASE_WORDS else (
            words[0].start() if words else start)
        phrase = sentence[phrase_start:end]
        # rule 1: a habitat statement
        if kind == "shrubland-plant":
            if not _PLANT_LOCATIVE_RE.search(before):
                continue
        elif not (cue or _LOCATIVE_BEFORE_RE.search(before)):
            continue
        # rule 2: not a preference
        clause_start = 0
        for c in _CLAUSE_END_RE.finditer(sentence, 0, start):
            clause_start = c.end()
        if _NONPREF_RE.search(sentence, clause_start, start) or _BESIDE_RE.search(
                sentence, 0, phrase_start):
            continue
        # rule 3: climate
        own = _climate_in(phrase)
        if kind == "forest" and re.match(r"taiga", sentence[start:end], re.I):
            own = ["boreal"]
        if own:
            climate, how = own[0], f"'{own[0]}' in the phrase"
        elif len(sent_climates) == 1:
            climate, how = sent_climates[0], f"'{sent_climates[0]}' in the sentence"
        else:
            climate, how = None, "no climate word: temperate assumed"
        # a bare noun in a list takes the altitude of the sentence, as it takes its
        # climate ("subtropical high-altitude shrubland, grassland" -> 4.7)
        bare = phrase.lower() == sentence[start:end].lower()
        context = sentence if bare and not own and climate and kind in _CLIMATE_KINDS else ""
        code = _code_for(kind, phrase, climate, context)
        basis = kind.split("-")[0] + (f", {how}" if kind in _CLIMATE_KINDS else "")
        out.append(HabitatHit(code, phrase_start, end, " ".join(phrase.split()), basis))
    return out


# --------------------------------------------------------------------------- slope

_NUM = r"(?<![\d.,])(\d{1,3}(?:\.\d+)?)"
_DEG = r"\s*(?:°|º|˚|degrees?\b|deg\b)(?!\s*[CF]\b)(?!\s*(?:[NSEW]\b|north|south|east|west))"
_DASH = r"\s*(?:-|–|—|to|and)\s*"
_SLOPE_CONTEXT_RE = re.compile(r"\b(?:slopes?|steep\w*|inclin\w*|gradients?|incline)\b", re.I)
_SLOPE_RANGE_RE = re.compile(rf"(?:\bbetween\s+)?{_NUM}(?:{_DEG})?{_DASH}{_NUM}{_DEG}", re.I)
_SLOPE_LOWER_RE = re.compile(
    rf"(?:≥|>=?|⩾|\b(?:over|above|more\s+than|greater\s+than|at\s+least|exceeding|"
    rf"steeper\s+than|in\s+excess\s+of|from|upwards\s+of))\s*{_NUM}{_DEG}", re.I)
_SLOPE_UPPER_RE = re.compile(
    rf"(?:≤|<=?|⩽|\b(?:below|under|less\s+than|up\s+to|at\s+most|not\s+exceeding|"
    rf"gentler\s+than|flatter\s+than|shallower\s+than))\s*{_NUM}{_DEG}", re.I)
_SLOPE_POINT_RE = re.compile(rf"{_NUM}{_DEG}", re.I)


def find_slopes(sentence: str) -> list[SlopeHit]:
    """Slope limits stated in one sentence (rule 4 of the module docs).

    Examples
    --------
    >>> find_slopes("They invariably use steep slopes (≥ 20°).")
    [SlopeHit(lo=20.0, hi=None, start=34, end=39)]
    >>> [(h.lo, h.hi) for h in find_slopes("It keeps to slopes of 30–45°.")]
    [(30.0, 45.0)]
    """
    if not _SLOPE_CONTEXT_RE.search(sentence):
        return []
    taken: list[tuple[int, int]] = []
    hits: list[SlopeHit] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def negated(a: int) -> bool:
        clause_start = 0
        for c in _CLAUSE_END_RE.finditer(sentence, 0, a):
            clause_start = c.end()
        m = _NONPREF_RE.search(sentence, clause_start, a)
        return m is not None and not re.fullmatch(r"not\s+exceeding", sentence[m.start():a]
                                                  .strip(), re.I)

    for rx, kind in ((_SLOPE_RANGE_RE, "range"), (_SLOPE_LOWER_RE, "lower"),
                     (_SLOPE_UPPER_RE, "upper"), (_SLOPE_POINT_RE, "point")):
        for m in rx.finditer(sentence):
            a, b = m.start(), m.end()
            if not free(a, b):
                continue
            taken.append((a, b))
            vals = [float(v) for v in m.groups() if v is not None]
            if any(v > 90 for v in vals):
                continue
            lo: float | None
            hi: float | None
            if kind == "range":
                lo, hi = min(vals), max(vals)
            elif kind == "lower":
                lo, hi = vals[0], None
            elif kind == "upper":
                lo, hi = None, vals[0]
            else:
                lo = hi = vals[0]
            if negated(a):
                if kind in ("range", "point"):
                    continue
                lo, hi = hi, lo  # "avoids slopes steeper than 40°": at most 40°
            hits.append(SlopeHit(lo, hi, a, b))
    hits.sort(key=lambda h: h.start)
    return hits


# --------------------------------------------------------------------------- records

def find_all(sentence: str) -> list[HabitatHit | SlopeHit]:
    """Habitat and slope hits of one sentence (what ``extract`` stores per taxon)."""
    return [*find_habitats(sentence), *find_slopes(sentence)]


def record_fields(hits: list[tuple[HabitatHit | SlopeHit, dict[str, Any]]]) -> dict[str, Any]:
    """The ``habitats`` and ``slope_*`` fields of a record (``ranges.schema.json``).

    Parameters
    ----------
    hits : list of (hit, evidence dict)
        Hits of all the taxon's sentences with their evidence
        (``document``, ``start``, ``end``, ``sentence``).
    """
    habitats = [(h, e) for h, e in hits if isinstance(h, HabitatHit)]
    slopes = [(h, e) for h, e in hits if isinstance(h, SlopeHit)]
    table = habitat_table()
    by_code: dict[str, dict[str, Any]] = {}
    for hit, ev in habitats:
        h = by_code.setdefault(hit.code, {"code": hit.code, "name": table[hit.code],
                                          "basis": [], "evidence": []})
        b = f"'{hit.phrase}': {hit.basis}"
        if b not in h["basis"]:
            h["basis"].append(b)
        h["evidence"].append(ev)
    out = []
    for code in sorted(by_code, key=code_key):
        h = by_code[code]
        uniq = {(e["document"], e["start"], e["end"]): e for e in h["evidence"]}
        h["evidence"] = [uniq[k] for k in sorted(uniq)]
        out.append(h)
    los = [h.lo for h, _ in slopes if h.lo is not None]
    his = [h.hi for h, _ in slopes if h.hi is not None]
    uniq_s = {(e["document"], e["start"], e["end"]): e for _, e in slopes}
    return {
        "habitats": out,
        "slope_min_deg": _num(min(los)) if los else None,
        "slope_max_deg": _num(max(his)) if his else None,
        "slope_evidence": [uniq_s[k] for k in sorted(uniq_s)],
    }


def _check_code(value: Any, where: str, label: str) -> str:
    """A habitat code as a string of the table, or DataError with a close match."""
    table = habitat_table()
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DataError(f"{where}: {label}: habitat code {value!r} is not a code; write an "
                        "IUCN habitat code in quotes, e.g. \"1.4\"")
    code = str(value).strip()
    if isinstance(value, float):
        # YAML reads 5.10 as the number 5.1: a float is only accepted when no
        # code differs from it by trailing zeros alone
        twins = [c for c in table if c != code and c.rstrip("0") == code]
        if twins or code not in table:
            raise DataError(f"{where}: {label}: habitat code {value!r} is a number; quote it "
                            f"(\"{code}\" or \"{twins[0] if twins else code}\"): YAML reads "
                            "5.10 as 5.1")
    if code not in table:
        close = difflib.get_close_matches(code, list(table), n=3, cutoff=0.6)
        # a name written for the code: "Forest - Temprate" -> 1.4
        names = {n.lower(): c for c, n in table.items()}
        by_name = [names[n] for n in difflib.get_close_matches(code.lower(), list(names), n=3,
                                                               cutoff=0.6)]
        sugg = close or by_name
        hint = (" (did you mean " + ", ".join(f"{c} {table[c]}" for c in sugg) + "?)"
                if sugg else "")
        raise DataError(f"{where}: {label}: unknown IUCN habitat code {code!r}{hint}; use a "
                        "code of the IUCN Habitats Classification Scheme 3.1 "
                        "(src/rangemap/schema/iucn_habitats_3.1.csv)")
    return code


def normalize_record(record: dict[str, Any], where: str) -> dict[str, Any]:
    """Check and normalise a record's habitat and slope fields (``ranges.yaml`` loader).

    ``habitats`` may be a list of codes (``["1.4", "3.4"]``) or of mappings
    with a ``code``; names are filled in from the table.  ``slope_min_deg``
    and ``slope_max_deg`` must be numbers of degrees in 0..90, min <= max.

    Returns
    -------
    dict
        ``habitats``, ``slope_min_deg``, ``slope_max_deg``, ``slope_evidence``
        to update the record with.

    Raises
    ------
    DataError
        One line naming the file, the taxon and the fix.
    """
    label = record.get("scientific_name") or record.get("name") or "?"
    raw = record.get("habitats") or []
    if not isinstance(raw, list):
        raise DataError(f"{where}: {label}: habitats must be a list of IUCN habitat codes "
                        "(e.g. [\"1.4\", \"3.4\"]) or of {code: ...} mappings")
    table = habitat_table()
    habitats: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in raw:
        if isinstance(item, dict):
            if "code" not in item:
                raise DataError(f"{where}: {label}: a habitats entry lacks 'code'; give "
                                "{code: \"1.4\"} or just \"1.4\"")
            code = _check_code(item["code"], where, label)
            entry = dict(item, code=code, name=table[code])
            entry.setdefault("evidence", [])
        else:
            code = _check_code(item, where, label)
            entry = {"code": code, "name": table[code], "evidence": []}
        if code not in seen:
            seen.add(code)
            habitats.append(entry)
    lims: dict[str, float | None] = {}
    for key in ("slope_min_deg", "slope_max_deg"):
        v = record.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)
                              or not 0 <= v <= 90):
            raise DataError(f"{where}: {label}: {key} must be a number of degrees in 0..90 "
                            f"or null, not {v!r}")
        lims[key] = v
    lo, hi = lims["slope_min_deg"], lims["slope_max_deg"]
    if lo is not None and hi is not None and lo > hi:
        raise DataError(f"{where}: {label}: slope_min_deg {lo} is above slope_max_deg {hi}; "
                        "swap or fix them")
    return {"habitats": habitats, "slope_min_deg": lo, "slope_max_deg": hi,
            "slope_evidence": list(record.get("slope_evidence") or [])}
