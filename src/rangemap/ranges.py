"""Range records -> range units with geometry.

A *range record* is one taxon as :mod:`rangemap.extract` reports it (or as a
person edited it in ``ranges.yaml``).  Its ``units`` are whole countries,
first-level units or the part of a region (``region``: a polygon of
``regions.gpkg`` beside the boundaries) in one country; this module validates
them against the boundaries and attaches their polygons:

* a region unit is the region's part in its country (layer ``region_parts``);
  without a ``regions.gpkg`` (boundaries of the user's own) it falls back to
  the whole country, with a warning in the log;
* the part of a region unit that a named admin-1 unit of the same taxon and
  country already covers is taken out of it, so units do not overlap ("the
  Himalayas of India ... in Sikkim");
* compass ``qualifiers`` clip the unit (:func:`clip_to_qualifiers`) by the
  half/quarter/middle of the extent of the named place: the region for a
  region unit, else the unit itself.
"""

from __future__ import annotations

import csv
import difflib
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
import yaml

from rangemap.bands import DEFAULT_MIN_ELEVATION_M, check_band, default_band
from rangemap.errors import DataError, UsageError, first_line, warn
from rangemap.fsutil import slugify
from rangemap.geo import antimeridian
from rangemap.geo.shapes import as_multi
from rangemap.model import RangeRecord, RangeUnit
from rangemap.preferences import normalize_record
from rangemap.units import country_units

__all__ = ["DEFAULT_MIN_ELEVATION_M"]  # re-exported: the rule lives in rangemap.bands

log = logging.getLogger(__name__)


def read_boundary_layer(path: str | os.PathLike[str], layer: str, *, geometry: bool = True
                        ) -> gpd.GeoDataFrame:
    """Layer ``admin0`` or ``admin1`` of a boundaries GeoPackage, in lon/lat (EPSG:4326).

    A layer with no CRS is taken to be lon/lat already.  ``geometry=False`` reads the
    attributes only (names, codes).
    """
    df = pyogrio.read_dataframe(path, layer=layer, read_geometry=geometry)
    if geometry and (df.crs is None or df.crs.to_epsg() != 4326):
        df = df.set_crs(4326, allow_override=True) if df.crs is None else df.to_crs(4326)
    return df


@dataclass
class Boundaries:
    """Admin-0 and admin-1 polygons (EPSG:4326) with their names, and region polygons."""

    path: Path
    admin0: gpd.GeoDataFrame
    admin1: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame | None = None
    region_parts: gpd.GeoDataFrame | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Boundaries:
        """Read layers ``admin0`` (iso3, name) and ``admin1`` (iso3, admin1_name).

        ``regions.gpkg`` beside the file (layers ``regions`` and
        ``region_parts``), when present, gives the region polygons.
        """
        p = Path(path)
        hint = "pass --boundaries with a GeoPackage that has layers admin0 and admin1"
        if not p.exists():
            raise DataError(f"{p}: boundaries file not found; {hint}")
        try:
            layers = {name for name, _ in pyogrio.list_layers(p)}
        except Exception as exc:  # pyogrio raises several DataSource errors
            raise DataError(f"{p}: cannot read boundaries ({first_line(exc)}); {hint}") from exc
        missing = {"admin0", "admin1"} - layers
        if missing:
            raise DataError(f"{p}: boundaries lack layer(s) {', '.join(sorted(missing))}; {hint}")
        a0 = read_boundary_layer(p, "admin0")
        a1 = read_boundary_layer(p, "admin1")
        for df, need, layer in ((a0, {"iso3", "name"}, "admin0"),
                                (a1, {"iso3", "admin1_name"}, "admin1")):
            lack = need - set(df.columns)
            if lack:
                raise DataError(f"{p}: layer {layer} lacks field(s) {', '.join(sorted(lack))}; "
                                f"{hint}")
        regions = parts = None
        rp = p.with_name("regions.gpkg")
        if rp.is_file():
            try:
                regions = pyogrio.read_dataframe(rp, layer="regions").to_crs(4326)
                parts = pyogrio.read_dataframe(rp, layer="region_parts").to_crs(4326)
            except Exception as exc:  # noqa: BLE001 - any driver error is a data error
                raise DataError(f"{rp}: cannot read region polygons ({first_line(exc)}); "
                                "rebuild it with scripts/build_data.py --regions-only") from exc
        return cls(p, a0, a1, regions, parts)

    def region_names(self) -> list[str]:
        """Names of the regions with polygons (empty without ``regions.gpkg``)."""
        return [] if self.regions is None else sorted(self.regions["name"].astype(str))

    def region_geometry(self, name: str, iso3: str | None = None) -> shapely.Geometry | None:
        """Polygon of a region (its part in ``iso3`` if given), or None if unknown."""
        if iso3 is None:
            if self.regions is None:
                return None
            rows = self.regions.loc[self.regions["name"] == name, "geometry"]
        else:
            if self.region_parts is None:
                return None
            sel = (self.region_parts["region"] == name) & (self.region_parts["iso3"] == iso3)
            rows = self.region_parts.loc[sel, "geometry"]
        return shapely.union_all(rows.values) if len(rows) else None

    def country_name(self, iso3: str) -> str | None:
        """Name of a country, or None when unknown."""
        hit = self.admin0.loc[self.admin0["iso3"] == iso3, "name"]
        return str(hit.iloc[0]) if len(hit) else None

    def country_geometry(self, iso3: str) -> shapely.Geometry:
        """Polygon of a whole country."""
        rows = self.admin0.loc[self.admin0["iso3"] == iso3, "geometry"]
        return shapely.union_all(rows.values) if len(rows) > 1 else rows.iloc[0]

    def admin1_geometry(self, iso3: str, name: str) -> shapely.Geometry:
        """Polygon of one first-level unit."""
        sel = (self.admin1["iso3"] == iso3) & (self.admin1["admin1_name"] == name)
        rows = self.admin1.loc[sel, "geometry"]
        return shapely.union_all(rows.values) if len(rows) > 1 else rows.iloc[0]

    def admin1_names(self, iso3: str) -> list[str]:
        """First-level unit names of a country."""
        return sorted(self.admin1.loc[self.admin1["iso3"] == iso3, "admin1_name"].astype(str))


