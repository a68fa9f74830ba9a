"""The registry of options and checks shared by the commands (one definition each).

An option used by more than one command is defined here once, with its help text and
its parse/check callback; a command module applies it as a decorator.  Usage errors
found here are :class:`click.BadParameter` (exit 2).
"""

from __future__ import annotations

import logging
import math
import socket
import urllib.parse
from pathlib import Path

import click

from rangemap.bands import check_band
from rangemap.errors import UsageError
from rangemap.landcover import valid_habitat_code

log = logging.getLogger("rangemap")


class FiniteFloat(click.ParamType):
    """A finite number: ``nan`` and ``1e400`` (inf) are usage errors, not a crash later."""

    name = "float"

    def convert(self, value, param, ctx):
        v = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number of metres", param, ctx)
        return v


METRES = FiniteFloat()


def _codes(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    """Parse a comma-separated list of integer codes (``1,2``)."""
    try:
        codes = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: give integer codes separated by commas, e.g. 1,2"
                                 ) from None
    if not codes:
        raise click.BadParameter("give at least one code, e.g. 1,2")
    return codes


_WHERE_HELP = ("SQL WHERE clause selecting --range features (GDAL's OGR SQL), e.g. "
               "\"presence = 1 AND seasonal IN (1, 2)\".")


def iucn_options(f):
    """--presence, --origin, --seasonal, --where: the features of --range that count."""
    for opt in reversed([
        click.option("--presence", callback=_codes, default="1,2", show_default=True,
                     help="IUCN presence codes kept from --range (if it has the field)."),
        click.option("--origin", callback=_codes, default="1,2", show_default=True,
                     help="IUCN origin codes kept from --range (if it has the field)."),
        click.option("--seasonal", callback=_codes, default="1,2,3", show_default=True,
                     help="IUCN seasonal codes kept from --range (if it has the field)."),
        click.option("--where", "where", default=None, metavar="SQL", help=_WHERE_HELP),
    ]):
        f = opt(f)
    return f


