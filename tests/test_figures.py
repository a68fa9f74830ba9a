"""Static report figures: size, content, legend, escaping, antimeridian, reruns."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from matplotlib import image as mpimg
from shapely.geometry import MultiPolygon, box

from rangemap import figures
from rangemap.figures import (
    band_text,
    figure_extent,
    nice_scale_km,
    shift_east,
    shifted_frame,
    write_figures,
)

CRS = "EPSG:4326"


def _frames(name: str = "snow vole") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame,
                                              list[dict], gpd.GeoDataFrame]:
    ranges = gpd.GeoDataFrame(
        {"taxon_id": ["t1", "t1"], "iso3": ["AAA", "BBB"]},
        geometry=[MultiPolygon([box(0, 0, 4, 8)]), MultiPolygon([box(4, 0, 8, 8)])], crs=CRS)
    habitat = gpd.GeoDataFrame(
        {"taxon_id": ["t1", "t1"], "dem_source": ["demA", "demA+demB"]},
        geometry=[MultiPolygon([box(2, 2, 4, 6)]), MultiPolygon([box(4, 2, 7, 6)])], crs=CRS)
    taxa = [{"taxon_id": "t1", "slug": "t1", "name": name, "scientific_name": "Microtus x",
             "units": 2, "range_km2": 1000.0, "habitat_km2": 250.0,
             "elevation_min_m": 2500.0, "elevation_max_m": None, "documents": ["a.txt"]}]
    admin0 = gpd.GeoDataFrame({"iso3": ["AAA", "BBB"]},
                              geometry=[box(0, 0, 4, 8), box(4, 0, 8, 8)], crs=CRS)
    return ranges, habitat, taxa, admin0


def test_png_and_svg_written_print_size_content_and_legend(tmp_path: Path) -> None:
    ranges, habitat, taxa, admin0 = _frames()
    paths = write_figures(ranges, habitat, taxa, tmp_path, admin0)
    assert sorted(p.name for p in paths) == ["t1.png", "t1.svg"]
    img = mpimg.imread(tmp_path / "t1.png")
    # 16 cm at 200 dpi
    assert abs(img.shape[1] - 16 / 2.54 * figures.DPI) <= 1
    rgb = img[..., :3]
    assert rgb.std() > 0.05, "figure is blank"
    # the habitat fill colour is present
    target = np.array([0xd7, 0x30, 0x1f]) / 255
    blend = 0.75 * target + 0.25 * np.array([0xee, 0xf3, 0xf7]) / 255
    close = np.abs(rgb - blend).max(axis=-1) < 0.08
    assert close.sum() > 1000
    svg = (tmp_path / "t1.svg").read_text(encoding="utf-8")
    for text in ("Habitat (≥ 2,500 m)", "Range units", "Country borders", "250 km²",
                 "Documents: a.txt", "demA, demB"):
        assert text in svg, text


def test_document_text_is_escaped_in_svg(tmp_path: Path) -> None:
    ranges, habitat, taxa, admin0 = _frames(name="<script>alert(1)</script> & co")
    write_figures(ranges, habitat, taxa, tmp_path, admin0, formats=("svg",))
    svg = (tmp_path / "t1.svg").read_text(encoding="utf-8")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_unsafe_slug_cannot_leave_the_folder(tmp_path: Path) -> None:
    ranges, habitat, taxa, admin0 = _frames()
    taxa[0]["slug"] = "../evil"
    with pytest.raises(ValueError):
        write_figures(ranges, habitat, taxa, tmp_path / "figs", admin0, formats=("png",))
    assert not (tmp_path / "evil.png").exists()


def test_rerun_is_byte_identical(tmp_path: Path) -> None:
    ranges, habitat, taxa, admin0 = _frames()
    write_figures(ranges, habitat, taxa, tmp_path / "a", admin0)
    write_figures(ranges, habitat, taxa, tmp_path / "b", admin0)
    for name in ("t1.png", "t1.svg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize(("bounds", "expected"), [
    ((0, 0, 10, 10), (-0.6, -0.6, 10.6, 10.6)),
    ((5, 5, 5.2, 5.1), (4.54, 4.49, 5.66, 5.61)),  # at least 1 degree wide
])
def test_figure_extent(bounds: tuple, expected: tuple) -> None:
    assert figure_extent(bounds) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(("width", "lat", "km"), [
    (40, 30, 500), (360, 0, 5000), (1, 60, 10), (0.1, 0, 2)])
def test_nice_scale_km(width: float, lat: float, km: float) -> None:
    assert nice_scale_km(width, lat) == km


@pytest.mark.parametrize(("lo", "hi", "text"), [
    (2500, None, "≥ 2,500 m"), (2500, 4000, "2,500–4,000 m"), (None, 1600, "≤ 1,600 m"),
    (None, None, "no band"), (float("nan"), 1600.0, "≤ 1,600 m")])
def test_band_text(lo, hi, text: str) -> None:
    assert band_text(lo, hi) == text


def test_antimeridian_range_is_drawn_in_one_piece() -> None:
    west = MultiPolygon([box(170, 60, 180, 70), box(-180, 60, -170, 70)])
    gdf = gpd.GeoDataFrame({"taxon_id": ["t"]}, geometry=[west], crs=CRS)
    assert shifted_frame(gdf)
    shifted = shift_east(gdf)
    assert tuple(shifted.total_bounds) == pytest.approx((170, 60, 190, 70))
    plain = gpd.GeoDataFrame({"taxon_id": ["t"]}, geometry=[box(10, 0, 20, 5)], crs=CRS)
    assert not shifted_frame(plain)


def test_svg_has_no_date_and_png_opens(tmp_path: Path) -> None:
    ranges, habitat, taxa, admin0 = _frames()
    write_figures(ranges, habitat, taxa, tmp_path, admin0)
    svg = (tmp_path / "t1.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    assert mpimg.imread(io.BytesIO((tmp_path / "t1.png").read_bytes())).ndim == 3


def test_caption_names_the_criteria_and_fallback() -> None:
    taxon = {"taxon_id": "t", "name": "x", "units": 1, "range_km2": 10, "habitat_km2": 5,
             "elevation_min_m": 2500, "criteria": "elevation ≥ 2500 m; slope ≥ 20°",
             "fallback": "habitat-filter-dropped"}
    text = figures.caption_text(taxon, ["demA"])
    assert "range × elevation ≥ 2500 m; slope ≥ 20°" in text
    assert "IUCN fallback: habitat-filter-dropped" in text
    plain = figures.caption_text({**taxon, "criteria": None, "fallback": None}, [])
    assert "elevation band ≥ 2,500 m." in plain and "fallback" not in plain
