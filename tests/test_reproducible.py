"""build --force on identical inputs writes byte-identical files (manifest: one `created`)."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from rangemap.cli import cli

RANGES = {"species": [{
    "name": "test deer", "scientific_name": "Testus cervus", "rank": "species",
    "countries": [{"iso3": "AAA", "name": "Aland", "evidence": []},
                  {"iso3": "BBB", "name": "Beeland", "evidence": []}], "admin1": [],
    "elevation_min_m": 2000, "elevation_max_m": None}]}


def _snapshot(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def _build(w):
    ry = w["dir"] / "r.yaml"
    ry.write_text(yaml.safe_dump(RANGES), encoding="utf-8")
    res = CliRunner().invoke(cli, ["build", "--ranges", str(ry), "--dem", str(w["dem"]),
                                   "--boundaries", str(w["boundaries"]), "--out",
                                   str(w["dir"] / "out"), "--force"])
    assert res.exit_code == 0, res.output
    return _snapshot(w["dir"] / "out")


def test_force_rebuild_is_byte_identical_with_source_date_epoch(tiny_world, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = _build(tiny_world)
    second = _build(tiny_world)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    manifest = json.loads(first["manifest.json"])
    assert manifest["created"] == "2023-11-14T22:13:20.000Z"
    page = first["maps/index.html"].decode()
    assert "map_00000000000000000000000000000001" in page  # Folium's random ids numbered


def test_without_source_date_epoch_only_created_differs(tiny_world, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = _build(tiny_world)
    second = _build(tiny_world)
    assert [k for k in first if first[k] != second[k]] in ([], ["manifest.json"])
    a, b = (json.loads(s["manifest.json"]) for s in (first, second))
    a.pop("created"), b.pop("created")
    assert a == b
