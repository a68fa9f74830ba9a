"""QGIS styles for the output layers: QML text, ``.qml`` sidecars, GeoPackage ``layer_styles``.

QGIS applies a layer's default style when it opens it:

* for a GeoJSON file, the ``<name>.qml`` file beside it
  (:func:`write_qml_sidecars`);
* for a GeoPackage layer, the row of the ``layer_styles`` table with
  ``f_table_schema = ''``, ``useAsDefault = 1`` and the layer's table and
  geometry column (:func:`add_gpkg_styles`; same table layout as QGIS's own
  ``saveStyleToDatabase``).

The QML is written for QGIS 3.22 (Debian bookworm) and read by every later
3.x.  Everything here is pure text/sqlite3: no QGIS needed to write styles.
"""

from __future__ import annotations

import os
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rangemap.fsutil import write_text_atomic
from rangemap.palette import PALETTE, taxon_colour

__all__ = [
    "PALETTE", "HABITAT_LABEL_EXPRESSION", "RANGE_LABEL_EXPRESSION", "taxon_categories",
    "habitat_qml", "ranges_qml", "write_qml_sidecars", "add_gpkg_styles",
]

_OTHER_COLOUR = "#7f7f7f"

QGIS_VERSION = "3.22.16-Białowieża"

#: Habitat label: unit name (admin1, else country, else ISO3) and the habitat area.
HABITAT_LABEL_EXPRESSION = (
    "coalesce(\"admin1\", \"country\", \"iso3\") || ' ' || "
    "format_number(\"area_km2\", 0) || ' km²'"
)
#: Range label: the unit name.
RANGE_LABEL_EXPRESSION = 'coalesce("admin1", "country", "iso3")'

_HABITAT_FILL_ALPHA = 140  # of 255: semi-transparent so ranges and basemaps show through
_DDP = {"name": "", "properties": None, "type": "collection"}


def taxon_categories(taxa: Iterable[Mapping[str, Any]], field: str = "taxon_id",
                     label: str = "name") -> list[tuple[str, str]]:
    """``(value, label)`` pairs from ``BuildResult.taxa`` (display order kept, no duplicates).

    ``field`` is the key whose value the layer attribute holds (``taxon_id`` or
    ``species``); ``label`` the legend text (falls back to the value).
    """
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for t in taxa:
        v = t.get(field)
        if v is None or str(v) in seen:
            continue
        seen.add(str(v))
        sci = t.get("scientific_name")
        text = str(t.get(label) or v)
        if label == "name" and sci and sci != text:
            text = f"{text} ({sci})"
        out.append((str(v), text))
    return out


# --------------------------------------------------------------------------- XML helpers

def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _darker(hex_colour: str, factor: float = 0.7) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(int(h[i:i + 2], 16) * factor) for i in (0, 2, 4))
    return f"#{r:02x}{g:02x}{b:02x}"


def _option(parent: ET.Element, value: Any, name: str | None = None) -> ET.Element:
    """QGIS ``<Option>`` (QgsXmlUtils::writeVariant) for str, bool, int, None and dicts."""
    attrs = {} if name is None else {"name": name}
    if isinstance(value, dict):
        el = ET.SubElement(parent, "Option", {"type": "Map", **attrs})
        for k, v in value.items():
            _option(el, v, k)
    elif value is None:
        el = ET.SubElement(parent, "Option", attrs)
    elif isinstance(value, bool):
        el = ET.SubElement(parent, "Option", {**attrs, "type": "bool",
                                              "value": "true" if value else "false"})
    elif isinstance(value, int):
        el = ET.SubElement(parent, "Option", {**attrs, "type": "int", "value": str(value)})
    else:
        el = ET.SubElement(parent, "Option", {**attrs, "type": "QString", "value": str(value)})
    return el


def _fill_symbol(parent: ET.Element, tag: str, name: str, props: dict[str, str]) -> None:
    """A fill symbol with one SimpleFill layer; properties as 3.22 writes them (both forms)."""
    sym = ET.SubElement(parent, tag, {"type": "fill", "name": name, "alpha": "1",
                                      "clip_to_extent": "1", "force_rhr": "0"})
    _option(ET.SubElement(sym, "data_defined_properties"), _DDP)
    layer = ET.SubElement(sym, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0",
                                         "pass": "0"})
    _option(layer, dict(props))
    for k, v in props.items():  # pre-3.20 readers use <prop>
        ET.SubElement(layer, "prop", {"k": k, "v": v})
    _option(ET.SubElement(layer, "data_defined_properties"), _DDP)


