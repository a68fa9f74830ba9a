"""Command-line interface: thin click commands over the library.

Exit codes: 0 success, 1 data error, 2 usage error.  Errors print one line;
``--traceback`` (or ``-v``) shows the Python traceback too.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import sys
import traceback
import urllib.parse
from pathlib import Path

import click
import yaml

from rangemap import __version__
from rangemap.bands import check_band
from rangemap.errors import (
    RangemapError,
    StrictError,
    UsageError,
    WarningLog,
    check_strict,
    collecting,
    current_warnings,
    warn,
)
from rangemap.fsutil import write_text_atomic
from rangemap.landcover import valid_habitat_code

# The commands import the stages (aoh, pipeline, ranges, dem, extract, gazetteer, validate,
# fetch) inside their functions: those load geopandas, rasterio and folium (seconds), which
# ``rangemap --help`` and a usage error should not wait for.

log = logging.getLogger("rangemap")


class Failure(click.ClickException):
    """A one-line error with rangemap's exit code (1 data, 2 usage)."""

    def __init__(self, message: str, exit_code: int, strict: bool = False):
        super().__init__(message)
        self.exit_code = exit_code
        self.strict = strict  # from --strict: the warnings summary goes before it

    def show(self, file=None) -> None:
        click.echo(f"rangemap: error: {self.message}", err=True)


class RangemapGroup(click.Group):
    """Turns errors raised by the library into one line and an exit code.

    It also collects the run's warnings (:func:`rangemap.errors.warn`) and
    prints their summary on stderr at the end, and gives every command the
    shared options (``-v``, ``-q``, ``--traceback``, ``--strict``), so they work
    before or after the command name.
    """

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        names = {o for p in cmd.params for o in getattr(p, "opts", [])}
        cmd.params.extend(o for o in _shared_options() if not set(o.opts) & names)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context):
        with collecting() as warnings:
            try:
                result = self._invoke(ctx)
            except Failure as exc:
                if exc.strict:  # the summary says what --strict refused
                    self._summary(ctx, warnings)
                raise
            self._summary(ctx, warnings)
            return result

    @staticmethod
    def _summary(ctx: click.Context, warnings: WarningLog) -> None:
        obj = ctx.obj
        if obj is not None and obj.verbosity < -1:
            return
        for line in warnings.summary():
            click.echo(f"rangemap: {line}", err=True)

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except StrictError as exc:
            raise Failure(str(exc), exc.exit_code, strict=True) from None
        except RangemapError as exc:
            self._maybe_traceback(ctx)
            raise Failure(str(exc), exc.exit_code) from None
        except OSError as exc:
            self._maybe_traceback(ctx)
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            raise Failure(f"{where}{exc.strerror or exc}; check the path, permissions and "
                          "free disk space", 1) from None
        except Exception as exc:  # a bug: one line, detail behind --traceback
            self._maybe_traceback(ctx)
            raise Failure(f"internal error: {type(exc).__name__}: {exc} (rerun with "
                          "--traceback and report it)", 1) from None

    @staticmethod
    def _maybe_traceback(ctx: click.Context) -> None:
        obj = ctx.obj
        if obj is not None and getattr(obj, "show_traceback", False):
            traceback.print_exc()


