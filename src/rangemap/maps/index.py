"""The index page: every taxon's shapes drawn once (distinct shapes by WKB), clicks
answered in the page.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rangemap.maps.html import _esc, _habitat_style, _js_str, _range_style

if TYPE_CHECKING:  # annotations only: the page module imports this one
    from rangemap.maps.page import _Page


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
