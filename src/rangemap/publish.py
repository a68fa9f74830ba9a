"""Offline, self-contained Leaflet (folium) maps of ranges and habitat.

:func:`write_maps` writes ``index.html`` (every taxon, one toggleable layer
group each, with a summary table) and one page per taxon.  Every page works
from ``file://`` with no network: Leaflet 1.9.4 and the two small plugins
used (fullscreen button, mouse position) are read from ``rangemap/vendor``
and inlined, so a single page can be copied anywhere on its own.

Security notes
--------------
Taxon names and evidence sentences come from documents and are untrusted.
They reach the page only through :func:`_esc` (HTML escaping, plus the
characters that matter to JavaScript template literals and to Jinja) and,
inside scripts, through :func:`_js_str` (a JSON string literal that cannot
close the ``<script>`` element).  Untrusted text is never handed to folium's
``Popup``/``Tooltip``/``Element`` classes: folium compiles the rendered
output of every ``MacroElement`` as a Jinja template a second time, so a
``{{ ... }}`` in a layer name would otherwise be *evaluated* at build time.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import rasterio
import shapely
from branca.element import Element, MacroElement
from folium import plugins

from rangemap.errors import DataError
from rangemap.fsutil import GeometrySpool, atomic_path, safe_child, slugify, write_text_atomic
from rangemap.landcover import shares_text
from rangemap.palette import PALETTE, taxon_colour
from rangemap.rasters.relief import relief_overlay
from rangemap.values import finite_number as _num
from rangemap.values import text as _text

__all__ = [
    "write_maps", "PALETTE", "DEFAULT_TOLERANCE_DEG", "MAX_PAGE_BYTES", "LIGHT_PAGE_BYTES",
    "INDEX_LAYER_LIST_MAX",
]

log = logging.getLogger(__name__)

#: Display simplification tolerance in degrees (about 500 m).
DEFAULT_TOLERANCE_DEG = 0.005
#: Coordinates written to the page are rounded to this many decimals (~1 m).
COORD_DECIMALS = 5
#: Size bound for one page; pages above it are re-simplified more coarsely.
MAX_PAGE_BYTES = 5_000_000
#: Size bound for a taxon page whose Leaflet, outlines and relief are shared assets.
LIGHT_PAGE_BYTES = 500_000
#: Shared-asset pages carry their shapes at this many times the tolerance (the
#: detail file has them at the tolerance itself).
COARSE_FACTOR = 4
#: How many times the tolerance may be doubled to meet ``MAX_PAGE_BYTES``.
_MAX_COARSENING = 7
#: Country outlines are never drawn finer than this (degrees).
_BOUNDARY_MIN_TOLERANCE = 0.01
#: Evidence shown in a popup (all of it goes to the taxon page's table).
_POPUP_EVIDENCE_LINES = 6
_EVIDENCE_CHARS = 600

_RANGE_COLUMNS = ("taxon_id", "iso3", "country", "admin1", "geometry")
_HABITAT_COLUMNS = ("taxon_id", "iso3", "admin1", "geometry")
_TAXON_KEYS = ("taxon_id", "slug", "name")
_RESERVED_STEMS = frozenset({"index"})
_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --------------------------------------------------------------------------- escaping


def _esc(value: Any) -> str:
    """Escape untrusted text for HTML, JS template literals and Jinja.

    ``html.escape`` handles ``<>&"'``; backtick and ``$`` are neutralised for
    JavaScript template literals and ``{``/``}`` so that no Jinja delimiter
    survives (folium re-compiles rendered output as a template).  All are
    replaced by numeric character references, which a browser shows as the
    original characters.
    """
    text = _CTRL_RE.sub("", "" if value is None else str(value))
    return (
        html.escape(text, quote=True)
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("{", "&#123;")
        .replace("}", "&#125;")
    )


def _js_str(text: str) -> str:
    """Return ``text`` as a JavaScript string literal safe inside ``<script>``."""
    return (
        json.dumps(text, ensure_ascii=True)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
        .replace("`", "\\u0060")
        .replace("{", "\\u007b")
        .replace("}", "\\u007d")
    )


# --------------------------------------------------------------------------- small elements


class _Raw(Element):
    """An element that renders exactly its text (no Jinja compilation)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RangemapRaw"
        self._text = text

    def render(self, **kwargs: Any) -> str:  # noqa: ARG002 - branca signature
        return self._text


class _Script(MacroElement):
    """Add JavaScript built from the parent's variable name to the page script.

    Parameters
    ----------
    build : callable
        ``build(parent_js_name) -> str``; the result must already be safe
        JavaScript (untrusted text only through :func:`_js_str`).
    """

    def __init__(self, build: Callable[[str], str]) -> None:
        super().__init__()
        self._name = "RangemapScript"
        self._build = build

    def render(self, **kwargs: Any) -> None:  # noqa: ARG002 - branca signature
        figure = self.get_root()
        figure.script.add_child(_Raw(self._build(self._parent.get_name())), name=self.get_name())