class _Bar:
    """Live progress on a terminal: the blocks of the taxon being computed, units done.

    One line on stderr, rewritten in place (``\\r``); cleared at the end.  Called as
    the pipeline's ``progress(n, total, label)`` after units, and its ``blocks(done,
    total, label)`` after every block (see ``pipeline.BlockProgress``).
    """

    def __init__(self, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.units = 0
        self.total = 0
        self.width = 0

    def __call__(self, n: int, total: int, label: str) -> None:
        self.units += n
        self.total = total
        self._show(f"habitat: {self.units}/{total} units ({label})")

    def blocks(self, done: int, total: int, label: str) -> None:
        units = f"{self.units}/{self.total} units; " if self.total else ""
        self._show(f"habitat: {units}{label}: block {done}/{total}")

    def _show(self, text: str) -> None:
        text = text[:110]
        self.stream.write("\r" + text + " " * max(0, self.width - len(text)))
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


class Ctx:
    """Options shared by every command."""

    def __init__(self, verbosity: int, show_traceback: bool, strict: bool = False):
        self.verbosity = verbosity
        self.show_traceback = show_traceback
        self.strict = strict


def _setup_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-1, min(verbosity, 2)), logging.DEBUG)
    logging.basicConfig(level=level, format="rangemap: %(message)s", stream=sys.stderr,
                        force=True)
    # GDAL's own messages (e.g. about a damaged TIFF) repeat what our one-line error
    # says, and its debug output is thousands of lines: warnings with -v, debug
    # only with -vvv.
    lib_level = (logging.DEBUG if verbosity >= 3 else logging.WARNING if verbosity >= 1
                 else logging.ERROR)
    for name in ("rasterio", "pyogrio", "fiona", "urllib3", "distributed"):
        logging.getLogger(name).setLevel(lib_level)


def _shared(ctx: click.Context, param: click.Parameter, value) -> None:
    """Apply a shared option given after the command name to the run's settings."""
    obj = ctx.find_object(Ctx)
    if obj is None or not value:
        return
    if param.name == "verbose":
        obj.verbosity += value
        obj.show_traceback = True
        _setup_logging(obj.verbosity)
    elif param.name == "quiet":
        obj.verbosity -= value
        _setup_logging(obj.verbosity)
    elif param.name == "show_traceback":
        obj.show_traceback = True
    elif param.name == "strict":
        obj.strict = True
        log = current_warnings()
        if log is not None:
            log.strict = True


def _shared_options() -> list[click.Option]:
    """``-v``, ``-q``, ``--traceback``, ``--strict`` for a command (also on the group)."""
    return [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_shared,
                     help="More messages (repeat for debug; -vvv adds GDAL's)."),
        click.Option(["-q", "--quiet"], count=True, expose_value=False, callback=_shared,
                     help="Fewer messages (-qq: no warnings summary)."),
        click.Option(["--traceback", "show_traceback"], is_flag=True, expose_value=False,
                     callback=_shared, help="Show the Python traceback on errors."),
        click.Option(["--strict"], is_flag=True, expose_value=False, callback=_shared,
                     help="Treat warnings as errors: exit 1 and leave earlier outputs "
                     "untouched."),
    ]


