"""Range units of a taxon from its range places: the narrowest place wins.

A *unit* is what gets mapped: a whole country, an admin-1 unit, or the part of
a region (a mountain range, a physiographic region with a polygon in
``regions.gpkg``) inside one country, each with the compass qualifiers that
select part of it. The rules, per taxon record:

1. **Parts of a country.** A country's *parts* are its admin-1 units named as
   range anywhere in the record ("Sikkim", "SE Xizang") and the region parts
   named together with it: a region named in a sentence that also names some
   of the region's countries is the part of the region in each of those
   countries ("the Himalayas in India" -> the Indian part of the Himalaya;
   "the Himalaya of Nepal and Bhutan" -> the Himalaya in Nepal and in
   Bhutan). Only countries named as countries count here: "Himalayas,
   Tibet" names no Himalayan country (docs/LABELLING.md), so the region
   gives all its countries. A country with parts maps those parts (rules ``named-admin1`` and
   ``region``), not the whole country, unless the text says the whole
   country (:func:`says_whole`: "throughout India", "all of India", "across
   India", "the whole of India").
2. **Whole countries.** A country named as range without parts maps whole
   (rule ``whole-country``).
3. **Regions alone.** A region named without any of its countries in the
   same sentence adds its part in each of its countries that is not
   otherwise in the range (rule ``region``): "Caucasus" is the Caucasus in
   Russia, Georgia, Armenia and Azerbaijan, never all of Russia; a country
   named elsewhere keeps its own units. Each statement counts on its own
   (docs/LABELLING.md, rule 3), with one exception (the guide's
   clarification of 2026-12-02): a region named again, in a later sentence
   of the same document that names none of its countries, after a range
   statement has named it together with some of its countries ("Himalayas in
   N India, Nepal and W China. ... the southern slopes of the Himalayas")
   refers back to that part and adds no country; a region named alone first
   ("found in the Himalaya. In the Himalaya of Nepal ...") gives all its
   countries. It never adds a country the text hedges ("probably occurs in
   Bhutan"): an explicit hedge on a country wins over its implication by a
   region.
4. **Spans.** "the Andes from Venezuela to Tierra del Fuego", "E Afghanistan
   E along Himalayas to Bhutan": a region named in a sentence with ``from X
   to Y`` (or ``X along R to Y``), where X and Y are places in the region's
   countries, covers the region's countries between the two ends (both
   included) in the order of ``regions.csv`` (:func:`span_countries`). An
   end outside the region (Afghanistan for the Himalaya) stands for the
   region's end country nearer to it (by country centroids, within
   ``gazetteer.NEAR_DEG``).
5. **Qualifiers.** Compass words before a place ("southern Siberia", "SE
   Xizang", "N Myanmar") are kept on its unit. A unit named several times
   keeps the qualifiers only when every mention is qualified (the union of
   them); one plain mention makes it whole. The geometry is clipped by
   :func:`rangemap.ranges.clip_to_qualifiers`: the half (cardinal words),
   quarter (intercardinal) or middle (central) of the extent of the named
   place -- the region for a region part, else the unit itself.
6. **Regions imply countries**: every country of a unit is in ``countries``
   (a region's countries with the region's evidence).
7. **Legacy regions** (``kind=region`` rows of ``aliases.csv`` without a
   polygon, e.g. "Kashmir") add their admin-1 targets in countries not
   otherwise in the range; when the sentence names one of their countries
   they only qualify it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

__all__ = ["assemble", "country_units", "says_whole", "span_countries", "UnitPlace"]


class UnitPlace(Protocol):
    """What :func:`assemble` reads from a range place (``extract._PlaceHit``)."""

    kind: str
    name: str
    targets: tuple[tuple[str, str | None], ...]
    qualifiers: tuple[str, ...]
    ev: Any
    qualifier_only: bool
    named_with: tuple[str, ...]
    whole: bool
    span: tuple[str, ...] | None
    polygon: bool


_WHOLE_RE = re.compile(
    r"(?:\bthroughout|\bacross|\ball\s+(?:of|over)|\bthe\s+whole\s+of|\bthe\s+entire|"
    r"\bentire|\beverywhere\s+in|\bwidespread\s+in|\bwidely\s+(?:distributed|spread)\s+in|"
    r"\ball\s+parts\s+of|\bthe\s+length\s+and\s+breadth\s+of)\s+(?:the\s+)?$",
    re.I,
)


def says_whole(prefix: str) -> bool:
    """Whether the text right before a country name says the whole country.

    >>> says_whole("found throughout "), says_whole("found in northern ")
    (True, False)
    """
    return bool(_WHOLE_RE.search(prefix[-40:]))


_FROM_RE = re.compile(r"\bfrom\s+(?:the\s+)?(?:[\w-]+\s+){0,2}$", re.I)
_TO_RE = re.compile(
    r"^[^.;:]{0,40}?\b(?:to|through\s+to|as\s+far\s+as|south\s+to|north\s+to|east\s+to|"
    r"west\s+to)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}$", re.I)


_ALONG_RE = re.compile(r"\balong\s+(?:the\s+)?$", re.I)
_ALONG_GAP_RE = re.compile(r"^[^.;:]{0,30}$")


def span_countries(sentence: str, region_countries: Sequence[str],
                   places: Sequence[tuple[int, int, Sequence[str]]],
                   region_span: tuple[int, int] | None = None,
                   outside: Callable[[str], str | None] | None = None,
                   ) -> tuple[str, ...] | None:
    """Countries of a region between the ends of a "from X to Y" span (rule 4).

    Two forms: "R from X to Y" (X, Y anywhere after "from" ... "to"), and
    "X along R to Y" ("E Afghanistan E along Himalayas to Bhutan", with
    ``region_span`` the offsets of R). In the "along" form only, an end
    outside the region counts as the region's end country that ``outside``
    gives for it (the nearer end).

    Parameters
    ----------
    sentence : str
        The sentence text.
    region_countries : sequence of str
        The region's countries, in order along it.
    places : sequence of (start, end, countries)
        The places of the sentence (offsets into ``sentence``), in order,
        without the region itself.
    region_span : (start, end), optional
        Offsets of the region's name, for the "along" form.
    outside : callable, optional
        ISO3 of a country outside the region -> the region's end country
        nearer to it (or None).

    Returns
    -------
    tuple of str or None
        The countries from the first end to the second, both included, or
        ``None`` when the sentence has no such span.

    Examples
    --------
    >>> andes = ("VEN", "COL", "ECU", "PER", "BOL", "CHL", "ARG")
    >>> s = "Andes from Venezuela to Peru"
    >>> span_countries(s, andes, [(0, 5, andes), (11, 20, ("VEN",)), (24, 28, ("PER",))])
    ('VEN', 'COL', 'ECU', 'PER')
    """
    order = {c: i for i, c in enumerate(region_countries)}

    def idx(cs: Sequence[str], along: bool = False) -> list[int]:
        got = [order[c] for c in cs if c in order]
        if not got and along and outside is not None:
            got = [order[e] for c in cs if (e := outside(c)) is not None and e in order]
        return got

    def between(ia: list[int], ib: list[int]) -> tuple[str, ...]:
        lo, hi = min(ia + ib), max(ia + ib)
        return tuple(region_countries[lo:hi + 1])

    for k, (a0, a1, ca) in enumerate(places):
        if not _FROM_RE.search(sentence[max(0, a0 - 40):a0]):
            continue
        ia = idx(ca)
        if not ia:
            continue
        for b0, _b1, cb in places[k + 1:]:
            if not _TO_RE.search(sentence[a1:b0]):
                continue
            ib = idx(cb)
            if ib:
                return between(ia, ib)
    if region_span is not None and _ALONG_RE.search(sentence[max(0, region_span[0] - 30):
                                                             region_span[0]]):
        r0, r1 = region_span
        before = [p for p in places if p[1] <= r0 and _ALONG_GAP_RE.match(sentence[p[1]:r0])]
        after = [p for p in places if p[0] >= r1 and _TO_RE.search(sentence[r1:p[0]])]
        if before and after:
            ia, ib = idx(before[-1][2], True), idx(after[0][2], True)
            if ia and ib:
                return between(ia, ib)
    return None


def _doc(p: UnitPlace) -> str:
    """Document of a place's evidence ("" when the evidence has none)."""
    return str(getattr(p.ev, "document", ""))


