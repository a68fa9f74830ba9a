"""Escaping and the HTML pieces of the pages: small folium elements, popups, tooltips,
legends, the summary and units tables.  Text from documents is untrusted: every value
goes through :func:`_esc` (HTML) or :func:`_js_str` (JavaScript).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

from branca.element import Element, MacroElement

from rangemap.bands import band_text
from rangemap.maps.data import _Taxon, _Unit
from rangemap.values import finite_number as _num
from rangemap.values import text as _text

#: Evidence shown in a popup (all of it goes to the taxon page's table).
_POPUP_EVIDENCE_LINES = 6


_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def _fmt_km2(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} km²" if value >= 10 else f"{value:,.1f} km²"


def _fmt_share(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f} %" if value < 0.1 else f"{100 * value:.0f} %"


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


def _band_style(colour: str, kind: str) -> dict[str, Any]:
    if kind == "widened":
        return {"color": colour, "weight": 1, "opacity": 0.9, "dashArray": "4 3",
                "fillColor": colour, "fillOpacity": 0.15}
    return {"color": "#222222", "weight": 0.8, "opacity": 0.9, "fillColor": colour,
            "fillOpacity": 0.8}


def _band(lo: Any, hi: Any) -> str:
    """The band as the maps say it (the rule: :func:`rangemap.bands.band_text`)."""
    return band_text(lo, hi, "no elevation limit")