@click.group(cls=RangemapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rangemap")
@click.option("-v", "--verbose", count=True, help="More messages (repeat for debug).")
@click.option("-q", "--quiet", count=True, help="Fewer messages.")
@click.option("--traceback", "show_traceback", is_flag=True,
              help="Show the Python traceback on errors.")
@click.option("--strict", is_flag=True,
              help="Treat warnings as errors: exit 1 and leave earlier outputs untouched.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int, show_traceback: bool,
        strict: bool) -> None:
    """Map species habitat from documents, boundaries and elevation rasters.

    \b
    Examples:
      rangemap build                      # embedded documents, DEMs, boundaries -> outputs/
      rangemap extract --json data/documents/*.txt
      rangemap habitat --range ranges.geojson --dem dem.tif --min-elevation 2500 -o h.gpkg
    """
    verbosity = verbose - quiet
    _setup_logging(verbosity)
    ctx.obj = Ctx(verbosity, show_traceback or verbose > 0, strict)
    log = current_warnings()
    if log is not None and strict:
        log.strict = True


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


def _iucn_options(f):
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


def _engine_options(f):
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


def _aoh_options(f):
    """Apply :data:`AOH_OPTIONS`."""
    for opt in reversed(AOH_OPTIONS):
        f = opt(f)
    return f


def _aoh(kw: dict, composition: bool):
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


def _dem_option(default_help: str):
    return click.option(
        "--dem", "dems", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
        help=f"Elevation raster (GeoTIFF/COG/VRT, any CRS); repeat for several, finest wins. "
        f"{default_help}")


@cli.command()
@click.option("--docs", type=click.Path(path_type=Path), default=None,
              help="A UTF-8 .txt document or a folder of them. Default: the embedded "
              "documents (data/documents in rangemap's data folder).")
@_dem_option("Default: the embedded GLOBE 30″ and 5′ grids (data/elevation).")
@click.option("--boundaries", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="GeoPackage with layers admin0 and admin1. Default: the "
              "embedded Natural Earth boundaries (data/boundaries).")
@click.option("--country-field", default=None,
              help="With a user's admin-1 file as --boundaries: field with the ISO alpha-3 "
              "country code (GADM GID_0, geoBoundaries shapeGroup, Natural Earth adm0_a3).")
@click.option("--name-field", default=None,
              help="With a user's admin-1 file: field with the unit name (GADM NAME_1, "
              "geoBoundaries shapeName, Natural Earth name).")
@click.option("--id-field", default=None,
              help="With a user's admin-1 file: unique unit id kept as admin1_id (GID_1, shapeID).")
@click.option("--ranges", "ranges_yaml", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Reviewed ranges.yaml (from 'rangemap extract -o') to use "
              "instead of the documents.")
@click.option("--range", "range_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Published range polygons (e.g. an IUCN range shapefile) to use "
              "instead of the documents' places.")
@click.option("--taxon-field", default="sci_name", show_default=True,
              help="Field of --range naming the taxon.")
@_iucn_options
@click.option("--min-elevation", type=METRES, default=None,
              help="Lower limit (m) for every taxon, overriding the documents.")
@click.option("--max-elevation", type=METRES, default=None,
              help="Upper limit (m) for every taxon, overriding the documents.")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("outputs"), show_default=True, help="Output folder.")
@click.option("--elevation-margin", type=click.FloatRange(min=0), default=100.0,
              show_default=True, help="Metres added to / removed from the band for the "
              "sensitivity areas (area_km2_wide, area_km2_narrow).")
@click.option("--force", is_flag=True,
              help="Rebuild everything, even when nothing changed since the last build.")
@click.option("--figures/--no-figures", default=True, show_default=True,
              help="Write OUT/figures/<taxon>.png and .svg, static maps for reports.")
@click.option("--include-uncertain", is_flag=True,
              help="Also map places the documents give as possible/probable only.")
@click.option("--self-contained", is_flag=True,
              help="Write each map page as one file with everything inlined (for mailing one "
              "map) instead of sharing Leaflet, outlines and relief from OUT/maps/assets/.")
@click.option("--band-layers/--no-band-layers", default=True, show_default=True,
              help="Draw the habitat with the band widened/narrowed by --elevation-margin as "
              "optional layers on the taxon pages.")
