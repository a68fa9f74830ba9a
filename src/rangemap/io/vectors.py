"""The layers a build writes, and their writers: the field lists of ``ranges`` and
``habitat`` (the layer contract), RFC 7946 GeoJSON text, GeoPackage/FlatGeobuf through
pyogrio, the summary CSV, the streaming :class:`LayerWriter`, and the reproducible-output
fix-ups (GeoPackage times, folium ids).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from rangemap.aoh import (
    AOH_FIELDS,
)
from rangemap.fsutil import (
    atomic_path,
    source_date,
    stable_ids,
)
from rangemap.geo.shapes import as_multi, snap
from rangemap.io import styles
from rangemap.values import is_null

#: Properties of habitat.geojson, in order.  The first eight are the layer
#: contract (README "Layer contract"); the rest are extensions.
HABITAT_FIELDS = [
    "species", "scientific_name", "iso3", "admin1", "elevation_min_m", "elevation_max_m",
    "area_km2", "dem_source",
    "taxon_id", "rank", "country", "unit_rule", "range_area_km2", "share_of_unit",
    "habitat_cells", "cell_area_km2", "patches", "habitat_elev_min_m", "habitat_elev_mean_m",
    "habitat_elev_max_m", "dem_resolution", "dem_coverage",
    "note", "largest_patch_km2", "eoo_km2", "aoo_km2", "elevation_margin_m", "area_km2_wide",
    "area_km2_narrow", *AOH_FIELDS,
]


RANGE_FIELDS = [
    "species", "scientific_name", "iso3", "admin1", "elevation_min_m", "elevation_max_m",
    "taxon_id", "rank", "country", "unit_rule", "range_area_km2", "elevation_rule", "evidence",
]


#: Output drivers of ``rangemap habitat`` by file suffix.
DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".fgb": "FlatGeobuf"}


def write_vector(gdf: gpd.GeoDataFrame, path: Path, layer: str, driver: str,
                  append_to: Path | None = None) -> None:
    # GeoPackage 1.3: the GDAL in Debian's QGIS 3.22 warns on 1.4 files.
    opts = {"VERSION": "1.3"} if driver == "GPKG" and append_to is None else {}
    pyogrio.write_dataframe(gdf, append_to or path, layer=layer, driver=driver,
                            dataset_options=opts, promote_to_multi=True,
                            append=append_to is not None)


def json_value(v: Any) -> Any:
    if is_null(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def geojson_features(gdf: gpd.GeoDataFrame, decimals: int = 7) -> list[str]:
    """The Feature texts of :func:`geojson_text`, one per row."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geoms = shapely.orient_polygons([as_multi(snap(g, decimals)) for g in gdf.geometry.values])
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    parts = []
    for geom, row in zip(geoms, gdf[cols].itertuples(index=False, name=None), strict=True):
        props = json.dumps({c: json_value(v) for c, v in zip(cols, row, strict=True)},
                           ensure_ascii=False, default=str)
        gtext = "null" if geom is None else shapely.to_geojson(geom)
        parts.append(f'{{"type": "Feature", "properties": {props}, "geometry": {gtext}}}')
    return parts


_GEOJSON_HEAD = '{"type": "FeatureCollection", "features": [\n'


_GEOJSON_TAIL = "\n]}\n"


def geojson_text(gdf: gpd.GeoDataFrame, decimals: int = 7) -> str:
    """RFC 7946 FeatureCollection text of a lon/lat GeoDataFrame.

    Written here rather than by GDAL's ``RFC7946=YES`` writer, whose
    antimeridian cutter turns polygons that touch ±180° (Chukotka) into
    GeometryCollections with stray lines.  Our geometries already lie in
    [-180, 180]; exterior rings are made counter-clockwise, holes clockwise,
    coordinates rounded to ``decimals`` (~1 cm at 7), no ``crs`` member, one
    feature per row with every property present (fixed schema).
    """
    return _GEOJSON_HEAD + ",\n".join(geojson_features(gdf, decimals)) + _GEOJSON_TAIL


