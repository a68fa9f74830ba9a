"""Validation of a build's habitat against occurrence records: point prevalence.

Dahal et al. (2022, Geoscientific Model Development 15:5093) validate Area of
Habitat maps with *point prevalence*: of the occurrence points that fall in a
species' range, the share that fall in its habitat, counting one point per
grid cell, and only for species with at least 10 such points.  A point
prevalence below the map's own prevalence (habitat area / range area) marks
a map to look at.

This module reads only a build's published outputs
(``OUT/geojson/ranges.geojson``, ``OUT/geojson/habitat.geojson`` and
``OUT/manifest.json``), never the engine, so any build can be validated.
The rules:

1. Records: a Darwin Core CSV (comma-separated, quoted) or a GBIF download
   (tab-separated, unquoted), with ``decimalLatitude``, ``decimalLongitude``
   and ``scientificName`` (or ``species``; column names are matched without
   regard to case).  Rows with ``occurrenceStatus`` "absent", with missing
   or out-of-range coordinates, or at exactly (0, 0) are dropped and
   counted.
2. Names: the first two words of ``species`` (else ``scientificName``,
   whose authorship "(Pallas, 1776)" is ignored) are compared without
   regard to case with each taxon's scientific name; a genus record of the
   build (rank ``genus``) takes every record of its genus.
3. Range and habitat: a point is in the range if it lies in one of the
   taxon's range units, and in the habitat if it lies in one of its habitat
   polygons (habitat polygons are unions of whole DEM cells, so this is the
   cell test of the build).
4. One point per cell: points in the range are thinned to the first point
   of each cell of the DEM that covers it (the first DEM in the build's list
   whose grid contains the point, as the engine chooses).
5. ``point_prevalence`` = thinned points in the habitat / thinned points in
   the range; with fewer than ``min_points`` (10) thinned points in the
   range it is left empty and the status says "not enough points".
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely

from rangemap.errors import DataError, first_line
from rangemap.fsutil import data_file, write_text_atomic
from rangemap.ranges import read_boundary_layer

__all__ = ["DEFAULT_MIN_POINTS", "ValidationResult", "read_occurrences", "validate_build"]

#: Fewest thinned points in the range for a point prevalence (Dahal et al. 2022).
DEFAULT_MIN_POINTS = 10

#: Columns of the report, in order.
REPORT_FIELDS = [
    "taxon_id", "species", "scientific_name", "rank", "records", "points_in_range",
    "cells_in_range", "cells_in_habitat", "point_prevalence", "area_prevalence",
    "below_area_prevalence", "status",
]


@dataclass
class Occurrences:
    """Occurrence points read from a file, with what was dropped and why."""

    path: Path
    names: list[str]
    lon: np.ndarray
    lat: np.ndarray
    rows: int
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass
class ValidationResult:
    """Per-taxon point prevalence and the files written."""

    rows: list[dict[str, Any]]
    points: gpd.GeoDataFrame
    unmatched: dict[str, int]
    files: list[Path] = field(default_factory=list)
    occurrences: Occurrences | None = None


# --------------------------------------------------------------------------- reading

def _canonical(name: str) -> str:
    """'Capra sibirica (Pallas, 1776)' -> 'capra sibirica' (first two words, lower case)."""
    words = str(name).replace("_", " ").split()
    return " ".join(words[:2]).lower()


def read_occurrences(path: str | os.PathLike[str]) -> Occurrences:
    """Read occurrence records (rule 1 of the module docs).

    Raises
    ------
    DataError
        Missing file, unreadable text, or no latitude/longitude/name columns.
    """
    p = Path(path)
    hint = ("give a Darwin Core CSV or a GBIF download with decimalLatitude, "
            "decimalLongitude and scientificName")
    try:
        with open(p, encoding="utf-8-sig", newline="") as f:
            header = f.readline()
    except FileNotFoundError:
        raise DataError(f"{p}: occurrence file not found; {hint}") from None
    except IsADirectoryError:
        raise DataError(f"{p}: is a directory; {hint}") from None
    except UnicodeDecodeError:
        raise DataError(f"{p}: not UTF-8 text; {hint} (saved as UTF-8)") from None
    tab = "\t" in header
    try:
        # GBIF downloads are tab-separated without quoting (a quote is data there)
        df = pd.read_csv(p, sep="\t" if tab else ",", dtype=str, keep_default_na=False,
                         quoting=csv.QUOTE_NONE if tab else csv.QUOTE_MINIMAL,
                         encoding="utf-8-sig", on_bad_lines="error")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{p}: cannot read records ({first_line(exc)}); {hint}") from None
    cols = {c.strip().lower(): c for c in df.columns}
    lat_c, lon_c = cols.get("decimallatitude"), cols.get("decimallongitude")
    name_c = cols.get("species") if "species" in cols else cols.get("scientificname")
    missing = [n for n, c in (("decimalLatitude", lat_c), ("decimalLongitude", lon_c),
                              ("scientificName", name_c)) if c is None]
    if missing:
        raise DataError(f"{p}: no column {', '.join(missing)} (columns: "
                        f"{', '.join(map(str, df.columns[:8]))}); {hint}")
    dropped: dict[str, int] = {}
    if name_c == cols.get("species") and "scientificname" in cols:
        # GBIF leaves 'species' empty for records identified to genus only
        empty = df[name_c].str.strip() == ""
        df.loc[empty, name_c] = df.loc[empty, cols["scientificname"]]
    if "occurrencestatus" in cols:
        absent = df[cols["occurrencestatus"]].str.strip().str.lower() == "absent"
        if absent.any():
            dropped["occurrenceStatus absent"] = int(absent.sum())
        df = df[~absent]
    lat = pd.to_numeric(df[lat_c], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(df[lon_c], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lat) & np.isfinite(lon)) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    zero = (lat == 0) & (lon == 0)
    if bad.any():
        dropped["missing or invalid coordinates"] = int(bad.sum())
    if zero.any():
        dropped["at (0, 0)"] = int(zero.sum())
    keep = ~bad & ~zero
    names = [_canonical(n) for n in df[name_c].to_numpy()[keep]]
    return Occurrences(p, names, lon[keep], lat[keep], int(len(df) + dropped.get(
        "occurrenceStatus absent", 0)), dropped)


def _read_layer(path: Path, what: str) -> gpd.GeoDataFrame:
    if not path.exists():
        raise DataError(f"{path}: {what} not found; run 'rangemap build' first, or pass --out "
                        "with the folder of a build")
    try:
        gdf = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several DataSource errors
        raise DataError(f"{path}: cannot read {what} ({first_line(exc)}); rebuild it") from exc
    need = {"taxon_id", "iso3", "geometry"}
    if not need <= set(gdf.columns):
        raise DataError(f"{path}: {what} lacks {', '.join(sorted(need - set(gdf.columns)))}; "
                        "rebuild it with 'rangemap build'")
    return gdf.set_crs(4326, allow_override=True) if gdf.crs is None else gdf.to_crs(4326)


# --------------------------------------------------------------------------- cells

@dataclass
class _Grid:
    """A DEM's grid in lon/lat: enough to name the cell of a point."""

    name: str
    west: float
    north: float
    dx: float
    dy: float
    width: int
    height: int

    def cells(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of each point; -1 where the grid does not contain it."""
        col = np.floor((lon - self.west) / self.dx).astype(np.int64)
        row = np.floor((self.north - lat) / self.dy).astype(np.int64)
        ok = (col >= 0) & (col < self.width) & (row >= 0) & (row < self.height)
        return np.where(ok, row, -1), np.where(ok, col, -1)


def _find_dem(path: Path) -> Path:
    """A DEM named in a manifest: as written, else the embedded DEM of that name
    (a build made elsewhere records paths relative to where it ran)."""
    if path.exists():
        return path

    embedded = data_file("elevation", path.name)
    return embedded if embedded.exists() else path


def _grids(dems: list[Path]) -> list[_Grid]:
    grids = []
    for d in dems:
        try:
            with rasterio.open(d) as src:
                t, crs = src.transform, src.crs
                if crs is not None and not crs.is_geographic:
                    raise DataError(f"{d}: DEM is not in lon/lat ({crs}); pass --dem with the "
                                    "lon/lat DEMs the build used")
                grids.append(_Grid(Path(d).name, t.c, t.f, t.a, -t.e, src.width, src.height))
        except rasterio.errors.RasterioIOError as exc:
            raise DataError(f"{d}: cannot open DEM ({first_line(exc)}); pass --dem with the "
                            "DEMs the build used") from None
    return grids


def _cell_keys(grids: list[_Grid], lon: np.ndarray, lat: np.ndarray) -> list[tuple[int, int, int]]:
    """Key (DEM index, row, col) of each point: the first DEM whose grid holds it."""
    keys: list[tuple[int, int, int] | None] = [None] * len(lon)
    todo = np.ones(len(lon), bool)
    for i, g in enumerate(grids):
        row, col = g.cells(lon, lat)
        hit = todo & (row >= 0)
        for j in np.flatnonzero(hit):
            keys[j] = (i, int(row[j]), int(col[j]))
        todo &= ~hit
    # a point outside every DEM is its own cell (it can be in no habitat anyway)
    for j in np.flatnonzero(todo):
        keys[j] = (-1, j, 0)
    return keys  # type: ignore[return-value]


# --------------------------------------------------------------------------- core

def _inside(geoms: list[Any], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lon), bool)
    for g in geoms:
        if g is None or g.is_empty or not len(lon):
            continue
        w, s, e, n = g.bounds
        box = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n) & ~out
        if box.any():
            shapely.prepare(g)
            idx = np.flatnonzero(box)
            out[idx] = shapely.contains_xy(g, lon[idx], lat[idx])  # type: ignore[index]
    return out


def point_prevalence(
    occ: Occurrences,
    ranges: gpd.GeoDataFrame,
    habitat: gpd.GeoDataFrame,
    taxa: list[dict[str, Any]],
    grids: list[_Grid],
    min_points: int = DEFAULT_MIN_POINTS,
) -> tuple[list[dict[str, Any]], gpd.GeoDataFrame, dict[str, int]]:
    """Point prevalence per taxon (rules 2-5 of the module docs).

    Returns
    -------
    (rows, points, unmatched)
        One report row per taxon of ``taxa``; the matched points with
        ``taxon_id``, ``name``, ``in_range``, ``in_habitat``, ``counted``
        (the point kept for its cell); record counts of names no taxon took.
    """
    names = np.array(occ.names, dtype=object)
    taken = np.zeros(len(names), bool)
    rows: list[dict[str, Any]] = []
    frames = []
    for t in taxa:
        tid = str(t["taxon_id"])
        sci = _canonical(t.get("scientific_name") or "")
        if t.get("rank") == "genus" and sci:
            genus = sci.split()[0]
            sel = np.array([n.split()[0] == genus if n else False for n in names], bool)
        else:
            sel = names == sci if sci else np.zeros(len(names), bool)
        taken |= sel
        idx = np.flatnonzero(sel)
        lon, lat = occ.lon[idx], occ.lat[idx]
        in_range = _inside(list(ranges.loc[ranges["taxon_id"] == tid, "geometry"]), lon, lat)
        in_hab = in_range & _inside(list(habitat.loc[habitat["taxon_id"] == tid, "geometry"]),
                                    lon, lat)
        counted = np.zeros(len(idx), bool)
        seen: set[tuple[int, int, int]] = set()
        r_idx = np.flatnonzero(in_range)
        for j, key in zip(r_idx, _cell_keys(grids, lon[r_idx], lat[r_idx]), strict=True):
            if key not in seen:
                seen.add(key)
                counted[j] = True
        n_cells = int(counted.sum())
        n_hab = int((counted & in_hab).sum())
        h = habitat[habitat["taxon_id"] == tid]
        rng_km2 = float(pd.to_numeric(h.get("range_area_km2"), errors="coerce").sum()) \
            if "range_area_km2" in h else 0.0
        hab_km2 = float(pd.to_numeric(h.get("area_km2"), errors="coerce").sum()) \
            if "area_km2" in h else 0.0
        area_prev = round(hab_km2 / rng_km2, 4) if rng_km2 > 0 else None
        if n_cells >= min_points:
            pp: float | None = round(n_hab / n_cells, 4)
            below = area_prev is not None and pp < area_prev
            status = ("point prevalence below area prevalence: check the habitat"
                      if below else "ok")
        else:
            pp, below = None, None
            status = f"not enough points ({n_cells} cells in range, need {min_points})"
        rows.append({
            "taxon_id": tid, "species": t.get("name"), "scientific_name": t.get("scientific_name"),
            "rank": t.get("rank", "species"), "records": int(len(idx)),
            "points_in_range": int(in_range.sum()), "cells_in_range": n_cells,
            "cells_in_habitat": n_hab, "point_prevalence": pp, "area_prevalence": area_prev,
            "below_area_prevalence": below, "status": status,
        })
        frames.append(pd.DataFrame({
            "taxon_id": tid, "name": names[idx], "lon": lon, "lat": lat,
            "in_range": in_range, "in_habitat": in_hab, "counted": counted}))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["taxon_id", "name", "lon", "lat", "in_range", "in_habitat", "counted"])
    points = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]),
                              crs="EPSG:4326")
    unmatched: dict[str, int] = {}
    for n in names[~taken]:
        unmatched[n or "(no name)"] = unmatched.get(n or "(no name)", 0) + 1
    return rows, points, unmatched


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _points_geojson(points: gpd.GeoDataFrame) -> str:
    """RFC 7946 FeatureCollection of the matched points (fixed schema)."""
    feats = []
    for r in points.itertuples(index=False):
        props = {"taxon_id": r.taxon_id, "name": r.name, "in_range": bool(r.in_range),
                 "in_habitat": bool(r.in_habitat), "counted": bool(r.counted)}
        feats.append(json.dumps({"type": "Feature", "properties": props, "geometry": {
            "type": "Point", "coordinates": [round(float(r.lon), 7), round(float(r.lat), 7)]}},
            ensure_ascii=False))
    return '{"type": "FeatureCollection", "features": [\n' + ",\n".join(feats) + "\n]}\n"


def _map_points(points: gpd.GeoDataFrame, tid: str) -> list[list[Any]]:
    """[[lon, lat, status, label], ...] of a taxon's points for its map page."""
    sel = points[points["taxon_id"] == tid]
    out = []
    for r in sel.itertuples(index=False):
        status = ("habitat" if r.in_habitat else "range") if r.in_range else "outside"
        label = f"{r.name} ({r.lat:.4f}, {r.lon:.4f}): " + {
            "habitat": "in range and habitat", "range": "in range, not in habitat",
            "outside": "outside the range"}[status] + ("" if r.counted or not r.in_range
                                                       else " (same cell as another point)")
        out.append([round(float(r.lon), 5), round(float(r.lat), 5), status, label])
    return out


def validate_build(
    occurrences: str | os.PathLike[str],
    out: str | os.PathLike[str],
    report_dir: str | os.PathLike[str] | None = None,
    dems: list[Path] | None = None,
    min_points: int = DEFAULT_MIN_POINTS,
    boundaries: str | os.PathLike[str] | None = None,
    maps: bool = True,
) -> ValidationResult:
    """Point prevalence of a build's habitat against occurrence records.

    Parameters
    ----------
    occurrences : path
        Darwin Core CSV or GBIF download (see :func:`read_occurrences`).
    out : path
        Folder of a build (``geojson/ranges.geojson``, ``geojson/habitat.geojson``,
        ``manifest.json``).
    report_dir : path, optional
        Where to write the report (default ``out/validation``).
    dems : list of Path, optional
        DEMs whose cells thin the points (default: the build's, from its manifest).
    min_points : int, default 10
        Fewest thinned points in the range for a point prevalence.
    boundaries : path, optional
        GeoPackage whose ``admin0`` layer outlines the map pages.
    maps : bool, default True
        Write map pages with the points (``report_dir/maps``).

    Returns
    -------
    ValidationResult
        Report rows, points and files written: ``point_prevalence.csv``,
        ``point_prevalence.json``, ``occurrences.geojson`` and ``maps/*.html``.
    """
    out = Path(out)
    ranges = _read_layer(out / "geojson" / "ranges.geojson", "range layer")
    habitat = _read_layer(out / "geojson" / "habitat.geojson", "habitat layer")
    manifest_path = out / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{manifest_path}: not found; validate a complete build (run "
                        "'rangemap build --out ...')") from None
    except ValueError as exc:
        raise DataError(f"{manifest_path}: not JSON ({first_line(exc)}); rebuild") from None
    taxa = [t for t in manifest.get("taxa") or [] if "taxon_id" in t]
    if dems is None:
        dems = [_find_dem(Path(d)) for d in (manifest.get("parameters") or {}).get("dems")
                or []]
        if not dems:
            raise DataError(f"{manifest_path}: names no DEMs; pass --dem with the DEMs the "
                            "build used")
    grids = _grids(dems)
    occ = read_occurrences(occurrences)
    rows, points, unmatched = point_prevalence(occ, ranges, habitat, taxa, grids, min_points)
    if not any(r["records"] for r in rows):
        top = ", ".join(f"{n} ({c})" for n, c in sorted(unmatched.items(),
                                                        key=lambda kv: -kv[1])[:3])
        have = ", ".join(str(t.get("scientific_name")) for t in taxa[:6])
        raise DataError(f"{occ.path}: no record names a taxon of the build (records name "
                        f"{top or 'nothing'}; the build has {have or 'no taxa'}); validate "
                        "with records of the build's species")

    rdir = Path(report_dir) if report_dir is not None else out / "validation"
    rdir.mkdir(parents=True, exist_ok=True)
    result = ValidationResult(rows, points, unmatched, occurrences=occ)
    csv_path = rdir / "point_prevalence.csv"
    lines = [",".join(REPORT_FIELDS)]
    for r in rows:
        cells = []
        for k in REPORT_FIELDS:
            v = r[k]
            v = "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            cells.append('"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n')
                         else v)
        lines.append(",".join(cells))
    write_text_atomic(csv_path, "\n".join(lines) + "\n")
    report = {
        "method": "point prevalence (Dahal et al. 2022, GMD 15:5093): thinned occurrence "
                  "points in the range that fall in the habitat, one point per DEM cell",
        "occurrences": {"path": str(occ.path), "sha256": _sha256(occ.path), "rows": occ.rows,
                        "dropped": occ.dropped, "unmatched_names": unmatched},
        "build": {"out": str(out), "build_key": manifest.get("build_key")},
        "dems": [str(d) for d in dems],
        "min_points": min_points,
        "taxa": rows,
    }
    json_path = rdir / "point_prevalence.json"
    write_text_atomic(json_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    pts_path = rdir / "occurrences.geojson"
    write_text_atomic(pts_path, _points_geojson(points))
    result.files += [csv_path, json_path, pts_path]
    if maps:
        from rangemap.maps import write_maps  # folium: only when maps are asked for

        admin0 = None
        if boundaries is not None and Path(boundaries).exists():
            admin0 = read_boundary_layer(boundaries, "admin0")
        info = [dict(t, occurrences=_map_points(points, str(t["taxon_id"]))) for t in taxa]
        result.files += write_maps(ranges, habitat, info, rdir / "maps", admin0,
                                   title="Occurrence records on ranges and habitat")
    return result