@_aoh_options
@_engine_options
@click.pass_obj
def build(obj: Ctx, docs: Path | None, dems: tuple[Path, ...], boundaries: Path | None,
          ranges_yaml: Path | None, range_file: Path | None, taxon_field: str,
          presence: tuple[int, ...], origin: tuple[int, ...], seasonal: tuple[int, ...],
          where: str | None,
          min_elevation: float | None, max_elevation: float | None, out: Path,
          country_field: str | None, name_field: str | None, id_field: str | None,
          elevation_margin: float, force: bool, figures: bool, include_uncertain: bool,
          self_contained: bool, band_layers: bool, workers: int,
          scheduler: str | None, **aoh_kw) -> None:
    """Documents -> ranges -> habitat -> GeoJSON, GeoPackage, summary, maps and figures.

    \b
    Writes OUT/geojson/ranges.geojson, OUT/geojson/habitat.geojson, OUT/rangemap.gpkg,
    OUT/maps/index.html (+ one page per taxon), OUT/figures/<taxon>.png/.svg,
    OUT/summary.csv, OUT/manifest.json.

    \b
    Examples:
      rangemap build
      rangemap build --docs my_texts/ --dem glo90.vrt --dem data/elevation/pvlib_altitude_5min.tif
      rangemap extract data/documents/*.txt -o ranges.yaml   # review, edit, then:
      rangemap build --ranges ranges.yaml --out outputs/reviewed
      rangemap build --range MAMMALS.shp --presence 1,2 --origin 1,2 --seasonal 1,2,3
      rangemap build --boundaries gadm41_IND_1.gpkg --country-field GID_0 --name-field NAME_1
      rangemap build --min-slope 20 --habitats 1.4,3.7 --habitat-filter
      rangemap build --landcover worldcover.tif --landcover-legend esa-worldcover
    """
    from rangemap.pipeline import build as run_build

    aoh = _aoh(aoh_kw, composition=True)

    if ranges_yaml is not None and range_file is not None:
        raise click.BadParameter("give --ranges or --range, not both", param_hint="'--range'")
    _check_band(min_elevation, max_elevation)
    if (country_field is None) != (name_field is None):
        raise click.BadParameter("--country-field and --name-field go together",
                                 param_hint="'--country-field'")
    fields = None if country_field is None else {
        "country_field": country_field, "name_field": name_field, "id_field": id_field}
    # Progress only for people watching a terminal, never in logs or pipes.
    bar = _Bar() if obj.verbosity >= 0 and sys.stderr.isatty() else None
    try:
        res = run_build(boundary_fields=fields, docs=docs, dems=list(dems) or None,
                        boundaries=boundaries, ranges_yaml=ranges_yaml, out=out,
                        range_file=range_file, taxon_field=taxon_field,
                        iucn_codes={"presence": presence, "origin": origin,
                                    "seasonal": seasonal}, range_where=where,
                        min_elevation=min_elevation, max_elevation=max_elevation, force=force,
                        elevation_margin=elevation_margin, progress=bar, workers=workers,
                        scheduler=scheduler, figures=figures, include_uncertain=include_uncertain,
                        self_contained=self_contained, band_layers=band_layers, aoh=aoh)
    finally:
        if bar is not None:
            bar.close()
    if res.up_to_date:
        if obj.verbosity >= 0:
            click.echo(f"{out}: up to date, nothing changed since the last build "
                       "(--force rebuilds)", err=True)
        return
    if obj.verbosity >= 0:
        for t in res.taxa:
            click.echo(f"{t['name']} ({t['scientific_name'] or t['rank']}): "
                       f"{_plural(t['units'], 'unit')}, "
                       f"habitat {t['habitat_km2']:,.0f} km² of {t['range_km2']:,.0f} km² range",
                       err=True)
        if res.skipped:
            click.echo(f"not mapped (no range units): {', '.join(res.skipped)}", err=True)
        if res.reused:
            click.echo(f"habitat reused for {len(res.reused)} unchanged taxa, computed for "
                       f"{len(res.rebuilt)}", err=True)
        click.echo(f"wrote {len(res.files)} files to {out} in {res.timings['total_s']:.1f} s; "
                   f"open {out / 'maps' / 'index.html'}", err=True)


@cli.command()
@click.argument("docs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print the ranges as JSON (default: the YAML of -o; nothing with -o).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the ranges as YAML (for review and 'rangemap build --ranges').")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file.")
@click.option("--boundaries", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="GeoPackage whose names (and aliases.csv beside it) are the "
              "gazetteer. Default: the embedded boundaries (data/boundaries).")
@click.option("--include-uncertain", is_flag=True,
              help="Also map places given as possible/probable only (they are listed under "
              "'excluded' otherwise).")
