"""The output layers open in QGIS with their default styles (PyQGIS via /usr/bin/python3).

QGIS runs in a subprocess (``tests/io/qgis_check.py``) under the system Python,
which has the Debian ``python3-qgis`` bindings; the venv does not.  Without
PyQGIS the tests skip locally and fail in CI (``CI`` set), where it is installed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, box

from rangemap.io import styles
from rangemap.io.vectors import HABITAT_FIELDS, RANGE_FIELDS, write_layers
from rangemap.pipeline import DEFAULT_DEMS, build
from tests.helpers import DATA, ROOT

SYSTEM_PYTHON = Path("/usr/bin/python3")
CHECK = Path(__file__).with_name("qgis_check.py")
# QGIS (3.22) type names of the OGR provider for the numeric layer fields.
REAL = {"Real", "double"}
INT = {"Integer", "Integer64", "int", "int8"}


def _need_qgis() -> None:
    ok = SYSTEM_PYTHON.exists() and subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import qgis.core"], capture_output=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120,
    ).returncode == 0
    if not ok:
        msg = f"{SYSTEM_PYTHON} cannot import qgis (apt-get install python3-qgis)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def qgis_report(*uris: str | Path) -> dict:
    """Run tests/io/qgis_check.py on ``uris``; its JSON report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    proc = subprocess.run([str(SYSTEM_PYTHON), str(CHECK), *map(str, uris)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no JSON from qgis_check: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    return json.loads(lines[-1])


# ----------------------------------------------------------------------------- tiny output

TAXA = [
    {"taxon_id": "testus-cervus", "name": "test deer", "scientific_name": "Testus cervus"},
    {"taxon_id": "testus-minor", "name": "small deer", "scientific_name": "Testus minor"},
]


def tiny_frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Ranges and habitat with the pipeline's columns: 2 taxa, 3 units."""
    n = 3
    ident = {
        "species": ["test deer", "test deer", "small deer"],
        "scientific_name": ["Testus cervus", "Testus cervus", "Testus minor"],
        "iso3": ["AAA", "BBB", "BBB"],
        "admin1": [None, "North Bee", "South Bee"],
        "elevation_min_m": [4000.0, 4000.0, 1500.0],
        "elevation_max_m": [None, None, 3000.0],
        "taxon_id": ["testus-cervus", "testus-cervus", "testus-minor"],
        "rank": ["species"] * n,
        "country": ["Aland", "Beeland", "Beeland"],
        "unit_rule": ["whole-country", "admin1", "admin1"],
        "range_area_km2": [198000.5, 197000.25, 197500.0],
    }
    rgeoms = [MultiPolygon([box(0, 0, 4, 8)]), MultiPolygon([box(4, 4, 8, 8)]),
              MultiPolygon([box(4, 0, 8, 4)])]
    ranges = gpd.GeoDataFrame({**ident, "elevation_rule": ["min", "min", "min-max"],
                               "evidence": ["", "t.txt: Upper Bee is home.", ""]},
                              geometry=rgeoms, crs="EPSG:4326")[RANGE_FIELDS + ["geometry"]]
    hab = {
        **ident,
        "area_km2": [0.0, 49234.567, 12000.4],
        "dem_source": [None, "dem", "dem"],
        "share_of_unit": [0.0, 0.25, 0.06],
        "habitat_cells": [0, 16, 4],
        "cell_area_km2": [0.0, 3077.16, 3000.1],
        "patches": [0, 1, 1],
        "habitat_elev_min_m": [None, 4000.0, 1500.0],
        "habitat_elev_mean_m": [None, 5500.5, 2000.0],
        "habitat_elev_max_m": [None, 7300.0, 2700.0],
        "dem_resolution": [None, "1°", "1°"],
        "dem_coverage": [1.0, 1.0, 1.0],
        "note": ["no cell within the elevation band", None, None],
        "largest_patch_km2": [0.0, 49234.567, 12000.4],
        "eoo_km2": [0.0, 49234.567, 12000.4],
        "aoo_km2": [0.0, 49240.0, 12004.0],
        "elevation_margin_m": [100.0, 100.0, 100.0],
        "area_km2_wide": [0.0, 50000.0, 13000.0],
        "area_km2_narrow": [0.0, 48000.0, 11000.0],
        "range_km2": [198000.5, 197000.25, 197500.0],
        "elevation_km2": [0.0, 60000.0, 12000.4],
        "prevalence": [0.0, 0.25, 0.06],
        "criteria": ["elevation ≥ 4000 m", "elevation ≥ 4000 m; land cover (lc) classes 1",
                     "elevation 1500–3000 m"],
        "fallback": [None, None, "habitat_filter_dropped"],
        "slope_min_deg": [None, 20.0, None],
        "slope_max_deg": [None, None, None],
        "slope_median_deg": [None, 24.5, None],
        "habitat_codes": [None, "1.4", None],
        "landcover_map": ["lc", "lc", None],
        "landcover_legend": ["igbp", "igbp", None],
        "landcover_shares": [None, '{"1": 1.0}', None],
    }
    hgeoms = [MultiPolygon(), MultiPolygon([box(6, 4, 8, 8)]), MultiPolygon([box(4, 2, 5, 4)])]
    habitat = gpd.GeoDataFrame(hab, geometry=hgeoms, crs="EPSG:4326")[HABITAT_FIELDS
                                                                       + ["geometry"]]
    return ranges, habitat


def apply_styles(out: Path, taxa: list[dict]) -> None:
    """What the pipeline does after write_layers: sidecars and GeoPackage styles."""
    cats = styles.taxon_categories(taxa)
    qml = {"habitat": styles.habitat_qml(cats), "ranges": styles.ranges_qml(cats)}
    for name, text in qml.items():
        styles.write_qml_sidecars(out / "geojson" / f"{name}.geojson", text)
    styles.add_gpkg_styles(out / "rangemap.gpkg", qml)


@pytest.fixture(scope="module")
def tiny_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("qgis-tiny")
    ranges, habitat = tiny_frames()
    write_layers(ranges, habitat, out)
    apply_styles(out, TAXA)
    return out


@pytest.fixture(scope="module")
def tiny_report(tiny_out) -> dict:
    _need_qgis()
    return qgis_report(tiny_out / "geojson/habitat.geojson",
                       tiny_out / "geojson/ranges.geojson",
                       f"{tiny_out / 'rangemap.gpkg'}|layername=habitat",
                       f"{tiny_out / 'rangemap.gpkg'}|layername=ranges")


# ----------------------------------------------------------------------------- pure tests

def test_qml_is_well_formed_and_categorized() -> None:
    cats = styles.taxon_categories(TAXA)
    assert cats == [("testus-cervus", "test deer (Testus cervus)"),
                    ("testus-minor", "small deer (Testus minor)")]
    for text in (styles.habitat_qml(cats), styles.ranges_qml(cats, field="species")):
        assert text.startswith("<!DOCTYPE qgis")
        root = ET.fromstring(text.split("\n", 1)[1])
        r = root.find("renderer-v2")
        assert r.get("type") == "categorizedSymbol"
        values = [c.get("value") for c in r.find("categories")]
        assert values[:2] == [c[0] for c in cats] and values[-1] == ""  # + "other"
        assert len(r.find("symbols")) == len(values)
        assert root.find("labeling/settings/text-style").get("isExpression") == "1"


def test_palette_matches_the_web_maps() -> None:
    from rangemap.maps import PALETTE

    assert styles.PALETTE == tuple(PALETTE)


def test_hostile_labels_are_escaped() -> None:
    text = styles.habitat_qml([("a\"'<&>", "<script>x</script> & \"q\"")])
    root = ET.fromstring(text.split("\n", 1)[1])
    cat = root.find("renderer-v2/categories/category")
    assert cat.get("value") == "a\"'<&>" and cat.get("label") == '<script>x</script> & "q"'
    with pytest.raises(ValueError):
        styles.habitat_qml([("a", "A"), ("a", "B")])


def test_sidecars_and_layer_styles_table(tiny_out) -> None:
    assert (tiny_out / "geojson/habitat.qml").read_text(encoding="utf-8").startswith(
        "<!DOCTYPE qgis")
    assert (tiny_out / "geojson/ranges.qml").is_file()
    con = sqlite3.connect(tiny_out / "rangemap.gpkg")
    rows = con.execute("SELECT f_table_catalog, f_table_schema, f_table_name, "
                       "f_geometry_column, styleName, useAsDefault FROM layer_styles "
                       "ORDER BY f_table_name").fetchall()
    geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                       "'layer_styles'").fetchone()
    con.close()
    assert rows == [("", "", "habitat", geom["habitat"], "habitat", 1),
                    ("", "", "ranges", geom["ranges"], "ranges", 1)]
    assert kind == ("attributes",)
    # Idempotent: styling again replaces the default rows.
    styles.add_gpkg_styles(tiny_out / "rangemap.gpkg", {"habitat": styles.habitat_qml([])})
    con = sqlite3.connect(tiny_out / "rangemap.gpkg")
    assert con.execute("SELECT count(*) FROM layer_styles WHERE f_table_name = 'habitat' "
                       "AND useAsDefault = 1").fetchone() == (1,)
    con.close()
    apply_styles(tiny_out, TAXA)  # restore for the QGIS tests
    with pytest.raises(ValueError, match="no feature table"):
        styles.add_gpkg_styles(tiny_out / "rangemap.gpkg", {"nope": ""})


# ----------------------------------------------------------------------------- QGIS

def _check_layer(info: dict, count: int, categories: int | None) -> None:
    assert info["valid"], info
    assert info["featureCount"] == count
    assert info["crs"] == "EPSG:4326"
    assert "Polygon" in info["geometryType"]
    assert info["loadDefaultStyle"]["ok"], info["loadDefaultStyle"]
    assert info["renderer"] == "categorizedSymbol"
    assert info["labelsEnabled"]
    assert not info.get("labelExpressionError"), info.get("labelExpressionError")
    if categories is not None:
        assert len(info["categories"]) == categories + 1  # + "other"


def _field_types(info: dict) -> dict[str, str]:
    return {f["name"]: f["type"] for f in info["fields"]}


def test_tiny_layers_open_in_qgis_with_styles(tiny_report) -> None:
    hab_json, rng_json, hab_gpkg, rng_gpkg = tiny_report["layers"]
    for info in (hab_json, hab_gpkg):
        _check_layer(info, 3, len(TAXA))
        types = _field_types(info)
        assert set(HABITAT_FIELDS) <= set(types)
        for f in ("area_km2", "elevation_min_m", "range_area_km2", "share_of_unit"):
            assert types[f] in REAL, (f, types[f])
        assert types["habitat_cells"] in INT | REAL
        assert [c["alpha"] for c in info["categories"]][:2] == [140, 140]  # semi-transparent
        assert info["categories"][0]["label"] == "test deer (Testus cervus)"
        assert info["classAttribute"] == "taxon_id"
        assert "Aland 0 km²" in info["labelSamples"]
        assert "North Bee 49,235 km²" in info["labelSamples"] or \
            "North Bee 49235 km²" in info["labelSamples"]
    for info in (rng_json, rng_gpkg):
        _check_layer(info, 3, len(TAXA))
        assert set(RANGE_FIELDS) <= set(_field_types(info))
        assert info["labelSamples"][:2] == ["Aland", "North Bee"]
        assert _field_types(info)["range_area_km2"] in REAL
    # The GeoPackage layers carry their style in layer_styles (not a sidecar).
    assert hab_gpkg["db_style_chars"] > 1000, hab_gpkg.get("db_style_error")


# ----------------------------------------------------------------------------- real build

@pytest.fixture(scope="module")
def real_out(tmp_path_factory) -> Path:
    """A real build of the embedded data (~25 s); reuse one with RANGEMAP_BUILD_OUT=dir."""
    _need_qgis()
    given = os.environ.get("RANGEMAP_BUILD_OUT")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("qgis-real")
    build(docs=DATA / "documents", dems=[ROOT / d for d in DEFAULT_DEMS],
          boundaries=DATA / "boundaries" / "boundaries.gpkg", out=out)
    return out


def test_real_build_opens_in_qgis_with_styles(real_out) -> None:
    manifest = json.loads((real_out / "manifest.json").read_text(encoding="utf-8"))
    ntaxa = len(manifest["taxa"])
    hab = json.loads((real_out / "geojson/habitat.geojson").read_text(encoding="utf-8"))
    rng = json.loads((real_out / "geojson/ranges.geojson").read_text(encoding="utf-8"))
    rep = qgis_report(real_out / "geojson/habitat.geojson",
                      real_out / "geojson/ranges.geojson",
                      f"{real_out / 'rangemap.gpkg'}|layername=habitat",
                      f"{real_out / 'rangemap.gpkg'}|layername=ranges")
    hab_json, rng_json, hab_gpkg, rng_gpkg = rep["layers"]
    for info in (hab_json, hab_gpkg):
        _check_layer(info, len(hab["features"]), ntaxa)
        assert _field_types(info)["area_km2"] in REAL
    for info in (rng_json, rng_gpkg):
        _check_layer(info, len(rng["features"]), ntaxa)
    assert [c["value"] for c in hab_gpkg["categories"]][:ntaxa] == \
        [t["taxon_id"] for t in manifest["taxa"]]


def test_real_gpkg_numeric_fields_are_numeric(real_out) -> None:
    """Numeric columns stay numeric in the GeoPackage even when every value is null.

    (GeoJSON has no schema: OGR types an all-null property as String there.)
    """
    rep = qgis_report(f"{real_out / 'rangemap.gpkg'}|layername=habitat",
                      f"{real_out / 'rangemap.gpkg'}|layername=ranges")
    hab, rng = (_field_types(info) for info in rep["layers"])
    for f in ("elevation_min_m", "elevation_max_m", "area_km2", "range_area_km2",
              "share_of_unit", "cell_area_km2", "habitat_elev_mean_m", "dem_coverage"):
        assert hab[f] in REAL, (f, hab[f])
    for f in ("elevation_min_m", "elevation_max_m", "range_area_km2"):
        assert rng[f] in REAL, (f, rng[f])
