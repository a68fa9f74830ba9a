"""One map page: folium map, layers, popups and the per-taxon scripts, rendered and
fitted under the page size limit.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import folium
from folium import plugins

from rangemap.fsutil import slugify, unique_name
from rangemap.maps.assets import (
    _RELIEF_PANE,
    ASSETS,
    _check_offline,
    _relief_js,
    _Tile,
    _vendor_head,
)
from rangemap.maps.data import _BoundaryLines, _Shapes, _straddles, _Taxon, _unwrap
from rangemap.maps.html import (
    _BOUNDARY_STYLE,
    _POINT_COLOURS,
    _band,
    _band_style,
    _BodyHtml,
    _esc,
    _html_control,
    _js_str,
    _layer_label,
    _popup_html,
    _Raw,
    _Script,
    _tooltip_html,
)
from rangemap.maps.index import INDEX_LAYER_LIST_MAX, _index_js
from rangemap.values import finite_number as _num

log = logging.getLogger(__name__)


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
    used: set[str] = set()
    return [unique_name(slugify(f"{u.country} {u.admin1 or ''}"), used) for u in taxon.units]


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
