"""Command-line interface: the ``rangemap`` group and one module per command.

:mod:`.group` holds the group, its shared options (``-v``, ``-q``, ``--traceback``,
``--strict``) and the only mapping from errors to exit codes (0 success, 1 data error,
2 usage error); :mod:`.options` is the registry of options shared by several commands;
each command is a thin click layer over the library in its own module.
"""

from __future__ import annotations

from rangemap.cli import area, build, extract, fetch_dem, habitat, validate
from rangemap.cli.group import cli

for _command in (build.build, extract.extract, habitat.habitat, area.area, validate.validate,
                 fetch_dem.fetch_dem):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point for the console script and ``python -m rangemap``."""
    cli.main(args=argv, prog_name="rangemap")


__all__ = ["cli", "main"]
