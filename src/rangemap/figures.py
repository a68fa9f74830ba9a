"""Static figures for reports: one PNG and one SVG per taxon.

A figure is made to be read in print at 16 cm width: shaded relief under the
taxon's range outlines and habitat fill, country borders, a legend, a scale
bar, graticule labels, an inset locator on a world outline and a caption with
the band, the areas, the DEM and the sources.

The core (:func:`figure_extent`, :func:`nice_scale_km`, :func:`caption_text`)
is pure; :func:`draw_taxon_figure` draws on a matplotlib figure from frames
and an optional relief array; only :func:`write_figures` opens DEMs and writes
files.  matplotlib runs headless (the ``Agg`` canvas, no display needed).
"""

from __future__ import annotations

import logging
import math
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from rangemap.bands import band_text
from rangemap.fsutil import atomic_path, safe_child
from rangemap.geo import antimeridian
from rangemap.rasters.dem import source_name
from rangemap.rasters.relief import _read_lonlat, _segments, covering_dem, hillshade, tint
from rangemap.values import number

log = logging.getLogger(__name__)

#: Print width of a figure (16 cm) and the PNG resolution.
WIDTH_IN = 16 / 2.54
DPI = 200
RANGE_COLOUR = "#3b3b3b"
HABITAT_COLOUR = "#d7301f"
_KM_PER_DEG = 111.32
SOURCES = ("Boundaries: Natural Earth (public domain)",)


def figure_extent(bounds: Sequence[float], pad: float = 0.06,
                  min_span: float = 1.0) -> tuple[float, float, float, float]:
    """Map extent (w, s, e, n) in degrees: the bounds padded, at least ``min_span`` wide."""
    w, s, e, n = (float(v) for v in bounds)
    cx, cy = (w + e) / 2, (s + n) / 2
    half_w = max(e - w, min_span) * (0.5 + pad)
    half_h = max(n - s, min_span) * (0.5 + pad)
    s2, n2 = max(cy - half_h, -89.5), min(cy + half_h, 89.5)
    return cx - half_w, s2, cx + half_w, n2


def nice_scale_km(width_deg: float, lat: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k km) near a fifth of the map width."""
    km = width_deg * _KM_PER_DEG * max(math.cos(math.radians(lat)), 0.05) / 5
    k = 10 ** math.floor(math.log10(max(km, 1e-6)))
    for m in (5, 2, 1):
        if m * k <= km:
            return m * k
    return k


def _fmt_km2(v: Any) -> str:
    f = number(v)
    return "n/a" if f is None else f"{f:,.0f} km²"


def habitat_rule(taxon: dict[str, Any]) -> str:
    """The criteria a taxon's habitat was made with, readable ('elevation ≥ 2500 m; slope ...')."""
    crit = taxon.get("criteria")
    if isinstance(crit, str) and crit.strip():
        return crit
    return f"elevation band {band_text(taxon.get('elevation_min_m'), taxon.get('elevation_max_m'))}"


def caption_text(taxon: dict[str, Any], dem_names: Sequence[str]) -> str:
    """The caption under a taxon's figure (plain text; matplotlib escapes it in SVG)."""
    name = str(taxon.get("name") or taxon.get("scientific_name") or taxon.get("taxon_id"))
    sci = taxon.get("scientific_name")
    title = f"{name} ({sci})" if sci and sci != name else name
    rng, hab = taxon.get("range_km2"), taxon.get("habitat_km2")
    share = ""
    try:
        if float(rng) > 0:
            share = f" ({100 * float(hab) / float(rng):.1f} % of the range)"
    except (TypeError, ValueError):
        share = ""
    docs = ", ".join(str(d) for d in taxon.get("documents") or []) or "none"
    rule = habitat_rule(taxon)
    fallback = f" (IUCN fallback: {taxon['fallback']})" if taxon.get("fallback") else ""
    lines = [
        f"{title}: habitat = range × {rule}{fallback}.",
        f"Range {_fmt_km2(rng)}; habitat {_fmt_km2(hab)}{share}; "
        f"{int(taxon.get('units') or 0)} range unit{'s' if int(taxon.get('units') or 0) != 1 else ''}.",  # noqa: E501
        f"DEM: {', '.join(dem_names) or 'none'}. Documents: {docs}.",
        "; ".join(SOURCES) + ". Made with rangemap.",
    ]
    return "\n".join(_wrap(line, 110) for line in lines)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _lon_label(v: float) -> str:
    v = (v + 180) % 360 - 180
    if abs(v) == 180:
        return "180°"
    return f"{abs(v):g}°{'E' if v > 0 else 'W' if v < 0 else ''}"