def assemble_units(record: RangeRecord) -> list[RangeUnit]:
    """Units of a record that lists only ``countries`` and ``admin1``.

    Where the record names first-level units of a country, the range there is
    those units (rule ``named-admin1``), plus the parts of the regions the
    country item lists under ``regions`` (rule ``region``: "the Himalayas in
    India" maps the Indian part of the Himalaya); otherwise the whole country
    (rule ``whole-country``).  Used for hand-written ``ranges.yaml`` files
    that carry no ``units``.  The parts-or-whole choice is
    :func:`rangemap.units.country_units`, the extractor's rule.  Compass
    ``qualifiers`` written on a country, admin-1 or region item go onto its
    unit, so "northern" on a hand-written item clips the unit as the
    extractor's units do (they were dropped before, silently).  Unlike the
    extractor, units keep the record's order, a country with parts is never
    whole ("throughout"), and legacy regions (``aliases.csv`` rows without a
    polygon) are not mapped to their admin-1 units.
    """
    by_country: dict[str, list[Any]] = {}
    for a in record.get("admin1") or []:
        by_country.setdefault(a["country_iso3"], []).append(a)
    iso3s = [c["iso3"] for c in record.get("countries") or []]
    iso3s += [k for k in by_country if k not in iso3s]
    via = {c["iso3"]: [str(r) for r in c.get("regions") or []]
           for c in record.get("countries") or []}
    quals = {c["iso3"]: list(c.get("qualifiers") or []) for c in record.get("countries") or []}
    region_quals = {str(r.get("name")): list(r.get("qualifiers") or [])
                    for r in record.get("regions") or [] if isinstance(r, dict)}
    units: list[RangeUnit] = []
    for iso3 in iso3s:
        admin1 = by_country.get(iso3, [])
        ev = next((c.get("evidence") or [] for c in record.get("countries") or []
                   if c["iso3"] == iso3), [])
        a1_items = iter(admin1)
        # a hand-written file says no "throughout": a country with parts maps its parts
        for a1, region, rule in country_units(
                [a.get("boundary_name") or a.get("name") for a in admin1],
                via.get(iso3, []), whole=False):
            if rule == "named-admin1":
                item = next(a1_items)
                units.append({"iso3": iso3, "admin1": a1, "rule": "named-admin1",
                              "qualifiers": list(item.get("qualifiers") or []),
                              "evidence": item.get("evidence") or []})
            elif rule == "region":
                units.append({"iso3": iso3, "admin1": None, "region": region,
                              "qualifiers": region_quals.get(str(region), []),
                              "rule": "region", "evidence": ev})
            else:
                units.append({"iso3": iso3, "admin1": None, "rule": "whole-country",
                              "qualifiers": quals.get(iso3, []), "evidence": ev})
    return units