def extract(docs: tuple[Path, ...], as_json: bool, output: Path | None, overwrite: bool,
            boundaries: Path | None, include_uncertain: bool) -> None:
    """Find species, places and elevation limits in documents, with evidence.

    \b
    Examples:
      rangemap extract --json data/documents/002_6a169be1f87737dc.txt
      rangemap extract data/documents/*.txt -o ranges.yaml
    """
    from rangemap.extract import extract_documents
    from rangemap.gazetteer import Gazetteer
    from rangemap.pipeline import default_boundaries, document_paths

    if output is not None and output.exists() and not overwrite:
        raise click.BadParameter(f"{output} exists; add --overwrite to replace it",
                                 param_hint="'-o/--output'")
    _check_out_folder(output, "'-o/--output'")
    files: list[Path] = []
    for d in docs:
        files.extend(document_paths(d))
    result = extract_documents(files, Gazetteer.load(boundaries or default_boundaries()),
                               include_uncertain=include_uncertain)
    # Never silent: each probably-wrong result is in the output's 'warnings' and in the
    # run's warning summary on stderr (--strict: exit 1 before anything is written).

    for w in result["warnings"]:
        warn(w["code"], w["message"])
    check_strict()
    text = yaml.safe_dump(result, sort_keys=False, allow_unicode=True, width=100)
    if output is not None:
        write_text_atomic(output, text)
    # --json prints JSON; without it the ranges are printed as the reviewable YAML of
    # -o (and nothing is printed when -o writes them), so the flag always means something.
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    elif output is None:
        click.echo(text, nl=False)


def _range_band_options(f):
    """--range, --layer, --dem, --min-elevation, --max-elevation (``habitat`` and ``area``)."""
    for opt in reversed([
        click.option("--range", "range_file", required=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="Polygon file of range units (GeoJSON, GeoPackage, shapefile, "
                     "FlatGeobuf)."),
        click.option("--layer", default=None,
                     help="Layer of --range to read (default: the first)."),
        _dem_option("Required."),
        click.option("--min-elevation", type=METRES, default=None,
                     help="Lower limit, metres (give it, --max-elevation, or both; an upper "
                     "limit alone has no lower limit)."),
        click.option("--max-elevation", type=METRES, default=None, help="Upper limit, metres."),
    ]):
        f = opt(f)
    return f


def _check_band(min_elevation: float | None, max_elevation: float | None) -> None:
    """An empty band is a usage error before any work (the rule: :mod:`rangemap.bands`)."""
    try:
        check_band(min_elevation, max_elevation, "--max-elevation", "--min-elevation",
                   "--max-elevation")
    except UsageError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[1],
                                 param_hint="'--max-elevation'") from None


@cli.command()
@_range_band_options
@_iucn_options
@click.option("-o", "--out", "out_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Output file: .geojson, .gpkg or .fgb (with --no-polygons: .csv).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--polygons/--no-polygons", default=True, show_default=True,
              help="--no-polygons skips polygonizing and writes the area table "
              "('rangemap area') to a .csv file.")
