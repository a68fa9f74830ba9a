"""Live progress per block: every finished block is reported while the habitat runs."""

from __future__ import annotations

import io

import geopandas as gpd
import yaml
from shapely.geometry import box

from rangemap.cli.progress import Bar
from rangemap.pipeline import build, habitat_file


class Recorder:
    def __init__(self) -> None:
        self.units: list[tuple[int, int, str]] = []
        self.block_calls: list[tuple[int, int, str]] = []

    def __call__(self, n: int, total: int, label: str) -> None:
        self.units.append((n, total, label))

    def blocks(self, done: int, total: int, label: str) -> None:
        self.block_calls.append((done, total, label))


def test_build_reports_every_block(tiny_world, monkeypatch) -> None:
    # 4-cell blocks: the 8x8 DEM is cut into several blocks per unit.
    monkeypatch.setattr("rangemap.engine.BLOCK", 4)
    ry = tiny_world["dir"] / "r.yaml"
    ry.write_text(yaml.safe_dump({"species": [{
        "name": "d", "scientific_name": "Testus cervus",
        "countries": [{"iso3": "AAA"}, {"iso3": "BBB"}], "admin1": [],
        "elevation_min_m": 100, "elevation_max_m": None}]}), encoding="utf-8")
    rec = Recorder()
    build(ranges_yaml=ry, dems=[tiny_world["dem"]], boundaries=tiny_world["boundaries"],
          out=tiny_world["dir"] / "out", progress=rec)
    assert rec.block_calls, "no block reported"
    total = rec.block_calls[-1][1]
    assert [c[0] for c in rec.block_calls] == list(range(1, total + 1))
    assert {c[2] for c in rec.block_calls} == {"testus-cervus"}
    assert sum(n for n, _, _ in rec.units) == 2


def test_habitat_file_reports_blocks(tiny_world) -> None:
    rng = tiny_world["dir"] / "r.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(0, 0, 8, 8)], crs=4326).to_file(rng)
    rec = Recorder()
    habitat_file(rng, [tiny_world["dem"]], 100, None, tiny_world["dir"] / "h.gpkg",
                 progress=rec)
    assert rec.block_calls and rec.block_calls[-1][0] == rec.block_calls[-1][1]
    assert rec.block_calls[-1][2] == "r.gpkg"


def test_terminal_line_is_rewritten_and_cleared() -> None:
    out = io.StringIO()
    bar = Bar(out)
    bar.blocks(1, 3, "testus-cervus")
    bar.blocks(3, 3, "testus-cervus")
    bar(2, 2, "testus-cervus BBB")
    bar.close()
    text = out.getvalue()
    assert "\rhabitat: testus-cervus: block 1/3" in text
    assert "\rhabitat: 2/2 units (testus-cervus BBB)" in text
    assert "\n" not in text and text.endswith("\r")
