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

The package: :mod:`.writer` (``write_maps``, ``MapWriter``) writes a maps folder from
:mod:`.page` (a taxon page), :mod:`.index` (the index page), :mod:`.assets` (vendored
Leaflet, page code, relief tiles, the offline check), :mod:`.data` (taxa, units and display
geometry from the layers) and :mod:`.html` (escaping and the HTML pieces).
"""

from rangemap.maps.data import DEFAULT_TOLERANCE_DEG
from rangemap.maps.index import INDEX_LAYER_LIST_MAX
from rangemap.maps.writer import (
    LIGHT_PAGE_BYTES,
    MAX_PAGE_BYTES,
    MapWriter,
    maps_extent,
    union_extent,
    write_maps,
)
from rangemap.palette import PALETTE

__all__ = [
    "write_maps", "MapWriter", "maps_extent", "union_extent", "PALETTE",
    "DEFAULT_TOLERANCE_DEG", "MAX_PAGE_BYTES", "LIGHT_PAGE_BYTES", "INDEX_LAYER_LIST_MAX",
]
