"""The build key and the per-taxon habitat cache: hashes of the package source and the
inputs, ``manifest.json`` checks, and ``OUT/.cache/<taxon>.json``.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
import shapely

from rangemap import __version__
from rangemap.fsutil import (
    safe_child,
    sha256_file,
    write_text_atomic,
)
from rangemap.io.vectors import HABITAT_FIELDS, json_value
from rangemap.values import is_null

#: Per-taxon habitat cache inside the output folder.
CACHE_DIR = ".cache"


def manifest_warnings(out: Path) -> list[dict[str, str]]:
    """Warnings recorded by the build in ``out`` (none when unreadable)."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [w for w in manifest.get("warnings") or []
            if isinstance(w, dict) and "code" in w and "message" in w]


def outputs_current(out: Path, build_key: str) -> bool:
    """True when ``out`` holds a complete build made from the same inputs and code."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("build_key") != build_key:
        return False
    sums = manifest.get("output_sha256") or {}
    if not sums:
        return False
    for rel, digest in sums.items():
        p = out / rel
        if not p.is_file() or sha256_file(p) != digest:
            return False
    return True


#: Folder of the installed package: every file under it can change an output.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def source_digest(root: Path | None = None) -> str:
    """Hash of every file of the package (code, styles, vendored assets, schema).

    Any edit to a rule, a constant, the tracer, the maps or the styles changes
    it, so a rebuild after a code change never reports old outputs as up to
    date.  Compiled caches (``__pycache__``) are left out: they follow the
    source.  Folders named ``data`` are left out too: the data a build reads
    are hashed as its inputs.
    """
    base = Path(root) if root is not None else PACKAGE_DIR
    h = hashlib.sha256(__version__.encode())
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(base)
        if (not p.is_file() or "__pycache__" in rel.parts or rel.parts[0] == "data"
                or p.suffix in (".pyc", ".pyo")):
            continue
        h.update(rel.as_posix().encode() + b"\0")
        h.update(sha256_file(p).encode())
    return h.hexdigest()[:16]


def engine_version() -> str:
    """Key of the code that decides habitat: the whole package's source."""
    return source_digest()


def digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def taxon_key(units: gpd.GeoDataFrame, context: dict[str, Any]) -> str:
    """Cache key of one taxon's habitat: its units, limits, geometry and the inputs."""
    rows = [[r.iso3, r.admin1, r.unit_rule,
             None if is_null(r.elevation_min_m) else r.elevation_min_m,
             None if is_null(r.elevation_max_m) else r.elevation_max_m,
             hashlib.sha256(shapely.to_wkb(r.geometry)).hexdigest()]
            for r in units.itertuples(index=False)]
    return digest({"units": rows, **context})


def cache_file(out: Path, tid: str) -> Path:
    return safe_child(out / CACHE_DIR, f"{tid}.json")


def load_cached(path: Path, key: str) -> tuple[gpd.GeoDataFrame, float] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("key") != key:
        return None
    rows = data["rows"]
    geoms = [shapely.from_wkb(bytes.fromhex(r.pop("wkb"))) for r in rows]
    gdf = gpd.GeoDataFrame(rows, columns=HABITAT_FIELDS, geometry=geoms, crs="EPSG:4326")
    return gdf, float(data["taxon_aoo_km2"])


def save_cached(path: Path, key: str, habitat: gpd.GeoDataFrame, aoo_km2: float) -> None:
    cols = [c for c in HABITAT_FIELDS]
    rows = []
    for geom, row in zip(habitat.geometry.values,
                         habitat[cols].itertuples(index=False, name=None), strict=True):
        d = {c: json_value(v) for c, v in zip(cols, row, strict=True)}
        d["wkb"] = shapely.to_wkb(geom).hex()
        rows.append(d)
    write_text_atomic(path, json.dumps({"key": key, "taxon_aoo_km2": aoo_km2, "rows": rows}))


def versions() -> dict[str, str]:
    import folium  # heavy (about 0.9 s): only when a manifest is written, not on import

    return {
        "rangemap": __version__, "python": platform.python_version(),
        "numpy": np.__version__, "shapely": shapely.__version__,
        "geopandas": gpd.__version__, "pyogrio": pyogrio.__version__,
        "rasterio": rasterio.__version__, "gdal": rasterio.__gdal_version__,
        "folium": folium.__version__,
    }