def validate_record(record: RangeRecord, boundaries: Boundaries, where: str) -> None:
    """Check a record's names and elevation limits; raise DataError with a fix.

    Parameters
    ----------
    record : dict
        One entry of ``species``.
    boundaries : Boundaries
        Boundaries to check names against.
    where : str
        File name used in messages.
    """
    label = record.get("scientific_name") or record.get("name") or "?"
    lo, hi = record.get("elevation_min_m"), record.get("elevation_max_m")
    for key, val in (("elevation_min_m", lo), ("elevation_max_m", hi)):
        if val is not None and not isinstance(val, int | float):
            raise DataError(f"{where}: {label}: {key} must be a number of metres or null, "
                            f"not {val!r}")
    check_band(lo, hi, f"{where}: {label}", "elevation_min_m", "elevation_max_m")
    known = set(boundaries.admin0["iso3"])
    units = record.get("units") or assemble_units(record)
    for u in units:
        iso3 = u.get("iso3")
        if iso3 not in known:
            close = difflib.get_close_matches(str(iso3), sorted(known), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise DataError(f"{where}: {label}: unknown country code {iso3!r}{hint}; "
                            "use an ISO 3166-1 alpha-3 code from the boundaries")
        region = u.get("region")
        if region is not None and boundaries.regions is not None:
            rnames = boundaries.region_names()
            if region not in rnames:
                close = difflib.get_close_matches(str(region), rnames, n=3, cutoff=0.5)
                hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
                raise DataError(f"{where}: {label}: unknown region {region!r}{hint}; use a "
                                "name from data/boundaries/regions.csv or drop 'region'")
        name = u.get("admin1")
        if name is not None:
            names = boundaries.admin1_names(iso3)
            if name not in names:
                close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
                hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
                raise DataError(f"{where}: {label}: unknown first-level unit {name!r} in {iso3}"
                                f"{hint}; use a name from the boundaries' admin1_name")


#: libyaml's parser when PyYAML has it (same results as the pure-Python SafeLoader).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_TOP_KEY = re.compile(r"[A-Za-z_][\w-]*:(\s|$)")


def _species_entries(text: str) -> tuple[list[str], str] | None:
    """(text of each ``species`` entry, the other top-level keys' text), for a file in the
    layout ``extract -o`` writes; None for any other layout.

    That layout: comments, then plain top-level keys at column 0, among them one
    ``species:`` line followed by list items at column 0 (``- ``) whose other lines
    are indented.  Anything else (document markers, directives, flow style,
    indented items, two ``species`` keys) is parsed whole.
    """
    entries: list[list[str]] | None = None
    rest: list[str] = []
    section: str | None = None
    seen_species = False
    for line in text.splitlines(keepends=True):
        if not line.strip() or line.startswith("#"):
            (entries[-1] if section == "species" and entries else rest).append(line)
            continue
        if _TOP_KEY.match(line):
            if line.rstrip() == "species:":
                if seen_species:
                    return None
                seen_species, section, entries = True, "species", []
            else:
                section = "other"
                rest.append(line)
            continue
        if section == "species":
            assert entries is not None
            if line.startswith("- ") or line.rstrip("\r\n") == "-":
                entries.append([line])
            elif line.startswith(" ") and entries:
                entries[-1].append(line)
            else:
                return None
        elif section == "other" and line.startswith((" ", "-")):
            rest.append(line)
        else:
            return None
    if not entries:  # no species key, or no item under it: as the whole parse says
        return None
    return ["".join(e) for e in entries], "".join(rest)


def parse_ranges_yaml(text: str) -> Any:
    """The YAML of a ranges file, its ``species`` parsed one entry at a time when it can be.

    Parsing a whole file builds every node of it first: for 1,000 taxa (1 MB of
    YAML) that peaked at 60-90 MB, which the process keeps.  Entry by entry the
    peak is one entry's.  Anything the entry-wise parse cannot take (an alias to
    another entry's anchor, an unusual layout) is parsed whole, as before, so the
    result and the error messages are the same.
    """
    split = _species_entries(text)
    if split is not None:
        entries, rest = split
        try:
            data = yaml.load(rest, Loader=_YAML_LOADER) if rest.strip() else {}
            species = []
            for chunk in entries:
                item = yaml.load(chunk, Loader=_YAML_LOADER)
                if not isinstance(item, list) or len(item) != 1:
                    break
                species.append(item[0])
            else:
                if isinstance(data, dict) and "species" not in data:
                    return {"species": species, **data}
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=_YAML_LOADER)


def load_ranges_yaml(path: str | os.PathLike[str], boundaries: Boundaries) -> list[RangeRecord]:
    """Read and validate a ``ranges.yaml`` written by ``rangemap extract -o``.

    Returns the list of species records, each with ``units``.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{p}: ranges file not found; pass --ranges with a file written by "
                        "'rangemap extract -o ranges.yaml'") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{p}: cannot read ranges file ({first_line(exc)}); save it as UTF-8"
                        ) from exc
    try:
        data = parse_ranges_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise DataError(f"{p}: not valid YAML{at}; fix the syntax or re-run rangemap extract"
                        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("species"), list):
        raise DataError(f"{p}: expected a mapping with a 'species' list; see the README's "
                        "ranges.yaml format")
    records = []
    line_cache: dict[str, list[dict[Any, int]]] = {}
    for i, rec in enumerate(data["species"]):
        if not isinstance(rec, dict) or not (rec.get("name") or rec.get("scientific_name")):
            raise DataError(f"{p}: species entry {i + 1} needs a name or scientific_name")
        validate_record(rec, boundaries, str(p))
        check_units_agree(rec, str(p), _LazyLines(text, i, line_cache))
        rec = dict(rec)
        rec.update(normalize_record(rec, str(p)))  # habitat codes and slope limits
        if not rec.get("units"):
            rec["units"] = assemble_units(rec)
        records.append(rec)
    return records


class _LazyLines:
    """Line numbers of one species entry, found only when an error message needs one.

    Composing the YAML (a second parse, with marks) is the slow part of reading
    a ranges file; composing it once per entry made reading n entries O(n²)
    (1,000 entries: hours).  The whole file is composed at most once, on the
    first lookup, and shared by every entry through ``cache``.
    """

    def __init__(self, text: str, index: int, cache: dict[str, list[dict[Any, int]]]) -> None:
        self._text, self._index, self._cache = text, index, cache

    def __bool__(self) -> bool:
        return True

    def get(self, key: Any, default: Any = None) -> Any:
        if "all" not in self._cache:
            self._cache["all"] = _all_record_lines(self._text)
        entries = self._cache["all"]
        lines = entries[self._index] if self._index < len(entries) else {}
        return lines.get(key, default)


def _record_lines(text: str, index: int) -> dict[Any, int]:
    """1-based line numbers of a species entry's lists and items in ``ranges.yaml``.

    Keys: ``"countries"``, ``"admin1"``, ``"units"`` (the list keys) and
    ``("countries", iso3)``, ``("admin1", (iso3, name))``, ``("units", (iso3, admin1))``.
    """
    entries = _all_record_lines(text)
    return entries[index] if index < len(entries) else {}


def _all_record_lines(text: str) -> list[dict[Any, int]]:
    """:func:`_record_lines` of every species entry, from one compose of the text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    species = next((v for k, v in root.value if k.value == "species"), None)
    if not isinstance(species, yaml.SequenceNode):
        return []
    return [_entry_lines(e) if isinstance(e, yaml.MappingNode) else {} for e in species.value]