def layer_geometry_type(type_ids: set[int], has_z: bool = False) -> str:
    """The GeoPackage layer type pyogrio infers for a column of these geometry types.

    The same rule as ``pyogrio.write_dataframe(promote_to_multi=True)`` applies to a
    whole column, for layers written a few rows at a time (the first rows alone
    could infer another type).  ``type_ids``: ``shapely.get_type_id`` values.
    """
    types = {_TYPE_NAMES[t] for t in type_ids if t in _TYPE_NAMES}
    kind = "Unknown"
    if len(types) == 1:
        kind = next(iter(types))
        if kind in ("Point", "LineString", "Polygon"):
            kind = f"Multi{kind}"
    elif len(types) == 2:
        for single in ("Polygon", "LineString", "Point"):
            if types == {single, f"Multi{single}"}:
                kind = f"Multi{single}"
    return f"{kind} Z" if has_z and kind != "Unknown" else kind


def geometry_kinds(geoms: Any) -> tuple[set[int], bool]:
    """(geometry type ids, any 3-D coordinates among the non-empty ones)."""
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    present = ~shapely.is_missing(arr)
    full = arr[present][~shapely.is_empty(arr[present])]
    return set(shapely.get_type_id(arr[present]).tolist()), bool(shapely.has_z(full).any())


_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


class LayerWriter:
    """GeoJSON (RFC 7946) and GeoPackage layers, written a few taxa at a time.

    ``with LayerWriter(out, cats, kinds) as w: w.add(ranges_rows, habitat_rows)``
    appends rows to ``geojson/ranges.geojson``, ``geojson/habitat.geojson`` and
    the two layers of ``rangemap.gpkg`` as they come, so a build never holds
    every habitat polygon (or every feature's text) at once.  Each file is a
    temporary until the block ends without error; then the GeoJSON files are
    closed (the text is the same as :func:`geojson_text` of all rows), the QGIS
    styles added and every file moved into place.  ``kinds`` gives each layer's
    geometry types over all its rows (:func:`geometry_kinds`), so the
    GeoPackage layers get the type a single write of all rows would have.
    Rows must come with the dtypes of the whole table (slices of it).
    """

    def __init__(self, out: Path, categories: list[tuple[str, str]],
                 kinds: dict[str, tuple[set[int], bool]]) -> None:
        self.out = out
        self.qml = {"ranges": styles.ranges_qml(categories),
                    "habitat": styles.habitat_qml(categories)}
        self.kinds = kinds
        self._stack = contextlib.ExitStack()
        self._fh: dict[str, Any] = {}
        self._count = {"ranges": 0, "habitat": 0}
        self._gpkg: Path | None = None
        self._layers: set[str] = set()
        self.written: list[Path] = []

    def __enter__(self) -> LayerWriter:
        with contextlib.ExitStack() as undo:
            undo.push(self._stack)
            for name in ("ranges", "habitat"):
                tmp = self._stack.enter_context(
                    atomic_path(self.out / "geojson" / f"{name}.geojson"))
                fh = self._stack.enter_context(open(tmp, "w", encoding="utf-8"))
                fh.write(_GEOJSON_HEAD)
                self._fh[name] = fh
            self._gpkg = self._stack.enter_context(atomic_path(self.out / "rangemap.gpkg"))
            undo.pop_all()
        return self

    def add(self, ranges: gpd.GeoDataFrame | None = None,
            habitat: gpd.GeoDataFrame | None = None) -> None:
        """Append rows to the layers (ranges first: the GeoPackage's layer order)."""
        assert self._gpkg is not None, "use LayerWriter in a with block"
        for name, gdf in (("ranges", ranges), ("habitat", habitat)):
            if gdf is None or (not len(gdf) and name in self._layers):
                continue
            fh = self._fh[name]
            for text in geojson_features(gdf):
                fh.write(text if self._count[name] == 0 else ",\n" + text)
                self._count[name] += 1
            first = not self._layers
            self._layers.add(name)
            types, has_z = self.kinds[name]
            pyogrio.write_dataframe(
                gdf, self._gpkg, layer=name, driver="GPKG",
                # GeoPackage 1.3: the GDAL in Debian's QGIS 3.22 warns on 1.4 files.
                dataset_options={"VERSION": "1.3"} if first else {},
                promote_to_multi=True, append=not first,
                geometry_type=layer_geometry_type(types, has_z))

    def __exit__(self, *exc: Any) -> None:
        try:
            if exc[0] is None:
                for fh in self._fh.values():
                    fh.write(_GEOJSON_TAIL)
                    fh.close()
                assert self._gpkg is not None
                if self._layers != {"ranges", "habitat"}:
                    raise ValueError("LayerWriter: both layers need an add() (rows may be empty)")
                styles.add_gpkg_styles(self._gpkg, self.qml)
        except BaseException:
            self._stack.__exit__(*sys.exc_info())
            raise
        self._stack.__exit__(*exc)
        if exc[0] is None:
            for name in ("ranges", "habitat"):
                dest = self.out / "geojson" / f"{name}.geojson"
                self.written += [dest, styles.write_qml_sidecars(dest, self.qml[name])]
            self.written.append(self.out / "rangemap.gpkg")