def _start(p: UnitPlace) -> int:
    """Offset of a place's evidence in its document (0 when the evidence has none)."""
    return int(getattr(p.ev, "start", 0))


def _quals(hits: Iterable[UnitPlace]) -> list[str]:
    """Qualifiers of a unit named by ``hits`` (rule 5)."""
    out: list[str] = []
    for h in hits:
        if not h.qualifiers:
            return []
        out.extend(q for q in h.qualifiers if q not in out)
    return out


def country_units(admin1: Sequence[str], regions: Sequence[str], whole: bool
                  ) -> list[tuple[str | None, str | None, str]]:
    """Units of one country of the range (rules 1 and 2): its parts, or the whole country.

    The one rule both the extractor (:func:`assemble`) and hand-written
    ``ranges.yaml`` files without ``units`` (:func:`rangemap.ranges.assemble_units`)
    map a country by.

    Parameters
    ----------
    admin1 : sequence of str
        The country's admin-1 units named as range.
    regions : sequence of str
        The regions whose part in the country is named as range.
    whole : bool
        Whether the text says the whole country (:func:`says_whole`).

    Returns
    -------
    list of (admin1, region, rule)
        One ``named-admin1`` unit per admin-1 name then one ``region`` unit per
        region, in the order given; or one ``whole-country`` unit when the country
        has no parts or ``whole`` is set.

    Examples
    --------
    >>> country_units(["Sikkim"], ["Himalaya"], whole=False)
    [('Sikkim', None, 'named-admin1'), (None, 'Himalaya', 'region')]
    >>> country_units(["Sikkim"], [], whole=True)
    [(None, None, 'whole-country')]
    """
    if (admin1 or regions) and not whole:
        return ([(a, None, "named-admin1") for a in admin1]
                + [(None, r, "region") for r in regions])
    return [(None, None, "whole-country")]