def _entry_lines(entry: yaml.MappingNode) -> dict[Any, int]:
    lines: dict[Any, int] = {}

    def scalar(item: yaml.Node, *keys: str) -> str | None:
        for k, v in getattr(item, "value", []):
            if isinstance(k, yaml.ScalarNode) and k.value in keys and isinstance(
                    v, yaml.ScalarNode):
                return None if v.tag.endswith(":null") else v.value
        return None

    for key, val in entry.value:
        if key.value not in ("countries", "admin1", "units"):
            continue
        lines[key.value] = key.start_mark.line + 1
        for item in getattr(val, "value", []) if isinstance(val, yaml.SequenceNode) else []:
            if key.value == "countries":
                ident: Any = scalar(item, "iso3")
            elif key.value == "admin1":
                ident = (scalar(item, "country_iso3"), scalar(item, "boundary_name")
                         or scalar(item, "name"))
            else:
                ident = (scalar(item, "iso3"), scalar(item, "admin1"))
            lines.setdefault((key.value, ident), item.start_mark.line + 1)
    return lines


def check_units_agree(record: RangeRecord, where: str,
                      lines: dict[Any, int] | _LazyLines | None = None) -> None:
    """Refuse a record whose ``units`` disagree with its ``countries``/``admin1``.

    ``units`` are what gets mapped; ``countries`` and ``admin1`` are what a
    reviewer reads and edits.  An edit to one but not the other would be
    silently ignored (or silently win), so a disagreement is a
    :class:`DataError` naming the line of each side.  Agreement means: each
    listed country has a unit (its named admin-1 units, else the whole
    country, else the part of a listed region in it), each listed admin-1 unit
    is a unit, every unit with a ``region`` names a listed region and one of
    its countries, a whole-country unit is a listed country ("throughout
    India" maps the whole country even beside named admin-1 units), and every
    other unit is covered by a listed ``regions`` item (rule ``region``).  A
    record without ``units`` has them derived from ``countries``/``admin1``
    (no check needed).
    """
    units = record.get("units")
    if not units:
        return
    lines = lines or {}
    label = record.get("scientific_name") or record.get("name") or "?"
    hint = ("edit both, or delete the 'units:' list to derive the units from countries and "
            "admin1")

    def at(key: Any) -> str:
        n = lines.get(key) or (lines.get(key[0]) if isinstance(key, tuple) else None)
        return f" (line {n})" if n else ""

    countries = [c.get("iso3") for c in record.get("countries") or []]
    admin1 = [(a.get("country_iso3"), a.get("boundary_name") or a.get("name"))
              for a in record.get("admin1") or []]
    have = {(u.get("iso3"), u.get("admin1")) for u in units if not u.get("region")}
    parts = {(u.get("iso3"), u.get("region")) for u in units if u.get("region")}
    listed = {str(r.get("name")): set(r.get("countries") or
                                      [ru[0] for ru in r.get("units") or []])
              for r in record.get("regions") or []}
    region_units = {tuple(ru) for r in record.get("regions") or []
                    for ru in r.get("units") or []}
    for iso3 in countries:
        named = [k for k in admin1 if k[0] == iso3]
        if named or any(i == iso3 for i, _ in parts) or any(
                i == iso3 and (i, a) in region_units for i, a in have):
            continue  # its admin-1 units, region parts or alias-table region units
        if (iso3, None) not in have:
            got = sorted(a or "" for i, a in have if i == iso3)
            what = (f"only first-level units {', '.join(got)} of {iso3}" if got
                    else f"no unit in {iso3}")
            raise DataError(f"{where}: {label}: countries{at(('countries', iso3))} lists {iso3} "
                            f"but units{at('units')} has {what}; {hint}")
    for key in admin1:
        if key not in have:
            raise DataError(f"{where}: {label}: admin1{at(('admin1', key))} lists {key[1]} "
                            f"({key[0]}) but units{at('units')} has no such unit; {hint}")
    expected = {(i, None) for i in countries if not any(k[0] == i for k in admin1)}
    expected |= set(admin1)
    for u in units:
        key = (u.get("iso3"), u.get("admin1"))
        region = u.get("region")
        if region:
            if key[0] in listed.get(str(region), set()):
                continue
            raise DataError(f"{where}: {label}: units{at(('units', key))} has the part of "
                            f"{region} in {key[0]} but regions{at('regions')} does not list "
                            f"{region} with {key[0]}; {hint}")
        if key in expected or (key[1] is None and key[0] in countries):
            continue
        if key in region_units:
            continue
        if key[1] is None:
            why = f"countries{at('countries')} does not list {key[0]}"
            if any(k[0] == key[0] for k in admin1):
                why = (f"admin1{at('admin1')} names first-level units of {key[0]}, so the "
                       "whole country is not a unit")
        else:
            why = f"admin1{at('admin1')} does not list {key[1]}"
        raise DataError(f"{where}: {label}: units{at(('units', key))} has "
                        f"{key[0]}{' ' + key[1] if key[1] else ''} but {why} (and no listed "
                        f"region covers it); {hint}")


