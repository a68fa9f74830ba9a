"""Range records -> range units with geometry.

A *range record* is one taxon as :mod:`rangemap.extract` reports it (or as a
person edited it in ``ranges.yaml``).  Its ``units`` are whole countries or
first-level units; this module validates them against the boundaries and
attaches their polygons.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely
import yaml

from rangemap.errors import DataError
from rangemap.fsutil import slugify

DEFAULT_MIN_ELEVATION_M = 2500.0


@dataclass
class Boundaries:
    """Admin-0 and admin-1 polygons (EPSG:4326) with their names."""

    path: Path
    admin0: gpd.GeoDataFrame
    admin1: gpd.GeoDataFrame

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Boundaries:
        """Read layers ``admin0`` (iso3, name) and ``admin1`` (iso3, admin1_name)."""
        p = Path(path)
        hint = "pass --boundaries with a GeoPackage that has layers admin0 and admin1"
        if not p.exists():
            raise DataError(f"{p}: boundaries file not found; {hint}")
        try:
            layers = {name for name, _ in pyogrio.list_layers(p)}
        except Exception as exc:  # pyogrio raises several DataSource errors
            raise DataError(f"{p}: cannot read boundaries ({_first_line(exc)}); {hint}") from exc
        missing = {"admin0", "admin1"} - layers
        if missing:
            raise DataError(f"{p}: boundaries lack layer(s) {', '.join(sorted(missing))}; {hint}")
        a0 = pyogrio.read_dataframe(p, layer="admin0")
        a1 = pyogrio.read_dataframe(p, layer="admin1")
        for df, need, layer in ((a0, {"iso3", "name"}, "admin0"),
                                (a1, {"iso3", "admin1_name"}, "admin1")):
            lack = need - set(df.columns)
            if lack:
                raise DataError(f"{p}: layer {layer} lacks field(s) {', '.join(sorted(lack))}; "
                                f"{hint}")
        if a0.crs is None or a0.crs.to_epsg() != 4326:
            a0 = a0.set_crs(4326, allow_override=True) if a0.crs is None else a0.to_crs(4326)
        if a1.crs is None or a1.crs.to_epsg() != 4326:
            a1 = a1.set_crs(4326, allow_override=True) if a1.crs is None else a1.to_crs(4326)
        return cls(p, a0, a1)

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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def assemble_units(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Units of a record that lists only ``countries`` and ``admin1``.

    Where the record names first-level units of a country, the range there is
    those units (rule ``named-admin1``); otherwise the whole country (rule
    ``whole-country``).  Used for hand-written ``ranges.yaml`` files that
    carry no ``units``.
    """
    by_country: dict[str, list[dict[str, Any]]] = {}
    for a in record.get("admin1") or []:
        by_country.setdefault(a["country_iso3"], []).append(a)
    iso3s = [c["iso3"] for c in record.get("countries") or []]
    iso3s += [k for k in by_country if k not in iso3s]
    units = []
    for iso3 in iso3s:
        if iso3 in by_country:
            for a in by_country[iso3]:
                units.append({"iso3": iso3, "admin1": a.get("boundary_name") or a.get("name"),
                              "rule": "named-admin1", "evidence": a.get("evidence") or []})
        else:
            ev = next((c.get("evidence") or [] for c in record["countries"] if c["iso3"] == iso3),
                      [])
            units.append({"iso3": iso3, "admin1": None, "rule": "whole-country", "evidence": ev})
    return units


def validate_record(record: dict[str, Any], bounds: Boundaries, where: str) -> None:
    """Check a record's names and elevation limits; raise DataError with a fix.

    Parameters
    ----------
    record : dict
        One entry of ``species``.
    bounds : Boundaries
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
    if lo is not None and hi is not None and lo > hi:
        raise DataError(f"{where}: {label}: elevation_min_m {lo} is above elevation_max_m {hi}; "
                        "swap or fix them")
    known = set(bounds.admin0["iso3"])
    units = record.get("units") or assemble_units(record)
    for u in units:
        iso3 = u.get("iso3")
        if iso3 not in known:
            close = difflib.get_close_matches(str(iso3), sorted(known), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise DataError(f"{where}: {label}: unknown country code {iso3!r}{hint}; "
                            "use an ISO 3166-1 alpha-3 code from the boundaries")
        name = u.get("admin1")
        if name is not None:
            names = bounds.admin1_names(iso3)
            if name not in names:
                close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
                hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
                raise DataError(f"{where}: {label}: unknown first-level unit {name!r} in {iso3}"
                                f"{hint}; use a name from the boundaries' admin1_name")


def load_ranges_yaml(path: str | os.PathLike[str], bounds: Boundaries) -> list[dict[str, Any]]:
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
        raise DataError(f"{p}: cannot read ranges file ({_first_line(exc)}); save it as UTF-8"
                        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise DataError(f"{p}: not valid YAML{at}; fix the syntax or re-run rangemap extract"
                        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("species"), list):
        raise DataError(f"{p}: expected a mapping with a 'species' list; see the README's "
                        "ranges.yaml format")
    records = []
    for i, rec in enumerate(data["species"]):
        if not isinstance(rec, dict) or not (rec.get("name") or rec.get("scientific_name")):
            raise DataError(f"{p}: species entry {i + 1} needs a name or scientific_name")
        validate_record(rec, bounds, str(p))
        rec = dict(rec)
        if not rec.get("units"):
            rec["units"] = assemble_units(rec)
        records.append(rec)
    return records


def taxon_id(record: dict[str, Any]) -> str:
    """Stable slug for a taxon: scientific name if known, else common name."""
    return slugify(record.get("scientific_name") or record.get("name") or "taxon")


def range_units(records: list[dict[str, Any]], bounds: Boundaries) -> gpd.GeoDataFrame:
    """One row per (taxon, unit) with the unit's polygon.

    Columns: ``taxon_id``, ``species``, ``scientific_name``, ``rank``, ``iso3``,
    ``country``, ``admin1``, ``unit_rule``, ``elevation_min_m``,
    ``elevation_max_m``, ``elevation_rule``, ``evidence``, ``geometry``.
    """
    rows = []
    for rec in records:
        tid = taxon_id(rec)
        lo = rec.get("elevation_min_m")
        hi = rec.get("elevation_max_m")
        if lo is None:
            rule = f"default {DEFAULT_MIN_ELEVATION_M:,.0f} m (no lower limit stated)"
            lo = DEFAULT_MIN_ELEVATION_M
        else:
            ev = (rec.get("elevation_evidence") or [{}])[0]
            rule = f"{ev.get('document', 'ranges')}: {ev.get('sentence', '').strip()}"
        for u in rec.get("units") or []:
            iso3, a1 = u["iso3"], u.get("admin1")
            geom = (bounds.admin1_geometry(iso3, a1) if a1 is not None
                    else bounds.country_geometry(iso3))
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
                "country": bounds.country_name(iso3),
                "admin1": a1,
                "unit_rule": u.get("rule", "whole-country" if a1 is None else "named-admin1"),
                "elevation_min_m": float(lo),
                "elevation_max_m": float(hi) if hi is not None else None,
                "elevation_rule": rule,
                "evidence": evidence,
                "geometry": geom,
            })
    cols = ["taxon_id", "species", "scientific_name", "rank", "iso3", "country", "admin1",
            "unit_rule", "elevation_min_m", "elevation_max_m", "elevation_rule", "evidence",
            "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs="EPSG:4326")