def assemble(places: Sequence[UnitPlace], country_names: dict[str, str],
             withheld: Iterable[str] = ()
             ) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Units of one record from its range places (module rules 1-7).

    Parameters
    ----------
    places : sequence of UnitPlace
        The record's range places.
    country_names : dict
        ISO3 -> country name.
    withheld : iterable of str
        Countries a region named alone must not add (rule 3).

    Returns
    -------
    (units, implied)
        ``units``: dicts with ``iso3``, ``country``, ``admin1``, ``region``,
        ``qualifiers``, ``rule`` and ``evidence`` (a list of the places'
        evidence objects, not yet serialised), sorted by (iso3, admin1,
        region). ``implied``: ISO3 -> evidence of every unit country (for
        ``countries``).
    """
    country_hits: dict[str, list[UnitPlace]] = {}
    admin1_hits: dict[tuple[str, str], list[UnitPlace]] = {}
    parts: dict[tuple[str, str], list[UnitPlace]] = {}  # (iso3, region) named with iso3
    free: dict[tuple[str, str], list[UnitPlace]] = {}   # region alone
    legacy: dict[tuple[str, str | None], list[UnitPlace]] = {}
    # where each region is first placed with some of its countries (rule 3's exception):
    # (document, region) -> offset of that mention
    placed: dict[tuple[str, str], int] = {}
    for p in places:
        if p.kind == "region" and p.polygon and (p.span or p.named_with):
            k = (_doc(p), p.name)
            placed[k] = min(placed.get(k, _start(p)), _start(p))
    for p in places:
        if p.kind == "country":
            for iso3, _ in p.targets:
                country_hits.setdefault(iso3, []).append(p)
        elif p.kind == "admin1":
            for iso3, a1 in p.targets:
                if a1:
                    admin1_hits.setdefault((iso3, a1), []).append(p)
        elif p.kind == "region" and p.polygon:
            rc = [t[0] for t in p.targets]
            if p.span:
                for c in p.span:
                    parts.setdefault((c, p.name), []).append(p)
            elif p.named_with:
                for c in p.named_with:
                    if c in rc:
                        parts.setdefault((c, p.name), []).append(p)
            elif _start(p) > placed.get((_doc(p), p.name), _start(p)):
                # a later bare mention of a region already placed refers back to it
                continue
            else:
                for c in rc:
                    free.setdefault((c, p.name), []).append(p)
        elif p.kind == "region" and not p.qualifier_only:
            for iso3, a1 in p.targets:
                legacy.setdefault((iso3, a1), []).append(p)

    units: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(iso3: str, a1: str | None, region: str | None, rule: str,
            hits: Sequence[UnitPlace]) -> None:
        units[(iso3, a1 or "", region or "")] = {
            "iso3": iso3, "country": country_names.get(iso3, iso3), "admin1": a1,
            "region": region, "qualifiers": _quals(hits), "rule": rule,
            "evidence": [h.ev for h in hits]}

    named = set(country_hits) | {i for i, _ in admin1_hits} | {i for i, _ in parts}
    for iso3 in sorted(named):
        a1_parts = {a1: v for (i, a1), v in sorted(admin1_hits.items()) if i == iso3}
        r_parts = {r: v for (i, r), v in sorted(parts.items()) if i == iso3}
        whole = any(h.whole for h in country_hits.get(iso3, []))
        for a1, region, rule in country_units(list(a1_parts), list(r_parts), whole):
            if a1 is not None:
                add(iso3, a1, None, rule, a1_parts[a1])
            elif region is not None:
                add(iso3, None, region, rule, r_parts[region])
            else:
                hits = country_hits.get(iso3) or [
                    h for v in (*a1_parts.values(), *r_parts.values()) for h in v]
                add(iso3, None, None, rule, [h for h in hits if h.kind == "country"] or hits)
    skip = set(withheld)
    for (iso3, region), hits in sorted(free.items()):
        if iso3 not in named and iso3 not in skip:
            add(iso3, None, region, "region", hits)
    whole_legacy = {i for i, a in legacy if a is None}
    for (iso3, a1), hits in legacy.items():
        if iso3 in named or (a1 is not None and iso3 in whole_legacy):
            continue
        add(iso3, a1, None, "region", hits)
    out = [units[k] for k in sorted(units)]
    implied: dict[str, list[Any]] = {}
    for u in out:
        implied.setdefault(u["iso3"], []).extend(u["evidence"])
    return out, implied
