"""``rangemap habitat``: habitat polygons of each feature of a range file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rangemap.cli.area import write_area_table
from rangemap.cli.options import (
    aoh_from,
    aoh_options,
    check_band_given,
    check_output,
    engine_options,
    iucn_options,
    of_total,
    plural,
    range_band_options,
    read_range,
)
from rangemap.cli.progress import Bar

# The stages (aoh, pipeline, ranges, extract, gazetteer, validate, rasters) are imported
# inside the command: they load geopandas, rasterio and folium (seconds), which
# `rangemap --help` and a usage error should not wait for.


@click.command()
@range_band_options
@iucn_options
@click.option("-o", "--out", "out_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Output file: .geojson, .gpkg or .fgb (with --no-polygons: .csv).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--polygons/--no-polygons", default=True, show_default=True,
              help="--no-polygons skips polygonizing and writes the area table "
              "('rangemap area') to a .csv file.")
@aoh_options
@engine_options
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
    from rangemap.io.vectors import DRIVERS

    check_band_given(dems, min_elevation, max_elevation)
    aoh = aoh_from(aoh_kw, composition=False)
    if not polygons and out_file.suffix.lower() != ".csv":
        raise click.BadParameter(f"{out_file}: --no-polygons writes a table, use a .csv file "
                                 "name (or 'rangemap area')", param_hint="'-o/--out'")
    if polygons and out_file.suffix.lower() not in DRIVERS:
        raise click.BadParameter(f"{out_file}: use a .geojson, .gpkg or .fgb file name",
                                 param_hint="'-o/--out'")
    check_output(out_file, overwrite)
    gdf = read_range(range_file, layer, where, presence, origin, seasonal)
    if not polygons:
        n, area = write_area_table(gdf, dems, min_elevation, max_elevation, layer,
                                    workers, scheduler, out_file, aoh)
        click.echo(f"wrote {n} rows, habitat {area:,.1f} km², to {out_file}", err=True)
        return
    from rangemap.pipeline import habitat_file

    bar = Bar() if sys.stderr.isatty() else None  # progress only on a terminal
    try:
        n, area = habitat_file(gdf, list(dems), min_elevation, max_elevation, out_file,
                               layer, workers=workers, scheduler=scheduler, progress=bar,
                               aoh=aoh)
    finally:
        if bar is not None:
            bar.close()
    click.echo(f"wrote {plural(n, 'feature')}{of_total(gdf)}, habitat {area:,.1f} km², to "
               f"{out_file}", err=True)


