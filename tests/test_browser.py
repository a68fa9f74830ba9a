"""The published pages run in a real browser: Leaflet starts and draws the habitat shapes.

Headless Chromium, offline (a dead proxy stops any network access), on a tiny
build.  Each page is copied with a probe script appended that, once the map
has drawn, writes into ``document.title`` how many Leaflet maps exist, how
many GeoJSON features they hold, how many of those have projected (visible)
parts, and how many non-transparent pixels the map canvases carry (the maps
use ``prefer_canvas``, so shapes are pixels, not SVG paths).  Chromium's
``--dump-dom`` returns the title.

Skips locally without Chromium; fails in CI (``CI`` set).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
import yaml

from rangemap.pipeline import build
from tests.helpers import ramp_dem, write_boundaries, write_dem

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

PROBE = """
<script>
(function () {
  function probe() {
    var maps = 0, feats = 0, drawn = 0, pixels = 0;
    for (var k in window) {
      var m;
      try { m = window[k]; } catch (e) { continue; }
      if (!(m && window.L && m instanceof L.Map)) continue;
      maps++;
      m.eachLayer(function (l) {
        if (!l.feature) return;
        feats++;
        if (l._parts && l._parts.length) drawn++;
      });
    }
    var cs = document.querySelectorAll('.leaflet-container canvas');
    for (var i = 0; i < cs.length; i++) {
      var c = cs[i];
      if (!c.width || !c.height) continue;
      var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (var j = 3; j < d.length; j += 4) if (d[j] > 0) pixels++;
    }
    var svgPaths = document.querySelectorAll('.leaflet-container path.leaflet-interactive').length;
    var images = 0, imgs = document.querySelectorAll('.leaflet-container img.leaflet-image-layer');
    for (var q = 0; q < imgs.length; q++)
      if (imgs[q].complete && imgs[q].naturalWidth > 0) images++;
    document.title = 'PROBE maps=' + maps + ' features=' + feats + ' drawn=' + drawn +
      ' pixels=' + pixels + ' svgpaths=' + svgPaths +
      ' containers=' + document.querySelectorAll('.leaflet-container').length +
      ' images=' + images;
  }
  window.addEventListener('load', function () { setTimeout(probe, 1500); });
})();
</script>
"""

TINY_RANGES = {
    "species": [
        {"name": "test deer", "scientific_name": "Testus cervus", "rank": "species",
         "countries": [{"iso3": "AAA", "name": "Aland", "evidence": []},
                       {"iso3": "BBB", "name": "Beeland", "evidence": []}],
         "admin1": [{"country_iso3": "BBB", "name": "Upper Bee", "boundary_name": "North Bee",
                     "evidence": []}],
         "elevation_min_m": 4000, "elevation_max_m": None},
        {"name": "small deer", "scientific_name": "Testus minor", "rank": "species",
         "countries": [{"iso3": "AAA", "name": "Aland", "evidence": []}],
         "admin1": [],
         "elevation_min_m": 1000, "elevation_max_m": 3500},
    ]
}


def chromium() -> str:
    for name in ("/usr/bin/chromium", *CHROMIUM_NAMES):
        found = shutil.which(name)
        if found:
            return found
    msg = "no chromium found"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


def run_chromium(exe: str, tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            "--virtual-time-budget=8000", *extra, url]
    return subprocess.run(args, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(tmp)})


def probe_page(exe: str, page: Path, tmp: Path, probe: str = PROBE,
               hash_: str = "") -> dict[str, int]:
    """Open a copy of ``page`` with the probe appended; the numbers it reports.

    The copy goes into a copy of the page's folder, so the relative links to
    ``assets/`` and ``detail/`` resolve as they do for the original.
    """
    folder = tmp / f"site-{page.parent.name}"
    if not folder.exists():
        shutil.copytree(page.parent, folder)
    html = page.read_text(encoding="utf-8")
    assert html.count("</body>") == 1
    probed = folder / f"probe-{page.name}"
    probed.write_text(html.replace("</body>", probe + "</body>"), encoding="utf-8")
    proc = run_chromium(exe, tmp, probed.as_uri() + hash_, "--dump-dom")
    m = re.search(r"<title>PROBE ([^<]*)</title>", proc.stdout)
    assert m, f"probe did not run on {page.name}: {proc.stdout[:500]!r} {proc.stderr[-1500:]}"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}


def png_info(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct colours in a sample of rows) of an 8-bit RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if y % 10 == 0:
            colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 5))
    return w, h, len(colours)


@pytest.fixture(scope="module")
def tiny_maps(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("browser-build")
    dem = write_dem(d / "dem.tif", ramp_dem(), west=0, north=8, res=1)
    bnd = write_boundaries(d / "boundaries.gpkg")
    ranges = d / "ranges.yaml"
    ranges.write_text(yaml.safe_dump(TINY_RANGES), encoding="utf-8")
    build(ranges_yaml=ranges, dems=[dem], boundaries=bnd, out=d / "out")
    return d / "out" / "maps"


def test_pages_start_leaflet_and_draw_habitat(tiny_maps, tmp_path) -> None:
    exe = chromium()
    pages = sorted(tiny_maps.glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "testus-cervus.html", "testus-minor.html"}
    for page in pages:
        r = probe_page(exe, page, tmp_path)
        assert r["containers"] >= 1 and r["maps"] >= 1, (page.name, r)
        # Ranges and habitat of every taxon on the page are GeoJSON features ...
        assert r["features"] >= 2, (page.name, r)
        # ... projected into the view and painted (canvas renderer, or SVG paths).
        assert r["drawn"] >= 2, (page.name, r)
        assert r["pixels"] > 1000 or r["svgpaths"] >= 2, (page.name, r)
        # the shaded relief (an embedded PNG) decodes and is shown
        if "Shaded relief" in page.read_text(encoding="utf-8"):
            assert r["images"] >= 1, (page.name, r)


def test_shaded_relief_decodes_in_the_browser(tmp_path) -> None:
    """The relief PNG (stdlib encoder, Up filter) is decoded by Chromium."""
    import numpy as np
    from affine import Affine

    from rangemap.rasters.relief import png_rgba, shaded_relief

    exe = chromium()
    rows, cols = np.mgrid[0:60, 0:90]
    png = png_rgba(shaded_relief((rows * 40.0 + np.sin(cols / 5.0) * 300), Affine(
        0.1, 0, 80, 0, -0.1, 40)))
    import base64

    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    page = tmp_path / "img.html"
    page.write_text(
        f"<html><head><title>x</title></head><body><img id='i' src='{uri}'>"
        "<script>window.addEventListener('load', function () {"
        "var i = document.getElementById('i');"
        "document.title = 'IMG ' + i.naturalWidth + 'x' + i.naturalHeight; });</script>"
        "</body></html>", encoding="utf-8")
    proc = run_chromium(exe, tmp_path, page.as_uri(), "--dump-dom")
    assert "<title>IMG 90x60</title>" in proc.stdout, proc.stdout[:300]


def test_index_screenshot_is_not_blank(tiny_maps, tmp_path) -> None:
    exe = chromium()
    shot = tmp_path / "index.png"
    proc = run_chromium(exe, tmp_path, (tiny_maps / "index.html").as_uri(),
                        f"--screenshot={shot}", "--window-size=1400,900",
                        "--hide-scrollbars")
    assert shot.is_file(), proc.stderr[-1500:]
    assert shot.stat().st_size > 20_000, shot.stat().st_size
    w, h, colours = png_info(shot)
    assert (w, h) == (1400, 900)
    assert colours > 20, colours


def _probe(body: str, delay_ms: int = 1500) -> str:
    """A probe script: ``body`` runs after load with ``map`` (the page's Leaflet map)
    and ``done(fields)``, which writes ``PROBE k=v ...`` (integers) into the title."""
    return (
        "<script>\n(function () {\n"
        "  function done(f) { var s = 'PROBE'; for (var k in f) s += ' ' + k + '=' + "
        "(f[k] === true ? 1 : f[k] === false ? 0 : Math.round(f[k])); document.title = s; }\n"
        "  function run() {\n"
        "    var map = null;\n"
        "    for (var k in window) { var m; try { m = window[k]; } catch (e) { continue; }\n"
        "      if (m && window.L && m instanceof L.Map) map = m; }\n"
        "    if (!map) { document.title = 'PROBE nomap=1'; return; }\n"
        f"{body}\n"
        "  }\n"
        f"  window.addEventListener('load', function () {{ setTimeout(run, {delay_ms}); }});\n"
        "})();\n</script>\n"
    )


def test_shared_assets_load_offline(tiny_maps, tmp_path) -> None:
    """Leaflet, the page code, the outlines and the relief come from assets/ (file://)."""
    exe = chromium()
    assert (tiny_maps / "assets" / "leaflet" / "leaflet.js").is_file()
    assert (tiny_maps / "assets" / "boundaries.js").is_file()
    probe = _probe(
        "    var bnd = (window.RM && RM.boundaries) ? RM.boundaries.features.length : -1;\n"
        "    var imgs = document.querySelectorAll('img.leaflet-image-layer'), ok = 0;\n"
        "    for (var i = 0; i < imgs.length; i++) if (imgs[i].naturalWidth > 0) ok++;\n"
        "    var scripts = document.querySelectorAll('script[src]'), local = 0;\n"
        "    for (var j = 0; j < scripts.length; j++)\n"
        "      if (scripts[j].src.indexOf('file://') === 0) local++;\n"
        "    done({leaflet: !!window.L, rm: !!(window.RM && RM.started), bnd: bnd, images: ok,\n"
        "          scripts: scripts.length, local: local,\n"
        "          inline_leaflet: Array.prototype.some.call(\n"
        "            document.querySelectorAll('script:not([src])'),\n"
        "            function (s) { return s.textContent.indexOf('@pre' + 'serve') >= 0; })});")
    for name in ("index.html", "testus-cervus.html"):
        page = tiny_maps / name
        text = page.read_text(encoding="utf-8")
        assert '<script src="assets/leaflet/leaflet.js"></script>' in text
        r = probe_page(exe, page, tmp_path, probe)
        assert r["leaflet"] == 1 and r["rm"] == 1, (name, r)
        assert r["bnd"] >= 1, (name, r)  # outlines from assets/boundaries.js
        assert r["images"] >= 1, (name, r)  # relief tiles from assets/relief/
        assert r["scripts"] >= 5 and r["local"] == r["scripts"], (name, r)
        assert r["inline_leaflet"] == 0, (name, r)


def test_url_hash_opens_the_same_view_and_follows_the_map(tiny_maps, tmp_path) -> None:
    exe = chromium()
    probe = _probe(
        "    var z0 = map.getZoom(), c0 = map.getCenter();\n"
        "    var pop = document.querySelectorAll('.leaflet-popup').length;\n"
        "    var hash0 = location.hash;\n"
        "    map.setView([5.25, 6.5], 8, {animate: false});\n"
        "    setTimeout(function () {\n"
        "      done({z: z0, lat: c0.lat * 1000, lng: c0.lng * 1000, popup: pop,\n"
        "            unit: hash0.indexOf('unit=beeland-north-bee') >= 0,\n"
        "            taxon: hash0.indexOf('taxon=testus-cervus') >= 0,\n"
        "            moved: location.hash.indexOf('z=8&c=5.2500,6.5000') === 1,\n"
        "            level: RM.level || 0, detail: !!RM._detail['testus-cervus']});\n"
        "    }, 1500);")
    r = probe_page(exe, tiny_maps / "testus-cervus.html", tmp_path, probe,
                   hash_="#z=6&c=4.5,3.25&unit=beeland-north-bee")
    assert r["z"] == 6 and r["lat"] == 4500 and r["lng"] == 3250, r
    assert r["popup"] == 1 and r["unit"] == 1 and r["taxon"] == 1, r
    # the hash follows the map, and zooming in loads the detail file (detail/<taxon>.js)
    assert r["moved"] == 1, r
    assert r["level"] == 1 and r["detail"] == 1, r


def test_index_search_sort_highlight_and_point_list(tiny_maps, tmp_path) -> None:
    exe = chromium()
    probe = _probe(
        "    var q = document.getElementById('rm-search');\n"
        "    q.value = 'MINOR'; q.dispatchEvent(new Event('input'));\n"
        "    var shown = RM.shownRows, rows = document.querySelectorAll('#rm-taxa tbody tr');\n"
        "    var vis = null;\n"
        "    for (var i = 0; i < rows.length; i++) if (rows[i].style.display !== 'none')\n"
        "      vis = rows[i].getAttribute('data-stem');\n"
        "    q.value = ''; q.dispatchEvent(new Event('input'));\n"
        "    var all = RM.shownRows;\n"
        "    function first() { return document.querySelector('#rm-taxa tbody tr')"
        ".getAttribute('data-stem'); }\n"
        "    RM.sortBy(3); var asc = first(); RM.sortBy(3); var desc = first();\n"
        "    // a click on the map lists every taxon there (both ranges cover Aland)\n"
        "    map.fire('click', {latlng: L.latLng(2.5, 2.5)});\n"
        "    var both = RM.lastHits;\n"
        "    var items = document.querySelectorAll('.leaflet-popup ul.rm-here li').length;\n"
        "    map.fire('click', {latlng: L.latLng(6, 6)});\n"
        "    var one = RM.lastHits;\n"
        "    // a row click highlights the taxon and puts it in the URL\n"
        "    document.querySelector(\"#rm-taxa tr[data-stem='testus-minor'] td.num\").click();\n"
        "    var hl = 0; RM._hl.eachLayer(function () { hl++; });\n"
        "    done({shown: shown, minor: vis === 'testus-minor', all: all,\n"
        "          sorted: asc !== desc, both: both, items: items, one: one, hl: hl,\n"
        "          hash: location.hash.indexOf('taxon=testus-minor') >= 0});")
    r = probe_page(exe, tiny_maps / "index.html", tmp_path, probe)
    assert r["shown"] == 1 and r["minor"] == 1 and r["all"] == 2, r
    assert r["sorted"] == 1, r
    assert r["both"] == 2 and r["items"] == 2 and r["one"] == 1, r
    assert r["hl"] >= 1 and r["hash"] == 1, r


def test_index_hash_highlights_a_taxon(tiny_maps, tmp_path) -> None:
    exe = chromium()
    probe = _probe(
        "    var sel = document.querySelector('#rm-taxa tr.rm-sel');\n"
        "    done({sel: !!sel && sel.getAttribute('data-stem') === 'testus-cervus',\n"
        "          z: map.getZoom(), lat: map.getCenter().lat * 1000,\n"
        "          lng: map.getCenter().lng * 1000});")
    # a zoom other than the one the page fits itself to: the URL's view must win over
    # the initial fitting (which must not animate back afterwards)
    r = probe_page(exe, tiny_maps / "index.html", tmp_path, probe,
                   hash_="#z=8&c=3.5,2.5&taxon=testus-cervus")
    assert r["sel"] == 1 and r["z"] == 8, r
    assert r["lat"] == 3500 and r["lng"] == 2500, r
