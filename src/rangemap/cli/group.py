"""The ``rangemap`` group: shared options, warnings summary, and the one place that
turns errors into a one-line message and an exit code.

Exit codes: 0 success, 1 data error, 2 usage error.  Errors print one line;
``--traceback`` (or ``-v``) shows the Python traceback too.
"""

from __future__ import annotations

import logging
import sys
import traceback

import click

from rangemap import __version__
from rangemap.errors import (
    RangemapError,
    StrictError,
    UsageError,
    WarningLog,
    collecting,
    current_warnings,
)

log = logging.getLogger("rangemap")

#: Exit code of each error type (the most specific class that matches wins); the library
#: raises domain errors and never chooses an exit code itself.
EXIT_CODES: dict[type[BaseException], int] = {UsageError: 2, StrictError: 1, RangemapError: 1}


def exit_code(exc: BaseException) -> int:
    """The exit code for an error raised by the library (1 unless a usage error)."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


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
            raise Failure(str(exc), exit_code(exc), strict=True) from None
        except RangemapError as exc:
            self._maybe_traceback(ctx)
            raise Failure(str(exc), exit_code(exc)) from None
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