class _BodyHtml(MacroElement):
    """Raw HTML appended to ``<body>`` when the parent renders (i.e. after the map)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RangemapBodyHtml"
        self._text = text

    def render(self, **kwargs: Any) -> None:  # noqa: ARG002 - branca signature
        self.get_root().html.add_child(_Raw(self._text), name=self.get_name())


def _html_control(inner_html: str, position: str, css_class: str) -> _Script:
    def build(name: str) -> str:
        return (
            "(function () {\n"
            f"  var c = L.control({{position: {_js_str(position)}}});\n"
            "  c.onAdd = function () {\n"
            f"    var d = L.DomUtil.create('div', {_js_str(css_class)});\n"
            f"    d.innerHTML = {_js_str(inner_html)};\n"
            "    L.DomEvent.disableClickPropagation(d);\n"
            "    L.DomEvent.disableScrollPropagation(d);\n"
            "    return d;\n"
            "  };\n"
            f"  c.addTo({name});\n"
            "})();\n"
        )

    return _Script(build)


# --------------------------------------------------------------------------- vendored assets


def _vendor_dir() -> Any:
    return resources.files("rangemap") / "vendor"


def _data_uri(res: Any, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(res.read_bytes()).decode('ascii')}"


_SOURCE_MAP_RE = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)

#: Shared assets, relative to ``assets/`` in a maps folder (and to ``rangemap/vendor``).
_VENDOR_CSS = (
    "leaflet/leaflet.css",
    "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet-mouse-position/L.Control.MousePosition.css",
)
_VENDOR_JS = (
    "leaflet/leaflet.js",
    "leaflet.fullscreen/Control.FullScreen.js",
    "leaflet-mouse-position/L.Control.MousePosition.js",
)
_VENDOR_FILES = (
    *_VENDOR_CSS,
    *_VENDOR_JS,
    "leaflet/images/layers.png",
    "leaflet/images/layers-2x.png",
    "leaflet/images/marker-icon.png",
    "leaflet/LICENSE",
    "leaflet.fullscreen/icon-fullscreen.svg",
    "leaflet.fullscreen/LICENSE",
    "leaflet-mouse-position/MIT-LICENCE.txt",
)
#: The folder of shared assets inside a maps folder.
ASSETS = "assets"


def _rm_js() -> str:
    """The page code shared by every page (``rangemap/web/rangemap.js``)."""
    return (resources.files("rangemap") / "web" / "rangemap.js").read_text(encoding="utf-8")


def _vendor_text(rel: str) -> str:
    return _SOURCE_MAP_RE.sub("", (_vendor_dir() / rel).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=2)
def _vendor_head(shared: bool = False) -> str:
    """Leaflet, the plugins used and the page code: linked from ``assets/`` or inlined.

    ``shared`` pages load one copy per maps folder with relative ``<script src>``
    and ``<link href>`` (which work from ``file://``); a self-contained page
    carries everything inline, images as ``data:`` URIs.
    """
    if shared:
        css = [*_VENDOR_CSS, "rangemap.css"]
        js = [*_VENDOR_JS, "rangemap.js"]
        return "\n".join(
            [f'<link rel="stylesheet" href="{ASSETS}/{c}">' for c in css]
            + [f'<script src="{ASSETS}/{j}"></script>' for j in js]
        )
    v = _vendor_dir()
    leaflet_css = _vendor_text("leaflet/leaflet.css")
    for img in ("layers.png", "layers-2x.png", "marker-icon.png"):
        leaflet_css = leaflet_css.replace(
            f"url(images/{img})", f"url({_data_uri(v / 'leaflet' / 'images' / img, 'image/png')})"
        )
    fs_css = _vendor_text("leaflet.fullscreen/Control.FullScreen.css").replace(
        "url(icon-fullscreen.svg)",
        f"url({_data_uri(v / 'leaflet.fullscreen' / 'icon-fullscreen.svg', 'image/svg+xml')})",
    )
    mp_css = _vendor_text("leaflet-mouse-position/L.Control.MousePosition.css")
    scripts = [_vendor_text(j) for j in _VENDOR_JS] + [_rm_js()]
    styles = [leaflet_css, fs_css, mp_css, _PAGE_CSS_TEXT]
    for s in scripts:
        if "</script" in s.lower() or "<!--" in s:
            raise RuntimeError("vendored script cannot be inlined safely")
    for s in styles:
        if "</style" in s.lower():
            raise RuntimeError("vendored stylesheet cannot be inlined safely")
    parts = [f"<style>\n{s}\n</style>" for s in styles]
    parts += [f"<script>\n{s}\n</script>" for s in scripts]
    return "\n".join(parts)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _write_assets(out_dir: Path, boundaries_js: str | None) -> list[Path]:
    """One copy per maps folder of Leaflet, the plugins, the page code and the outlines."""
    root = out_dir / ASSETS
    written = []
    for rel in _VENDOR_FILES:
        data = (_vendor_dir() / rel).read_bytes()
        if rel.endswith(".js"):
            data = _SOURCE_MAP_RE.sub("", data.decode("utf-8")).encode("utf-8")
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, data)
        written.append(path)
    for name, text in (("rangemap.js", _rm_js()), ("rangemap.css", _PAGE_CSS_TEXT)):
        write_text_atomic(root / name, text)
        written.append(root / name)
    if boundaries_js is not None:
        write_text_atomic(root / "boundaries.js", boundaries_js)
        written.append(root / "boundaries.js")
    return written


_PAGE_CSS_TEXT = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #222; }
.rm-head { padding: 6px 12px; border-bottom: 1px solid #ddd; background: #fafafa; }
.rm-head h1 { font-size: 18px; margin: 2px 0; }
.rm-head p { margin: 2px 0; font-size: 13px; color: #555; }
.rm-legend { background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px;
             box-shadow: 0 0 6px rgba(0,0,0,0.25); font-size: 12px; line-height: 1.35;
             max-height: 45vh; max-width: 320px; overflow: auto; }
.rm-legend .sw { display: inline-block; width: 12px; height: 12px; margin-right: 5px;
                 vertical-align: -1px; border: 2px solid; }
.rm-legend .row { margin: 3px 0; }
.rm-legend .sub { color: #555; margin-left: 19px; }
.rm-pop { font-size: 12px; line-height: 1.35; }
.rm-pop ul { margin: 3px 0 0 0; padding-left: 16px; }
.rm-section { padding: 8px 12px 24px 12px; }
.rm-section h2 { font-size: 16px; }
table.rm { border-collapse: collapse; font-size: 13px; }
table.rm th, table.rm td { border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; }
table.rm th { background: #f0f0f0; text-align: left; }
table.rm td.num { text-align: right; white-space: nowrap; }
table.rm ul { margin: 0; padding-left: 16px; }
#rm-taxa th { cursor: pointer; user-select: none; }
#rm-taxa th[data-dir=asc]::after { content: " \\25B2"; }
#rm-taxa th[data-dir=desc]::after { content: " \\25BC"; }
#rm-taxa tbody tr { cursor: pointer; }
#rm-taxa tbody tr:hover { background: #f6f9ff; }
#rm-taxa tbody tr.rm-sel { background: #fff3c4; }
.rm-find { margin: 4px 0 8px 0; }
.rm-find input { font-size: 14px; padding: 3px 6px; width: 22em; }
.rm-sw { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
"""
_PAGE_CSS = "<style>" + _PAGE_CSS_TEXT + "</style>"


# --------------------------------------------------------------------------- data model


@dataclass
class _Unit:
    taxon_id: str
    name: str
    country: str
    admin1: str | None
    unit_rule: str
    range_km2: float | None
    habitat_km2: float | None
    share: float | None
    elev_min: float | None
    elev_max: float | None
    dem: str
    evidence: list[tuple[str, str]]
    range_geom: Any = None
    habitat_geom: Any = None
    #: Largest connected habitat patch and the band-sensitivity areas (None if absent).
    largest_patch_km2: float | None = None
    area_wide_km2: float | None = None
    area_narrow_km2: float | None = None
    margin_m: float | None = None
    #: The range unit as given (not shifted across ±180 for display).
    range_orig: Any = None
    #: Area of Habitat: elevation-only area, what was applied, fallback, land cover, slope.
    elevation_km2: float | None = None
    criteria: str | None = None
    fallback: str | None = None
    landcover: str = ""
    slope_median_deg: float | None = None
    #: Why the unit has little or no habitat (no DEM, partial coverage, nothing in the band).
    note: str | None = None


@dataclass
class _Taxon:
    info: dict[str, Any]
    stem: str
    colour: str
    units: list[_Unit] = field(default_factory=list)
    #: Units drawn, kept once the page is written and ``units`` dropped.
    n_units: int | None = None

    @property
    def taxon_id(self) -> str:
        return str(self.info["taxon_id"])

    @property
    def name(self) -> str:
        return str(self.info.get("name") or self.info["taxon_id"])


def _key(taxon_id: Any, iso3: Any, admin1: Any) -> tuple[str, str, str]:
    return (str(taxon_id), _text(iso3) or "", _text(admin1) or "")


def _parse_evidence(value: Any) -> list[tuple[str, str]]:
    """Split ``"document: sentence"`` lines into (document, sentence) pairs."""
    text = _text(value)
    if not text:
        return []
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        doc, sep, sentence = line.partition(": ")
        if not sep:
            doc, sentence = "", line
        if len(sentence) > _EVIDENCE_CHARS:
            sentence = sentence[: _EVIDENCE_CHARS - 1] + "…"
        out.append((doc.strip(), sentence.strip()))
    return out


def _fmt_km2(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} km²" if value >= 10 else f"{value:,.1f} km²"


def _fmt_share(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f} %" if value < 0.1 else f"{100 * value:.0f} %"


def _band(lo: Any, hi: Any) -> str:
    lo, hi = _num(lo), _num(hi)
    if lo is None and hi is None:
        return "no elevation limit"
    if hi is None:
        return f"≥ {lo:,.0f} m"
    if lo is None:
        return f"≤ {hi:,.0f} m"
    return f"{lo:,.0f}–{hi:,.0f} m"


def _to_4326(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        try:
            return gdf.to_crs(4326)
        except Exception as exc:  # pyproj errors vary
            raise DataError(f"{what}: cannot reproject to EPSG:4326: {exc}") from exc
    return gdf


def _require(gdf: gpd.GeoDataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def _row_get(row: Any, name: str) -> Any:
    return row[name] if name in row.index else None


def _straddles(geom: Any) -> bool:
    """True for a geometry with parts on both sides of ±180 (x-span above 180°)."""
    if geom is None or geom.is_empty:
        return False
    x0, _, x1, _ = geom.bounds
    return x1 - x0 > 180 or (x0 <= -179.999 and x1 >= 179.999)


def _unwrap(geom: Any, force: bool = False) -> Any:
    """For display: move western-hemisphere parts of a geometry that straddles ±180 by +360.

    Leaflet then draws Chukotka next to the rest of Russia instead of next to
    Alaska, and the map fits a few degrees, not the whole world.  ``force``
    shifts the western parts even if ``geom`` alone does not straddle (the
    habitat of a unit whose range does).
    """
    if geom is None or geom.is_empty or not (force or _straddles(geom)):
        return geom
    parts = shapely.get_parts(geom)
    west = shapely.bounds(parts)[:, 2] <= 0
    moved = shapely.transform(parts[west], lambda xy: xy + np.array([360.0, 0.0]))
    if not west.any():
        return geom
    out = np.concatenate([parts[~west], moved])
    return type(geom)(list(out)) if geom.geom_type.startswith("Multi") else out[0]


def _boundaries_wrapped(polys: np.ndarray) -> np.ndarray:
    """Boundary polygons plus copies, shifted by +360, of their parts west of -150°.

    So that a view unwrapped across the antimeridian still shows the outlines
    there; parts outside a page's view are clipped away anyway.
    """
    west = shapely.clip_by_rect(polys, -180, -90, -150, 90)
    west = west[~shapely.is_empty(west)]
    shifted = shapely.transform(west, lambda xy: xy + np.array([360.0, 0.0]))
    return np.concatenate([polys, shifted])


def _collect_units(
    ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame, taxa: dict[str, _Taxon]
) -> set[str]:
    """Attach one :class:`_Unit` per (taxon, range unit) to ``taxa``.

    Returns the taxon ids of rows that are not in ``taxa`` (not drawn).
    """
    hab_rows: dict[tuple[str, str, str], Any] = {}
    for _, row in habitat.iterrows():
        hab_rows.setdefault(_key(row["taxon_id"], row["iso3"], row["admin1"]), row)
    seen: set[tuple[str, str, str]] = set()
    skipped: set[str] = set()

    def make(rng: Any, hab: Any) -> _Unit:
        base = rng if rng is not None else hab
        admin1 = _text(_row_get(base, "admin1"))
        country = _text(_row_get(base, "country")) or _text(_row_get(base, "iso3")) or "?"
        dem_src = _text(_row_get(hab, "dem_source")) if hab is not None else None
        dem_res = _text(_row_get(hab, "dem_resolution")) if hab is not None else None
        dem = " ".join(p for p in (dem_src, f"({dem_res})" if dem_res else None) if p)
        hab_geom = hab.geometry if hab is not None else None
        if hab_geom is not None and hab_geom.is_empty:
            hab_geom = None
        rng_geom = rng.geometry if rng is not None else None
        return _Unit(
            taxon_id=str(base["taxon_id"]),
            name=admin1 or country,
            country=country,
            admin1=admin1,
            unit_rule=(_text(_row_get(rng, "unit_rule")) or "") if rng is not None else "",
            range_km2=_num(_row_get(rng, "range_area_km2")) if rng is not None else None,
            habitat_km2=_num(_row_get(hab, "area_km2")) if hab is not None else 0.0,
            share=_num(_row_get(hab, "share_of_unit")) if hab is not None else 0.0,
            elev_min=_num(_row_get(hab, "elevation_min_m")) if hab is not None else None,
            elev_max=_num(_row_get(hab, "elevation_max_m")) if hab is not None else None,
            dem=dem or "–",
            evidence=_parse_evidence(_row_get(rng, "evidence")) if rng is not None else [],
            range_geom=_unwrap(rng_geom),
            range_orig=rng_geom,
            habitat_geom=_unwrap(hab_geom, force=_straddles(rng_geom)),
            largest_patch_km2=_num(_row_get(hab, "largest_patch_km2")) if hab is not None else None,
            area_wide_km2=_num(_row_get(hab, "area_km2_wide")) if hab is not None else None,
            area_narrow_km2=_num(_row_get(hab, "area_km2_narrow")) if hab is not None else None,
            margin_m=_num(_row_get(hab, "elevation_margin_m")) if hab is not None else None,
            note=_text(_row_get(hab, "note")) if hab is not None else None,
            **_aoh_unit(hab),
        )

    for _, row in ranges.iterrows():
        key = _key(row["taxon_id"], row["iso3"], row["admin1"])
        if key[0] not in taxa:
            skipped.add(key[0])
            continue
        seen.add(key)
        unit = make(row, hab_rows.get(key))
        taxon = taxa[key[0]]
        if unit.elev_min is None and unit.elev_max is None:
            unit.elev_min = _num(taxon.info.get("elevation_min_m"))
            unit.elev_max = _num(taxon.info.get("elevation_max_m"))
        taxon.units.append(unit)
    for key, row in hab_rows.items():
        if key in seen:
            continue
        if key[0] not in taxa:
            skipped.add(key[0])
            continue
        taxa[key[0]].units.append(make(None, row))
    return skipped


# --------------------------------------------------------------------------- geometry


def _tolerances(tolerance: float) -> list[float]:
    """The tolerances tried for a page, finest first (doubling; 0 is followed by the default)."""
    tols = [tolerance]
    for _ in range(_MAX_COARSENING):
        tols.append(tols[-1] * 2 if tols[-1] > 0 else DEFAULT_TOLERANCE_DEG)
    return tols


def _object_array(geoms: Iterable[Any]) -> np.ndarray:
    items = list(geoms)
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


def _round_coords(geoms: np.ndarray) -> np.ndarray:
    """A new array of the geometries with coordinates rounded to ``COORD_DECIMALS``."""
    out = np.array(geoms, dtype=object, copy=True)
    present = ~shapely.is_missing(out)
    if present.any():
        # set_coordinates replaces the geometries in the (copied) array; inputs are untouched
        out[present] = shapely.set_coordinates(
            out[present], np.round(shapely.get_coordinates(out[present]), COORD_DECIMALS)
        )
    return out


def _simplify_polygons(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker on every ring of (multi)polygons, vectorised; None where all collapse.

    Rings are simplified as lines (no validity repair: GEOS's polygon simplifiers
    spend most of their time on that, and a canvas fills a slightly
    self-touching ring just the same).  A ring that collapses below the
    tolerance is dropped, and with an exterior its holes; a polygon stays a
    polygon when one part is left.
    """
    out = np.full(len(geoms), None, dtype=object)
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    if not len(rings):
        return out
    simple = shapely.simplify(rings, tolerance, preserve_topology=False)
    # a collapsed ring comes back as a LineString (type 1) instead of a LinearRing (2)
    ok = shapely.get_type_id(simple) == 2
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    part_ok = np.zeros(len(parts), dtype=bool)
    part_ok[ring_part[exterior]] = ok[exterior]
    keep = ok & part_ok[ring_part]
    if not keep.any():
        return out
    kept_parts, ring_to_poly = np.unique(ring_part[keep], return_inverse=True)
    polys = shapely.polygons(simple[keep], indices=ring_to_poly)
    kept_geoms, poly_to_geom = np.unique(part_geom[kept_parts], return_inverse=True)
    multi = shapely.multipolygons(polys, indices=poly_to_geom)
    single = (shapely.get_type_id(geoms[kept_geoms]) == 3) & (
        shapely.get_num_geometries(multi) == 1
    )
    multi[single] = shapely.get_geometry(multi[single], 0)
    out[kept_geoms] = multi
    return out


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Vectorised display simplification of non-missing, non-empty geometries.

    Douglas-Peucker, polygons ring by ring (:func:`_simplify_polygons`): an order of
    magnitude faster than the topology-preserving simplifier on 30″ staircases,
    and rings smaller than the tolerance are dropped instead of each being kept
    as a 4-vertex ring, so a page spends its bytes on shapes one can see.  A
    geometry that would vanish entirely is simplified with topology preserved
    instead, so every unit keeps a visible (and clickable) shape.
    """
    if tolerance <= 0 or len(geoms) == 0:
        return geoms
    out = np.array(geoms, dtype=object, copy=True)
    polygonal = np.isin(shapely.get_type_id(out), (3, 6))
    if polygonal.any():
        out[polygonal] = _simplify_polygons(out[polygonal], tolerance)
    if (~polygonal).any():
        out[~polygonal] = shapely.simplify(out[~polygonal], tolerance, preserve_topology=False)
    lost = shapely.is_missing(out)
    lost[~lost] = shapely.is_empty(out[~lost])
    if lost.any():
        out[lost] = shapely.simplify(geoms[lost], tolerance, preserve_topology=True)
    return out


def _display_geoms(geoms: Iterable[Any], tolerance: float) -> np.ndarray:
    """Simplify and round many geometries at once; None where nothing is left."""
    arr = _object_array(geoms)
    out = np.full(len(arr), None, dtype=object)
    keep = ~shapely.is_missing(arr)
    keep[keep] = ~shapely.is_empty(arr[keep])
    if keep.any():
        g = _round_coords(_simplify(arr[keep], tolerance))
        g[shapely.is_empty(g)] = None
        out[keep] = g
    return out


def _display_geom(geom: Any, tolerance: float) -> Any:
    """Simplify and round a geometry for display; None if nothing is left."""
    return _display_geoms([geom], tolerance)[0]


_WKT_TYPES = {
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
}
_PARENS = str.maketrans("()", "[]")


def _wkt_to_geojson(wkt: str) -> str | None:
    """GeoJSON geometry text from 2-D (multi)polygon/linestring WKT, by string rewriting.

    ``((1 2, 3 4), (5 6, ...))`` becomes ``[[[1, 2],[3, 4]],[[5, 6],...]]``: pair
    spaces become ``", "``, coordinate separators ``"],["``; a separator between
    rings or parts (``), (``) gets one bracket more on each side, as does the
    whole body.  None for any other geometry type.
    """
    name, _, body = wkt.partition(" ")
    kind = _WKT_TYPES.get(name)
    if kind is None or not body.startswith("("):
        return None
    body = (
        body.replace(", ", ";")
        .replace(" ", ", ")
        .replace(");(", ")|(")
        .replace(";", "],[")
        .replace("|", "],[")
        .translate(_PARENS)
    )
    return f'{{"type": "{kind}", "coordinates": [{body}]}}'


def _geojson_strings(geoms: np.ndarray) -> np.ndarray:
    """GeoJSON geometry text per (rounded) geometry; None stays None.

    GEOS writes WKT with the shortest text for a rounded coordinate (its GeoJSON
    writer prints up to 17 digits, e.g. ``-2.5197600000000002``), which
    :func:`_wkt_to_geojson` rewrites; anything else goes through ``json.dumps``.
    """
    out = np.full(len(geoms), None, dtype=object)
    present = ~shapely.is_missing(geoms)
    if present.any():
        wkts = shapely.to_wkt(
            geoms[present], rounding_precision=COORD_DECIMALS, trim=True, output_dimension=2
        )
        texts = []
        for wkt, geom in zip(wkts, geoms[present], strict=True):
            text = _wkt_to_geojson(wkt)
            texts.append(text if text is not None else json.dumps(shapely.geometry.mapping(geom)))
        out[present] = texts
    return out


def _num_chars(v: np.ndarray) -> np.ndarray:
    """Characters of each rounded lon/lat value as written to the page: ``-12.5``, ``92``."""
    scale = 10**COORD_DECIMALS
    a = np.abs(v)
    frac = np.rint(a * scale).astype(np.int64) % scale
    n = np.signbit(v).astype(np.int32) + (2 + COORD_DECIMALS)  # sign, digit, ".", decimals
    n += (a >= 10).astype(np.int32) + (a >= 100)
    f32 = frac.astype(np.int32)
    for d in range(1, COORD_DECIMALS):
        n -= f32 % 10**d == 0  # trailing zeros are not written ...
    n -= 2 * (f32 == 0)  # ... nor is ".0": "92"
    return n


def _geojson_nbytes(geoms: np.ndarray) -> np.ndarray:
    """Estimated length of :func:`_geojson_strings` per geometry (within ~1 %), cheaply.

    Counts the characters of every coordinate instead of writing the text, so a
    page's size at a tolerance is known before anything is serialised (ring
    brackets are left out: a few bytes per ring of at least four vertices).
    """
    out = np.zeros(len(geoms), dtype=np.int64)
    present = ~shapely.is_missing(geoms)
    if not present.any():
        return out
    coords, ix = shapely.get_coordinates(geoms[present], return_index=True)
    per_vertex = _num_chars(coords[:, 0]) + _num_chars(coords[:, 1]) + 5  # "[x, y],"
    n = np.bincount(ix, weights=per_vertex, minlength=int(present.sum())) + 60
    out[present] = n.astype(np.int64)
    return out


#: Shapes simplified / serialised per vectorised call (bounds the transient memory).
_SIMPLIFY_CHUNK = 200


class _Shapes:
    """Display versions (simplified, rounded) of fixed geometries, cached per tolerance.

    Every page, and every coarsening step, asks for the same shapes again; each is
    simplified and rounded at most once per tolerance (vectorised over whatever is
    asked for and not cached yet), and serialised at most once, only when a page
    is actually written at that tolerance.
    """

    def __init__(self, geoms: Iterable[Any] = (), min_tolerance: float = 0.0, *,
                 count: int | None = None,
                 loader: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        # ``loader(positions)`` gives the geometries at those positions when they are
        # not held here (the index's shapes lie in a temporary file: see MapWriter)
        self.geoms = _object_array(geoms) if loader is None else None
        self._count = len(self.geoms) if self.geoms is not None else int(count or 0)
        self._load = loader if loader is not None else self._held
        self._min_tol = min_tolerance
        self._display: dict[float, np.ndarray] = {}
        self._nbytes: dict[float, np.ndarray] = {}
        self._json: dict[float, np.ndarray] = {}

    def __len__(self) -> int:
        return self._count

    def _held(self, ix: np.ndarray) -> np.ndarray:
        assert self.geoms is not None
        return self.geoms[ix]

    def prefill(self, tolerance: float, nbytes: np.ndarray, json_texts: np.ndarray) -> None:
        """Sizes and GeoJSON texts at ``tolerance`` made earlier, shape by shape."""
        tol = self._tol(tolerance)
        n = len(self)
        self._display[tol] = np.full(n, None, dtype=object)  # not needed: texts are given
        self._nbytes[tol] = np.asarray(nbytes, dtype=np.int64)
        self._json[tol] = np.asarray(json_texts, dtype=object)

    def _tol(self, tolerance: float) -> float:
        return max(tolerance, self._min_tol)

    def _ensure(self, ix: np.ndarray, tol: float) -> None:
        if tol not in self._display:
            n = len(self)
            self._display[tol] = np.full(n, None, dtype=object)
            self._nbytes[tol] = np.full(n, -1, dtype=np.int64)
            self._json[tol] = np.full(n, None, dtype=object)
        todo = np.unique(ix[self._nbytes[tol][ix] < 0])
        # in chunks: the vectorised simplifier holds every ring of its input at full
        # resolution at once, which for an index of thousands of shapes is most of the
        # publishing's memory
        for k in range(0, len(todo), _SIMPLIFY_CHUNK):
            part = todo[k:k + _SIMPLIFY_CHUNK]
            display = _display_geoms(self._load(part), tol)
            self._display[tol][part] = display
            self._nbytes[tol][part] = _geojson_nbytes(display)

    def display(self, index: Iterable[int], tolerance: float) -> np.ndarray:
        ix, tol = np.fromiter(index, dtype=np.intp), self._tol(tolerance)
        self._ensure(ix, tol)
        return self._display[tol][ix]

    def nbytes(self, index: Iterable[int], tolerance: float) -> int:
        ix, tol = np.fromiter(index, dtype=np.intp), self._tol(tolerance)
        self._ensure(ix, tol)
        return int(self._nbytes[tol][ix].sum())

    def json(self, index: Iterable[int], tolerance: float) -> list[str | None]:
        ix, tol = np.fromiter(index, dtype=np.intp), self._tol(tolerance)
        self._ensure(ix, tol)
        cache = self._json[tol]
        todo = np.unique(
            ix[shapely.is_missing(cache[ix]) & ~shapely.is_missing(self._display[tol][ix])]
        )
        for k in range(0, len(todo), _SIMPLIFY_CHUNK):
            part = todo[k:k + _SIMPLIFY_CHUNK]
            cache[part] = _geojson_strings(self._display[tol][part])
        return list(cache[ix])


class _BoundaryLines:
    """Admin-0 outlines as lines, clipped once to the area of all pages.

    Lines (not clipped polygons) so that no clip rectangle is ever drawn as an
    outline.  Simplified (at no less than 0.01°) once per tolerance; per page only
    the lines that cross the page's view are clipped again, the others are reused.
    """

    def __init__(
        self, boundaries: gpd.GeoDataFrame | None, extent: tuple[float, float, float, float]
    ) -> None:
        lines = np.empty(0, dtype=object)
        if boundaries is not None and len(boundaries):
            polys = _object_array(boundaries.geometry.values)
            polys = polys[~shapely.is_missing(polys)]
            polys = polys[~shapely.is_empty(polys)]
            if len(polys):
                polys = _boundaries_wrapped(polys)
                lines = shapely.clip_by_rect(shapely.boundary(polys), *_view_box(extent))
                lines = lines[~shapely.is_empty(lines)]
        self._shapes = _Shapes(lines, min_tolerance=_BOUNDARY_MIN_TOLERANCE)
        self._pages: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}

    def forget_pages(self) -> None:
        """Drop the lines clipped for pages written so far (memory stays flat in taxa)."""
        self._pages.clear()

    def _page(
        self, extent: tuple[float, float, float, float], tolerance: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(indices of lines inside the view, clipped display lines crossing its edge)."""
        key = (extent, max(tolerance, _BOUNDARY_MIN_TOLERANCE))
        if key not in self._pages:
            n = len(self._shapes)
            disp = self._shapes.display(range(n), tolerance)
            keep = ~shapely.is_missing(disp)
            w, s, e, n_ = box = _view_box(extent)
            b = np.full((n, 4), np.nan)
            if keep.any():
                b[keep] = shapely.bounds(disp[keep])
            inside = keep & (b[:, 0] >= w) & (b[:, 2] <= e) & (b[:, 1] >= s) & (b[:, 3] <= n_)
            cross = (
                keep & ~inside & (b[:, 0] <= e) & (b[:, 2] >= w) & (b[:, 1] <= n_) & (b[:, 3] >= s)
            )
            clipped = _round_coords(shapely.clip_by_rect(disp[cross], *box))
            clipped = clipped[~shapely.is_empty(clipped)]
            self._pages[key] = (np.flatnonzero(inside), clipped)
        return self._pages[key]

    def nbytes(self, extent: tuple[float, float, float, float], tolerance: float) -> int:
        inside, clipped = self._page(extent, tolerance)
        return self._shapes.nbytes(inside, tolerance) + int(_geojson_nbytes(clipped).sum())

    def json(self, extent: tuple[float, float, float, float], tolerance: float) -> list[str]:
        inside, clipped = self._page(extent, tolerance)
        texts = self._shapes.json(inside, tolerance) + list(_geojson_strings(clipped))
        return [t for t in texts if t is not None]


def _view_box(extent: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The extent padded by half its size (at least 5°): the area boundaries are drawn in."""
    w, s, e, n = extent
    pad = max(5.0, 0.5 * max(e - w, n - s))
    # A view unwrapped across the antimeridian (east > 180) may reach 210° E.
    east_limit = 210.0 if e > 180 else 180.0
    return (max(w - pad, -180.0), max(s - pad, -90.0), min(e + pad, east_limit),
            min(n + pad, 90.0))


def _extent(geoms: Iterable[Any]) -> tuple[float, float, float, float] | None:
    arr = [g for g in geoms if g is not None and not g.is_empty]
    if not arr:
        return None
    b = shapely.total_bounds(np.asarray(arr, dtype=object))
    return (
        None if not np.all(np.isfinite(b)) else (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    )


def _aoh_unit(hab: Any) -> dict[str, Any]:
    """The AOH fields of a habitat row for :class:`_Unit` (absent in older outputs)."""
    if hab is None:
        return {}
    return {
        "elevation_km2": _num(_row_get(hab, "elevation_km2")),
        "criteria": _text(_row_get(hab, "criteria")),
        "fallback": _text(_row_get(hab, "fallback")),
        "landcover": shares_text(_text(_row_get(hab, "landcover_shares")),
                                 _text(_row_get(hab, "landcover_legend"))),
        "slope_median_deg": _num(_row_get(hab, "slope_median_deg")),
    }


def _aoh_lines(unit: _Unit) -> list[str]:
    """Popup lines for the AOH fields (escaped)."""
    lines = []
    if unit.criteria:
        lines.append(f"Criteria: {_esc(unit.criteria)}<br>")
    if unit.elevation_km2 is not None and unit.elevation_km2 != unit.habitat_km2:
        lines.append(f"Elevation-only habitat: {_esc(_fmt_km2(unit.elevation_km2))}<br>")
    if unit.fallback:
        lines.append(f"<b>Fallback</b>: {_esc(unit.fallback.replace('_', ' '))} "
                     "(IUCN rule)<br>")
    if unit.slope_median_deg is not None:
        lines.append(f"Median slope: {unit.slope_median_deg:.1f}°<br>")
    if unit.landcover:
        lines.append(f"Land cover: {_esc(unit.landcover)}<br>")
    return lines


# --------------------------------------------------------------------------- HTML pieces


def _habitat_line(unit: _Unit) -> str:
    """Popup line on the habitat: a unit with no habitat shows why, never a bare 0."""
    if unit.note and not unit.habitat_km2:
        return f"Habitat: none &ndash; <i>{_esc(unit.note)}</i><br>"
    line = f"Habitat: {_esc(_fmt_km2(unit.habitat_km2))}, {_esc(_fmt_share(unit.share))} of unit"
    return line + (f"<br><i>Note: {_esc(unit.note)}</i><br>" if unit.note else "<br>")


def _popup_html(taxon: _Taxon, unit: _Unit) -> str:
    sci = _text(taxon.info.get("scientific_name"))
    lines = [
        f"<div class='rm-pop'><b>{_esc(unit.name)}</b>"
        + (f", {_esc(unit.country)}" if unit.admin1 else "")
        + "<br>",
        f"{_esc(taxon.name)}" + (f" (<i>{_esc(sci)}</i>)" if sci else "") + "<br>",
        f"Range unit: {_esc(_fmt_km2(unit.range_km2))}"
        + (f" ({_esc(unit.unit_rule)})" if unit.unit_rule else "")
        + "<br>",
        _habitat_line(unit),
        f"Elevation band: {_esc(_band(unit.elev_min, unit.elev_max))}<br>",
        *_aoh_lines(unit),
        f"DEM: {_esc(unit.dem)}",
    ]
    if unit.evidence:
        items = "".join(
            f"<li>{'<b>' + _esc(doc) + '</b>: ' if doc else ''}{_esc(sent)}</li>"
            for doc, sent in unit.evidence[:_POPUP_EVIDENCE_LINES]
        )
        more = len(unit.evidence) - _POPUP_EVIDENCE_LINES
        if more > 0:
            items += f"<li>… {more} more on the taxon page</li>"
        lines.append(f"<br><b>Evidence</b><ul>{items}</ul>")
    lines.append("</div>")
    return "".join(lines)


def _tooltip_html(taxon: _Taxon, unit: _Unit) -> str:
    return (
        f"<b>{_esc(taxon.name)}</b> – {_esc(unit.name)}: "
        f"{_esc(_fmt_km2(unit.habitat_km2))} habitat ({_esc(_fmt_share(unit.share))})"
    )


def _legend_html(taxa: list[_Taxon], link: bool, back_link: bool) -> str:
    """The legend, inside a <details> so readers can fold it away (folded on the index)."""
    return (f"<details{'' if link else ' open'}><summary><b>Legend</b></summary>"
            + _legend_rows(taxa, link, back_link) + "</details>")


def _legend_rows(taxa: list[_Taxon], link: bool, back_link: bool) -> str:
    rows = []
    if back_link:
        rows.append("<div class='row'><a href='index.html'>&larr; all taxa</a></div>")
    for t in taxa:
        name = _esc(t.name)
        if link:
            name = f"<a href='{_esc(t.stem)}.html'>{name}</a>"
        band = _band(t.info.get("elevation_min_m"), t.info.get("elevation_max_m"))
        rule = _text(t.info.get("elevation_rule"))
        rows.append(
            f"<div class='row'><span class='sw' style='background:{t.colour}80;"
            f"border-color:{t.colour}'></span>{name}"
            f"<div class='sub'>habitat {_esc(band)}"
            + (f"<br><small>{_esc(rule)}</small>" if rule else "")
            + "</div></div>"
        )
    rows.append(
        "<div class='row' style='color:#555'>outline = range unit, fill = habitat "
        "within the elevation band</div>"
    )
    return "".join(rows)


def _km2_cell(value: Any, sortable: bool = False) -> str:
    v = _num(value)
    key = f" data-v='{'' if v is None else repr(v)}'" if sortable else ""
    return f"<td class='num'{key}>{'–' if v is None else f'{v:,.0f}'}</td>"


def _summary_table(taxa: list[_Taxon]) -> str:
    """The index's taxon table: searchable (by name) and sortable (click a heading).

    A row click highlights the taxon on the index map; its name opens its page.
    ``data-v`` holds the number a numeric column sorts by, ``data-q`` the
    (escaped) text the search box matches.
    """
    head = (
        "<thead><tr><th>Taxon</th><th>Scientific name</th><th>Units</th><th>Range km²</th>"
        "<th>Habitat km²</th><th>Prevalence</th><th>EOO km²</th><th>AOO km²</th>"
        "<th>Elevation band</th><th>Band source</th><th>Criteria</th></tr></thead>"
    )
    body = []
    for t in taxa:
        info = t.info
        units = info.get("units")
        n_units = (int(units) if _num(units) is not None
                   else len(t.units) if t.n_units is None else t.n_units)
        rule = _text(info.get("elevation_rule"))
        sci = _text(info.get("scientific_name")) or ""
        lo = _num(info.get("elevation_min_m"))
        prev = _num(info.get("prevalence"))
        query = f"{t.name} {sci}".casefold()
        body.append(
            f"<tr data-stem='{_esc(t.stem)}' data-q='{_esc(query)}'>"
            f"<td><span class='rm-sw' style='background:{t.colour}'></span>"
            f"<a href='{_esc(t.stem)}.html'>{_esc(t.name)}</a></td>"
            f"<td><i>{_esc(sci)}</i></td>"
            f"<td class='num' data-v='{n_units}'>{n_units}</td>"
            f"{_km2_cell(info.get('range_km2'), True)}{_km2_cell(info.get('habitat_km2'), True)}"
            f"<td class='num' data-v='{'' if prev is None else repr(prev)}'>"
            f"{_esc(_fmt_share(prev))}</td>"
            f"{_km2_cell(info.get('eoo_km2'), True)}{_km2_cell(info.get('aoo_km2'), True)}"
            f"<td data-v='{'' if lo is None else repr(lo)}'>"
            f"{_esc(_band(info.get('elevation_min_m'), info.get('elevation_max_m')))}</td>"
            f"<td>{_esc(rule or '')}</td>"
            f"<td>{_esc(_text(info.get('criteria')) or '')}"
            + (f" <b>({_esc(str(info['fallback']).replace('_', ' '))})</b>"
               if info.get("fallback") else "") + "</td>"
            "</tr>"
        )
    return (
        "<div class='rm-section'><h2>Taxa</h2>"
        "<div class='rm-find'><input id='rm-search' type='search' "
        "placeholder='Search taxa by name' aria-label='Search taxa'> "
        f"<span id='rm-count'>{len(taxa)} of {len(taxa)}</span> · click a heading to sort, "
        "a row to show the taxon on the map, a name to open its page</div>"
        f"<table class='rm' id='rm-taxa'>{head}<tbody>{''.join(body)}</tbody></table></div>"
    )


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key that orders "Unit 2" before "Unit 10"."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", text))


def _pct_change(value: float | None, base: float | None) -> str:
    if value is None:
        return "–"
    if not base:
        return f"{value:,.0f} km²"
    pct = 100 * (value - base) / base
    sign = "+" if pct > 0 else "−" if pct < 0 else "±"
    return f"{sign}{abs(pct):.0f} %"


def _sensitivity_cell(u: _Unit) -> str:
    """``"171,156 (−5 % / +6 %)"``: habitat with the band narrowed / widened by the margin."""
    if u.area_wide_km2 is None and u.area_narrow_km2 is None:
        return "<td class='num'>–</td>"
    base = "–" if u.habitat_km2 is None else f"{u.habitat_km2:,.0f}"
    narrow = _pct_change(u.area_narrow_km2, u.habitat_km2)
    wide = _pct_change(u.area_wide_km2, u.habitat_km2)
    title = (
        f"narrowed: {_fmt_km2(u.area_narrow_km2)}, widened: {_fmt_km2(u.area_wide_km2)}"
    )
    return f"<td class='num' title='{_esc(title)}'>{_esc(f'{base} ({narrow} / {wide})')}</td>"


def _units_table(taxon: _Taxon) -> str:
    units = taxon.units
    has_patch = any(u.largest_patch_km2 is not None for u in units)
    has_sens = any(u.area_wide_km2 is not None or u.area_narrow_km2 is not None for u in units)
    has_aoh = any(u.criteria for u in units)
    has_lc = any(u.landcover for u in units)
    has_note = any(u.note for u in units)
    margins = {u.margin_m for u in units if u.margin_m is not None}
    margin = _num(taxon.info.get("elevation_margin_m"))
    if margin is None and len(margins) == 1:
        margin = margins.pop()
    sens_head = (
        f"Habitat km² ± {margin:,.0f} m band (narrow / wide)"
        if margin is not None
        else "Habitat km² ± margin (narrow / wide)"
    )
    head = (
        "<tr><th>Unit</th><th>Country</th><th>Range km²</th><th>Habitat km²</th>"
        + ("<th>Largest patch km²</th>" if has_patch else "")
        + (f"<th>{_esc(sens_head)}</th>" if has_sens else "")
        + "<th>Share</th><th>Elevation band</th>"
        + ("<th>Criteria</th>" if has_aoh else "")
        + ("<th>Land cover of the habitat</th>" if has_lc else "")
        + "<th>DEM</th>" + ("<th>Note</th>" if has_note else "") + "<th>Evidence</th></tr>"
    )
    body = []
    for u in sorted(units, key=lambda u: (_natural(u.country), _natural(u.name))):
        ev = "".join(
            f"<li>{'<b>' + _esc(doc) + '</b>: ' if doc else ''}{_esc(sent)}</li>"
            for doc, sent in u.evidence
        )
        body.append(
            "<tr>"
            f"<td>{_esc(u.name)}</td><td>{_esc(u.country)}</td>"
            f"{_km2_cell(u.range_km2)}{_km2_cell(u.habitat_km2)}"
            + (_km2_cell(u.largest_patch_km2) if has_patch else "")
            + (_sensitivity_cell(u) if has_sens else "")
            + f"<td class='num'>{_esc(_fmt_share(u.share))}</td>"
            f"<td>{_esc(_band(u.elev_min, u.elev_max))}</td>"
            + (f"<td>{_esc(u.criteria or '')}"
               + (f" <b>({_esc(u.fallback.replace('_', ' '))})</b>" if u.fallback else "")
               + "</td>" if has_aoh else "")
            + (f"<td>{_esc(u.landcover)}</td>" if has_lc else "")
            + f"<td>{_esc(u.dem)}</td>"
            + (f"<td>{_esc(u.note or '')}</td>" if has_note else "")
            + f"<td>{'<ul>' + ev + '</ul>' if ev else ''}</td>"
            "</tr>"
        )
    docs = [d for d in (taxon.info.get("documents") or []) if _text(d)]
    docs_html = "<p>Documents: " + ", ".join(_esc(d) for d in docs) + "</p>" if docs else ""
    return (
        f"<div class='rm-section'><h2>Range units ({len(taxon.units)})</h2>{docs_html}"
        f"<table class='rm'>{head}{''.join(body)}</table></div>"
    )


def _header_html(title: str, subtitle: str, back_link: bool) -> str:
    nav = "<a href='index.html'>&larr; all taxa</a> · " if back_link else ""
    return f"<div class='rm-head'><h1>{title}</h1><p>{nav}{subtitle}</p></div>"


# --------------------------------------------------------------------------- page


def _layer_label(colour: str, text: str) -> str:
    """Layer-control label (Leaflet sets it with innerHTML: ``text`` is escaped)."""
    return f"<span style='color:{colour}'>&#9632;</span> {text}"


def _range_style(colour: str, fill: bool) -> dict[str, Any]:
    """Outline style; ``fill`` gives outlines a faint fill so a click inside opens the popup.

    Off on the index, where ranges of different taxa overlap and a fill would hide
    the habitat of taxa drawn below from the pointer.
    """
    return {
        "color": colour,
        "weight": 2,
        "opacity": 0.9,
        "fill": fill,
        "fillColor": colour,
        "fillOpacity": 0.04,
    }


def _habitat_style(colour: str) -> dict[str, Any]:
    return {
        "color": colour,
        "weight": 0.5,
        "opacity": 0.8,
        "fillColor": colour,
        "fillOpacity": 0.55,
    }


_BOUNDARY_STYLE = {"color": "#888888", "weight": 0.8, "opacity": 0.8}

#: Fill colours of occurrence points by where they fall (``rangemap validate``).
_POINT_COLOURS = {"habitat": "#1a9850", "range": "#fdae61", "outside": "#d73027"}


def _add_points(m: folium.Map, t: _Taxon) -> None:
    """A layer of the taxon's occurrence points: ``info["occurrences"]`` holds
    ``[lon, lat, status, label]`` rows, status one of :data:`_POINT_COLOURS`."""
    pts = t.info["occurrences"]
    group = folium.FeatureGroup(
        name=_layer_label("#333333", f"{_esc(t.name)}: {len(pts)} occurrence records"),
        show=True)
    group.add_to(m)
    data = ",".join(
        f"[{float(lon)!r},{float(lat)!r},{_js_str(_POINT_COLOURS.get(str(st), '#777777'))},"
        f"{_js_str(_esc(label))}]" for lon, lat, st, label in pts)

    def build(name: str) -> str:
        return (
            "(function () {\n"
            f"  [{data}].forEach(function (p) {{\n"
            "    L.circleMarker([p[1], p[0]], {radius: 4, weight: 1, color: '#222222', "
            "fillColor: p[2], fillOpacity: 0.9}).bindTooltip(p[3]).addTo("
            f"{name});\n"
            "  });\n"
            "})();\n"
        )

    group.add_child(_Script(build))


def _feature_collection(features: Iterable[tuple[int | None, str]]) -> str:
    """GeoJSON text of a FeatureCollection from (id, geometry text) pairs.

    Properties stay empty: popups are looked up by feature id in a separate,
    escaped array, so no document text is ever part of the geometry data.
    """
    parts = [
        '{"type": "Feature", '
        + ("" if fid is None else f'"id": {int(fid)}, ')
        + f'"geometry": {geom}, "properties": {{}}}}'
        for fid, geom in features
    ]
    return '{"type": "FeatureCollection", "features": [' + ", ".join(parts) + "]}"


def _unit_keys(taxon: _Taxon) -> list[str]:
    """Stable, slugged keys of the taxon's units for the URL (``#unit=india-sikkim``)."""
    keys, used = [], set()
    for u in taxon.units:
        base = slugify(f"{u.country} {u.admin1 or ''}")
        key, n = base, 2
        while key in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key)
        keys.append(key)
    return keys


def _popup_array_js(taxon: _Taxon) -> str:
    """JS array literal ``[[popup, tooltip, unit key], ...]`` (one per unit, script-safe)."""
    rows = ",\n".join(
        f"    [{_js_str(_popup_html(taxon, u))}, {_js_str(_tooltip_html(taxon, u))}, "
        f"{_js_str(k)}]"
        for u, k in zip(taxon.units, _unit_keys(taxon), strict=True)
    )
    return f"[\n{rows}\n  ]"


def _taxon_js(
    popups_js: str,
    layers: list[tuple[str, dict[str, Any], str]],
    *,
    key: str = "",
    detail: str | None = None,
    detail_zoom: int | None = None,
    map_name: str = "null",
) -> str:
    """One script for a taxon: its popup array and one GeoJSON layer per entry of ``layers``.

    ``layers`` holds (feature collection text, style, JS name of the group it
    goes into); every feature's id indexes ``info``.  With ``detail_zoom`` the
    page swaps in finer geometry (``RM.detail``, from the file ``detail`` or
    inline) at that zoom and above.
    """
    lines = [
        "(function () {",
        f"  var info = {popups_js};",
        f"  RM.taxon({map_name}, {{key: {_js_str(key)}, info: info, "
        f"detail: {'null' if detail is None else _js_str(detail)}, "
        f"detailZoom: {'null' if detail_zoom is None else int(detail_zoom)}, layers: [",
    ]
    for fc, style, group in layers:
        lines.append(f"    {{data: {fc}, style: {json.dumps(style)}, group: {group}}},")
    lines.append("  ]});")
    lines.append("})();")
    return "\n".join(lines) + "\n"


def _boundaries_js(fc: str, group: str) -> str:
    return (
        f"L.geoJson({fc}, {{style: {json.dumps(_BOUNDARY_STYLE)}, interactive: false}})"
        f".addTo({group});\n"
    )


def _shared_boundaries_js(group: str) -> str:
    return (
        f"if (window.RM && RM.boundaries) L.geoJson(RM.boundaries, "
        f"{{style: {json.dumps(_BOUNDARY_STYLE)}, interactive: false}}).addTo({group});\n"
    )


def _new_map(
    title: str, extent: tuple[float, float, float, float], shared: bool, boundaries: bool
) -> folium.Map:
    w, s, e, n = extent
    m = folium.Map(
        location=[(s + n) / 2, (w + e) / 2],
        zoom_start=5,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        width="100%",
        height="72%",
        font_size="0.8rem",
    )
    # Everything comes from rangemap's own copies (assets/ or inline): drop folium's
    # CDN links (instance attributes shadow the class lists; never mutate folium's).
    m.default_js = []
    m.default_css = []
    fig = m.get_root()
    fig.title = title
    head = _vendor_head(shared)
    if shared and boundaries:
        head += f'\n<script src="{ASSETS}/boundaries.js"></script>'
    fig.header.add_child(_Raw(head), name="rangemap_vendor", index=0)
    m.fit_bounds([[s, w], [n, e]], padding=(12, 12))
    # not animated: a view from the URL hash (RM.view, right after) would otherwise be
    # undone when the fitting zoom animation ends
    for child in m._children.values():
        if isinstance(child, folium.map.FitBounds):
            child.options["animate"] = False
    return m


def _add_osm(m: folium.Map) -> None:
    """Offer OpenStreetMap tiles as an overlay that is off until a reader turns it on."""
    folium.TileLayer(
        "OpenStreetMap",
        name="OpenStreetMap (online only)",
        overlay=True,
        show=False,
        control=True,
    ).add_to(m)


def _add_plugins(m: folium.Map) -> None:
    fs = plugins.Fullscreen(position="topleft")
    fs.default_js, fs.default_css = [], []
    fs.add_to(m)
    mp = plugins.MousePosition(
        position="bottomleft",
        separator=" , ",
        num_digits=4,
        prefix="lat, lon:",
        empty_string="",
    )
    mp.default_js, mp.default_css = [], []
    mp.add_to(m)


# Tags that would fetch something.  Untrusted text cannot produce a raw "<", so a
# hit means a folium element slipped a CDN link in (e.g. a new plugin or version).
_FETCH_RE = re.compile(r"<script[^>]*\bsrc\s*=[^>]*>|<link\b[^>]*>|<img\b|<iframe\b",
                       re.IGNORECASE)
#: The only fetching tags a shared-asset page may carry: relative files under assets/.
_ASSET_TAG_RE = re.compile(
    r'<script src="assets/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*"></script>'
    r'|<link rel="stylesheet" href="assets/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*">'
)


def _check_offline(page: str, shared: bool = False) -> None:
    for hit in _FETCH_RE.finditer(page):
        tag = hit.group(0)
        if tag.lower().startswith("<script") and not re.search(r"\bsrc\s*=", tag, re.I):
            continue
        if shared and ".." not in tag and _ASSET_TAG_RE.match(page, hit.start()):
            continue
        raise RuntimeError(f"page would load an external resource: {tag!r}")


#: A relief tile: (URL or data URI, (west, south, east, north), DEM name).
_Tile = tuple[str, tuple[float, float, float, float], str]


@dataclass
class _Layer:
    """One GeoJSON layer of a taxon page: a style and one shape per unit."""

    label: str  # layer-control label (HTML, escaped)
    style: dict[str, Any]
    ix: list[int]  # positions in the page's _Shapes, one per unit (-1: none)
    show: bool = True


@dataclass
class _Page:
    """One page to write; everything but the geometry, which depends on the tolerance."""

    what: str
    title: str
    header: str
    taxa: list[_Taxon]
    is_index: bool
    extent: tuple[float, float, float, float]
    legend: str = ""
    body: str = ""
    relief: list[_Tile] = field(default_factory=list)
    shared: bool = False
    #: Taxon pages: the page's layers (range, habitat, band layers) and popups.
    layers: list[_Layer] = field(default_factory=list)
    popups_js: str = "[]"
    #: Shared pages: the detail file and the zoom at which it is loaded.
    detail: str | None = None
    detail_zoom: int | None = None
    #: Index: per taxon (range positions, habitat positions) in the index's _Shapes.
    index_ix: list[tuple[list[int], list[int]]] = field(default_factory=list)
    boundaries: bool = False

    def fixed_bytes(self) -> int:
        """Bytes of the page that do not depend on the tolerance (plus folium's markup)."""
        texts = [_vendor_head(self.shared), self.title, self.header, _js_str(self.legend)]
        texts += [r[0] for r in self.relief]
        texts += [self.body, self.popups_js]
        extra = 150 * len(self.taxa) if self.is_index else 0
        return sum(len(x.encode("utf-8")) for x in texts) + 40_000 + extra

    def geom_ix(self) -> list[int]:
        if self.is_index:
            return sorted({i for r, h in self.index_ix for i in (*r, *h)})
        return [i for lyr in self.layers for i in lyr.ix if i >= 0]


@dataclass
class _PageData:
    """The page's geometry at one tolerance."""

    #: Taxon pages: one feature collection per layer.
    layers: list[str]
    #: Index: ``[geometry or null, ...]`` JSON text of the distinct shapes.
    index_geoms: str | None
    boundaries: str | None


def _page_nbytes(
    page: _Page, shapes: _Shapes, lines: _BoundaryLines | None, tolerance: float
) -> int:
    """Estimated bytes of the page's geometry at ``tolerance`` (nothing is serialised)."""
    n = shapes.nbytes(page.geom_ix(), tolerance)
    if lines is not None and not page.shared:
        n += lines.nbytes(page.extent, tolerance)
    return n + n // 50  # ring brackets and feature wrappers, which the estimate leaves out


def _layer_fcs(layers: list[_Layer], shapes: _Shapes, tolerance: float) -> list[str]:
    out = []
    for lyr in layers:
        texts = shapes.json([max(i, 0) for i in lyr.ix], tolerance) if lyr.ix else []
        out.append(
            _feature_collection(
                (k, g) for k, (i, g) in enumerate(zip(lyr.ix, texts, strict=True))
                if i >= 0 and g is not None
            )
        )
    return out


def _page_data(
    page: _Page, shapes: _Shapes, lines: _BoundaryLines | None, tolerance: float
) -> _PageData:
    index_geoms = None
    layers: list[str] = []
    if page.is_index:
        ix = page.geom_ix()
        texts = dict(zip(ix, shapes.json(ix, tolerance), strict=True))
        n = len(shapes)
        index_geoms = "[" + ",".join(texts.get(i) or "null" for i in range(n)) + "]"
    else:
        layers = _layer_fcs(page.layers, shapes, tolerance)
    outlines = None
    if lines is not None and not page.shared:
        texts = lines.json(page.extent, tolerance)
        outlines = _feature_collection((None, g) for g in texts) if texts else None
    return _PageData(layers=layers, index_geoms=index_geoms, boundaries=outlines)


#: Above this many taxa the index has no per-taxon layer list (the taxon table
#: selects and highlights instead): one layer of all range units, one of all habitat.
INDEX_LAYER_LIST_MAX = 12

_SHARED_RANGE_STYLE = {"color": "#3b5b92", "weight": 1, "opacity": 0.7, "fill": False}
_SHARED_HABITAT_STYLE = {
    "color": "#2f7d32", "weight": 0.3, "opacity": 0.5, "fillColor": "#2f7d32",
    "fillOpacity": 0.25,
}


def _index_js(
    page: _Page, geoms_js: str, map_name: str, groups: list[tuple[str, str]] | None,
    shared_groups: tuple[str, str] | None,
) -> str:
    taxa = ",\n".join(
        f"    [{_js_str(_esc(t.stem))}, {_js_str(_esc(t.name))}, {_js_str(t.colour)}, "
        f"{json.dumps(r)}, {json.dumps(h)}]"
        for t, (r, h) in zip(page.taxa, page.index_ix, strict=True)
    )
    styles = {
        "range": _range_style("#000000", False),
        "habitat": _habitat_style("#000000"),
        "sharedRange": _SHARED_RANGE_STYLE,
        "sharedHabitat": _SHARED_HABITAT_STYLE,
        "highlightRange": {"weight": 3, "opacity": 1, "fill": False},
        "highlightHabitat": {"weight": 0.8, "opacity": 1, "fillOpacity": 0.7},
    }
    if groups is not None:
        grp = "groups: [" + ", ".join(f"[{a}, {b}]" for a, b in groups) + "]"
    else:
        assert shared_groups is not None
        grp = f"shared: {{range: {shared_groups[0]}, habitat: {shared_groups[1]}}}"
    return (
        f"RM.index({map_name}, {{geoms: {geoms_js},\n  taxa: [\n{taxa}\n  ],\n"
        f"  {grp}, styles: {json.dumps(styles)}}});\n"
    )


def _relief_js(tiles: list[_Tile], group: str) -> str:
    lines = []
    for url, (w, s_, e, n), source in tiles:
        opts = {"opacity": 0.6, "pane": _RELIEF_PANE, "interactive": False,
                "attribution": f"Relief: {_esc(source)}"}
        lines.append(
            f"L.imageOverlay({_js_str(url)}, {json.dumps([[s_, w], [n, e]])}, "
            f"{json.dumps(opts)}).addTo({group});"
        )
    return "\n".join(lines) + "\n"


def _render_page(page: _Page, data: _PageData, osm_overlay: bool) -> str:
    m = _new_map(page.title, page.extent, page.shared, page.boundaries)
    m.get_root().html.add_child(_Raw(page.header), name="rangemap_header", index=0)
    if osm_overlay:
        _add_osm(m)
    if page.relief:
        # its own pane between tiles (200) and vector overlays (400): under everything
        folium.map.CustomPane(_RELIEF_PANE, z_index=250, pointer_events=False).add_to(m)
        fg = folium.FeatureGroup(name="Shaded relief", show=True, control=True)
        fg.add_child(_Script(functools.partial(_relief_js, page.relief)))
        fg.add_to(m)
    if data.boundaries is not None or (page.shared and page.boundaries):
        fg = folium.FeatureGroup(name="Country boundaries", show=True, control=True)
        if data.boundaries is not None:
            fg.add_child(_Script(functools.partial(_boundaries_js, data.boundaries)))
        else:
            fg.add_child(_Script(_shared_boundaries_js))
        fg.add_to(m)
    if page.is_index:
        _index_layers(m, page, data)
    else:
        t = page.taxa[0]
        groups = []
        for lyr in page.layers:
            g = folium.FeatureGroup(name=lyr.label, show=lyr.show)
            g.add_to(m)
            groups.append(g)
        if t.info.get("occurrences"):  # set by 'rangemap validate'
            _add_points(m, t)

        def build(_map: str) -> str:
            return _taxon_js(
                page.popups_js,
                [(fc, lyr.style, g.get_name())
                 for fc, lyr, g in zip(data.layers, page.layers, groups, strict=True)],
                key=t.stem, detail=page.detail, detail_zoom=page.detail_zoom, map_name=_map,
            )

        # added to the map after the groups, so the script runs once they exist
        m.add_child(_Script(build))
    _add_plugins(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.add_child(_html_control(page.legend, "bottomright", "rm-legend"))
    m.add_child(_Script(lambda name: f"RM.view({name});\n"))
    m.add_child(_BodyHtml(page.body))
    html_text = m.get_root().render()
    _check_offline(html_text, page.shared)
    return html_text


def _index_layers(m: folium.Map, page: _Page, data: _PageData) -> None:
    """Few taxa: a layer (and layer-list entry) per taxon; many: two shared layers."""
    assert data.index_geoms is not None
    if len(page.taxa) <= INDEX_LAYER_LIST_MAX:
        groups = []
        for t in page.taxa:
            g = folium.FeatureGroup(name=_layer_label(t.colour, _esc(t.name)), show=True)
            g.add_to(m)
            groups.append(g)

        def build(name: str) -> str:
            return _index_js(page, data.index_geoms or "[]", name,
                             [(g.get_name(), g.get_name()) for g in groups], None)
    else:
        rng = folium.FeatureGroup(name="Range units (all taxa)", show=True)
        hab = folium.FeatureGroup(name="Habitat (all taxa)", show=True)
        rng.add_to(m)
        hab.add_to(m)

        def build(name: str) -> str:
            return _index_js(page, data.index_geoms or "[]", name, None,
                             (rng.get_name(), hab.get_name()))

    m.add_child(_Script(build))


def _render_fitted(
    page: _Page,
    shapes: _Shapes,
    lines: _BoundaryLines | None,
    tols: list[float],
    max_bytes: int,
    osm_overlay: bool,
) -> tuple[str, float]:
    """Render at the finest tolerance of ``tols`` whose estimated size fits ``max_bytes``.

    The estimate (tolerance-independent page parts plus the exact geometry text)
    picks the tolerance before anything is rendered; rendering again at the next
    coarser tolerance is only a safety net for an estimate that was too low.
    Returns the page and the tolerance used.
    """
    fixed = page.fixed_bytes()
    html_text, size, tol = "", 0, tols[0]
    for k, tol in enumerate(tols):
        if fixed + _page_nbytes(page, shapes, lines, tol) > max_bytes and k < len(tols) - 1:
            continue
        if page.detail is not None:
            page.detail_zoom = _detail_zoom(tol)
        data = _page_data(page, shapes, lines, tol)
        html_text = _render_page(page, data, osm_overlay)
        size = len(html_text.encode("utf-8"))
        if size <= max_bytes:
            if tol != tols[0]:
                log.info(
                    "publish: %s simplified at %.4g° to fit %d bytes", page.what, tol, max_bytes
                )
            return html_text, tol
    log.warning("publish: %s is %d bytes, above the %d-byte bound", page.what, size, max_bytes)
    return html_text, tol


def _detail_zoom(tolerance: float) -> int:
    """The zoom from which a shape simplified at ``tolerance`` shows (> 1.5 px) its error."""
    if tolerance <= 0:
        return 0
    z = math.ceil(math.log2(1.5 * 360.0 / (256.0 * tolerance)))
    return max(3, min(12, z))


def _detail_js(key: str, fcs: list[str]) -> str:
    """A detail file: the page's layers at the finer tolerance (``RM.detail``)."""
    return f"RM.detail({_js_str(key)}, [\n" + ",\n".join(fcs) + "\n]);\n"


# --------------------------------------------------------------------------- public API


_RELIEF_PANE = "rmRelief"
#: Attribution of the DEMs that ship with rangemap (by file stem); others show their stem.
_DEM_NAMES = {
    "pvlib_altitude_5min": "pvlib 5′ global altitude grid (Mapzen terrain tiles: SRTM, GMTED, "
    "ETOPO1 and others)",
    "globe30s_55e90e_20n50n": "NOAA GLOBE 30″ DEM",
}
#: Relief tiles are this many degrees square, on a grid anchored at 0°, 0°.
RELIEF_TILE_DEG = 30


def _relief_box(extent: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The area the relief image covers: the page's view box, widened in longitude.

    A page is fitted to its data, but a wide screen shows more longitude than a
    tall extent needs (and Leaflet snaps to whole zoom levels), so the image is
    made about three times as wide as the box is tall in Mercator, up to the
    whole world, centred on the data.
    """
    w, s, e, n = _view_box(extent)
    s, n = max(s, -85.0), min(n, 85.0)
    merc_h = math.degrees(
        math.log(math.tan(math.pi / 4 + math.radians(n) / 2))
        - math.log(math.tan(math.pi / 4 + math.radians(s) / 2))
    )
    width = min(360.0, max(e - w, 3.0 * merc_h))
    cx = (extent[0] + extent[2]) / 2
    return (cx - width / 2, s, cx + width / 2, n)


class _Relief:
    """Shaded-relief tiles shared by the pages of a maps folder.

    Tiles are ``RELIEF_TILE_DEG`` squares on a fixed grid, each made once (from
    the coarsest lon/lat DEM covering it, or the part of the tile a DEM covers)
    and either written to ``assets/relief/<tile>.png`` or, for self-contained
    pages, kept as ``data:`` URIs.
    """

    def __init__(self, dems: list[Path], out_dir: Path, shared: bool) -> None:
        self.dems = dems
        self.dir = out_dir / ASSETS / "relief"
        self.shared = shared
        self.tiles: dict[tuple[int, int], _Tile | None] = {}
        self.written: list[Path] = []
        self._bounds: list[tuple[float, float, float, float]] | None = None

    def _dem_bounds(self) -> list[tuple[float, float, float, float]]:
        if self._bounds is None:
            self._bounds = []
            for p in self.dems:
                try:
                    with rasterio.open(p) as ds:
                        if ds.crs is not None and ds.crs.is_geographic:
                            b = ds.bounds
                            self._bounds.append((b.left, b.bottom, b.right, b.top))
                except OSError:
                    continue
        return self._bounds

    def _single(self, extent: tuple[float, float, float, float]) -> _Tile | None:
        """One relief image for a self-contained page: its widened view, else its view box."""
        for box_ in (_relief_box(extent), _view_box(extent)):
            try:
                png, bounds, used = relief_overlay(self.dems, box_)
            except ValueError:  # no DEM covers the box
                continue
            except OSError as exc:
                log.info("publish: no shaded relief (%s)", exc)
                return None
            uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            return uri, bounds, _DEM_NAMES.get(used.stem, used.stem)
        return None

    def _make(self, i: int, j: int) -> _Tile | None:
        d = RELIEF_TILE_DEG
        tile = (i * d, max(j * d, -85.0), (i + 1) * d, min((j + 1) * d, 85.0))
        boxes = [tile]
        for w, s, e, n in self._dem_bounds():  # parts of the tile a regional DEM covers
            box_ = (max(tile[0], w), max(tile[1], s), min(tile[2], e), min(tile[3], n))
            if box_[2] - box_[0] > 1e-6 and box_[3] - box_[1] > 1e-6 and box_ != tile:
                boxes.append(box_)
        for box_ in boxes:
            try:
                png, bounds, used = relief_overlay(self.dems, box_)
            except ValueError:
                continue
            except OSError as exc:
                log.info("publish: no shaded relief (%s)", exc)
                return None
            source = _DEM_NAMES.get(used.stem, used.stem)
            name = (f"{'e' if i >= 0 else 'w'}{abs(i * d):03d}"
                    f"{'n' if j >= 0 else 's'}{abs(j * d):02d}")
            if self.shared:
                path = self.dir / f"{name}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                write_bytes_atomic(path, png)
                self.written.append(path)
                url = f"{ASSETS}/relief/{name}.png"
            else:
                url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            return url, bounds, source
        return None

    def for_extent(self, extent: tuple[float, float, float, float]) -> list[_Tile]:
        """The tiles under a page's (widened) view (self-contained: one image, at most 1 MB)."""
        if not self.dems:
            return []
        if not self.shared:
            one = self._single(extent)
            return [one] if one is not None else []
        w, s, e, n = _relief_box(extent)
        d = RELIEF_TILE_DEG
        out = []
        for i in range(math.floor(w / d), math.ceil(e / d)):
            for j in range(math.floor(s / d), math.ceil(n / d)):
                if (i, j) not in self.tiles:
                    self.tiles[(i, j)] = self._make(i, j)
                tile = self.tiles[(i, j)]
                if tile is not None:
                    out.append(tile)
        return out


def _page_stems(taxa: list[dict[str, Any]], out_dir: Path) -> list[str]:
    """Validated, unique file stems (one per taxon), each a direct child of out_dir."""
    stems: list[str] = []
    used = set(_RESERVED_STEMS)
    root = out_dir.resolve()
    for i, info in enumerate(taxa):
        for k in _TAXON_KEYS:
            if k not in info or _text(info[k]) is None:
                raise DataError(f"taxa[{i}]: missing {k!r}")
        slug = str(info["slug"])
        try:
            path = safe_child(out_dir, f"{slug}.html")
        except ValueError as exc:
            raise DataError(f"taxa[{i}]: unsafe slug {slug!r}") from exc
        if path.parent != root or "/" in slug or "\\" in slug:
            raise DataError(f"taxa[{i}]: slug {slug!r} must be a plain file name")
        stem, n = slug, 2
        while stem in used:
            stem, n = f"{slug}-{n}", n + 1
        used.add(stem)
        stems.append(stem)
    return stems


def write_maps(
    ranges: gpd.GeoDataFrame,
    habitat: gpd.GeoDataFrame,
    taxa: list[dict[str, Any]],
    out_dir: Path,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE_DEG,
    max_page_bytes: int | None = None,
    osm_overlay: bool = True,
    title: str = "Species ranges and habitat",
    relief: list[Path] | None = None,
    self_contained: bool = False,
    band_layers: Callable[..., tuple[list[Any], list[Any]] | None] | None = None,
) -> list[Path]:
    """Write offline HTML maps: ``index.html`` plus one page per taxon.

    Parameters
    ----------
    ranges : geopandas.GeoDataFrame
        One row per (taxon, range unit): ``taxon_id``, ``species``,
        ``scientific_name``, ``iso3``, ``country``, ``admin1``, ``unit_rule``,
        ``range_area_km2``, ``evidence`` (``"document: sentence"`` lines), geometry.
    habitat : geopandas.GeoDataFrame
        One row per (taxon, range unit): the identity columns plus
        ``elevation_min_m``, ``elevation_max_m``, ``area_km2``, ``share_of_unit``,
        ``dem_source``, ``dem_resolution``, geometry (may be empty).
    taxa : list of dict
        Per-taxon summary (``taxon_id``, ``slug``, ``name``, ``scientific_name``,
        ``units``, ``habitat_km2``, ``range_km2``, ``elevation_min_m``,
        ``elevation_max_m``, ``elevation_rule``, ``documents``), in display order;
        colours follow this order.  Only taxa listed here are drawn.
    out_dir : pathlib.Path
        Output folder (created if needed).
    boundaries : geopandas.GeoDataFrame, optional
        Admin-0 outlines drawn as a thin grey base layer.
    tolerance : float, default 0.005
        Display simplification tolerance in degrees (Douglas-Peucker, ring by
        ring; rings smaller than it are dropped unless a shape would vanish).
        Self-contained pages use it (doubled up to seven times for a page that
        would exceed ``max_page_bytes``).  Shared-asset pages carry their shapes
        at four times it (coarsened further to fit the bound) and load the
        shapes at ``tolerance`` from ``detail/<taxon>.js`` once the reader zooms
        in far enough to see the difference.
    max_page_bytes : int, optional
        Size bound for one page: default 500 000 for shared-asset taxon pages,
        5 000 000 for the index and self-contained pages.
    osm_overlay : bool, default True
        Offer an OpenStreetMap tile layer, switched off by default (it needs
        the network; the page loads nothing remote unless a reader turns it on).
    title : str, default "Species ranges and habitat"
        Title of the index page (escaped like any other text).
    relief : list of Path, optional
        DEMs for a shaded-relief base image (30° tiles, see :class:`_Relief`).
    self_contained : bool, default False
        One file per page with everything inlined (for mailing one map).  By
        default Leaflet, the page code, the country outlines and the relief are
        written once to ``out_dir/assets/`` and loaded with relative links,
        which work from ``file://``.
    band_layers : callable, optional
        ``band_layers(taxon_info, range_geoms, bands) -> (wide, narrow)``: the
        habitat of each unit (``bands``: its (min, max) limits) with the band
        widened and narrowed by the sensitivity margin (None entries for none;
        see :func:`rangemap.pipeline.band_habitat`).  Drawn as two optional
        layers, off at first, on the taxon's page.

    Returns
    -------
    list of pathlib.Path
        ``index.html`` first, then the taxon pages in the order of ``taxa``,
        then detail files and shared assets.

    Raises
    ------
    DataError
        Missing columns, a taxon without id/slug/name, or a slug that is not a
        plain file name inside ``out_dir`` (nothing is written then).

    Notes
    -----
    Geometry is simplified and rounded to 5 decimals for display only.  All
    document-derived text is escaped; every file is written atomically.  This is
    :class:`MapWriter` given every row at once; a build hands it a few taxa at a
    time instead, so the habitat polygons are never all in memory.
    """
    taxon_ids = [str(t.get("taxon_id")) for t in taxa]
    writer = MapWriter(
        taxa, out_dir, boundaries, extent=maps_extent(ranges, habitat, taxa),
        tolerance=tolerance, max_page_bytes=max_page_bytes, osm_overlay=osm_overlay,
        title=title, relief=relief, self_contained=self_contained, band_layers=band_layers,
    )
    writer.add(ranges, habitat, taxon_ids)
    return writer.finish()


_WORLD = (-180.0, -60.0, 180.0, 80.0)


def _prepare_rows(
    ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    _require(ranges, _RANGE_COLUMNS, "ranges")
    _require(habitat, _HABITAT_COLUMNS, "habitat")
    return _to_4326(ranges, "ranges"), _to_4326(habitat, "habitat")


def _units_extent(ts: Iterable[_Taxon]) -> tuple[float, float, float, float] | None:
    return _extent(g for t in ts for u in t.units for g in (u.range_geom, u.habitat_geom))


def maps_extent(
    ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame, taxa: list[dict[str, Any]]
) -> tuple[float, float, float, float] | None:
    """The extent the maps of these rows cover (as drawn: parts across ±180 moved east).

    None when there is no shape.  The extent of several groups of rows is the
    union of theirs (:func:`union_extent`); :class:`MapWriter` needs the extent of
    all rows before its first page, because the country outlines of every page
    are cut from the lines of the whole area.
    """
    ranges, habitat = _prepare_rows(ranges, habitat)
    tmp = {str(t["taxon_id"]): _Taxon(info=t, stem="", colour="") for t in taxa
           if "taxon_id" in t}
    _collect_units(ranges, habitat, tmp)
    return _units_extent(tmp.values())


def union_extent(
    extents: Iterable[tuple[float, float, float, float] | None],
) -> tuple[float, float, float, float] | None:
    """The box around several extents (None entries ignored; None if all are)."""
    boxes = [e for e in extents if e is not None]
    if not boxes:
        return None
    b = np.asarray(boxes, dtype=float)
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
            float(b[:, 3].max()))


class MapWriter:
    """The maps folder, written a few taxa at a time.

    ``MapWriter(taxa, out_dir, boundaries, extent=...)``, then :meth:`add` with the
    range and habitat rows of some taxa (every row of a taxon in the same call),
    then :meth:`finish`.  Each taxon's page (and detail file) is written as soon
    as its rows arrive; what the index needs is kept small: per distinct shape its
    display text at the index's tolerance, its size, and its full geometry in an
    anonymous temporary file (read back only if the index must be coarsened to
    fit its size bound).  So memory does not grow with the number of taxa beyond
    the index's coarse shapes and a row of figures per taxon.  The pages are the
    same, byte for byte, as those :func:`write_maps` writes with every row at once
    (which uses this class).  Arguments as for :func:`write_maps`; ``extent`` is
    :func:`maps_extent` of all rows.
    """

    def __init__(
        self,
        taxa: list[dict[str, Any]],
        out_dir: Path,
        boundaries: gpd.GeoDataFrame | None = None,
        *,
        extent: tuple[float, float, float, float] | None,
        tolerance: float = DEFAULT_TOLERANCE_DEG,
        max_page_bytes: int | None = None,
        osm_overlay: bool = True,
        title: str = "Species ranges and habitat",
        relief: list[Path] | None = None,
        self_contained: bool = False,
        band_layers: Callable[..., tuple[list[Any], list[Any]] | None] | None = None,
    ) -> None:
        self.out_dir = out_dir = Path(out_dir)
        self.shared = shared = not self_contained
        if boundaries is not None:
            _require(boundaries, ("geometry",), "boundaries")
            boundaries = _to_4326(boundaries, "boundaries")
        stems = _page_stems(taxa, out_dir)
        self.page_bound = max_page_bytes or (LIGHT_PAGE_BYTES if shared else MAX_PAGE_BYTES)
        self.index_bound = max_page_bytes or MAX_PAGE_BYTES
        self.by_id: dict[str, _Taxon] = {}
        self.ordered: list[_Taxon] = []
        for i, (info, stem) in enumerate(zip(taxa, stems, strict=True)):
            tid = str(info["taxon_id"])
            if tid in self.by_id:
                raise DataError(f"taxa[{i}]: duplicate taxon_id {tid!r}")
            t = _Taxon(info=info, stem=stem, colour=taxon_colour(i))
            self.by_id[tid] = t
            self.ordered.append(t)
        self.tolerance = tolerance
        self.osm_overlay = osm_overlay
        self.title = title
        self.band_layers = band_layers
        self.extent = extent or _WORLD
        self.lines = _BoundaryLines(boundaries, self.extent) if boundaries is not None else None
        self.has_lines = self.lines is not None and len(self.lines._shapes) > 0
        self.reliefs = _Relief(list(relief or []), out_dir, shared)
        # the index's relief first: tiles are made (and listed) in the order pages ask
        self.index_relief = self.reliefs.for_extent(self.extent)
        self.coarse = COARSE_FACTOR * tolerance
        self._pages: dict[str, Path] = {}
        self._details: dict[str, Path] = {}
        self._n_units: dict[str, int] = {}
        self._skipped: set[str] = set()
        # the index: per taxon, the (range or habitat, digest) of its shapes in order;
        # per distinct digest: (size, text) at the index's tolerance and where the
        # full shape lies in the temporary file
        self._index_seq: dict[str, list[bytes]] = {}
        self._index_shape: dict[bytes, tuple[int, str | None, int]] = {}
        self._spill: GeometrySpool | None = None

    def add(
        self, ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame,
        taxon_ids: Iterable[str] | None = None,
    ) -> list[Path]:
        """Write the pages of the taxa these rows belong to (and of ``taxon_ids``).

        Every row of a taxon must come in one call; a taxon named in ``taxon_ids``
        without rows gets a page without units.  Returns the files written.
        """
        ranges, habitat = _prepare_rows(ranges, habitat)
        fresh = {k: t for k, t in self.by_id.items() if k not in self._pages}
        self._skipped |= _collect_units(ranges, habitat, fresh)
        want = {str(k) for k in taxon_ids} if taxon_ids is not None else set()
        for part in (ranges, habitat):
            want |= {str(k) for k in part["taxon_id"]}
        late = sorted(k for k in want if k in self._pages)
        if late:
            raise ValueError(f"MapWriter.add: rows of taxon {late[0]!r} after its page")
        files = []
        for t in self.ordered:
            if t.taxon_id in want:
                files += self._write_taxon(t)
        return files

    def _write_taxon(self, t: _Taxon) -> list[Path]:
        out_dir, shared, tolerance = self.out_dir, self.shared, self.tolerance
        lines, coarse = self.lines, self.coarse
        path = safe_child(out_dir, f"{t.stem}.html")
        self._index_add(t)
        geoms = [u.range_geom for u in t.units] + [u.habitat_geom for u in t.units]
        n = len(t.units)
        band = _band(t.info.get("elevation_min_m"), t.info.get("elevation_max_m"))
        layers = [
            _Layer(_layer_label(t.colour, f"{_esc(t.name)}: range units"),
                   _range_style(t.colour, True), list(range(n))),
            _Layer(_layer_label(t.colour, f"{_esc(t.name)}: habitat {_esc(band)}"),
                   _habitat_style(t.colour), list(range(n, 2 * n))),
        ]
        layers += _band_layers(t, self.band_layers, geoms)
        shapes = _Shapes(geoms)
        sci = _text(t.info.get("scientific_name"))
        heading = _esc(t.name) + (f" <i>({_esc(sci)})</i>" if sci else "")
        rule = _text(t.info.get("elevation_rule"))
        sub = f"{len(t.units)} range units · habitat {_esc(band)}" + (
            f" ({_esc(rule)})" if rule else ""
        )
        extent = _units_extent([t]) or _WORLD
        page = _Page(
            what=f"{t.stem}.html",
            title=_esc(t.name),
            header=_header_html(heading, sub, back_link=True),
            taxa=[t],
            is_index=False,
            extent=extent,
            legend=_legend_html([t], link=False, back_link=True),
            body=_units_table(t),
            relief=self.reliefs.for_extent(extent),
            shared=shared,
            layers=layers,
            popups_js=_popup_array_js(t),
            boundaries=self.has_lines,
        )
        tols = _tolerances(coarse if shared else tolerance)
        files = []
        if shared and coarse > tolerance:
            # the detail file: range and habitat at the finer tolerance, bounded too (the
            # band layers, for comparison at a glance, stay at the page's level)
            ix = [i for lyr in layers[:2] for i in lyr.ix if i >= 0]
            dtol = next(
                (x for x in _tolerances(tolerance) if shapes.nbytes(ix, x) <= MAX_PAGE_BYTES),
                _tolerances(tolerance)[-1],
            )
            page.detail = f"detail/{t.stem}.js"
            detail_text = _detail_js(t.stem, _layer_fcs(layers[:2], shapes, dtol))
        text, _ = _render_fitted(page, shapes, lines, tols, self.page_bound, self.osm_overlay)
        if page.detail is not None:
            dpath = safe_child(out_dir, page.detail)
            write_text_atomic(dpath, detail_text)
            self._details[t.taxon_id] = dpath
            files.append(dpath)
            del detail_text
        write_text_atomic(path, text)
        self._pages[t.taxon_id] = path
        files.append(path)
        del text, shapes, page
        if lines is not None:
            lines.forget_pages()
        # what the index needs of the taxon is kept; its shapes and units go
        self._n_units[t.taxon_id] = len(t.units)
        t.units = []
        return files

    def _index_add(self, t: _Taxon) -> None:
        """Keep the taxon's shapes for the index: display text at its tolerance, size, and
        the full shape in the temporary file (for coarsening), once per distinct shape."""
        seq: list[bytes] = []
        new: dict[bytes, Any] = {}
        for u in t.units:
            for g, kind in ((u.range_geom, b"r"), (u.habitat_geom, b"h")):
                if g is None or g.is_empty:
                    continue
                k = hashlib.blake2b(shapely.to_wkb(g), digest_size=16).digest()
                seq.append(kind + k)
                if k not in self._index_shape and k not in new:
                    new[k] = g
        self._index_seq[t.taxon_id] = seq
        if not new:
            return
        if self._spill is None:
            self._spill = GeometrySpool()
        disp = _display_geoms(list(new.values()), self.coarse)
        sizes = _geojson_nbytes(disp)
        texts = _geojson_strings(disp)
        first = self._spill.extend(list(new.values()))
        for j, (k, size, text) in enumerate(zip(new, sizes, texts, strict=True)):
            self._index_shape[k] = (int(size), text, first + j)

    def _index_shapes(self) -> tuple[_Shapes, list[tuple[list[int], list[int]]]]:
        """The index's distinct shapes (numbered in taxon order) and each taxon's positions."""
        order: dict[bytes, int] = {}
        index_ix = []
        for t in self.ordered:
            lists: tuple[list[int], list[int]] = ([], [])
            for item in self._index_seq.get(t.taxon_id, []):
                acc = lists[0] if item[:1] == b"r" else lists[1]
                i = order.setdefault(item[1:], len(order))
                if i not in acc:
                    acc.append(i)
            index_ix.append(lists)
        keys = list(order)
        spill = self._spill

        def load(ix: np.ndarray) -> np.ndarray:
            assert spill is not None
            rows = [self._index_shape[keys[i]][2] for i in ix]
            return _object_array(spill.read(r, r + 1)[0] for r in rows)

        shapes = _Shapes(count=len(keys), loader=load)
        shapes.prefill(
            self.coarse,
            np.asarray([self._index_shape[k][0] for k in keys], dtype=np.int64),
            _object_array(self._index_shape[k][1] for k in keys),
        )
        return shapes, index_ix

    def finish(self) -> list[Path]:
        """Write the pages still missing (taxa without rows), the index and the shared
        assets; return every file: index first, then the taxon pages in the order of
        ``taxa``, the detail files, the assets."""
        for t in self.ordered:
            if t.taxon_id not in self._pages:
                self._write_taxon(t)
        if self._skipped:
            log.warning("publish: %d taxon id(s) in the data but not in taxa; not drawn",
                        len(self._skipped))
        ordered, out_dir, lines = self.ordered, self.out_dir, self.lines
        index_shapes, index_ix = self._index_shapes()
        n_units = sum(self._n_units.values())
        many = len(ordered) > INDEX_LAYER_LIST_MAX
        how = ("Click the map to list every taxon there; search, sort and pick taxa in the "
               "table below.")
        for t in ordered:
            t.n_units = self._n_units.get(t.taxon_id, 0)
        index_page = _Page(
            what="index.html",
            title=_esc(self.title),
            header=_header_html(
                _esc(self.title),
                f"{len(ordered)} taxa, {n_units} range units. " + how
                + ("" if many else " Toggle taxa in the layer list."),
                back_link=False,
            ),
            taxa=ordered,
            is_index=True,
            extent=self.extent,
            legend=_legend_html([] if many else ordered, link=True, back_link=False),
            body=_summary_table(ordered),
            relief=self.index_relief,
            shared=self.shared,
            index_ix=index_ix,
            boundaries=self.has_lines,
        )
        text, _ = _render_fitted(index_page, index_shapes, lines, _tolerances(self.coarse),
                                 self.index_bound, self.osm_overlay)
        write_text_atomic(out_dir / "index.html", text)
        del text, index_shapes, index_page
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        written = [out_dir / "index.html"] + [self._pages[t.taxon_id] for t in ordered]
        extra = [self._details[t.taxon_id] for t in ordered if t.taxon_id in self._details]
        if self.shared:
            outlines = None
            if self.has_lines and lines is not None:
                texts = lines.json(self.extent, _BOUNDARY_MIN_TOLERANCE)
                outlines = "window.RM = window.RM || {};\nRM.boundaries = " + (
                    _feature_collection((None, g) for g in texts) + ";\n")
            extra += _write_assets(out_dir, outlines)
            extra += self.reliefs.written
        return written + extra


def _band_layers(
    t: _Taxon,
    make: Callable[..., tuple[list[Any], list[Any]] | None] | None,
    geoms: list[Any],
) -> list[_Layer]:
    """Optional layers of the habitat with the band widened / narrowed by the margin."""
    if make is None or not t.units:
        return []
    n = len(t.units)
    try:
        res = make(t.info, [u.range_orig for u in t.units],
                   [(u.elev_min, u.elev_max) for u in t.units])
    except (ValueError, OSError) as exc:
        log.warning("publish: no band-sensitivity layers for %s (%s)", t.taxon_id, exc)
        return []
    if res is None:
        return []
    wide, narrow = res
    margins = {u.margin_m for u in t.units if u.margin_m is not None}
    margin = _num(t.info.get("elevation_margin_m"))
    if margin is None and len(margins) == 1:
        margin = margins.pop()
    lo, hi = _num(t.info.get("elevation_min_m")), _num(t.info.get("elevation_max_m"))
    out = []
    for kind, gs, sign in (("widened", wide, -1), ("narrowed", narrow, 1)):
        if margin is not None:
            b = _band(None if lo is None else lo + sign * margin,
                      None if hi is None else hi - sign * margin)
            what = f"band {kind} by {margin:,.0f} m ({b})"
        else:
            what = f"band {kind}"
        start = len(geoms)
        geoms.extend(_unwrap(g, force=_straddles(r)) if g is not None else None
                     for g, r in zip(gs, geoms[:n], strict=True))
        style = _band_style(t.colour, kind)
        out.append(_Layer(_layer_label(t.colour, f"{_esc(t.name)}: habitat, {_esc(what)}"),
                          style, list(range(start, start + n)), show=False))
    return out


def _band_style(colour: str, kind: str) -> dict[str, Any]:
    if kind == "widened":
        return {"color": colour, "weight": 1, "opacity": 0.9, "dashArray": "4 3",
                "fillColor": colour, "fillOpacity": 0.15}
    return {"color": "#222222", "weight": 0.8, "opacity": 0.9, "fillColor": colour,
            "fillOpacity": 0.8}