def _lat_label(v: float) -> str:
    return f"{abs(v):g}°{'N' if v > 0 else 'S' if v < 0 else ''}"


def _graticule_step(span: float) -> float:
    """Largest round step giving at least three graticule lines over ``span`` degrees."""
    for step in (60, 45, 30, 15, 10, 5, 2, 1, 0.5, 0.25, 0.1):
        if span / step >= 3:
            return float(step)
    return 0.05


def draw_taxon_figure(
    taxon: dict[str, Any],
    ranges: gpd.GeoDataFrame,
    habitat: gpd.GeoDataFrame,
    admin0: gpd.GeoDataFrame,
    relief: tuple[np.ndarray, tuple[float, float, float, float]] | None = None,
    dem_names: Sequence[str] = (),
) -> Figure:
    """Draw one taxon's figure (no I/O). ``relief`` is an RGBA array and its (w, s, e, n).

    A range that crosses the antimeridian is drawn in 0..360° longitudes
    (:func:`shift_east`), so Chukotka sits beside Kamchatka, not a world away.
    """
    if shifted_frame(ranges):
        ranges, habitat = shift_east(ranges), shift_east(habitat)
        admin0 = pd.concat([admin0, admin0.set_geometry(admin0.geometry.translate(360.0))],
                           ignore_index=True)
    extent = figure_extent(ranges.total_bounds)
    w, s, e, n = extent
    mid_lat = (s + n) / 2
    aspect = 1 / max(math.cos(math.radians(mid_lat)), 0.2)
    map_h_in = min(WIDTH_IN * (n - s) * aspect / max(e - w, 1e-9), WIDTH_IN * 1.1)
    caption = caption_text(taxon, dem_names)
    cap_h_in = 0.15 * (caption.count("\n") + 1) + 0.1
    ticks_h_in, title_h_in = 0.3, 0.35
    total_h = map_h_in + cap_h_in + ticks_h_in + title_h_in
    fig = Figure(figsize=(WIDTH_IN, total_h), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.07, (cap_h_in + ticks_h_in) / total_h, 0.91, map_h_in / total_h))
    ax.set_xlim(w, e)
    ax.set_ylim(s, n)
    ax.set_aspect(aspect)
    ax.set_facecolor("#eef3f7")
    if relief is not None:
        img, (rw, rs, re_, rn) = relief
        ax.imshow(img, extent=(rw, re_, rs, rn), origin="upper", interpolation="bilinear",
                  zorder=0, aspect=aspect)
    # Display geometry only: simplified to about a fifth of a millimetre in print
    # (the layers keep full geometry); keeps the SVG small.
    tol = (e - w) / 800
    habitat = habitat.set_geometry(habitat.geometry.simplify(tol))
    ranges = ranges.set_geometry(ranges.geometry.simplify(tol))
    clip = admin0.cx[w:e, s:n] if len(admin0) else admin0
    if len(clip):
        clip = clip.set_geometry(clip.geometry.simplify(tol))
    if len(clip):
        clip.boundary.plot(ax=ax, color="#7a7a7a", linewidth=0.4, zorder=1)
    if len(habitat):
        habitat.plot(ax=ax, color=HABITAT_COLOUR, alpha=0.75, linewidth=0, zorder=2)
    ranges.boundary.plot(ax=ax, color=RANGE_COLOUR, linewidth=0.9, zorder=3)
    ax.set_xlim(w, e)
    ax.set_ylim(s, n)
    # Graticule labels in degrees with hemisphere letters.
    xstep, ystep = _graticule_step(e - w), _graticule_step(n - s)
    xt = np.arange(math.ceil(w / xstep) * xstep, e + 1e-9, xstep)
    yt = np.arange(math.ceil(s / ystep) * ystep, n + 1e-9, ystep)
    ax.set_xticks(xt, [_lon_label(v) for v in xt], fontsize=7)
    ax.set_yticks(yt, [_lat_label(v) for v in yt], fontsize=7)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.grid(True, color="white", linewidth=0.4, alpha=0.7, zorder=1.5)
    ax.tick_params(length=2)
    # Scale bar (km along the map's middle latitude), bottom right (the inset is left).
    km = nice_scale_km(e - w, mid_lat)
    deg = km / (_KM_PER_DEG * max(math.cos(math.radians(mid_lat)), 0.05))
    x0, y0 = e - (e - w) * 0.04 - deg, s + (n - s) * 0.05
    ax.add_patch(Rectangle((x0, y0), deg, (n - s) * 0.008, color="black", zorder=5))
    ax.text(x0 + deg / 2, y0 + (n - s) * 0.02, f"{km:g} km", ha="center", va="bottom",
            fontsize=7, zorder=5,
            bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
    handles = [
        Patch(facecolor=HABITAT_COLOUR, alpha=0.75,
              label=f"Habitat ({band_text(taxon.get('elevation_min_m'), taxon.get('elevation_max_m'))})"),  # noqa: E501
        Line2D([], [], color=RANGE_COLOUR, linewidth=1.2, label="Range units"),
        Line2D([], [], color="#7a7a7a", linewidth=0.6, label="Country borders"),
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.9)
    name = str(taxon.get("name") or taxon.get("scientific_name") or "")
    sci = taxon.get("scientific_name")
    ax.set_title(f"{name} ({sci})" if sci and sci != name else name, fontsize=10,
                 style="italic" if not taxon.get("name") else "normal")
    if e - w > 150:
        # the map is itself most of the world: a locator would repeat it
        _caption(fig, caption, cap_h_in, total_h)
        return fig
    # Inset locator: the world with the map's extent as a red box.
    inset = ax.inset_axes((0.0, 0.0, 0.26, 0.17))
    if len(admin0):
        admin0.set_geometry(admin0.geometry.simplify(1.0)).plot(ax=inset, color="#d9d9d9",
                                                                 linewidth=0)
    inset.add_patch(Rectangle((w, s), e - w, n - s, fill=False, edgecolor="red", linewidth=1))
    inset.set_xlim(min(-180, w), max(180, e))
    inset.set_ylim(-60, 85)
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_facecolor("white")
    inset.set_anchor("SW")
    inset.set_zorder(6)
    _caption(fig, caption, cap_h_in, total_h)
    return fig


def _caption(fig: Figure, caption: str, cap_h_in: float, total_h: float) -> None:
    fig.text(0.02, (cap_h_in - 0.05) / total_h, caption, fontsize=7, va="top", ha="left",
             family="sans-serif")


def shifted_frame(gdf: gpd.GeoDataFrame) -> bool:
    """True when the parts of ``gdf`` span less longitude in 0..360° than in ±180°."""
    parts = gdf.geometry.explode(index_parts=False)
    if not len(parts):
        return False
    b = parts.bounds
    plain = b["maxx"].max() - b["minx"].min()
    east = np.where(b["minx"] < 0, b["minx"] + 360, b["minx"])
    east_max = np.where(b["minx"] < 0, b["maxx"] + 360, b["maxx"])
    return bool(east_max.max() - east.min() < plain - 1e-9)


def shift_east(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame with every western-hemisphere polygon part moved by +360° (display only;
    the rule is :func:`rangemap.geo.antimeridian.shift_west_parts`, as on the web maps)."""
    if not len(gdf):
        return gdf
    moved = [antimeridian.shift_west_parts(g, force=True) for g in gdf.geometry]
    return gdf.set_geometry(gpd.GeoSeries(moved, index=gdf.index, crs=gdf.crs))


def _relief_for(dem_paths: Sequence[str | os.PathLike[str]],
                extent: tuple[float, float, float, float],
                ) -> tuple[np.ndarray, tuple[float, float, float, float]] | None:
    """Shaded relief RGBA for the extent in lon/lat rows, or None when no DEM covers it."""
    w, s, e, n = extent
    dem = covering_dem(dem_paths, extent)
    if dem is None:
        return None
    cols = 900
    rows = max(2, int(cols * (n - s) / max(e - w, 1e-9)))
    with rasterio.open(Path(dem)) as ds:
        cols = min(cols, max(2, int((e - w) / abs(ds.transform.a))))
        rows = min(rows, max(2, int((n - s) / abs(ds.transform.e))))
        # a view across ±180 is read in pieces inside [-180, 180] and joined
        segs = _segments(w, e)
        widths = [max(1, round(cols * (b - a) / (e - w))) for a, b in segs]
        z = np.hstack([_read_lonlat(ds, a, s, b, n, (rows, c))
                       for (a, b), c in zip(segs, widths, strict=True)])
        cols = z.shape[1]
    t = Affine((e - w) / cols, 0, w, 0, -(n - s) / rows, n)
    shade = hillshade(z, t.a, -t.e, n, exaggeration=min(6.0, 2.0 * max(1.0, (t.a / 0.05) ** 0.5)))
    return tint(z, shade), (w, s, e, n)


def write_figures(
    ranges: gpd.GeoDataFrame,
    habitat: gpd.GeoDataFrame,
    taxa: list[dict[str, Any]],
    out_dir: str | os.PathLike[str],
    admin0: gpd.GeoDataFrame,
    dems: Sequence[str | os.PathLike[str]] = (),
    formats: Sequence[str] = ("png", "svg"),
) -> list[Path]:
    """Write ``<slug>.png`` and ``<slug>.svg`` per taxon into ``out_dir``; return the paths.

    Slugs come from the taxa table (already slugged); :func:`safe_child` keeps
    every file inside ``out_dir``.  A taxon without ranges is skipped with a
    log line; relief is left out (with a log line) where no lon/lat DEM covers
    the figure.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dem_names = [source_name(Path(p)) for p in dems]  # the names dem_source uses
    written: list[Path] = []
    for t in taxa:
        tid = t["taxon_id"]
        r = ranges[ranges["taxon_id"] == tid]
        h = habitat[(habitat["taxon_id"] == tid) & ~habitat.geometry.is_empty]
        if not len(r):
            log.info("figures: %s has no range units; no figure", tid)
            continue
        extent = figure_extent(r.total_bounds)
        relief = _relief_for(list(dems), extent) if dems else None
        if relief is None and dems:
            log.info("figures: no lon/lat DEM covers %s; no relief", tid)
        used = sorted({name for v in h.get("dem_source", []) if isinstance(v, str)
                       for name in v.split("+")})
        fig = draw_taxon_figure(t, r, h, admin0, relief, used or dem_names)
        for fmt in formats:
            path = safe_child(out, f"{t['slug']}.{fmt}")
            with atomic_path(path) as tmp:
                # metadata pinned so reruns are byte-identical (no creation date)
                meta = {"Date": None} if fmt == "svg" else {"Software": "rangemap"}
                # text stays text in SVG (searchable, editable); fixed ids for reruns
                with rc_context({"svg.fonttype": "none", "svg.hashsalt": "rangemap"}):
                    fig.savefig(tmp, format=fmt, dpi=DPI, metadata=meta)
            written.append(path)
    return written
