"""Tests for rangemap.maps: offline, escaped, size-bounded HTML maps."""

from __future__ import annotations

import hashlib
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from rangemap.errors import DataError
from rangemap.maps import assets as maps_assets
from rangemap.maps import data as maps_data
from rangemap.maps import html as maps_html
from rangemap.maps import index as maps_index
from rangemap.maps import page as maps_page
from rangemap.maps import write_maps
from rangemap.maps import writer as maps_writer

HOSTILE = [
    "<script>alert(1)</script>",
    "</script><script>alert(2)</script>",
    "`${alert(3)}`",
    '"><img src=x onerror=alert(4)>',
    "{{ 12345 * 2 }}{% raw %}",
]
HOSTILE_TEXT = " ".join(HOSTILE)

IDENTITY = ["taxon_id", "species", "scientific_name", "iso3", "country", "admin1"]


def _frames(
    name_b: str = "Black musk deer",
    evidence_b: str = "doc3.txt: found at 3,000 m",
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[dict]]:
    """Two taxa: 'a' with two units (one without habitat), 'b' with one unit."""
    ident = {
        "taxon_id": ["a", "a", "b"],
        "species": ["Alpine musk deer", "Alpine musk deer", name_b],
        "scientific_name": ["Moschus chrysogaster", "Moschus chrysogaster", None],
        "iso3": ["NPL", "NPL", "BTN"],
        "country": ["Nepal", "Nepal", "Bhutan"],
        "admin1": ["Koshi", None, None],
    }
    ranges = gpd.GeoDataFrame(
        {
            **ident,
            "unit_rule": ["admin1", "country", "country"],
            "range_area_km2": [1000.0, 2000.0, 300.0],
            "evidence": [
                "doc1.txt: lives above altitudes of 2,500 m\ndoc2.txt: seen in Koshi",
                "doc1.txt: found across Nepal",
                evidence_b,
            ],
            "geometry": [
                MultiPolygon([box(85.0, 27.0, 86.0, 28.0)]),
                MultiPolygon([box(86.0, 27.0, 88.0, 29.0)]),
                MultiPolygon([box(89.0, 27.0, 92.0, 28.5)]),
            ],
        },
        crs="EPSG:4326",
    )
    habitat = gpd.GeoDataFrame(
        {
            **ident,
            "elevation_min_m": [2500.0, 2500.0, 3000.0],
            "elevation_max_m": [None, None, 4500.0],
            "area_km2": [123.0, 0.0, 20.0],
            "share_of_unit": [0.123, 0.0, 0.07],
            "dem_source": ["globe30s", "globe30s", "globe30s+pvlib5m"],
            "dem_resolution": ["30″", "30″", "30″"],
            "geometry": [
                MultiPolygon([box(85.25, 27.25, 85.5, 27.5)]),
                MultiPolygon(),  # a unit with no habitat at all
                MultiPolygon([box(90.0, 27.5, 90.5, 28.0)]),
            ],
        },
        crs="EPSG:4326",
    )
    taxa = [
        {
            "taxon_id": "a",
            "slug": "alpine-musk-deer",
            "name": "Alpine musk deer",
            "scientific_name": "Moschus chrysogaster",
            "rank": "species",
            "units": 2,
            "habitat_km2": 123.0,
            "range_km2": 3000.0,
            "elevation_min_m": 2500.0,
            "elevation_max_m": None,
            "elevation_rule": "document: above altitudes of 2,500 m",
            "documents": ["doc1.txt", "doc2.txt"],
        },
        {
            "taxon_id": "b",
            "slug": "black-musk-deer",
            "name": name_b,
            "scientific_name": None,
            "rank": "species",
            "units": 1,
            "habitat_km2": 20.0,
            "range_km2": 300.0,
            "elevation_min_m": 3000.0,
            "elevation_max_m": 4500.0,
            "elevation_rule": "default 3,000 m",
            "documents": ["doc3.txt"],
        },
    ]
    return ranges, habitat, taxa


def _boundaries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "iso3": ["NPL", "BTN", "BRA"],
            "name": ["Nepal", "Bhutan", "Far away"],
            "geometry": [
                box(80.0, 26.3, 88.2, 30.4),
                box(88.7, 26.7, 92.1, 28.3),
                box(-60, -20, -50, -10),
            ],
        },
        crs="EPSG:4326",
    )


@pytest.fixture()
def written(tmp_path: Path) -> tuple[Path, list[Path]]:
    ranges, habitat, taxa = _frames()
    out = tmp_path / "maps"
    return out, write_maps(ranges, habitat, taxa, out, boundaries=_boundaries(),
                           self_contained=True)


@pytest.fixture()
def shared(tmp_path: Path) -> tuple[Path, list[Path]]:
    """The same maps with shared assets (the default)."""
    ranges, habitat, taxa = _frames()
    out = tmp_path / "shared"
    return out, write_maps(ranges, habitat, taxa, out, boundaries=_boundaries())


def _read(p: Path) -> str:
    return p.read_text(encoding="utf-8")


