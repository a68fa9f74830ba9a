"""ranges.yaml has one source of truth: every field a reviewer edits changes the result,
and an edit that makes ``units`` disagree with ``countries``/``admin1`` is an error naming
both lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rangemap.cli import cli

DOC = ("Test musk deer\nThe test musk deer (Moschus testus) is found in Aland and in Upper Bee "
       "of Beeland, above altitudes of 4,000 m.\n")


def _extract(w) -> dict:
    doc = w["dir"] / "deer.txt"
    doc.write_text(DOC, encoding="utf-8")
    ry = w["dir"] / "ranges.yaml"
    res = CliRunner().invoke(cli, ["extract", str(doc), "--boundaries", str(w["boundaries"]),
                                   "-o", str(ry)])
    assert res.exit_code == 0, res.output
    return yaml.safe_load(ry.read_text(encoding="utf-8"))


def _build(w, data: dict):
    ry = w["dir"] / "edited.yaml"
    ry.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return CliRunner().invoke(cli, ["build", "--ranges", str(ry), "--dem", str(w["dem"]),
                                    "--boundaries", str(w["boundaries"]), "--out",
                                    str(w["dir"] / "out")]), ry


def _result(w) -> dict:
    fc = json.loads((w["dir"] / "out/geojson/habitat.geojson").read_text())
    return {(f["properties"]["iso3"], f["properties"]["admin1"]): f["properties"]["habitat_cells"]
            for f in fc["features"]}


def _drop(items: list, **match) -> list:
    return [x for x in items if any(x.get(k) != v for k, v in match.items())]


def _line_of(path: Path, needle: str, after: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, t in enumerate(lines) if t.startswith(after))
    return next(i for i, t in enumerate(lines) if i >= start and needle in t) + 1


def test_unedited_file_builds(tiny_world) -> None:
    res, _ = _build(tiny_world, _extract(tiny_world))
    assert res.exit_code == 0, res.output
    # AAA lies below 4000 m; North Bee (BBB, north half) has 16 cells at or above it.
    assert _result(tiny_world) == {("AAA", None): 0, ("BBB", "North Bee"): 16}


def _edit(data: dict, fn) -> dict:
    rec = data["species"][0]
    fn(rec)
    return data


EDITS = {
    "country removed from countries and units": (
        lambda r: r.update(countries=_drop(r["countries"], iso3="AAA"),
                           units=_drop(r["units"], iso3="AAA")),
        {("BBB", "North Bee"): 16}),
    "units list removed, country removed": (
        lambda r: (r.pop("units"), r.update(countries=_drop(r["countries"], iso3="AAA"))),
        {("BBB", "North Bee"): 16}),
    "units list removed, admin1 removed": (
        lambda r: (r.pop("units"), r.update(admin1=[])),
        {("AAA", None): 0, ("BBB", None): 32}),
    "admin1 renamed in admin1 and units": (
        lambda r: (r["admin1"][0].update(boundary_name="South Bee"),
                   next(u for u in r["units"] if u["admin1"]).update(admin1="South Bee")),
        {("AAA", None): 0, ("BBB", "South Bee"): 16}),
    "lower limit lowered": (
        lambda r: r.update(elevation_min_m=3500),
        {("AAA", None): 3, ("BBB", "North Bee"): 16}),
    "upper limit added": (
        lambda r: r.update(elevation_max_m=5200),
        {("AAA", None): 0, ("BBB", "North Bee"): 7}),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_each_edit_changes_the_result(tiny_world, name) -> None:
    fn, expected = EDITS[name]
    res, _ = _build(tiny_world, _edit(_extract(tiny_world), fn))
    assert res.exit_code == 0, res.output
    assert _result(tiny_world) == expected


def test_country_removed_only_from_countries_names_both_lines(tiny_world) -> None:
    data = _edit(_extract(tiny_world),
                 lambda r: r.update(countries=_drop(r["countries"], iso3="AAA")))
    res, ry = _build(tiny_world, data)
    assert res.exit_code == 1
    units_line = _line_of(ry, "iso3: AAA", "  units:")
    assert f"units (line {units_line}) has AAA but countries (line " in res.output
    assert "delete the 'units:' list" in res.output
    assert not (tiny_world["dir"] / "out").exists()


def test_unit_removed_only_from_units_names_both_lines(tiny_world) -> None:
    data = _edit(_extract(tiny_world), lambda r: r.update(units=_drop(r["units"], iso3="AAA")))
    res, ry = _build(tiny_world, data)
    assert res.exit_code == 1
    country_line = _line_of(ry, "iso3: AAA", "  countries:")
    assert f"countries (line {country_line}) lists AAA but units (line " in res.output


def test_admin1_removed_only_from_admin1_is_refused(tiny_world) -> None:
    res, _ = _build(tiny_world, _edit(_extract(tiny_world), lambda r: r.update(admin1=[])))
    assert res.exit_code == 1
    assert "countries (line" in res.output and "units (line" in res.output
    assert "first-level units North Bee of BBB" in res.output


def test_extracted_embedded_documents_agree(tmp_path) -> None:
    """No false alarm: what the extractor writes always passes the check."""
    from rangemap.extract import extract_documents
    from rangemap.gazetteer import Gazetteer
    from rangemap.pipeline import default_boundaries, default_docs, document_paths
    from rangemap.ranges import Boundaries, load_ranges_yaml

    result = extract_documents(document_paths(default_docs()),
                               Gazetteer.load(default_boundaries()))
    ry = tmp_path / "ranges.yaml"
    ry.write_text(yaml.safe_dump(result, sort_keys=False, allow_unicode=True, width=100),
                  encoding="utf-8")
    records = load_ranges_yaml(ry, Boundaries.load(default_boundaries()))
    assert sum(len(r["units"]) for r in records) > 20


_LAYOUTS = {
    # what 'extract -o' writes: species items at column 0, other keys after
    "extract": {"species": [{"name": "a", "admin1": [{"name": "x", "evidence": []}],
                             "note": "a long sentence " * 12},
                            {"name": "b", "elevation_min_m": 1500.0}],
                "warnings": [{"code": "c", "message": "m"}]},
    "species only": {"species": [{"name": "a"}, {"name": "b", "units": []}]},
    "empty": {"species": []},
}


@pytest.mark.parametrize("name", sorted(_LAYOUTS))
def test_ranges_yaml_parsed_entry_by_entry_is_the_whole_parse(name) -> None:
    from rangemap.ranges import _species_entries, parse_ranges_yaml

    text = yaml.safe_dump(_LAYOUTS[name], sort_keys=False, allow_unicode=True, width=100)
    assert parse_ranges_yaml(text) == yaml.safe_load(text)
    if name != "empty":
        assert _species_entries(text) is not None  # the entry-wise path was taken


@pytest.mark.parametrize("text", [
    # an alias to an anchor of another entry: only the whole parse resolves it
    "species:\n- name: a\n  ev: &e [1, 2]\n- name: b\n  ev: *e\n",
    # indented items, comments, a document marker, an empty key, flow style
    "# reviewed\nspecies:\n  - name: a\n  - name: b\n",
    "---\nspecies:\n- name: a\n",
    "species:\nwarnings: []\n",
    "species: [{name: a}, {name: b}]\n",
    "species:\n- name: a\n# a comment\n\n- name: b\n  elevation_min_m: 1e3\nwarnings:\n- x\n",
])
def test_ranges_yaml_unusual_layouts_parse_as_before(text) -> None:
    from rangemap.ranges import parse_ranges_yaml

    assert parse_ranges_yaml(text) == yaml.safe_load(text)