def _simple_fill(fill: str, outline: str, outline_width: float, style: str = "solid",
                 outline_style: str = "solid") -> dict[str, str]:
    return {
        "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
        "color": fill,
        "joinstyle": "bevel",
        "offset": "0,0",
        "offset_map_unit_scale": "3x:0,0,0,0,0,0",
        "offset_unit": "MM",
        "outline_color": outline,
        "outline_style": outline_style,
        "outline_width": f"{outline_width:g}",
        "outline_width_unit": "MM",
        "style": style,
    }


def _labeling(parent: ET.Element, expression: str, colour: str = "0,0,0,255",
              size: float = 8.0, placement: int = 1) -> None:
    lab = ET.SubElement(parent, "labeling", {"type": "simple"})
    st = ET.SubElement(lab, "settings", {"calloutType": "simple"})
    ts = ET.SubElement(st, "text-style", {
        "fieldName": expression, "isExpression": "1", "fontFamily": "Sans Serif",
        "fontSize": f"{size:g}", "fontSizeUnit": "Point",
        "fontSizeMapUnitScale": "3x:0,0,0,0,0,0", "fontWeight": "50", "fontItalic": "0",
        "fontUnderline": "0", "fontStrikeout": "0", "fontCapitals": "0",
        "fontLetterSpacing": "0", "fontWordSpacing": "0", "namedStyle": "Normal",
        "textColor": colour, "textOpacity": "1", "multilineHeight": "1", "blendMode": "0",
        "useSubstitutions": "0", "previewBkgrdColor": "255,255,255,255",
        "allowHtml": "0", "capitalization": "0", "textOrientation": "horizontal",
    })
    ET.SubElement(ts, "families")
    ET.SubElement(ts, "text-buffer", {
        "bufferDraw": "1", "bufferSize": "0.8", "bufferSizeUnits": "MM",
        "bufferSizeMapUnitScale": "3x:0,0,0,0,0,0", "bufferColor": "255,255,255,255",
        "bufferNoFill": "1", "bufferOpacity": "0.8", "bufferJoinStyle": "128",
        "bufferBlendMode": "0",
    })
    ET.SubElement(ts, "text-mask", {"maskEnabled": "0", "maskType": "0", "maskSize": "0",
                                    "maskSizeUnits": "MM", "maskOpacity": "1",
                                    "maskJoinStyle": "128",
                                    "maskSizeMapUnitScale": "3x:0,0,0,0,0,0",
                                    "maskedSymbolLayers": ""})
    ET.SubElement(ts, "background", {"shapeDraw": "0", "shapeType": "0"})
    ET.SubElement(ts, "shadow", {"shadowDraw": "0"})
    ET.SubElement(ts, "dd_properties")
    ET.SubElement(ts, "substitutions")
    ET.SubElement(st, "text-format", {
        "wrapChar": "", "autoWrapLength": "0", "useMaxLineLengthForAutoWrap": "1",
        "multilineAlign": "3", "formatNumbers": "0", "decimals": "3", "plussign": "0",
        "addDirectionSymbol": "0", "leftDirectionSymbol": "<", "rightDirectionSymbol": ">",
        "reverseDirectionSymbol": "0", "placeDirectionSymbol": "0",
    })
    ET.SubElement(st, "placement", {
        "placement": str(placement), "placementFlags": "10", "centroidWhole": "0",
        "centroidInside": "1", "fitInPolygonOnly": "0", "dist": "0", "distUnits": "MM",
        "distMapUnitScale": "3x:0,0,0,0,0,0", "offsetType": "0", "quadOffset": "4",
        "xOffset": "0", "yOffset": "0", "offsetUnits": "MM",
        "labelOffsetMapUnitScale": "3x:0,0,0,0,0,0", "rotationAngle": "0",
        "preserveRotation": "1", "priority": "5", "repeatDistance": "0",
        "repeatDistanceUnits": "MM", "repeatDistanceMapUnitScale": "3x:0,0,0,0,0,0",
        "maxCurvedCharAngleIn": "25", "maxCurvedCharAngleOut": "-25",
        "predefinedPositionOrder": "TR,TL,BR,BL,R,L,TSR,BSR", "overrunDistance": "0",
        "overrunDistanceUnit": "MM", "overrunDistanceMapUnitScale": "3x:0,0,0,0,0,0",
        "polygonPlacementFlags": "2", "layerType": "PolygonGeometry",
        "geometryGenerator": "", "geometryGeneratorEnabled": "0",
        "geometryGeneratorType": "PointGeometry", "lineAnchorPercent": "0.5",
        "lineAnchorType": "0", "lineAnchorClipping": "0",
    })
    ET.SubElement(st, "rendering", {
        "drawLabels": "1", "obstacle": "1", "obstacleFactor": "1", "obstacleType": "1",
        "displayAll": "0", "labelPerPart": "0", "mergeLines": "0", "minFeatureSize": "0",
        "limitNumLabels": "0", "maxNumLabels": "2000", "upsidedownLabels": "0",
        "scaleVisibility": "0", "scaleMin": "0", "scaleMax": "0", "fontLimitPixelSize": "0",
        "fontMinPixelSize": "3", "fontMaxPixelSize": "10000", "zIndex": "0",
        "unplacedVisibility": "0",
    })
    _option(ET.SubElement(st, "dd_properties"), _DDP)
    _option(ET.SubElement(st, "callout", {"type": "simple"}), {
        "anchorPoint": "pole_of_inaccessibility", "drawToAllParts": "0", "enabled": "0",
        "labelAnchorPoint": "point_on_exterior", "minLength": "0", "minLengthUnit": "MM",
        "offsetFromAnchor": "0", "offsetFromAnchorUnit": "MM", "offsetFromLabel": "0",
        "offsetFromLabelUnit": "MM",
    })


