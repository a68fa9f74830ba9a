"""``rangemap fetch-dem``: Copernicus DEM tiles for an area, and a VRT over them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rangemap.cli.group import Ctx
from rangemap.errors import UsageError

# The stages (aoh, pipeline, ranges, extract, gazetteer, validate, rasters) are imported
# inside the command: they load geopandas, rasterio and folium (seconds), which
# `rangemap --help` and a usage error should not wait for.


@click.command("fetch-dem")
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
    from rangemap.rasters.fetch import default_cache_dir
    from rangemap.rasters.fetch import fetch_dem as run_fetch

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


