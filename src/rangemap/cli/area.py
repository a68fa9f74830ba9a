"""``rangemap area``: the habitat area table of a range file (no polygons)."""

from __future__ import annotations

from pathlib import Path

import click

from rangemap.cli.options import (
    aoh_from,
    aoh_options,
    check_band_options,
    check_out_folder,
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
    from rangemap.aoh import area_table

    # ``gdf`` is the range file as read and filtered by read_range (passed through).
    table = area_table(gdf, list(dems), min_elevation, max_elevation, layer,
                       workers=workers, scheduler=scheduler, aoh=aoh)
    from rangemap.pipeline import coverage_warnings
    from rangemap.rasters.dem import DemStack, resolution_labels, resolutions_text

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
    if not dems:
        raise click.BadParameter("give at least one --dem", param_hint="'--dem'")
    if min_elevation is None and max_elevation is None:
        raise click.BadParameter("give --min-elevation, --max-elevation or both (the band)",
                                 param_hint="'--min-elevation'")
    check_band_options(min_elevation, max_elevation)
    aoh = aoh_from(aoh_kw, composition=False)
    if out_file is not None and out_file.exists() and not overwrite:
        raise click.BadParameter(f"{out_file} exists; add --overwrite to replace it",
                                 param_hint="'-o/--out'")
    check_out_folder(out_file, "'-o/--out'")
    gdf = read_range(range_file, layer, where, presence, origin, seasonal)
    n, total = write_area_table(gdf, dems, min_elevation, max_elevation, layer,
                                 workers, scheduler, out_file, aoh)
    if out_file is not None:
        click.echo(f"wrote {plural(n, 'row')}{of_total(gdf)}, habitat {total:,.1f} km², to "
                   f"{out_file}", err=True)