def _qml(field: str, categories: Sequence[tuple[str, str]], symbol_props, label_expr: str,
         preview: str, label_colour: str = "0,0,0,255") -> str:
    """A categorized polygon style: one symbol per category plus an 'other values' class."""
    root = ET.Element("qgis", {
        "version": QGIS_VERSION, "styleCategories": "Symbology|Labeling",
        "labelsEnabled": "1", "hasScaleBasedVisibilityFlag": "0", "minScale": "0",
        "maxScale": "0", "simplifyDrawingHints": "1", "simplifyAlgorithm": "0",
        "simplifyDrawingTol": "1", "simplifyLocal": "1", "simplifyMaxScale": "1",
        "readOnly": "0",
    })
    rend = ET.SubElement(root, "renderer-v2", {
        "type": "categorizedSymbol", "attr": field, "symbollevels": "0",
        "enableorderby": "0", "forceraster": "0", "referencescale": "-1",
    })
    cats = ET.SubElement(rend, "categories")
    syms = ET.SubElement(rend, "symbols")
    seen: set[str] = set()
    i = 0
    for value, label in categories:
        value = str(value)
        if value in seen:
            raise ValueError(f"duplicate category value {value!r}")
        seen.add(value)
        ET.SubElement(cats, "category", {"render": "true", "symbol": str(i), "value": value,
                                         "label": str(label) if label is not None else value,
                                         "type": "string"})
        _fill_symbol(syms, "symbol", str(i), symbol_props(taxon_colour(i)))
        i += 1
    # An empty value is QGIS's "all other values" class (taxa not in the list).
    ET.SubElement(cats, "category", {"render": "true", "symbol": str(i), "value": "",
                                     "label": "other", "type": "string"})
    _fill_symbol(syms, "symbol", str(i), symbol_props(_OTHER_COLOUR))
    _fill_symbol(rend, "source-symbol", "0", symbol_props(_OTHER_COLOUR))
    ET.SubElement(rend, "rotation")
    ET.SubElement(rend, "sizescale")
    _labeling(root, label_expr, label_colour)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "previewExpression").text = preview
    ET.SubElement(root, "layerGeometryType").text = "2"
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def habitat_qml(categories: Sequence[tuple[str, str]], field: str = "taxon_id",
                label_expression: str = HABITAT_LABEL_EXPRESSION,
                fill_alpha: int = _HABITAT_FILL_ALPHA) -> str:
    """QML for the ``habitat`` layer.

    Parameters
    ----------
    categories : sequence of (value, label)
        One class per taxon: ``value`` is the attribute value of ``field``,
        ``label`` the legend text.  Colours follow :data:`rangemap.palette.PALETTE` in this order.
    field : str, default "taxon_id"
        Attribute to classify on (``taxon_id`` or ``species``).
    label_expression : str
        QGIS expression for the feature labels (unit name and area by default).
    fill_alpha : int, default 140
        Fill opacity, 0-255.

    Returns
    -------
    str
        QML document (categorized semi-transparent fills, labels on).
    """
    def props(colour: str) -> dict[str, str]:
        return _simple_fill(_rgba(colour, fill_alpha), _rgba(_darker(colour)), 0.26)

    return _qml(field, categories, props, label_expression,
                preview='"species"')


