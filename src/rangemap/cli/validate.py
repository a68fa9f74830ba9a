"""``rangemap validate``: point prevalence of a build against occurrence records."""

from __future__ import annotations

from pathlib import Path

import click

from rangemap.cli.group import Ctx

# The stages (aoh, pipeline, ranges, extract, gazetteer, validate, rasters) are imported
# inside the command: they load geopandas, rasterio and folium (seconds), which
# `rangemap --help` and a usage error should not wait for.


@click.command()
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


