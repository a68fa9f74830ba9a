"""Shared assets of a maps folder: vendored Leaflet and plugins, the page code and CSS,
the relief tiles drawn from the DEMs, and the offline check of every page.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

import rasterio

from rangemap.fsutil import atomic_path, write_text_atomic
from rangemap.maps.data import _view_box
from rangemap.maps.html import _esc, _js_str
from rangemap.rasters.dem import attribution as dem_attribution
from rangemap.rasters.relief import relief_overlay

log = logging.getLogger(__name__)


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


_RELIEF_PANE = "rmRelief"


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
            return uri, bounds, dem_attribution(used)
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
            source = dem_attribution(used)
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