def taxon_id(record: RangeRecord) -> str:
    """Stable slug for a taxon: scientific name if known, else common name."""
    return slugify(record.get("scientific_name") or record.get("name") or "taxon")


#: Compass qualifier -> the part of the extent it keeps: (x from, x to, y from, y to) as
#: fractions of the width/height from the west/south edge.
QUALIFIER_PARTS: dict[str, tuple[float, float, float, float]] = {
    "northern": (0.0, 1.0, 0.5, 1.0),
    "southern": (0.0, 1.0, 0.0, 0.5),
    "eastern": (0.5, 1.0, 0.0, 1.0),
    "western": (0.0, 0.5, 0.0, 1.0),
    "north-eastern": (0.5, 1.0, 0.5, 1.0),
    "north-western": (0.0, 0.5, 0.5, 1.0),
    "south-eastern": (0.5, 1.0, 0.0, 0.5),
    "south-western": (0.0, 0.5, 0.0, 0.5),
    "central": (0.25, 0.75, 0.25, 0.75),
}


def clip_to_qualifiers(geom: shapely.Geometry, qualifiers: list[str] | tuple[str, ...],
                       extent: shapely.Geometry | None = None) -> shapely.Geometry:
    """The part of ``geom`` that compass ``qualifiers`` select.

    Each qualifier keeps a part of the bounding box of ``extent`` (default:
    ``geom`` itself), see :data:`QUALIFIER_PARTS`: a half for north/south/
    east/west, a quarter for the intercardinal words, the middle half in each
    direction for "central". Several qualifiers keep the union of their
    parts. Unknown words are ignored; a clip that leaves nothing returns
    ``geom`` unchanged. Longitudes of a shape spanning the antimeridian (RUS,
    USA, FJI) are unwrapped first, so "eastern Russia" is Chukotka's side.

    >>> g = shapely.box(0, 0, 10, 10)
    >>> clip_to_qualifiers(g, ["southern"]).bounds
    (0.0, 0.0, 10.0, 5.0)
    """
    parts = [QUALIFIER_PARTS[q] for q in qualifiers if q in QUALIFIER_PARTS]
    if not parts or geom is None or geom.is_empty:
        return geom
    ext = geom if extent is None else extent
    wrap = antimeridian.straddles(ext)
    if wrap:
        geom, ext = antimeridian.unwrap(geom), antimeridian.unwrap(ext)
    minx, miny, maxx, maxy = ext.bounds
    w, h = maxx - minx, maxy - miny
    boxes = [shapely.box(minx + x0 * w, miny + y0 * h, minx + x1 * w, miny + y1 * h)
             for x0, x1, y0, y1 in parts]
    out = shapely.intersection(geom, shapely.union_all(boxes))
    polys = [g for g in shapely.get_parts(out) if g.geom_type == "Polygon" and g.area > 0]
    if not polys:
        return antimeridian.rewrap(geom) if wrap else geom
    out = shapely.MultiPolygon(polys)
    return antimeridian.rewrap(out) if wrap else out