@_aoh_options
@_engine_options
def habitat(range_file: Path, layer: str | None, dems: tuple[Path, ...],
            min_elevation: float | None,
            max_elevation: float | None, presence: tuple[int, ...], origin: tuple[int, ...],
            seasonal: tuple[int, ...], where: str | None, out_file: Path, overwrite: bool,
            polygons: bool, workers: int, scheduler: str | None, **aoh_kw) -> None:
    """Habitat of each range feature within an elevation band.

    One output feature per range feature, its attributes kept, plus area_km2,
    elevation_min_m, elevation_max_m and dem_source.  With --no-polygons there is
    no habitat geometry to write: the output is the area table of 'rangemap area'
    and must be a .csv file.

    \b
    Example:
      rangemap habitat --range outputs/geojson/ranges.geojson \\
        --dem data/elevation/globe30s_55e90e_20n50n.tif --min-elevation 2500 -o habitat.gpkg
      rangemap habitat --range r.gpkg --dem glo90.vrt --min-elevation 2500 -o h.fgb --workers 2
    """
    from rangemap.pipeline import DRIVERS

    if not dems:
        raise click.BadParameter("give at least one --dem", param_hint="'--dem'")
    if min_elevation is None and max_elevation is None:
        raise click.BadParameter("give --min-elevation, --max-elevation or both (the band)",
                                 param_hint="'--min-elevation'")
    _check_band(min_elevation, max_elevation)
    aoh = _aoh(aoh_kw, composition=False)
    if not polygons and out_file.suffix.lower() != ".csv":
        raise click.BadParameter(f"{out_file}: --no-polygons writes a table, use a .csv file "
                                 "name (or 'rangemap area')", param_hint="'-o/--out'")
    if polygons and out_file.suffix.lower() not in DRIVERS:
        raise click.BadParameter(f"{out_file}: use a .geojson, .gpkg or .fgb file name",
                                 param_hint="'-o/--out'")
    if out_file.exists() and not overwrite:
        raise click.BadParameter(f"{out_file} exists; add --overwrite to replace it",
                                 param_hint="'-o/--out'")
    _check_out_folder(out_file, "'-o/--out'")
    gdf = _read_range(range_file, layer, where, presence, origin, seasonal)
    if not polygons:
        n, area = _write_area_table(gdf, dems, min_elevation, max_elevation, layer,
                                    workers, scheduler, out_file, aoh)
        click.echo(f"wrote {n} rows, habitat {area:,.1f} km², to {out_file}", err=True)
        return
    from rangemap.pipeline import habitat_file

    bar = _Bar() if sys.stderr.isatty() else None  # progress only on a terminal
    try:
        n, area = habitat_file(gdf, list(dems), min_elevation, max_elevation, out_file,
                               layer, workers=workers, scheduler=scheduler, progress=bar,
                               aoh=aoh)
    finally:
        if bar is not None:
            bar.close()
    click.echo(f"wrote {_plural(n, 'feature')}{_of(gdf)}, habitat {area:,.1f} km², to "
               f"{out_file}", err=True)


def _read_range(range_file: Path, layer: str | None, where: str | None,
                presence: tuple[int, ...], origin: tuple[int, ...],
                seasonal: tuple[int, ...]):
    """The features of --range that count: --where, then the IUCN codes."""
    from rangemap.ranges import read_range_file

    return read_range_file(range_file, layer, where,
                           {"presence": presence, "origin": origin, "seasonal": seasonal})


def _of(gdf) -> str:
    """`` of N`` when --where or the IUCN codes dropped features."""
    total = gdf.attrs.get("features", len(gdf))
    return f" of {total}" if total != len(gdf) else ""


def _check_out_folder(path: Path | None, hint: str) -> None:
    """A file output into a folder that does not exist is a usage error (not created silently:
    a typo in the folder name would hide the output)."""
    if path is not None and not path.parent.is_dir():
        raise click.BadParameter(f"{path}: folder {path.parent} does not exist; create it "
                                 f"first (mkdir -p {path.parent})", param_hint=hint)