def _scheduler(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check a --scheduler address answers, in seconds, before any work.

    Dask itself would wait 30 s and then report a timeout that reads like a
    file problem.
    """
    if value is None:
        return None

    url = urllib.parse.urlsplit(value if "://" in value else f"tcp://{value}")
    try:
        host, port = url.hostname, url.port
    except ValueError:
        host, port = None, None
    if url.scheme not in ("tcp", "tls") or not host or not port:
        raise click.BadParameter(f"{value!r}: give a Dask scheduler address, "
                                 "e.g. tcp://host:8786")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise click.BadParameter(f"{value}: no Dask scheduler answers there "
                                 f"({exc.strerror or exc}); start one ('dask scheduler') or "
                                 "check the address") from None
    return value


def engine_options(f):
    """--workers / --scheduler (shared by ``habitat`` and ``area``)."""
    f = click.option("--scheduler", default=None, metavar="ADDRESS", callback=_scheduler,
                     help="Run the blocks on a Dask distributed cluster "
                     "(tcp://host:8786); needs 'rangemap[dask]' and the DEM paths "
                     "readable on the workers.")(f)
    return click.option("--workers", type=click.IntRange(min=1), default=1,
                        show_default=True,
                        help="Local worker processes (blocks run in parallel).")(f)


def _class_codes(ctx: click.Context, param: click.Parameter, value: str | None):
    """``--landcover-classes 1,2,5``: integer classes 0..255."""
    if value is None:
        return None
    codes = _codes(ctx, param, value)
    bad = [c for c in codes if not 0 <= c <= 255]
    if bad:
        raise click.BadParameter(f"class {bad[0]} is outside 0..255; land-cover classes are "
                                 "byte codes such as 10,20")
    return codes


def _habitat_codes(ctx: click.Context, param: click.Parameter, value: str | None):
    """``--habitats 1.4,4.4``: IUCN habitat codes, kept as strings (``5.10`` != ``5.1``)."""
    if value is None:
        return None
    codes = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [c for c in codes if not valid_habitat_code(c)]
    if bad or not codes:
        raise click.BadParameter(f"{(bad or [value])[0]!r}: give IUCN habitat codes separated "
                                 "by commas, e.g. 1.4,3.7,4.4")
    return codes


#: Area-of-Habitat options shared by ``build``, ``habitat`` and ``area`` (one registry:
#: add an option here and to :class:`rangemap.aoh.AohOptions`).
AOH_OPTIONS = [
    click.option("--min-slope", type=click.FloatRange(0, 90), default=None, metavar="DEG",
                 help="Keep cells whose slope (Horn's method, degrees) is at least this; "
                 "overrides the documents."),
    click.option("--max-slope", type=click.FloatRange(0, 90), default=None, metavar="DEG",
                 help="Keep cells whose slope is at most this (degrees)."),
    click.option("--landcover", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="A classified land-cover raster (any CRS/resolution, sampled at each "
                 "DEM cell centre); filters by the taxa's habitats. Default: the embedded "
                 "MODIS 0.05° map, for the composition only."),
    click.option("--landcover-legend", type=click.Choice(
                 ["igbp", "esa-worldcover", "cgls-lc100", "esa-cci"]), default="igbp",
                 show_default=True, help="Legend of --landcover (picks the crosswalk)."),
    click.option("--landcover-classes", callback=_class_codes, default=None, metavar="CODES",
                 help="Keep cells of these land-cover classes (e.g. 1,2,5), no crosswalk."),
    click.option("--habitats", callback=_habitat_codes, default=None, metavar="IUCN_CODES",
                 help="IUCN habitat codes for every taxon (e.g. 1.4,3.7), overriding the "
                 "documents; mapped to classes by the crosswalk."),
    click.option("--crosswalk", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="A code,value CSV (IUCN code, land-cover class) replacing the shipped "
                 "crosswalk of the legend."),
    click.option("--habitat-filter", is_flag=True,
                 help="Filter by the taxa's habitat codes with the embedded 0.05° map too "
                 "(coarse: see README, Area of Habitat)."),
]


def aoh_options(f):
    """Apply :data:`AOH_OPTIONS`."""
    for opt in reversed(AOH_OPTIONS):
        f = opt(f)
    return f


def aoh_from(kw: dict, composition: bool):
    """:class:`rangemap.aoh.AohOptions` from the shared options (usage errors here)."""
    from rangemap.aoh import AohOptions

    lo, hi = kw["min_slope"], kw["max_slope"]
    if lo is not None and hi is not None and lo > hi:
        raise click.BadParameter(f"--max-slope {hi:g} is below --min-slope {lo:g}",
                                 param_hint="'--max-slope'")
    if kw["crosswalk"] is not None and not kw["crosswalk"].is_file():
        raise click.BadParameter(f"{kw['crosswalk']}: no such file; pass a code,value CSV",
                                 param_hint="'--crosswalk'")
    if kw["landcover"] is not None and not kw["landcover"].is_file():
        raise click.BadParameter(f"{kw['landcover']}: no such file; pass a land-cover GeoTIFF",
                                 param_hint="'--landcover'")
    if kw["habitats"] and not kw["habitat_filter"] and kw["landcover"] is None \
            and not kw["landcover_classes"]:
        log.warning("--habitats without --habitat-filter or --landcover: the embedded 0.05° "
                    "map only reports the land-cover composition; add --habitat-filter to "
                    "filter by these habitats")
    return AohOptions(
        min_slope=lo, max_slope=hi,
        landcover=None if kw["landcover"] is None else str(kw["landcover"]),
        legend=kw["landcover_legend"], landcover_classes=kw["landcover_classes"],
        habitats=kw["habitats"],
        crosswalk=None if kw["crosswalk"] is None else str(kw["crosswalk"]),
        habitat_filter=kw["habitat_filter"], composition=composition)


def dem_option(default_help: str):
    return click.option(
        "--dem", "dems", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
        help=f"Elevation raster (GeoTIFF/COG/VRT, any CRS); repeat for several, finest wins. "
        f"{default_help}")



def range_band_options(f):
    """--range, --layer, --dem, --min-elevation, --max-elevation (``habitat`` and ``area``)."""
    for opt in reversed([
        click.option("--range", "range_file", required=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="Polygon file of range units (GeoJSON, GeoPackage, shapefile, "
                     "FlatGeobuf)."),
        click.option("--layer", default=None,
                     help="Layer of --range to read (default: the first)."),
        dem_option("Required."),
        click.option("--min-elevation", type=METRES, default=None,
                     help="Lower limit, metres (give it, --max-elevation, or both; an upper "
                     "limit alone has no lower limit)."),
        click.option("--max-elevation", type=METRES, default=None, help="Upper limit, metres."),
    ]):
        f = opt(f)
    return f


def check_band_options(min_elevation: float | None, max_elevation: float | None) -> None:
    """An empty band is a usage error before any work (the rule: :mod:`rangemap.bands`)."""
    try:
        check_band(min_elevation, max_elevation, "--max-elevation", "--min-elevation",
                   "--max-elevation")
    except UsageError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[1],
                                 param_hint="'--max-elevation'") from None



def read_range(range_file: Path, layer: str | None, where: str | None,
                presence: tuple[int, ...], origin: tuple[int, ...],
                seasonal: tuple[int, ...]):
    """The features of --range that count: --where, then the IUCN codes."""
    from rangemap.ranges import read_range_file

    return read_range_file(range_file, layer, where,
                           {"presence": presence, "origin": origin, "seasonal": seasonal})


def of_total(gdf) -> str:
    """`` of N`` when --where or the IUCN codes dropped features."""
    total = gdf.attrs.get("features", len(gdf))
    return f" of {total}" if total != len(gdf) else ""


def check_band_given(dems: tuple[Path, ...], min_elevation: float | None,
                     max_elevation: float | None) -> None:
    """``habitat`` and ``area`` need a DEM and a band (one limit or both, not empty)."""
    if not dems:
        raise click.BadParameter("give at least one --dem", param_hint="'--dem'")
    if min_elevation is None and max_elevation is None:
        raise click.BadParameter("give --min-elevation, --max-elevation or both (the band)",
                                 param_hint="'--min-elevation'")
    check_band_options(min_elevation, max_elevation)


def check_output(path: Path | None, overwrite: bool, hint: str = "'-o/--out'") -> None:
    """An output file that exists needs --overwrite; its folder must exist."""
    if path is not None and path.exists() and not overwrite:
        raise click.BadParameter(f"{path} exists; add --overwrite to replace it",
                                 param_hint=hint)
    check_out_folder(path, hint)


def check_out_folder(path: Path | None, hint: str) -> None:
    """A file output into a folder that does not exist is a usage error (not created silently:
    a typo in the folder name would hide the output)."""
    if path is not None and not path.parent.is_dir():
        raise click.BadParameter(f"{path}: folder {path.parent} does not exist; create it "
                                 f"first (mkdir -p {path.parent})", param_hint=hint)


def plural(n: int, word: str) -> str:
    """``1 unit``, ``2 units``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"