def range_units(records: list[RangeRecord], boundaries: Boundaries) -> gpd.GeoDataFrame:
    """One row per (taxon, unit) with the unit's polygon.

    Columns: ``taxon_id``, ``species``, ``scientific_name``, ``rank``, ``iso3``,
    ``country``, ``admin1``, ``region``, ``qualifiers``, ``unit_rule``, ``elevation_min_m``,
    ``elevation_max_m``, ``elevation_rule``, ``evidence``, ``geometry``.
    """
    rows = []
    for rec in records:
        tid = taxon_id(rec)
        lo, hi, defaulted = default_band(rec.get("elevation_min_m"), rec.get("elevation_max_m"))
        if defaulted:
            rule = f"default {DEFAULT_MIN_ELEVATION_M:,.0f} m (no lower limit stated)"
        else:
            evs = rec.get("elevation_evidence") or [{}]
            # A limit given on the command line is listed first; the other limit's
            # sentence follows when it still comes from a document.
            rule = "; ".join(f"{ev.get('document', 'ranges')}: {ev.get('sentence', '').strip()}"
                             for ev in evs[:2 if evs[0].get("document") == "command line"
                                           else 1])
            if lo is None:
                rule += " (upper limit only: no lower limit)"
        units = rec.get("units") or []
        named_a1: dict[str, list[shapely.Geometry]] = {}
        for u in units:
            if u.get("admin1") is not None and u.get("geometry") is None:
                named_a1.setdefault(u["iso3"], []).append(
                    boundaries.admin1_geometry(u["iso3"], u["admin1"]))
        for u in units:
            iso3, a1 = u["iso3"], u.get("admin1")
            region = u.get("region")
            quals = list(u.get("qualifiers") or [])
            geom = u.get("geometry")  # set by range files (IUCN polygons) only
            extent = None
            if geom is None and region is not None:
                geom = boundaries.region_geometry(region, iso3)
                extent = boundaries.region_geometry(region)
                if geom is None:
                    log.warning("%s: no polygon of region %r in %s (no regions.gpkg beside the "
                                "boundaries?); the whole country is mapped", tid, region, iso3)
                    geom = boundaries.country_geometry(iso3)
                    extent = None
                elif iso3 in named_a1:
                    # the named admin-1 units of the same country already map their part
                    rest = shapely.difference(geom, shapely.union_all(named_a1[iso3]))
                    if rest.is_empty or rest.area == 0:
                        continue
                    geom = rest
            if geom is None:
                geom = (boundaries.admin1_geometry(iso3, a1) if a1 is not None
                        else boundaries.country_geometry(iso3))
            if quals:
                geom = clip_to_qualifiers(geom, quals, extent)
            evidence = "\n".join(
                f"{e.get('document', '')}: {e.get('sentence', '').strip()}"
                for e in u.get("evidence") or []
            )
            rows.append({
                "taxon_id": tid,
                "species": rec.get("name") or rec.get("scientific_name"),
                "scientific_name": rec.get("scientific_name"),
                "rank": rec.get("rank", "species"),
                "iso3": iso3,
                "country": boundaries.country_name(iso3),
                "admin1": a1,
                "region": region,
                "qualifiers": ", ".join(quals) or None,
                "unit_rule": _rule_label(
                    u.get("rule", "whole-country" if a1 is None else "named-admin1"),
                    region, quals),
                "elevation_min_m": lo,
                "elevation_max_m": hi,
                "elevation_rule": rule,
                "evidence": evidence,
                "geometry": geom,
            })
    cols = ["taxon_id", "species", "scientific_name", "rank", "iso3", "country", "admin1",
            "region", "qualifiers", "unit_rule", "elevation_min_m", "elevation_max_m",
            "elevation_rule", "evidence", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs="EPSG:4326")


def _rule_label(rule: str, region: str | None, quals: list[str]) -> str:
    """``unit_rule`` of an output row: the rule, the region and the qualifiers.

    The published layers carry ``unit_rule`` only, so a region part reads
    "region: Himalaya" and a clipped unit "whole-country (northern)".
    """
    out = f"{rule}: {region}" if region else rule
    return f"{out} ({', '.join(quals)})" if quals else out


#: A range-file piece under this share of the taxon's range, and thin (isoperimetric
#: quotient 4πA/P² under SLIVER_THINNESS; a square is 0.79), is a sliver, not a unit: a
#: small but compact piece in a neighbour is kept.
SLIVER_SHARE = 1e-4
SLIVER_THINNESS = 0.05

#: IUCN range-file codes kept by default (the usual AOH selection).
IUCN_DEFAULTS = {"presence": (1, 2), "origin": (1, 2), "seasonal": (1, 2, 3)}


def filter_iucn(gdf: gpd.GeoDataFrame, codes: dict[str, tuple[int, ...]] | None,
                where: str) -> gpd.GeoDataFrame:
    """Features whose IUCN ``presence``/``origin``/``seasonal`` codes are allowed.

    Defaults :data:`IUCN_DEFAULTS`; a field the file lacks is not filtered on
    (any polygon file works).  Used by every command that reads a range file.

    Raises
    ------
    DataError
        When no feature is left.
    """
    codes = IUCN_DEFAULTS | (codes or {})
    keep = pd.Series(True, index=gdf.index)
    for field, allowed in codes.items():
        if field in gdf.columns:
            vals = gdf[field]
            keep &= vals.isin(list(allowed)) | vals.astype(str).isin([str(a) for a in allowed])
    kept = gdf[keep]
    if len(gdf) and not len(kept):
        raise DataError(f"{where}: no feature left after filtering by IUCN codes "
                        f"{codes}; check --presence/--origin/--seasonal")
    return kept