def _plural(n: int, word: str) -> str:
    """``1 unit``, ``2 units``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _write_area_table(gdf, dems, min_elevation, max_elevation, layer, workers,
                      scheduler, out_file, aoh=None) -> tuple[int, float]:
    from rangemap.aoh import area_table

    # ``gdf`` is the range file as read and filtered by _read_range (passed through).
    table = area_table(gdf, list(dems), min_elevation, max_elevation, layer,
                       workers=workers, scheduler=scheduler, aoh=aoh)
    from rangemap.dem import DemStack, resolution_labels, resolutions_text
    from rangemap.pipeline import coverage_warnings

    with DemStack(list(dems)) as stack:  # the cell size of each DEM, by name
        labels = resolution_labels(stack)
    table = table.drop(columns="dem_resolution", errors="ignore")  # the input's, if any
    cols = list(table.columns)
    pos = cols.index("dem_coverage") if "dem_coverage" in cols else len(cols)
    table.insert(pos, "dem_resolution", [
        resolutions_text(s.split("+") if isinstance(s, str) and s else (), labels)
        for s in table["dem_source"]])
    name = Path(gdf.attrs.get("source", "range")).name
    coverage_warnings(table, lambda _row, i: f"{name} feature {i + 1}")
    check_strict()  # --strict: nothing written
    text = table.to_csv(index=False, lineterminator="\n")
    if out_file is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out_file, text)
    return len(table), float(table["area_km2"].sum())


@cli.command()
@_range_band_options
@_iucn_options
@click.option("-o", "--out", "out_file", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Write the table to this .csv file (default: print it).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_aoh_options
@_engine_options
def area(range_file: Path, layer: str | None, dems: tuple[Path, ...], min_elevation: float | None,
         max_elevation: float | None, presence: tuple[int, ...], origin: tuple[int, ...],
         seasonal: tuple[int, ...], where: str | None, out_file: Path | None, overwrite: bool,
         workers: int, scheduler: str | None, **aoh_kw) -> None:
    """Habitat area of each range feature, without polygons (fast).

    One CSV row per range feature: its attributes, then area_km2 (exact ellipsoidal
    area of the habitat cells), cells, aoo_km2, habitat_elev_min_m/mean/max,
    area_km2_wide/narrow (band +/- 100 m), dem_source, dem_coverage, and the AOH
    columns (range_km2, elevation_km2, prevalence, criteria, fallback, slope and
    land-cover fields).

    \b
    Examples:
      rangemap area --range ranges.gpkg --dem glo90.vrt --min-elevation 2500
      rangemap area --range ranges.gpkg --dem glo90.vrt --min-elevation 2500 \\
        --workers 2 -o table.csv
    """
    if not dems:
        raise click.BadParameter("give at least one --dem", param_hint="'--dem'")
    if min_elevation is None and max_elevation is None:
        raise click.BadParameter("give --min-elevation, --max-elevation or both (the band)",
                                 param_hint="'--min-elevation'")
    _check_band(min_elevation, max_elevation)
    aoh = _aoh(aoh_kw, composition=False)
    if out_file is not None and out_file.exists() and not overwrite:
        raise click.BadParameter(f"{out_file} exists; add --overwrite to replace it",
                                 param_hint="'-o/--out'")
    _check_out_folder(out_file, "'-o/--out'")
    gdf = _read_range(range_file, layer, where, presence, origin, seasonal)
    n, total = _write_area_table(gdf, dems, min_elevation, max_elevation, layer,
                                 workers, scheduler, out_file, aoh)
    if out_file is not None:
        click.echo(f"wrote {_plural(n, 'row')}{_of(gdf)}, habitat {total:,.1f} km², to "
                   f"{out_file}", err=True)


@cli.command()
@click.option("--occurrences", "occurrences", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Occurrence records: a Darwin Core CSV or a GBIF download (TSV) with "
              "decimalLatitude, decimalLongitude, scientificName.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("outputs"), show_default=True,
              help="Folder of the build to validate (its geojson/ and manifest.json).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Where to write the report (default: OUT/validation).")
@click.option("--dem", "dems", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="DEM whose cells thin the points (repeatable; default: the build's DEMs).")
@click.option("--min-points", type=click.IntRange(min=1), default=10, show_default=True,
              help="Fewest points (one per cell) in the range for a point prevalence.")
@click.option("--boundaries", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Country outlines under the map pages. Default: the "
              "embedded boundaries (data/boundaries).")
@click.option("--maps/--no-maps", default=True, show_default=True,
              help="Write map pages with the points (REPORT/maps).")
@click.pass_obj
def validate(obj: Ctx, occurrences: Path, out: Path, report_dir: Path | None,
             dems: tuple[Path, ...], min_points: int, boundaries: Path | None,
             maps: bool) -> None:
    """Point prevalence of a build's habitat against occurrence records.

    Of the records in a taxon's range (one per DEM cell), the share in its
    habitat (Dahal et al. 2022); needs --min-points cells, else "not enough
    points".  Writes point_prevalence.csv/.json, occurrences.geojson and map
    pages with the points to OUT/validation (or --report).

    \b
    Examples:
      rangemap validate --occurrences gbif_download.csv
      rangemap validate --occurrences data/occurrences/capra_sibirica_gbif.csv \\
        --out outputs/ibex
    """
    from rangemap.pipeline import default_boundaries
    from rangemap.validate import validate_build

    res = validate_build(occurrences, out, report_dir, list(dems) or None, min_points,
                         boundaries or default_boundaries(), maps)
    if obj.verbosity >= 0:
        for r in res.rows:
            pp = r["point_prevalence"]
            click.echo(f"{r['species']} ({r['scientific_name']}): {r['records']} records, "
                       f"{r['cells_in_range']} cells in range, {r['cells_in_habitat']} in "
                       f"habitat, point prevalence "
                       f"{'-' if pp is None else format(pp, '.3f')} (area prevalence "
                       f"{r['area_prevalence']}): {r['status']}", err=True)
        if res.unmatched:
            n = sum(res.unmatched.values())
            click.echo(f"{n} records name no taxon of the build", err=True)
        click.echo(f"wrote {len(res.files)} files to {res.files[0].parent}", err=True)


@cli.command("fetch-dem")
@click.option("--bounds", nargs=4, type=float, required=True, metavar="W S E N",
              help="Area to cover, degrees west south east north (lon/lat).")
@click.option("--product", type=click.Choice(["glo90", "glo30"]), default="glo90",
              show_default=True, help="Copernicus DEM GLO-90 (3″, ~90 m) or GLO-30 (1″, ~30 m).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Tile cache folder (reused across runs). "
              "Default: $XDG_CACHE_HOME/rangemap/copernicus-dem.")
@click.option("--yes", is_flag=True, help="Allow downloading more than --max-tiles tiles.")
@click.option("--max-tiles", type=click.IntRange(min=1), default=20, show_default=True,
              help="Ask for --yes above this many 1° tiles.")
@click.pass_obj
def fetch_dem(obj: Ctx, bounds: tuple[float, float, float, float], product: str,
              cache_dir: Path | None, yes: bool, max_tiles: int) -> None:
    """Download Copernicus DEM tiles for an area and print the path of a VRT over them.

    Tiles are 1° × 1° COGs kept in a cache with a sha256 manifest, so a rerun
    downloads nothing.  Tiles over open ocean do not exist and are skipped.
    Prints the VRT path on stdout; use it with --dem.

    \b
    Examples:
      rangemap fetch-dem --bounds 86 27 88 29
      rangemap build --dem "$(rangemap fetch-dem --bounds 86 27 88 29)"
    """
    from rangemap.fetch import default_cache_dir
    from rangemap.fetch import fetch_dem as run_fetch

    progress = None
    if obj.verbosity >= 0 and sys.stderr.isatty():
        def progress(i: int, total: int, name: str, status: str) -> None:
            click.echo(f"[{i}/{total}] {name}: {status}", err=True)

    try:
        res = run_fetch(bounds, product, cache_dir or default_cache_dir(), yes=yes,
                        max_tiles=max_tiles, progress=progress)
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="'--bounds'") from None
    if obj.verbosity >= 0:
        ocean = f", {len(res.missing)} ocean (no tile)" if res.missing else ""
        click.echo(f"{len(res.tiles)} tiles: {res.downloaded} downloaded, {res.cached} cached"
                   f"{ocean}", err=True)
    click.echo(str(res.vrt_path))


def main(argv: list[str] | None = None) -> None:
    """Entry point for the console script and ``python -m rangemap``."""
    cli.main(args=argv, prog_name="rangemap")


__all__ = ["cli", "main"]
