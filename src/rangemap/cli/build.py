"""``rangemap build``: documents -> ranges -> habitat -> every output of a build folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rangemap.cli.group import Ctx
from rangemap.cli.options import (
    METRES,
    aoh_from,
    aoh_options,
    check_band_options,
    dem_option,
    engine_options,
    iucn_options,
    plural,
)
from rangemap.cli.progress import Bar

# The stages (aoh, pipeline, ranges, extract, gazetteer, validate, rasters) are imported
# inside the command: they load geopandas, rasterio and folium (seconds), which
# `rangemap --help` and a usage error should not wait for.


@click.command()
@click.option("--docs", type=click.Path(path_type=Path), default=None,
              help="A UTF-8 .txt document or a folder of them. Default: the embedded "
              "documents (data/documents in rangemap's data folder).")
@dem_option("Default: the embedded GLOBE 30″ and 5′ grids (data/elevation).")
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
@iucn_options
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
@aoh_options
@engine_options
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

    aoh = aoh_from(aoh_kw, composition=True)

    if ranges_yaml is not None and range_file is not None:
        raise click.BadParameter("give --ranges or --range, not both", param_hint="'--range'")
    check_band_options(min_elevation, max_elevation)
    if (country_field is None) != (name_field is None):
        raise click.BadParameter("--country-field and --name-field go together",
                                 param_hint="'--country-field'")
    fields = None if country_field is None else {
        "country_field": country_field, "name_field": name_field, "id_field": id_field}
    # Progress only for people watching a terminal, never in logs or pipes.
    bar = Bar() if obj.verbosity >= 0 and sys.stderr.isatty() else None
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
                       f"{plural(t['units'], 'unit')}, "
                       f"habitat {t['habitat_km2']:,.0f} km² of {t['range_km2']:,.0f} km² range",
                       err=True)
        if res.skipped:
            click.echo(f"not mapped (no range units): {', '.join(res.skipped)}", err=True)
        if res.reused:
            click.echo(f"habitat reused for {len(res.reused)} unchanged taxa, computed for "
                       f"{len(res.rebuilt)}", err=True)
        click.echo(f"wrote {len(res.files)} files to {out} in {res.timings['total_s']:.1f} s; "
                   f"open {out / 'maps' / 'index.html'}", err=True)