def records_from_range_file(
    gdf: gpd.GeoDataFrame,
    boundaries: Boundaries,
    where: str,
    taxon_field: str = "sci_name",
    codes: dict[str, tuple[int, ...]] | None = None,
) -> tuple[list[RangeRecord], dict[str, int]]:
    """Taxon records from published range polygons (IUCN/BirdLife style).

    Features are filtered by the IUCN ``presence``/``origin``/``seasonal``
    codes (a field that is absent is not filtered on), grouped by
    ``taxon_field``, dissolved, and cut by the admin-0 boundaries so that
    each (taxon, country) becomes a unit with rule ``range-file``.

    Returns
    -------
    (records, counts)
        Records with ``units`` carrying their own geometry, and how many
        features were read and kept.
    """
    if taxon_field not in gdf.columns:
        raise DataError(f"{where}: no field {taxon_field!r} naming the taxon; pass "
                        f"--taxon-field with one of: {', '.join(map(str, gdf.columns[:12]))}")
    kept = filter_iucn(gdf[gdf[taxon_field].notna()], codes, where)
    counts = {"features": int(len(gdf)), "kept": int(len(kept))}
    a0 = boundaries.admin0
    records = []
    for name, grp in kept.groupby(taxon_field, sort=True):
        dissolved = shapely.union_all(shapely.make_valid(grp.geometry.values))
        units = []
        slivers: list[str] = []
        for i in a0.sindex.query(dissolved, predicate="intersects"):
            row = a0.iloc[int(i)]
            piece = shapely.intersection(dissolved, row.geometry)
            piece = shapely.MultiPolygon([g for g in shapely.get_parts(piece)
                                          if g.geom_type == "Polygon"])
            if piece.is_empty or piece.area == 0:
                continue
            if (piece.area < SLIVER_SHARE * dissolved.area
                    and 4 * math.pi * piece.area < SLIVER_THINNESS * piece.length ** 2):
                # A range drawn on other boundaries (or reprojected, e.g. from EPSG:3857)
                # overlaps a neighbour by a hair: not a range unit, but said.
                slivers.append(str(row["iso3"]))
                continue
            units.append({"iso3": row["iso3"], "admin1": None, "rule": "range-file",
                          "evidence": [{"document": Path(where).name, "start": 0, "end": 0,
                                        "sentence": f"{taxon_field} = {name}"}],
                          "geometry": piece})
        if slivers:
            warn("sliver-units", f"{name}: dropped slivers in {', '.join(sorted(slivers))} "
                 f"(thin, each under {SLIVER_SHARE:.2%} of the range: its edge and the boundaries "
                 "differ by a hair, e.g. after reprojection); map them with a range drawn "
                 "into those countries")
        units.sort(key=lambda u: u["iso3"])
        records.append({"name": str(name), "scientific_name": str(name), "rank": "species",
                        "countries": [{"iso3": u["iso3"],
                                       "name": boundaries.country_name(u["iso3"]),
                                       "evidence": u["evidence"]} for u in units],
                        "admin1": [], "elevation_min_m": None, "elevation_max_m": None,
                        "units": units})
    return records, counts