def layer_categories(habitat: pd.DataFrame,
                     taxa: list[dict[str, Any]] | None = None) -> list[tuple[str, str]]:
    """(value, label) per taxon for the QGIS styles: from ``taxa``, else the habitat rows."""
    if taxa:
        return styles.taxon_categories(taxa)
    return [(str(t), str(n)) for t, n in
            habitat[["taxon_id", "species"]].drop_duplicates().itertuples(index=False)]


def write_layers(ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame, out: Path,
                 taxa: list[dict[str, Any]] | None = None) -> list[Path]:
    """Write GeoJSON (RFC 7946) and GeoPackage layers atomically, with QGIS styles.

    Each GeoJSON gets a ``.qml`` sidecar and the GeoPackage a ``layer_styles``
    table, so either opens in QGIS styled by taxon and labelled.  (All rows at
    once; a build streams them through :class:`LayerWriter`.)
    """
    kinds = {"ranges": geometry_kinds(ranges.geometry.values),
             "habitat": geometry_kinds(habitat.geometry.values)}
    writer = LayerWriter(out, layer_categories(habitat, taxa), kinds)
    with writer:
        writer.add(ranges, habitat)
    return writer.written


def summary_csv(habitat: pd.DataFrame) -> str:
    """Per (taxon, unit) table of areas and elevation statistics, as CSV text."""
    buf = io.StringIO()
    _write_summary(habitat, buf)
    return buf.getvalue()


def make_reproducible(paths: list[Path]) -> None:
    """Make written outputs byte-identical for identical inputs.

    GeoPackage times (``gpkg_contents.last_change``, ``layer_styles.update_time``)
    become :func:`~rangemap.fsutil.source_date`; Folium's random element ids in
    pages and scripts become counters (:func:`~rangemap.fsutil.stable_ids`).
    """
    stamp = source_date()
    stable_ids([p for p in map(Path, paths) if p.suffix in (".html", ".js", ".json")
                and p.is_file()])
    for p in map(Path, paths):
        if p.suffix == ".gpkg":
            con = sqlite3.connect(os.fspath(p), isolation_level=None)
            try:
                con.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))
                if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                               "name = 'layer_styles'").fetchone():
                    con.execute("UPDATE layer_styles SET update_time = ?", (stamp,))
            finally:
                con.close()


def _write_summary(habitat: pd.DataFrame | Iterable[pd.DataFrame], fh: Any) -> None:
    cols = [c for c in HABITAT_FIELDS if c != "geometry"]
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(cols)
    for frame in [habitat] if isinstance(habitat, pd.DataFrame) else habitat:
        for row in frame[cols].itertuples(index=False):
            w.writerow(["" if is_null(v) else v for v in row])


def write_summary_csv(habitat: pd.DataFrame | Iterable[pd.DataFrame], path: Path) -> Path:
    """:func:`summary_csv` written row by row to ``path`` (atomically); ``habitat`` may
    come as consecutive pieces of the table (with its dtypes), e.g. ``RowSpool.frames``."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        _write_summary(habitat, fh)
    return path
