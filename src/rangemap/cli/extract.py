"""``rangemap extract``: species, places and elevation limits found in documents."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from rangemap.cli.options import (
    check_output,
)
from rangemap.errors import check_strict, warn
from rangemap.fsutil import write_text_atomic

# The stages (aoh, pipeline, ranges, extract, gazetteer, validate, rasters) are imported
# inside the command: they load geopandas, rasterio and folium (seconds), which
# `rangemap --help` and a usage error should not wait for.


@click.command()
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

    check_output(output, overwrite, "'-o/--output'")
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