def normalize_boundaries(
    src: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    country_field: str,
    name_field: str,
    id_field: str | None = None,
    layer: str | None = None,
    aliases: str | os.PathLike[str] | None = None,
    country_names: dict[str, str] | None = None,
) -> Path:
    """Turn a user's admin-1 file (Natural Earth, GADM, geoBoundaries) into rangemap's layout.

    Writes ``dest_dir/boundaries.gpkg`` with layers ``admin0`` (the admin-1
    units dissolved per country) and ``admin1``, plus the rows of the alias
    table whose targets exist in the new boundaries as ``aliases.csv``.

    Parameters
    ----------
    src : path
        Polygon file with one feature per first-level unit.
    dest_dir : path
        Folder for the normalized copy (e.g. a temporary folder).
    country_field, name_field : str
        Fields holding the ISO 3166-1 alpha-3 country code (GADM ``GID_0``,
        geoBoundaries ``shapeGroup``, Natural Earth ``adm0_a3``) and the
        unit's name (``NAME_1``, ``shapeName``, ``name``).
    id_field : str, optional
        A unique unit id kept as ``admin1_id`` (``GID_1``, ``shapeID``, ``adm1_code``).
    layer : str, optional
        Layer to read (default: the first).
    aliases : path, optional
        Alias table to carry over (rows whose targets exist are kept).
    country_names : dict, optional
        iso3 -> country name (e.g. from the embedded boundaries), so texts that
        say "India" still match; otherwise the code is the name.

    Returns
    -------
    Path
        The normalized GeoPackage.
    """
    p = Path(src)
    hint = "pass --boundaries with a polygon file of first-level units"
    if not p.exists():
        raise DataError(f"{p}: boundaries file not found; {hint}")
    try:
        gdf = pyogrio.read_dataframe(p, layer=layer)
    except Exception as exc:
        raise DataError(f"{p}: cannot read boundaries ({first_line(exc)}); {hint}") from exc
    for opt, field in (("--country-field", country_field), ("--name-field", name_field),
                       ("--id-field", id_field)):
        if field is not None and field not in gdf.columns:
            raise DataError(f"{p}: no field {field!r} for {opt}; fields are: "
                            f"{', '.join(map(str, gdf.columns[:15]))}")
    if gdf.crs is None:
        raise DataError(f"{p}: boundaries have no CRS; define one (e.g. EPSG:4326)")
    gdf = gdf[gdf.geometry.notna() & gdf[country_field].notna() & gdf[name_field].notna()]
    if not len(gdf):
        raise DataError(f"{p}: no feature with a country code and a name; {hint}")
    gdf = gdf.to_crs(4326)
    iso3 = gdf[country_field].astype(str).str.upper()
    names = country_names or {}
    a1 = gpd.GeoDataFrame({
        "iso3": iso3.values,
        "name": [names.get(c, c) for c in iso3],
        "admin1_name": gdf[name_field].astype(str).values,
        "admin1_id": gdf[id_field].astype(str).values if id_field else gdf[name_field].astype(str)
        .values,
        "aliases": "",
    }, geometry=shapely.make_valid(gdf.geometry.values), crs="EPSG:4326")
    a0 = a1.dissolve(by="iso3", as_index=False)[["iso3", "name", "geometry"]]
    out_dir = Path(dest_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / "boundaries.gpkg"
    pyogrio.write_dataframe(a0, dest, layer="admin0", promote_to_multi=True)
    pyogrio.write_dataframe(a1, dest, layer="admin1", promote_to_multi=True, append=True)
    table = Path(aliases) if aliases else None
    if table is not None and table.exists():
        known0 = set(a0["iso3"])
        known1 = set(zip(a1["iso3"], a1["admin1_name"], strict=True))
        with open(table, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        keep = [r for r in rows if r["iso3"] in known0
                and (not r.get("admin1_name") or (r["iso3"], r["admin1_name"]) in known1)]
        with open(out_dir / "aliases.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else
                               ["alias", "kind", "iso3", "admin1_name", "source"])
            w.writeheader()
            w.writerows(keep)
    return dest


# ---------------------------------------------------------------- range files


def read_range_file(path: Path | gpd.GeoDataFrame, layer: str | None = None,
                    where: str | None = None,
                    codes: dict[str, tuple[int, ...]] | None = None) -> gpd.GeoDataFrame:
    """Read a polygon range file into EPSG:4326; DataError when unusable.

    Parameters
    ----------
    path : path or GeoDataFrame
        The file; a GeoDataFrame this function returned is passed through (so a
        caller can read and filter once, then hand the result on).
    layer : str, optional
        Layer to read (default: the first).
    where : str, optional
        SQL WHERE clause on the file's fields (``--where``), applied by GDAL.
    codes : dict, optional
        Allowed IUCN ``presence``/``origin``/``seasonal`` codes; None: no filter.
        ``gdf.attrs["features"]`` holds the count before filtering.
    """
    if isinstance(path, gpd.GeoDataFrame):
        return path
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: range file not found; pass --range with a polygon file")
    try:
        pyogrio.read_info(path, layer=layer)
    except Exception as exc:  # pyogrio raises DataSource/DataLayer errors
        raise DataError(f"{path}: cannot read range file ({first_line(exc)}); "
                        "pass a GeoJSON, GeoPackage, shapefile or FlatGeobuf") from exc
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer, where=where)
    except Exception as exc:
        if where:
            raise UsageError(f"--where {where!r}: GDAL refused it on {path} "
                             f"({first_line(exc)}); give an SQL condition on the file's "
                             "fields, e.g. \"presence = 1\"") from exc
        raise DataError(f"{path}: cannot read range file ({first_line(exc)}); "
                        "pass a GeoJSON, GeoPackage, shapefile or FlatGeobuf") from exc
    geom_col = (getattr(gdf, "_geometry_column_name", None)
                if isinstance(gdf, gpd.GeoDataFrame) else None)
    if geom_col is None or geom_col not in gdf.columns:
        raise DataError(f"{path}: no geometry (a table without shapes); a range file needs "
                        "polygons: pass a GeoJSON, GeoPackage, shapefile or FlatGeobuf")
    if where and not len(gdf):
        raise DataError(f"{path}: no feature matches --where {where!r}")
    features = len(gdf)
    if codes is not None:
        gdf = filter_iucn(gdf, codes, str(path))
    if gdf.crs is None:
        raise DataError(f"{path}: range file has no CRS; define one (e.g. ogr2ogr -a_srs "
                        "EPSG:4326)")
    polys = gdf.geometry.notna() & gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not polys.any():
        raise DataError(f"{path}: no polygon features; a range file needs (multi)polygons")
    gdf = gdf[polys].to_crs(4326)
    invalid = int((~gdf.geometry.is_valid).sum())
    if invalid:
        warn("repaired-geometry", f"{path}: {invalid} invalid polygon feature"
             f"{'s' if invalid != 1 else ''} (self-intersecting or similar) repaired with "
             "make_valid; check them in a GIS")
    gdf["geometry"] = [as_multi(antimeridian.wrap(g))
                       for g in shapely.make_valid(gdf.geometry.values)]
    gdf.attrs.update(source=str(path), features=features)
    return gdf