def _html(paths: list[Path]) -> list[Path]:
    """The pages among the files written (index first, then the taxa)."""
    return [p for p in paths if p.suffix == ".html"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open_tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href" and v]


# --------------------------------------------------------------------------- basics


def test_writes_index_and_one_page_per_taxon(written: tuple[Path, list[Path]]) -> None:
    out, paths = written
    names = ["index.html", "alpine-musk-deer.html", "black-musk-deer.html"]
    assert paths == [out / n for n in names]
    for p in paths:
        assert p.is_file() and p.stat().st_size > 0
    # atomic writes leave no temporary files behind
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_index_links_to_each_taxon_page(written: tuple[Path, list[Path]]) -> None:
    out, paths = written
    parser = _Links()
    parser.feed(_read(out / "index.html"))
    for p in paths[1:]:
        assert p.name in parser.hrefs
    # taxon pages link back to the index
    assert "index.html" in _read(paths[1])


def test_pages_are_leaflet_maps_with_inlined_vendor_code(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    for p in paths:
        page = _read(p)
        assert page.startswith("<!DOCTYPE html>")
        assert "</html>" in page
        assert "L.map(" in page
        assert "Leaflet 1.9.4" in page and 't.version="1.9.4"' in page
        assert "L.control.fullscreen" in page  # plugin code inlined ...
        assert "L.Control.MousePosition" in page
        assert "L.control.layers(" in page
        assert "L.control.scale()" in page
        assert "rm-legend" in page
        assert "sourceMappingURL" not in page
        # every <script> element is closed: nothing broke out of a block
        assert page.count("<script") == page.count("</script>")


def test_geojson_data_is_embedded(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    page = _read(paths[1])
    assert "L.geoJson(" in page
    # corners of the Koshi unit and of its habitat, rounded for display
    assert "[85.0, 27.0]" in page or "[85, 27]" in page
    assert "85.25" in page and "27.5" in page
    # only display properties: no evidence or names inside feature properties
    assert '"properties": {}' in page or '"properties":{}' in page


def test_no_remote_resources(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    for p in paths:
        page = _read(p)
        low = page.lower()
        assert '<script src="http' not in low
        assert '<link href="http' not in low
        assert "//cdn" not in low
        assert not re.search(r"<script[^>]*\bsrc\s*=", low)
        assert not re.search(r"<link\b", low)
        assert not re.search(r"\bsrc\s*=\s*[\"']?(https?:)?//", low)
        assert not re.search(r"url\(\s*[\"']?(https?:)?//", low)
        assert "@import" not in low
        assert "jquery" not in low and "bootstrap" not in low
        # the optional OSM layer exists but is not added to the map
        assert "openstreetmap (online only)" in low
        assert not re.search(r"tile_layer_\w+\s*\.addTo\(", page)
        assert not re.search(r"L\.tileLayer\([^;]*\)\s*\.addTo\(", page)


def test_osm_overlay_can_be_left_out(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    paths = write_maps(ranges, habitat, taxa, tmp_path, osm_overlay=False)
    for p in _html(paths):
        assert "openstreetmap" not in _read(p).lower()


def test_boundaries_drawn_and_clipped(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    page = _read(paths[0])
    assert "Country boundaries" in page
    assert "-55" not in page  # the far-away outline is clipped out of the view


def test_summary_table_on_index(written: tuple[Path, list[Path]]) -> None:
    out, _ = written
    page = _read(out / "index.html")
    assert "<table class='rm' id='rm-taxa'>" in page
    assert "<input id='rm-search' type='search'" in page
    for text in (
        "Moschus chrysogaster",
        "3,000",
        "123",
        "≥ 2,500 m",
        "3,000–4,500 m",
        "document: above altitudes of 2,500 m",
    ):
        assert text in page


def test_unit_without_habitat_is_still_listed(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    page = _read(paths[1])
    table = page[page.index("Range units (2)") :]
    assert "<td>Koshi</td>" in table
    assert "<td>Nepal</td><td>Nepal</td>" in table  # the whole-country unit, zero habitat
    assert "0.0 %" in table
    # its popup (bound to the range outline) says so, too
    assert "Habitat: 0.0 km², 0.0 % of unit" in page.replace("\\u00b2", "²")


def _geojson_layers(page: str) -> list[dict]:
    """Every GeoJSON data object on a page: inline outlines, taxon layers, index shapes."""
    out = [json.loads(m) for m in re.findall(r"L\.geoJson\((\{.*\}), \{style: ", page)]
    out += [json.loads(m) for m in re.findall(r"\{data: (\{.*\}), style: ", page)]
    for m in re.findall(r"RM\.index\(\w+, \{geoms: (\[.*\]),\n", page):
        out.append({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": i, "geometry": g, "properties": {}}
            for i, g in enumerate(json.loads(m)) if g is not None]})
    return out


def _bound_info(page: str) -> list[tuple[str, str]]:
    """(popup, tooltip) of every feature bound on the page, via the per-taxon info arrays."""
    out = []
    for info_js, layers_js in re.findall(
        r"var info = (\[.*?\n  \]);\n(.*?)\n\}\)\(\);", page, flags=re.DOTALL
    ):
        info = json.loads(info_js)  # script-safe JS string literals are JSON strings
        for fc in _geojson_layers(layers_js):
            out += [tuple(info[f["id"]][:2]) for f in fc["features"]]
    return out


def test_popup_content(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    page = _read(paths[1])
    assert ".bindPopup(p[0]" in page and ".bindTooltip(p[1]" in page
    bound = _bound_info(page)
    popups = [p for p, _ in bound]
    koshi = next(p for p in popups if p.startswith("<div class='rm-pop'><b>Koshi</b>"))
    for text in (
        "Nepal",
        "123 km²",
        "12 % of unit",
        "≥ 2,500 m",
        "globe30s (30″)",
        "<b>doc1.txt</b>: lives above altitudes of 2,500 m",
        "<b>doc2.txt</b>",
    ):
        assert text in koshi
    tooltips = [t for _, t in bound]
    assert len(tooltips) == len(popups) == 3  # 2 range outlines + 1 habitat polygon
    assert tooltips[0].startswith("<b>Alpine musk deer</b> – ")


def test_missing_columns_raise(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    with pytest.raises(DataError, match="evidence|taxon_id|missing"):
        write_maps(ranges.drop(columns=["taxon_id"]), habitat, taxa, tmp_path)


def test_reprojects_other_crs(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    paths = write_maps(ranges.to_crs(3857), habitat.to_crs(3857), taxa, tmp_path)
    assert "85.25" in _read(paths[1])


# --------------------------------------------------------------------------- untrusted text


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames(
        name_b=HOSTILE_TEXT, evidence_b=f"{HOSTILE_TEXT}: {HOSTILE_TEXT}\ndoc9.txt: {HOSTILE_TEXT}"
    )
    taxa[1].update(
        scientific_name=HOSTILE_TEXT, elevation_rule=HOSTILE_TEXT, documents=[HOSTILE_TEXT]
    )
    ranges.loc[2, "admin1"] = HOSTILE_TEXT
    habitat.loc[2, "admin1"] = HOSTILE_TEXT
    habitat.loc[2, "dem_source"] = HOSTILE_TEXT
    paths = _html(write_maps(ranges, habitat, taxa, tmp_path, boundaries=_boundaries()))
    for p in paths:
        page = _read(p)
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "alert(2)</script>" not in page
        assert not re.search(r"`\$\{", page)
        assert "${alert" not in page
        # onerror= occurs only as escaped text, never as an attribute of a real tag
        for m in re.finditer("onerror=alert", page):
            before = page[max(0, m.start() - 40) : m.start()]
            assert "&lt;img src=x " in before or "\\u0026lt;img src=x " in before
        # folium compiles rendered output as a Jinja template: nothing got evaluated
        assert "24690" not in page
        assert "{{" not in page and "{%" not in page
        assert page.count("<script") == page.count("</script>")
    # ... and the text is there, escaped, where it should be
    index = _read(paths[0])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "&#96;&#36;&#123;alert(3)&#125;&#96;" in index
    taxon_page = _read(paths[2])
    assert "\\u0026lt;script\\u0026gt;alert(1)" in taxon_page  # inside popups (JS strings)


@given(st.text())
def test_esc_leaves_no_active_characters(text: str) -> None:
    out = maps_html._esc(text)
    assert not set(out) & set("<>\"'`${}")
    assert "\x00" not in out


@given(st.text())
def test_js_str_round_trips_and_cannot_close_script(text: str) -> None:
    lit = maps_html._js_str(text)
    assert json.loads(lit) == text
    assert not set(lit) & set("<>&'`{}")


# --------------------------------------------------------------------------- file names


@pytest.mark.parametrize("slug", ["../../evil", "../evil", "/tmp/evil", "sub/evil", ""])
def test_slug_cannot_escape_out_dir(tmp_path: Path, slug: str) -> None:
    ranges, habitat, taxa = _frames()
    taxa[1]["slug"] = slug
    out = tmp_path / "a" / "b" / "maps"
    with pytest.raises(DataError):
        write_maps(ranges, habitat, taxa, out)
    # nothing written anywhere (validation happens before any write)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_reserved_and_duplicate_slugs_get_unique_pages(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    taxa[0]["slug"] = "index"
    taxa[1]["slug"] = "index"
    paths = write_maps(ranges, habitat, taxa, tmp_path)
    assert [p.name for p in _html(paths)] == ["index.html", "index-2.html", "index-3.html"]
    assert (tmp_path / "detail" / "index-2.js").is_file()
    assert "Species ranges and habitat" in _read(paths[0])


# --------------------------------------------------------------------------- size


def _staircase(
    cx: float, cy: float, half_w: float, half_h: float, rng: np.random.Generator
) -> Polygon:
    """An x-monotone polygon whose edges follow the 30″ pixel grid (4 vertices per column)."""
    step = 1 / 120
    x = cx - half_w + step * np.arange(int(2 * half_w / step) + 1)
    t = np.linspace(0, math.pi, len(x))
    wobble = np.cumsum(rng.integers(-1, 2, len(x))) * step
    top = np.round((cy + half_h * (0.3 + 0.7 * np.sin(t)) + wobble) / step) * step
    bot = np.round((cy - half_h * (0.3 + 0.7 * np.sin(t)) + wobble) / step) * step
    upper = [pt for i in range(len(x) - 1) for pt in ((x[i], top[i]), (x[i + 1], top[i]))]
    lower = [pt for i in reversed(range(len(x) - 1)) for pt in ((x[i + 1], bot[i]), (x[i], bot[i]))]
    poly = Polygon(upper + lower)
    assert poly.is_valid
    return poly


def _heavy_frames(
    units: int = 11, half_w: float = 4.0
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[dict]]:
    rng = np.random.default_rng(0)
    rows_r, rows_h = [], []
    for i in range(units):
        cx, cy = 74.0 + 2.2 * i, 30.0 - 0.3 * i
        ident = {
            "taxon_id": "m",
            "species": "Musk deer",
            "scientific_name": "Moschus sp.",
            "iso3": "NPL",
            "country": "Nepal",
            "admin1": f"Unit {i}",
        }
        rows_r.append(
            {
                **ident,
                "unit_rule": "admin1",
                "range_area_km2": 20000.0,
                "evidence": "doc.txt: somewhere high",
                "geometry": MultiPolygon([_staircase(cx, cy, half_w, 1.5, rng)]),
            }
        )
        parts = [
            _staircase(cx + dx * half_w, cy + dy, half_w / 4, 0.3, rng)
            for dx, dy in ((-0.6, 0), (0.6, 0), (-0.1, 0.8), (0.1, -0.8))
        ]
        rows_h.append(
            {
                **ident,
                "elevation_min_m": 2500.0,
                "elevation_max_m": None,
                "area_km2": 5000.0,
                "share_of_unit": 0.25,
                "dem_source": "globe30s",
                "dem_resolution": "30″",
                "geometry": MultiPolygon(parts),
            }
        )
    ranges = gpd.GeoDataFrame(rows_r, crs="EPSG:4326")
    habitat = gpd.GeoDataFrame(rows_h, crs="EPSG:4326")
    taxa = [
        {
            "taxon_id": "m",
            "slug": "musk-deer",
            "name": "Musk deer",
            "scientific_name": "Moschus sp.",
            "rank": "genus",
            "units": units,
            "habitat_km2": 5000.0 * units,
            "range_km2": 20000.0 * units,
            "elevation_min_m": 2500.0,
            "elevation_max_m": None,
            "elevation_rule": "default 2,500 m",
            "documents": ["doc.txt"],
        }
    ]
    return ranges, habitat, taxa


def test_pages_stay_under_size_bound(tmp_path: Path) -> None:
    ranges, habitat, taxa = _heavy_frames()
    n_vertices = sum(len(np.asarray(g.exterior.coords)) for mp in ranges.geometry for g in mp.geoms)
    n_vertices += sum(
        len(np.asarray(g.exterior.coords)) for mp in habitat.geometry for g in mp.geoms
    )
    assert n_vertices > 80_000  # 11 units, several thousand vertices each (range + habitat)
    paths = write_maps(ranges, habitat, taxa, tmp_path, boundaries=_boundaries())
    for p in paths:
        assert p.stat().st_size < maps_writer.MAX_PAGE_BYTES


def test_page_is_coarsened_to_meet_a_tight_bound(tmp_path: Path) -> None:
    ranges, habitat, taxa = _heavy_frames(units=4, half_w=2.0)
    loose = write_maps(ranges, habitat, taxa, tmp_path / "loose", tolerance=0.0,
                       self_contained=True)
    size_loose = loose[1].stat().st_size
    bound = 400_000
    assert size_loose > bound
    tight = write_maps(
        ranges, habitat, taxa, tmp_path / "tight", tolerance=0.0, max_page_bytes=bound,
        self_contained=True,
    )
    for p in tight:
        assert p.stat().st_size <= bound
    assert "RM.taxon(" in _read(tight[1])


def test_display_geometry_is_rounded() -> None:
    g = Polygon([(85.123456789, 27.0), (85.5, 27.987654321), (86.0, 27.0)])
    out = maps_data._display_geom(g, 0.0)
    coords = np.asarray(out.exterior.coords)
    assert np.all(np.abs(coords * 1e5 - np.round(coords * 1e5)) < 1e-6)
    assert maps_data._display_geom(MultiPolygon(), 0.005) is None
    assert maps_data._display_geom(None, 0.005) is None


def test_one_layer_group_per_taxon_on_index(written: tuple[Path, list[Path]]) -> None:
    out, paths = written
    index = _read(out / "index.html")
    # one group per taxon + country boundaries
    assert index.count("L.featureGroup(") == 3
    assert '"\\u003cspan style=\\u0027color:#1f77b4\\u0027\\u003e' in index
    # taxon pages: range and habitat groups + boundaries
    assert _read(paths[1]).count("L.featureGroup(") == 3


def test_taxon_without_units_gets_a_page(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    taxa.append({"taxon_id": "z", "slug": "zeta", "name": "Nowhere deer"})
    paths = _html(write_maps(ranges, habitat, taxa, tmp_path, title="My <maps>"))
    page = _read(paths[-1])
    assert paths[-1].name == "zeta.html"
    assert "Range units (0)" in page and "L.map(" in page
    index = _read(paths[0])
    assert "<title>My &lt;maps&gt;</title>" in index
    assert "zeta.html" in index


def test_vendor_files_match_readme_checksums() -> None:
    vendor = Path(maps_assets.__file__).parents[1] / "vendor"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"\| `([^`]+)`[^|]*\| (\d+) \| `([0-9a-f]{64})` \|", readme)
    listed = {path for path, _, _ in rows}
    on_disk = {
        p.relative_to(vendor).as_posix()
        for p in vendor.rglob("*")
        if p.is_file() and p.name != "README.md" and "__pycache__" not in p.parts
    }
    assert listed == on_disk
    for path, size, digest in rows:
        data = (vendor / path).read_bytes()
        assert len(data) == int(size), path
        assert hashlib.sha256(data).hexdigest() == digest, path


# --------------------------------------------------------------------------- speed-ups


def test_each_geometry_is_simplified_once_per_tolerance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, float]] = []
    orig = maps_data._display_geoms

    def spy(geoms, tolerance):  # type: ignore[no-untyped-def]
        arr = maps_data._object_array(geoms)
        seen.extend((id(g), tolerance) for g in arr)
        return orig(arr, tolerance)

    monkeypatch.setattr(maps_data, "_display_geoms", spy)
    monkeypatch.setattr(maps_writer, "_display_geoms", spy)
    ranges, habitat, taxa = _heavy_frames(units=4, half_w=2.0)
    paths = write_maps(
        ranges, habitat, taxa, tmp_path, boundaries=_boundaries(), max_page_bytes=400_000,
        self_contained=True,
    )
    assert len(paths) == 2
    # once per tolerance for the index and once for the taxon page (each page's shapes
    # are dropped once it is written, so memory stays flat in the number of taxa) ...
    counts: dict[tuple[int, float], int] = {}
    for k in seen:
        counts[k] = counts.get(k, 0) + 1
    assert max(counts.values()) <= 2
    assert len({t for _, t in seen}) > 1  # ... and the bound did force coarsening


def test_tolerance_is_chosen_before_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[str] = []
    orig = maps_page._render_page

    def spy(page, data, osm_overlay):  # type: ignore[no-untyped-def]
        renders.append(page.what)
        return orig(page, data, osm_overlay)

    monkeypatch.setattr(maps_page, "_render_page", spy)
    ranges, habitat, taxa = _heavy_frames(units=4, half_w=2.0)
    bound = 400_000
    paths = write_maps(ranges, habitat, taxa, tmp_path, tolerance=0.0, max_page_bytes=bound)
    # one render per page, no retries (the index is written last, once every page is)
    assert renders == ["musk-deer.html", "index.html"]
    sizes = [p.stat().st_size for p in paths]
    assert all(s <= bound for s in sizes)
    assert max(sizes) > bound / 2  # ... and not needlessly coarse


def test_size_estimate_is_close(tmp_path: Path) -> None:
    ranges, habitat, _ = _heavy_frames(units=3)
    geoms = maps_data._display_geoms(list(ranges.geometry) + list(habitat.geometry), 0.005)
    est = maps_data._geojson_nbytes(geoms)
    actual = np.array([len(s) for s in maps_data._geojson_strings(geoms)])
    assert np.all(np.abs(est - actual) <= 0.02 * actual + 64)


def test_tiny_habitat_is_kept_at_coarse_tolerance(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    tiny = MultiPolygon([box(85.3, 27.3, 85.301, 27.301)])  # ~100 m, far below the tolerance
    habitat.loc[0, "geometry"] = tiny
    paths = write_maps(ranges, habitat, taxa, tmp_path, tolerance=0.05)
    page = _read(paths[1])
    layers = _geojson_layers(page)
    habitat_features = [f for fc in layers[1::2] for f in fc["features"]]
    assert any(f["id"] == 0 for f in habitat_features)  # Koshi's habitat is still drawn


@pytest.mark.parametrize(
    "wkt",
    [
        "POLYGON ((85 27, 86 27, 86 28, 85 27), (85.5 27.2, 85.6 27.2, 85.6 27.3, 85.5 27.2))",
        "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((-2.51976 -3.1, 3 2, 3 3, -2.51976 -3.1)))",
        "LINESTRING (179.99999 -89.5, -180 0.00001)",
        "MULTILINESTRING ((1 2, 3 4), (5.25 6.125, 7 8))",
        "GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 1 1))",
    ],
)
def test_geojson_text_matches_geometry(wkt: str) -> None:
    geom = shapely.from_wkt(wkt)
    (text,) = maps_data._geojson_strings(maps_data._object_array([geom]))
    assert json.loads(text) == json.loads(json.dumps(shapely.geometry.mapping(geom)))
    assert "{{" not in text and "{%" not in text


def test_line_separators_are_escaped_in_scripts(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames(name_b="Black\u2028musk\u2029deer <&>")
    paths = _html(write_maps(ranges, habitat, taxa, tmp_path))
    for p in paths:
        page = _read(p)
        script = "".join(re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL))
        assert "\u2028" not in script and "\u2029" not in script
    info = _bound_info(_read(paths[2]))
    assert info and "Black\u2028musk\u2029deer &lt;&amp;&gt;" in info[0][0]


# --------------------------------------------------------------------------- GIS-style publishing


def _fit_bounds(page: str) -> list[list[float]]:
    # the page's own call (Leaflet's code has one too, with the whole world)
    calls = re.findall(r"\.fitBounds\(\n\s*(\[\[[^\]]*\],\s*\[[^\]]*\]\])", page)
    assert len(calls) == 1, calls
    return json.loads(calls[0])


def _antimeridian_frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[dict]]:
    """One unit with parts at 175..180 and -180..-175 (like Chukotka), habitat on both sides."""
    ident = {
        "taxon_id": ["c"],
        "species": ["Chukchi deer"],
        "scientific_name": [None],
        "iso3": ["RUS"],
        "country": ["Russia"],
        "admin1": ["Chukotka"],
    }
    ranges = gpd.GeoDataFrame(
        {
            **ident,
            "unit_rule": ["admin1"],
            "range_area_km2": [1000.0],
            "evidence": ["doc.txt: in Chukotka"],
            "geometry": [MultiPolygon([box(175, 64, 180, 68), box(-180, 64, -175, 68)])],
        },
        crs="EPSG:4326",
    )
    habitat = gpd.GeoDataFrame(
        {
            **ident,
            "elevation_min_m": [500.0],
            "elevation_max_m": [None],
            "area_km2": [10.0],
            "share_of_unit": [0.01],
            "dem_source": ["pvlib5m"],
            "dem_resolution": ["5′"],
            # habitat only in the western part: it must follow its unit across ±180
            "geometry": [MultiPolygon([box(-179, 65, -178, 66)])],
        },
        crs="EPSG:4326",
    )
    taxa = [{"taxon_id": "c", "slug": "chukchi-deer", "name": "Chukchi deer"}]
    return ranges, habitat, taxa


def test_antimeridian_unit_is_drawn_continuously(tmp_path: Path) -> None:
    ranges, habitat, taxa = _antimeridian_frames()
    bnd = gpd.GeoDataFrame(
        {"iso3": ["RUS"], "name": ["Russia"],
         "geometry": [MultiPolygon([box(170, 60, 180, 70), box(-180, 60, -170, 70)])]},
        crs="EPSG:4326",
    )
    paths = write_maps(ranges, habitat, taxa, tmp_path, boundaries=bnd, self_contained=True)
    shared = write_maps(ranges, habitat, taxa, tmp_path / "shared", boundaries=bnd)
    outlines = _read(tmp_path / "shared" / "assets" / "boundaries.js")
    assert "[190, 60]" in outlines or "[190, 70]" in outlines
    for p in paths + _html(shared):
        page = _read(p)
        (s, w), (n, e) = _fit_bounds(page)
        assert e - w == pytest.approx(10.0, abs=0.01), (p.name, w, e)
        assert w == pytest.approx(175.0) and e == pytest.approx(185.0)
        coords = np.array(
            [c for lyr in _geojson_layers(page) for f in lyr["features"]
             for c in shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
             if "id" in f]  # taxon features carry ids, boundary lines do not
        )
        # ranges and habitat: nothing is left west of 0, the western parts are at 180..185
        assert coords[:, 0].min() >= 175 and coords[:, 0].max() == pytest.approx(185.0)
        assert ((coords[:, 0] > 180.5) & (coords[:, 0] < 182.5)).any()  # the habitat
        if p in shared:
            continue
        # the country outline is drawn east of 180 too
        assert "[190, 60]" in page or "[190, 70]" in page or "190.0" in page or ", 190" in page


def test_unwrap_leaves_ordinary_geometry_alone() -> None:
    g = MultiPolygon([box(80, 20, 90, 30), box(-10, 40, 0, 50)])
    assert maps_data._unwrap(g) is g
    p = box(-179, 60, -178, 61)
    assert maps_data._unwrap(p) is p
    moved = maps_data._unwrap(p, force=True)
    assert moved.bounds == pytest.approx((181, 60, 182, 61))
    straddling = MultiPolygon([box(175, 64, 180, 68), box(-180, 64, -175, 68)])
    assert maps_data._unwrap(straddling).bounds == pytest.approx((175, 64, 185, 68))


def test_legend_is_a_collapsible_details_element(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    index, taxon = _read(paths[0]), _read(paths[1])
    # folded on the index (the layer list already names the taxa), open on taxon pages
    assert '\\u003cdetails\\u003e\\u003csummary\\u003e\\u003cb\\u003eLegend' in index
    assert "\\u003cdetails open\\u003e\\u003csummary\\u003e" in taxon


def test_summary_table_eoo_aoo_columns(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    taxa[0] = {**taxa[0], "eoo_km2": 12345.6, "aoo_km2": 789.0}
    paths = write_maps(ranges, habitat, taxa, tmp_path)
    page = _read(paths[0])
    table = page[page.index("<h2>Taxa</h2>"):]
    assert "<th>EOO km²</th><th>AOO km²</th>" in table
    assert ("<td class='num' data-v='12345.6'>12,346</td>"
            "<td class='num' data-v='789.0'>789</td>") in table
    # taxon "b" has neither (nor a prevalence): a dash in those cells
    row_b = table[table.index("black-musk-deer.html"):]
    row_b = row_b[: row_b.index("</tr>")]
    assert row_b.count("<td class='num' data-v=''>–</td>") == 3


def test_units_table_largest_patch_and_band_sensitivity(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    habitat["largest_patch_km2"] = [100.0, 0.0, 15.0]
    habitat["area_km2_wide"] = [130.38, 0.0, None]
    habitat["area_km2_narrow"] = [116.85, 0.0, None]
    habitat["elevation_margin_m"] = [100.0, 100.0, 100.0]
    paths = write_maps(ranges, habitat, taxa, tmp_path)
    page = _read(paths[1])
    table = page[page.index("Range units (2)"):]
    assert "<th>Largest patch km²</th>" in table
    assert "Habitat km² ± 100 m band (narrow / wide)" in table
    assert "<td class='num'>100</td>" in table
    assert "123 (−5 % / +6 %)" in table
    assert "0 (0 km² / 0 km²)" in table  # no habitat: absolute areas, no percentages
    # taxon b has the columns' data missing: the sensitivity cell is a dash
    page_b = _read(paths[2])
    assert "Largest patch km²" in page_b and "± 100 m" not in page_b
    assert "<td class='num'>15</td>" in page_b


def test_units_table_without_new_columns(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    page = _read(paths[1])
    assert "Largest patch" not in page and "narrow / wide" not in page


def test_shaded_relief_overlay(tmp_path: Path) -> None:
    from tests.helpers import write_dem

    rows, cols = np.mgrid[0:100, 0:150]
    dem = write_dem(tmp_path / "dem.tif", (3000 + 20 * np.sin(rows / 9.0) * cols).astype(
        "float32"), 75, 40, 0.2)  # 75..105 E, 20..40 N: covers the view box, not the widened one
    ranges, habitat, taxa = _frames()
    out = tmp_path / "maps"
    paths = write_maps(ranges, habitat, taxa, out, boundaries=_boundaries(), relief=[dem],
                       self_contained=True)
    for p in paths:
        page = _read(p)
        assert "Shaded relief" in page
        i = page.index("L.imageOverlay(")
        call = page[i: page.index(");", i)]
        assert '"data:image/png;base64,' in call
        assert '"opacity": 0.6' in call and '"pane": "rmRelief"' in call
        assert '"attribution": "Relief: dem"' in call
        # the relief pane sits under the vector overlays (z-index 400)
        assert re.search(r"createPane\(\s*\"rmRelief\"", page)
        assert re.search(r"style\.zIndex = 250", page)
        assert len(page.encode("utf-8")) < maps_writer.MAX_PAGE_BYTES
        # the image comes first: it is under the boundaries and the taxa in the layer list
        assert page.index("Shaded relief") < page.index("Country boundaries")


def test_no_relief_without_dems_or_coverage(tmp_path: Path) -> None:
    from tests.helpers import write_dem

    ranges, habitat, taxa = _frames()
    for p in _html(write_maps(ranges, habitat, taxa, tmp_path / "a")):
        assert "Shaded relief" not in _read(p)
    # a DEM far away from the data: no overlay, no error
    far = write_dem(tmp_path / "far.tif", np.ones((10, 10), dtype="float32"), -60, -10, 0.1)
    for p in _html(write_maps(ranges, habitat, taxa, tmp_path / "b", relief=[far])):
        assert "Shaded relief" not in _read(p)
    assert not (tmp_path / "b" / "assets" / "relief").exists()


def test_shared_relief_tiles_are_files(tmp_path: Path) -> None:
    from tests.helpers import write_dem

    rows, cols = np.mgrid[0:100, 0:150]
    dem = write_dem(tmp_path / "dem.tif", (3000 + 20 * np.sin(rows / 9.0) * cols).astype(
        "float32"), 75, 40, 0.2)
    ranges, habitat, taxa = _frames()
    out = tmp_path / "maps"
    paths = write_maps(ranges, habitat, taxa, out, boundaries=_boundaries(), relief=[dem])
    tiles = sorted((out / "assets" / "relief").glob("*.png"))
    assert tiles and all(t in paths for t in tiles)
    for p in _html(paths):
        page = _read(p)
        urls = re.findall(r'L\.imageOverlay\("([^"]+)"', page)
        assert urls and all(u.startswith("assets/relief/") for u in urls)
        assert all((out / u).is_file() for u in urls)
        assert "data:image/png" not in page


# --------------------------------------------------------------------------- shared assets


def test_shared_pages_link_assets_and_detail(shared: tuple[Path, list[Path]]) -> None:
    out, paths = shared
    pages = _html(paths)
    assert [p.name for p in pages] == [
        "index.html", "alpine-musk-deer.html", "black-musk-deer.html"]
    for rel in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/images/layers.png",
                "leaflet.fullscreen/Control.FullScreen.js", "rangemap.js", "rangemap.css",
                "boundaries.js"):
        assert (out / "assets" / rel) in paths, rel
    assert "sourceMappingURL" not in _read(out / "assets" / "leaflet" / "leaflet.js")
    outlines = _read(out / "assets" / "boundaries.js")
    assert outlines.startswith("window.RM = window.RM || {};\nRM.boundaries = ")
    assert "-55" not in outlines  # clipped to the view of all pages
    for p in pages:
        page = _read(p)
        assert "Leaflet 1.9.4" not in page  # linked, not inlined
        srcs = re.findall(r'<script src="([^"]+)"', page)
        hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
        assert srcs and hrefs
        for ref in srcs + hrefs:
            assert ref.startswith("assets/") and ".." not in ref and (out / ref).is_file()
        assert "RM.view(" in page
    taxon = _read(pages[1])
    m = re.search(r'detail: "(detail/alpine-musk-deer\.js)", detailZoom: (\d+)', taxon)
    assert m and (out / m.group(1)).is_file() and 3 <= int(m.group(2)) <= 12
    detail = _read(out / m.group(1))
    assert detail.startswith('RM.detail("alpine-musk-deer", [')
    assert "85.25" in detail


def test_check_offline_allows_only_relative_assets() -> None:
    ok = ('<script src="assets/leaflet/leaflet.js"></script>'
          '<link rel="stylesheet" href="assets/x.css">')
    maps_assets._check_offline(ok, shared=True)
    with pytest.raises(RuntimeError):
        maps_assets._check_offline(ok, shared=False)
    for bad in ('<script src="https://cdn.example/leaflet.js"></script>',
                '<script src="assets/../../x.js"></script>',
                '<link rel="stylesheet" href="//cdn.example/x.css">',
                '<img src="assets/x.png">'):
        with pytest.raises(RuntimeError):
            maps_assets._check_offline(bad, shared=True)


def test_light_taxon_page_under_500_kb(tmp_path: Path) -> None:
    ranges, habitat, taxa = _heavy_frames()  # 11 units, > 80,000 vertices
    paths = write_maps(ranges, habitat, taxa, tmp_path, boundaries=_boundaries())
    page = _html(paths)[1]
    assert page.stat().st_size <= maps_writer.LIGHT_PAGE_BYTES
    detail = tmp_path / "detail" / "musk-deer.js"
    # the detail file holds the finer shapes: more vertices than the page
    assert detail.stat().st_size > page.stat().st_size
    sc = write_maps(ranges, habitat, taxa, tmp_path / "sc", boundaries=_boundaries(),
                    self_contained=True)
    assert sc[1].stat().st_size > page.stat().st_size
    assert not (tmp_path / "sc" / "assets").exists() and not (tmp_path / "sc" / "detail").exists()


def _many_taxa(n: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[dict]]:
    """``n`` taxa over the same two units (one band each): shapes shared across taxa."""
    ranges, habitat, taxa = _frames()
    rows_r, rows_h, out = [], [], []
    for i in range(n):
        src = i % 2
        r = ranges.iloc[[0 if src == 0 else 2]].copy()
        h = habitat.iloc[[0 if src == 0 else 2]].copy()
        for df in (r, h):
            df["taxon_id"] = f"t{i}"
            df["species"] = f"Taxon {i}"
        rows_r.append(r)
        rows_h.append(h)
        out.append({**taxa[src], "taxon_id": f"t{i}", "slug": f"taxon-{i}", "name": f"Taxon {i}"})
    import pandas as pd

    return (gpd.GeoDataFrame(pd.concat(rows_r, ignore_index=True), crs="EPSG:4326"),
            gpd.GeoDataFrame(pd.concat(rows_h, ignore_index=True), crs="EPSG:4326"), out)


def test_index_for_many_taxa_has_no_layer_list_and_shares_shapes(tmp_path: Path) -> None:
    n = maps_index.INDEX_LAYER_LIST_MAX + 8
    ranges, habitat, taxa = _many_taxa(n)
    paths = write_maps(ranges, habitat, taxa, tmp_path)
    index = _read(paths[0])
    assert "Range units (all taxa)" in index and "Habitat (all taxa)" in index
    assert "Taxon 3</span>" not in index  # no per-taxon entry in the layer list
    assert index.count("<tr data-stem=") == n
    geoms = json.loads(re.search(r"RM\.index\(\w+, \{geoms: (\[.*\]),\n", index).group(1))
    assert len(geoms) == 4  # 2 units + 2 habitats, however many taxa share them
    few = write_maps(*_many_taxa(3), tmp_path / "few")
    assert "Range units (all taxa)" not in _read(few[0])


def test_index_shapes_are_deduplicated(tmp_path: Path) -> None:
    ranges, habitat, taxa = _many_taxa(6)
    extent = maps_writer.maps_extent(ranges, habitat, taxa)
    writer = maps_writer.MapWriter(taxa, tmp_path, extent=extent)
    writer.add(ranges, habitat)
    shapes, ix = writer._index_shapes()
    assert len(shapes) == 4
    assert ix[0] == ix[2] == ix[4] and ix[1] == ix[3] and ix[0] != ix[1]


def test_band_layers_are_optional_layers(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()
    habitat["elevation_margin_m"] = 100.0
    calls = []

    def make(info, geoms, bands):  # type: ignore[no-untyped-def]
        calls.append((info["taxon_id"], len(geoms), bands))
        wide = [g.buffer(0.05) if g is not None else None for g in geoms]
        narrow = [g.centroid.buffer(0.05) if g is not None else None for g in geoms]
        return wide, narrow

    paths = _html(write_maps(ranges, habitat, taxa, tmp_path, band_layers=make,
                             self_contained=True))
    assert [c[0] for c in calls] == ["a", "b"]
    assert calls[0][2] == [(2500.0, None), (2500.0, None)]
    page = _read(paths[1]).replace("\\u2265", "≥")
    assert "habitat, band widened by 100 m (≥ 2,400 m)" in page
    assert "habitat, band narrowed by 100 m (≥ 2,600 m)" in page
    # both drawn, hidden until a reader turns them on
    assert len(re.findall(r"\{data: \{", page)) == 4
    assert page.count("feature_group_") and len(re.findall(r"\{data: (\{.*\}), style: ", page)) == 4


def test_unit_keys_are_slugged_and_unique(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    page = _read(paths[1])
    info = json.loads(re.search(r"var info = (\[.*?\n  \]);", page, flags=re.DOTALL).group(1))
    keys = [row[2] for row in info]
    assert keys == ["nepal-koshi", "nepal"]
    assert all(re.fullmatch(r"[a-z0-9-]+", k) for k in keys)


def test_band_habitat_from_the_engine(tmp_path: Path) -> None:
    """The pipeline's band layers: the habitat with the band widened ⊇ narrowed, cached."""
    from rangemap import engine
    from rangemap.pipeline import band_habitat
    from rangemap.rasters.dem import DemStack
    from tests.helpers import ramp_dem, write_dem

    dem = write_dem(tmp_path / "dem.tif", ramp_dem(), west=0, north=8, res=1)
    unit = box(0, 0, 8, 8)
    with DemStack([dem]) as stack:
        make = band_habitat(stack, 100.0)
        wide, narrow = make({}, [unit, None], [(4000.0, None), (None, None)])
        assert wide[1] is None and narrow[1] is None
        # z = 1000 col + 100 row: wide (>= 3900 m) is columns 4-7, narrow (>= 4100 m)
        # loses the first row of column 4
        assert wide[0].area > narrow[0].area > 0
        assert wide[0].contains(narrow[0])
        ref = engine.habitats([unit], list(stack), [(4100.0, None)], 100.0)[0].geometry
        assert narrow[0].symmetric_difference(ref).area == pytest.approx(0.0)
        calls = []
        orig = engine.habitats
        try:
            engine.habitats = lambda *a, **k: calls.append(a) or orig(*a, **k)  # type: ignore
            make({}, [unit], [(4000.0, None)])
        finally:
            engine.habitats = orig  # type: ignore[assignment]
        assert calls == []  # same unit and band: from the cache


def test_detail_file_holds_range_and_habitat_only(tmp_path: Path) -> None:
    ranges, habitat, taxa = _frames()

    def make(info, geoms, bands):  # type: ignore[no-untyped-def]
        return ([g.buffer(0.05) for g in geoms], [g.centroid.buffer(0.05) for g in geoms])

    write_maps(ranges, habitat, taxa, tmp_path, band_layers=make)
    page = _read(tmp_path / "alpine-musk-deer.html")
    assert len(re.findall(r"\{data: (\{.*\}), style: ", page)) == 4
    detail = _read(tmp_path / "detail" / "alpine-musk-deer.js")
    assert detail.count('{"type": "FeatureCollection"') == 2


def test_a_unit_without_habitat_shows_its_note_not_a_bare_zero(tmp_path: Path) -> None:
    """The note says why (no DEM, partial coverage, nothing in the band): popup and table."""
    from rangemap.maps.data import _Unit
    from rangemap.maps.html import _habitat_line

    ranges, habitat, taxa = _frames()
    habitat["note"] = [None, "no cell within the elevation band <5′ DEM>", None]
    paths = write_maps(ranges, habitat, taxa, tmp_path)
    page = next(p for p in paths if p.name == "alpine-musk-deer.html").read_text("utf-8")
    assert "<th>Note</th>" in page
    assert "no cell within the elevation band &lt;5′ DEM&gt;" in page
    assert "<5′ DEM>" not in page
    unit = _Unit(taxon_id="a", name="Nepal", country="Nepal", admin1=None, unit_rule="",
                 range_km2=10.0, habitat_km2=0.0, share=0.0, elev_min=2500.0, elev_max=None,
                 dem="pvlib5m", evidence=[], note="no DEM <cell>")
    line = _habitat_line(unit)
    assert line.startswith("Habitat: none") and "no DEM &lt;cell&gt;" in line
    assert "0 km²" not in line
    unit.habitat_km2, unit.share, unit.note = 5.0, 0.5, "DEM data cover 40% of the unit"
    line = _habitat_line(unit)
    assert "Habitat: 5.0 km²" in line and "Note: DEM data cover 40% of the unit" in line
