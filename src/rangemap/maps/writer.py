""":func:`write_maps` and :class:`MapWriter`: the pages of a maps folder, written one at a
time, and the shared assets.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from rangemap.errors import DataError
from rangemap.fsutil import GeometrySpool, safe_child, unique_name, write_text_atomic
from rangemap.maps.assets import _Relief, _write_assets
from rangemap.maps.data import (
    _BOUNDARY_MIN_TOLERANCE,
    _HABITAT_COLUMNS,
    _RANGE_COLUMNS,
    _TAXON_KEYS,
    COARSE_FACTOR,
    DEFAULT_TOLERANCE_DEG,
    _BoundaryLines,
    _collect_units,
    _display_geoms,
    _extent,
    _geojson_nbytes,
    _geojson_strings,
    _object_array,
    _require,
    _Shapes,
    _Taxon,
    _to_4326,
    _tolerances,
)
from rangemap.maps.html import (
    _band,
    _esc,
    _habitat_style,
    _header_html,
    _layer_label,
    _legend_html,
    _range_style,
    _summary_table,
    _units_table,
)
from rangemap.maps.index import INDEX_LAYER_LIST_MAX
from rangemap.maps.page import (
    _band_layers,
    _detail_js,
    _feature_collection,
    _Layer,
    _layer_fcs,
    _Page,
    _popup_array_js,
    _render_fitted,
)
from rangemap.palette import taxon_colour
from rangemap.values import text as _text

log = logging.getLogger(__name__)


#: Size bound for one page; pages above it are re-simplified more coarsely.
MAX_PAGE_BYTES = 5_000_000


#: Size bound for a taxon page whose Leaflet, outlines and relief are shared assets.
LIGHT_PAGE_BYTES = 500_000


_RESERVED_STEMS = frozenset({"index"})


def _page_stems(taxa: list[dict[str, Any]], out_dir: Path) -> list[str]:
    """Validated, unique file stems (one per taxon), each a direct child of out_dir."""
    stems: list[str] = []
    used = set(_RESERVED_STEMS)
    root = out_dir.resolve()
    for i, info in enumerate(taxa):
        for k in _TAXON_KEYS:
            if k not in info or _text(info[k]) is None:
                raise DataError(f"taxa[{i}]: missing {k!r}")
        slug = str(info["slug"])
        try:
            path = safe_child(out_dir, f"{slug}.html")
        except ValueError as exc:
            raise DataError(f"taxa[{i}]: unsafe slug {slug!r}") from exc
        if path.parent != root or "/" in slug or "\\" in slug:
            raise DataError(f"taxa[{i}]: slug {slug!r} must be a plain file name")
        stems.append(unique_name(slug, used))
    return stems


def write_maps(
    ranges: gpd.GeoDataFrame,
    habitat: gpd.GeoDataFrame,
    taxa: list[dict[str, Any]],
    out_dir: Path,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE_DEG,
    max_page_bytes: int | None = None,
    osm_overlay: bool = True,
    title: str = "Species ranges and habitat",
    relief: list[Path] | None = None,
    self_contained: bool = False,
    band_layers: Callable[..., tuple[list[Any], list[Any]] | None] | None = None,
) -> list[Path]:
    """Write offline HTML maps: ``index.html`` plus one page per taxon.

    Parameters
    ----------
    ranges : geopandas.GeoDataFrame
        One row per (taxon, range unit): ``taxon_id``, ``species``,
        ``scientific_name``, ``iso3``, ``country``, ``admin1``, ``unit_rule``,
        ``range_area_km2``, ``evidence`` (``"document: sentence"`` lines), geometry.
    habitat : geopandas.GeoDataFrame
        One row per (taxon, range unit): the identity columns plus
        ``elevation_min_m``, ``elevation_max_m``, ``area_km2``, ``share_of_unit``,
        ``dem_source``, ``dem_resolution``, geometry (may be empty).
    taxa : list of dict
        Per-taxon summary (``taxon_id``, ``slug``, ``name``, ``scientific_name``,
        ``units``, ``habitat_km2``, ``range_km2``, ``elevation_min_m``,
        ``elevation_max_m``, ``elevation_rule``, ``documents``), in display order;
        colours follow this order.  Only taxa listed here are drawn.
    out_dir : pathlib.Path
        Output folder (created if needed).
    boundaries : geopandas.GeoDataFrame, optional
        Admin-0 outlines drawn as a thin grey base layer.
    tolerance : float, default 0.005
        Display simplification tolerance in degrees (Douglas-Peucker, ring by
        ring; rings smaller than it are dropped unless a shape would vanish).
        Self-contained pages use it (doubled up to seven times for a page that
        would exceed ``max_page_bytes``).  Shared-asset pages carry their shapes
        at four times it (coarsened further to fit the bound) and load the
        shapes at ``tolerance`` from ``detail/<taxon>.js`` once the reader zooms
        in far enough to see the difference.
    max_page_bytes : int, optional
        Size bound for one page: default 500 000 for shared-asset taxon pages,
        5 000 000 for the index and self-contained pages.
    osm_overlay : bool, default True
        Offer an OpenStreetMap tile layer, switched off by default (it needs
        the network; the page loads nothing remote unless a reader turns it on).
    title : str, default "Species ranges and habitat"
        Title of the index page (escaped like any other text).
    relief : list of Path, optional
        DEMs for a shaded-relief base image (30° tiles, see :class:`_Relief`).
    self_contained : bool, default False
        One file per page with everything inlined (for mailing one map).  By
        default Leaflet, the page code, the country outlines and the relief are
        written once to ``out_dir/assets/`` and loaded with relative links,
        which work from ``file://``.
    band_layers : callable, optional
        ``band_layers(taxon_info, range_geoms, bands) -> (wide, narrow)``: the
        habitat of each unit (``bands``: its (min, max) limits) with the band
        widened and narrowed by the sensitivity margin (None entries for none;
        see :func:`rangemap.pipeline.band_habitat`).  Drawn as two optional
        layers, off at first, on the taxon's page.

    Returns
    -------
    list of pathlib.Path
        ``index.html`` first, then the taxon pages in the order of ``taxa``,
        then detail files and shared assets.

    Raises
    ------
    DataError
        Missing columns, a taxon without id/slug/name, or a slug that is not a
        plain file name inside ``out_dir`` (nothing is written then).

    Notes
    -----
    Geometry is simplified and rounded to 5 decimals for display only.  All
    document-derived text is escaped; every file is written atomically.  This is
    :class:`MapWriter` given every row at once; a build hands it a few taxa at a
    time instead, so the habitat polygons are never all in memory.
    """
    taxon_ids = [str(t.get("taxon_id")) for t in taxa]
    writer = MapWriter(
        taxa, out_dir, boundaries, extent=maps_extent(ranges, habitat, taxa),
        tolerance=tolerance, max_page_bytes=max_page_bytes, osm_overlay=osm_overlay,
        title=title, relief=relief, self_contained=self_contained, band_layers=band_layers,
    )
    writer.add(ranges, habitat, taxon_ids)
    return writer.finish()


_WORLD = (-180.0, -60.0, 180.0, 80.0)


def _prepare_rows(
    ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    _require(ranges, _RANGE_COLUMNS, "ranges")
    _require(habitat, _HABITAT_COLUMNS, "habitat")
    return _to_4326(ranges, "ranges"), _to_4326(habitat, "habitat")


def _units_extent(ts: Iterable[_Taxon]) -> tuple[float, float, float, float] | None:
    return _extent(g for t in ts for u in t.units for g in (u.range_geom, u.habitat_geom))


def maps_extent(
    ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame, taxa: list[dict[str, Any]]
) -> tuple[float, float, float, float] | None:
    """The extent the maps of these rows cover (as drawn: parts across ±180 moved east).

    None when there is no shape.  The extent of several groups of rows is the
    union of theirs (:func:`union_extent`); :class:`MapWriter` needs the extent of
    all rows before its first page, because the country outlines of every page
    are cut from the lines of the whole area.
    """
    ranges, habitat = _prepare_rows(ranges, habitat)
    tmp = {str(t["taxon_id"]): _Taxon(info=t, stem="", colour="") for t in taxa
           if "taxon_id" in t}
    _collect_units(ranges, habitat, tmp)
    return _units_extent(tmp.values())


def union_extent(
    extents: Iterable[tuple[float, float, float, float] | None],
) -> tuple[float, float, float, float] | None:
    """The box around several extents (None entries ignored; None if all are)."""
    boxes = [e for e in extents if e is not None]
    if not boxes:
        return None
    b = np.asarray(boxes, dtype=float)
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
            float(b[:, 3].max()))


class MapWriter:
    """The maps folder, written a few taxa at a time.

    ``MapWriter(taxa, out_dir, boundaries, extent=...)``, then :meth:`add` with the
    range and habitat rows of some taxa (every row of a taxon in the same call),
    then :meth:`finish`.  Each taxon's page (and detail file) is written as soon
    as its rows arrive; what the index needs is kept small: per distinct shape its
    display text at the index's tolerance, its size, and its full geometry in an
    anonymous temporary file (read back only if the index must be coarsened to
    fit its size bound).  So memory does not grow with the number of taxa beyond
    the index's coarse shapes and a row of figures per taxon.  The pages are the
    same, byte for byte, as those :func:`write_maps` writes with every row at once
    (which uses this class).  Arguments as for :func:`write_maps`; ``extent`` is
    :func:`maps_extent` of all rows.
    """

    def __init__(
        self,
        taxa: list[dict[str, Any]],
        out_dir: Path,
        boundaries: gpd.GeoDataFrame | None = None,
        *,
        extent: tuple[float, float, float, float] | None,
        tolerance: float = DEFAULT_TOLERANCE_DEG,
        max_page_bytes: int | None = None,
        osm_overlay: bool = True,
        title: str = "Species ranges and habitat",
        relief: list[Path] | None = None,
        self_contained: bool = False,
        band_layers: Callable[..., tuple[list[Any], list[Any]] | None] | None = None,
    ) -> None:
        self.out_dir = out_dir = Path(out_dir)
        self.shared = shared = not self_contained
        if boundaries is not None:
            _require(boundaries, ("geometry",), "boundaries")
            boundaries = _to_4326(boundaries, "boundaries")
        stems = _page_stems(taxa, out_dir)
        self.page_bound = max_page_bytes or (LIGHT_PAGE_BYTES if shared else MAX_PAGE_BYTES)
        self.index_bound = max_page_bytes or MAX_PAGE_BYTES
        self.by_id: dict[str, _Taxon] = {}
        self.ordered: list[_Taxon] = []
        for i, (info, stem) in enumerate(zip(taxa, stems, strict=True)):
            tid = str(info["taxon_id"])
            if tid in self.by_id:
                raise DataError(f"taxa[{i}]: duplicate taxon_id {tid!r}")
            t = _Taxon(info=info, stem=stem, colour=taxon_colour(i))
            self.by_id[tid] = t
            self.ordered.append(t)
        self.tolerance = tolerance
        self.osm_overlay = osm_overlay
        self.title = title
        self.band_layers = band_layers
        self.extent = extent or _WORLD
        self.lines = _BoundaryLines(boundaries, self.extent) if boundaries is not None else None
        self.has_lines = self.lines is not None and len(self.lines._shapes) > 0
        self.reliefs = _Relief(list(relief or []), out_dir, shared)
        # the index's relief first: tiles are made (and listed) in the order pages ask
        self.index_relief = self.reliefs.for_extent(self.extent)
        self.coarse = COARSE_FACTOR * tolerance
        self._pages: dict[str, Path] = {}
        self._details: dict[str, Path] = {}
        self._n_units: dict[str, int] = {}
        self._skipped: set[str] = set()
        # the index: per taxon, the (range or habitat, digest) of its shapes in order;
        # per distinct digest: (size, text) at the index's tolerance and where the
        # full shape lies in the temporary file
        self._index_seq: dict[str, list[bytes]] = {}
        self._index_shape: dict[bytes, tuple[int, str | None, int]] = {}
        self._spill: GeometrySpool | None = None

    def add(
        self, ranges: gpd.GeoDataFrame, habitat: gpd.GeoDataFrame,
        taxon_ids: Iterable[str] | None = None,
    ) -> list[Path]:
        """Write the pages of the taxa these rows belong to (and of ``taxon_ids``).

        Every row of a taxon must come in one call; a taxon named in ``taxon_ids``
        without rows gets a page without units.  Returns the files written.
        """
        ranges, habitat = _prepare_rows(ranges, habitat)
        fresh = {k: t for k, t in self.by_id.items() if k not in self._pages}
        self._skipped |= _collect_units(ranges, habitat, fresh)
        want = {str(k) for k in taxon_ids} if taxon_ids is not None else set()
        for part in (ranges, habitat):
            want |= {str(k) for k in part["taxon_id"]}
        late = sorted(k for k in want if k in self._pages)
        if late:
            raise ValueError(f"MapWriter.add: rows of taxon {late[0]!r} after its page")
        files = []
        for t in self.ordered:
            if t.taxon_id in want:
                files += self._write_taxon(t)
        return files

    def _write_taxon(self, t: _Taxon) -> list[Path]:
        out_dir, shared, tolerance = self.out_dir, self.shared, self.tolerance
        lines, coarse = self.lines, self.coarse
        path = safe_child(out_dir, f"{t.stem}.html")
        self._index_add(t)
        geoms = [u.range_geom for u in t.units] + [u.habitat_geom for u in t.units]
        n = len(t.units)
        band = _band(t.info.get("elevation_min_m"), t.info.get("elevation_max_m"))
        layers = [
            _Layer(_layer_label(t.colour, f"{_esc(t.name)}: range units"),
                   _range_style(t.colour, True), list(range(n))),
            _Layer(_layer_label(t.colour, f"{_esc(t.name)}: habitat {_esc(band)}"),
                   _habitat_style(t.colour), list(range(n, 2 * n))),
        ]
        layers += _band_layers(t, self.band_layers, geoms)
        shapes = _Shapes(geoms)
        sci = _text(t.info.get("scientific_name"))
        heading = _esc(t.name) + (f" <i>({_esc(sci)})</i>" if sci else "")
        rule = _text(t.info.get("elevation_rule"))
        sub = f"{len(t.units)} range units · habitat {_esc(band)}" + (
            f" ({_esc(rule)})" if rule else ""
        )
        extent = _units_extent([t]) or _WORLD
        page = _Page(
            what=f"{t.stem}.html",
            title=_esc(t.name),
            header=_header_html(heading, sub, back_link=True),
            taxa=[t],
            is_index=False,
            extent=extent,
            legend=_legend_html([t], link=False, back_link=True),
            body=_units_table(t),
            relief=self.reliefs.for_extent(extent),
            shared=shared,
            layers=layers,
            popups_js=_popup_array_js(t),
            boundaries=self.has_lines,
        )
        tols = _tolerances(coarse if shared else tolerance)
        files = []
        if shared and coarse > tolerance:
            # the detail file: range and habitat at the finer tolerance, bounded too (the
            # band layers, for comparison at a glance, stay at the page's level)
            ix = [i for lyr in layers[:2] for i in lyr.ix if i >= 0]
            dtol = next(
                (x for x in _tolerances(tolerance) if shapes.nbytes(ix, x) <= MAX_PAGE_BYTES),
                _tolerances(tolerance)[-1],
            )
            page.detail = f"detail/{t.stem}.js"
            detail_text = _detail_js(t.stem, _layer_fcs(layers[:2], shapes, dtol))
        text, _ = _render_fitted(page, shapes, lines, tols, self.page_bound, self.osm_overlay)
        if page.detail is not None:
            dpath = safe_child(out_dir, page.detail)
            write_text_atomic(dpath, detail_text)
            self._details[t.taxon_id] = dpath
            files.append(dpath)
            del detail_text
        write_text_atomic(path, text)
        self._pages[t.taxon_id] = path
        files.append(path)
        del text, shapes, page
        if lines is not None:
            lines.forget_pages()
        # what the index needs of the taxon is kept; its shapes and units go
        self._n_units[t.taxon_id] = len(t.units)
        t.units = []
        return files

    def _index_add(self, t: _Taxon) -> None:
        """Keep the taxon's shapes for the index: display text at its tolerance, size, and
        the full shape in the temporary file (for coarsening), once per distinct shape."""
        seq: list[bytes] = []
        new: dict[bytes, Any] = {}
        for u in t.units:
            for g, kind in ((u.range_geom, b"r"), (u.habitat_geom, b"h")):
                if g is None or g.is_empty:
                    continue
                k = hashlib.blake2b(shapely.to_wkb(g), digest_size=16).digest()
                seq.append(kind + k)
                if k not in self._index_shape and k not in new:
                    new[k] = g
        self._index_seq[t.taxon_id] = seq
        if not new:
            return
        if self._spill is None:
            self._spill = GeometrySpool()
        disp = _display_geoms(list(new.values()), self.coarse)
        sizes = _geojson_nbytes(disp)
        texts = _geojson_strings(disp)
        first = self._spill.extend(list(new.values()))
        for j, (k, size, text) in enumerate(zip(new, sizes, texts, strict=True)):
            self._index_shape[k] = (int(size), text, first + j)

    def _index_shapes(self) -> tuple[_Shapes, list[tuple[list[int], list[int]]]]:
        """The index's distinct shapes (numbered in taxon order) and each taxon's positions."""
        order: dict[bytes, int] = {}
        index_ix = []
        for t in self.ordered:
            lists: tuple[list[int], list[int]] = ([], [])
            for item in self._index_seq.get(t.taxon_id, []):
                acc = lists[0] if item[:1] == b"r" else lists[1]
                i = order.setdefault(item[1:], len(order))
                if i not in acc:
                    acc.append(i)
            index_ix.append(lists)
        keys = list(order)
        spill = self._spill

        def load(ix: np.ndarray) -> np.ndarray:
            assert spill is not None
            rows = [self._index_shape[keys[i]][2] for i in ix]
            return _object_array(spill.read(r, r + 1)[0] for r in rows)

        shapes = _Shapes(count=len(keys), loader=load)
        shapes.prefill(
            self.coarse,
            np.asarray([self._index_shape[k][0] for k in keys], dtype=np.int64),
            _object_array(self._index_shape[k][1] for k in keys),
        )
        return shapes, index_ix

    def finish(self) -> list[Path]:
        """Write the pages still missing (taxa without rows), the index and the shared
        assets; return every file: index first, then the taxon pages in the order of
        ``taxa``, the detail files, the assets."""
        for t in self.ordered:
            if t.taxon_id not in self._pages:
                self._write_taxon(t)
        if self._skipped:
            log.warning("publish: %d taxon id(s) in the data but not in taxa; not drawn",
                        len(self._skipped))
        ordered, out_dir, lines = self.ordered, self.out_dir, self.lines
        index_shapes, index_ix = self._index_shapes()
        n_units = sum(self._n_units.values())
        many = len(ordered) > INDEX_LAYER_LIST_MAX
        how = ("Click the map to list every taxon there; search, sort and pick taxa in the "
               "table below.")
        for t in ordered:
            t.n_units = self._n_units.get(t.taxon_id, 0)
        index_page = _Page(
            what="index.html",
            title=_esc(self.title),
            header=_header_html(
                _esc(self.title),
                f"{len(ordered)} taxa, {n_units} range units. " + how
                + ("" if many else " Toggle taxa in the layer list."),
                back_link=False,
            ),
            taxa=ordered,
            is_index=True,
            extent=self.extent,
            legend=_legend_html([] if many else ordered, link=True, back_link=False),
            body=_summary_table(ordered),
            relief=self.index_relief,
            shared=self.shared,
            index_ix=index_ix,
            boundaries=self.has_lines,
        )
        text, _ = _render_fitted(index_page, index_shapes, lines, _tolerances(self.coarse),
                                 self.index_bound, self.osm_overlay)
        write_text_atomic(out_dir / "index.html", text)
        del text, index_shapes, index_page
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        written = [out_dir / "index.html"] + [self._pages[t.taxon_id] for t in ordered]
        extra = [self._details[t.taxon_id] for t in ordered if t.taxon_id in self._details]
        if self.shared:
            outlines = None
            if self.has_lines and lines is not None:
                texts = lines.json(self.extent, _BOUNDARY_MIN_TOLERANCE)
                outlines = "window.RM = window.RM || {};\nRM.boundaries = " + (
                    _feature_collection((None, g) for g in texts) + ";\n")
            extra += _write_assets(out_dir, outlines)
            extra += self.reliefs.written
        return written + extra
