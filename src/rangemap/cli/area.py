"""``rangemap area``: the habitat area table of a range file (no polygons)."""

from __future__ import annotations

from pathlib import Path

import click

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
from rangemap.errors import check_strict
from rangemap.fsutil import write_text_atomic

# The stages (aoh, pipeline, ranges, extract, gazetteer, validate, rasters) are imported
# inside the command: they load geopandas, rasterio and folium (seconds), which
# `rangemap --help` and a usage error should not wait for.


def write_area_table(gdf, dems, min_elevation, max_elevation, layer, workers,
                     scheduler, out_file, aoh=None) -> tuple[int, float]:
    """Compute the area table of ``gdf`` (the range file as read and filtered by
    :func:`read_range`) and print it or write it to ``out_file``; (rows, total km²)."""
    from rangemap.aoh import area_table
    from rangemap.pipeline import coverage_warnings

    table = area_table(gdf, list(dems), min_elevation, max_elevation, layer,
                       workers=workers, scheduler=scheduler, aoh=aoh)
    name = Path(gdf.attrs.get("source", "range")).name
    coverage_warnings(table, lambda _row, i: f"{name} feature {i + 1}")
    check_strict()  # --strict: nothing written
    text = table.to_csv(index=False, lineterminator="\n")
    if out_file is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out_file, text)
    return len(table), float(table["area_km2"].sum())


@click.command()
@range_band_options
@iucn_options
@click.option("-o", "--out", "out_file", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Write the table to this .csv file (default: print it).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@aoh_options
@engine_options
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
    check_band_given(dems, min_elevation, max_elevation)
    aoh = aoh_from(aoh_kw, composition=False)
    check_output(out_file, overwrite)
    gdf = read_range(range_file, layer, where, presence, origin, seasonal)
    n, total = write_area_table(gdf, dems, min_elevation, max_elevation, layer,
                                 workers, scheduler, out_file, aoh)
    if out_file is not None:
        click.echo(f"wrote {plural(n, 'row')}{of_total(gdf)}, habitat {total:,.1f} km², to "
                   f"{out_file}", err=True)