def ranges_qml(categories: Sequence[tuple[str, str]], field: str = "taxon_id",
               label_expression: str = RANGE_LABEL_EXPRESSION) -> str:
    """QML for the ``ranges`` layer: outlines only (taxon colour), labelled with the unit name."""
    def props(colour: str) -> dict[str, str]:
        return _simple_fill(_rgba(colour, 0), _rgba(colour), 0.5, style="no",
                            outline_style="dash")

    return _qml(field, categories, props, label_expression, preview='"species"',
                label_colour="60,60,60,255")


# --------------------------------------------------------------------------- writers

def write_qml_sidecars(geojson_path: str | os.PathLike[str], qml_text: str) -> Path:
    """Write ``<stem>.qml`` beside ``geojson_path`` atomically; return its path.

    QGIS loads ``habitat.qml`` as the default style of ``habitat.geojson``.
    """
    dest = Path(geojson_path).with_suffix(".qml")
    write_text_atomic(dest, qml_text)
    return dest


_LAYER_STYLES_DDL = (
    'CREATE TABLE "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    '"update_time" DATETIME DEFAULT (strftime(\'%Y-%m-%dT%H:%M:%fZ\',\'now\')))'
)


def add_gpkg_styles(gpkg_path: str | os.PathLike[str], styles: Mapping[str, str],
                    description: str = "rangemap default style") -> None:
    """Store ``styles`` (layer name -> QML) as the layers' default styles in a GeoPackage.

    Creates the ``layer_styles`` table the way QGIS does (registered in
    ``gpkg_contents`` as ``attributes`` and counted in ``gpkg_ogr_contents``),
    replaces any earlier default style of the same layers and inserts one row
    per layer with ``useAsDefault = 1``.  Runs in one transaction.

    Raises
    ------
    ValueError
        A layer name that is not a feature table of the GeoPackage.

    Notes
    -----
    GDAL lists ``layer_styles`` as a (non-spatial) layer, like any QGIS-styled
    GeoPackage.  Call on a file no one else has open (e.g. the temporary
    file before it is moved into place).
    """
    con = sqlite3.connect(os.fspath(gpkg_path), isolation_level=None)
    try:
        con.execute("BEGIN")
        geom_cols = dict(con.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        for layer in styles:
            if layer not in geom_cols:
                raise ValueError(f"{gpkg_path}: no feature table {layer!r} "
                                 f"(have {sorted(geom_cols)})")
        exists = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                             "AND name = 'layer_styles'").fetchone()
        if not exists:
            con.execute(_LAYER_STYLES_DDL)
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
                " last_change, srs_id) VALUES ('layer_styles', 'attributes', 'layer_styles', '',"
                " strftime('%Y-%m-%dT%H:%M:%fZ','now'), 0)")
        has_ogr_contents = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                       "AND name = 'gpkg_ogr_contents'").fetchone()
        for layer, qml in styles.items():
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND "
                        "f_geometry_column = ? AND useAsDefault = 1",
                        (layer, geom_cols[layer]))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL)",
                (layer, geom_cols[layer], layer, qml, description))
        if has_ogr_contents:
            # NULL = unknown: GDAL counts the rows itself (no stale count, no triggers).
            con.execute("DELETE FROM gpkg_ogr_contents WHERE lower(table_name) = "
                        "'layer_styles'")
            con.execute("INSERT INTO gpkg_ogr_contents (table_name, feature_count) "
                        "VALUES ('layer_styles', NULL)")
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
