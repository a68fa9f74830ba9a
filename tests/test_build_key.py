"""The build key covers every input that can change an output (issue: stale outputs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import yaml
from click.testing import CliRunner
from shapely.geometry import box

from rangemap.cli import cli
from rangemap.io import cache

RANGES = {"species": [{
    "name": "test deer", "scientific_name": "Testus cervus", "rank": "species",
    "countries": [{"iso3": "BBB", "name": "Beeland", "evidence": []}],
    "admin1": [{"country_iso3": "BBB", "name": "Upper Bee", "boundary_name": "Upper Bee",
                "evidence": []}],
    "elevation_min_m": None, "elevation_max_m": None}]}


def _copy_package(dest: Path) -> Path:
    pkg = dest / "rangemap"
    shutil.copytree(cache.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return pkg


def test_source_digest_follows_every_file(tmp_path) -> None:
    pkg = _copy_package(tmp_path)
    assert cache.source_digest(pkg) == cache.source_digest()
    styles = pkg / "io" / "styles.py"
    styles.write_text(styles.read_text(encoding="utf-8") + "\n# a new colour\n",
                      encoding="utf-8")
    changed = cache.source_digest(pkg)
    assert changed != cache.source_digest()
    (pkg / "vendor" / "leaflet" / "leaflet.css").write_text("a{}", encoding="utf-8")
    assert cache.source_digest(pkg) != changed


def test_changed_rule_rebuilds(tiny_world, tmp_path) -> None:
    """Raising the default minimum elevation in a copy of the source is seen by a rerun."""
    d = tiny_world["dir"]
    ry = d / "r.yaml"
    data = json.loads(json.dumps(RANGES))
    data["species"][0]["admin1"] = []
    ry.write_text(yaml.safe_dump(data), encoding="utf-8")
    args = ["build", "--ranges", str(ry), "--dem", str(tiny_world["dem"]), "--boundaries",
            str(tiny_world["boundaries"]), "--out", str(d / "out")]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    first = json.loads((d / "out/geojson/habitat.geojson").read_text())
    assert first["features"][0]["properties"]["elevation_min_m"] == 2500

    pkg = _copy_package(tmp_path / "src")
    rules = pkg / "bands.py"
    text = rules.read_text(encoding="utf-8")
    assert "DEFAULT_MIN_ELEVATION_M = 2500.0" in text
    rules.write_text(text.replace("DEFAULT_MIN_ELEVATION_M = 2500.0",
                                  "DEFAULT_MIN_ELEVATION_M = 4500.0"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    proc = subprocess.run([sys.executable, "-m", "rangemap", *args], capture_output=True,
                          text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "up to date" not in proc.stderr
    second = json.loads((d / "out/geojson/habitat.geojson").read_text())
    assert second["features"][0]["properties"]["elevation_min_m"] == 4500


def test_changed_name_field_rebuilds(tiny_world) -> None:
    d = tiny_world["dir"]
    gadm = d / "gadm_like.gpkg"
    # The two name fields put "Upper Bee" in the north and in the south half of BBB.
    gpd.GeoDataFrame(
        {"GID_0": ["AAA", "BBB", "BBB"], "NAME_1": ["Aland Whole", "Upper Bee", "Lower Bee"],
         "ALT_NAME": ["Aland Whole", "Lower Bee", "Upper Bee"]},
        geometry=[box(0, 0, 4, 8), box(4, 4, 8, 8), box(4, 0, 8, 4)], crs=4326,
    ).to_file(gadm)
    ry = d / "r.yaml"
    ry.write_text(yaml.safe_dump(RANGES), encoding="utf-8")
    out = d / "out"

    def south_edge(name_field: str) -> float:
        res = CliRunner().invoke(cli, [
            "build", "--ranges", str(ry), "--dem", str(tiny_world["dem"]), "--boundaries",
            str(gadm), "--country-field", "GID_0", "--name-field", name_field,
            "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert "up to date" not in res.output
        ranges = gpd.read_file(out / "geojson/ranges.geojson")
        return float(ranges.total_bounds[1])

    assert south_edge("NAME_1") == 4.0
    assert south_edge("ALT_NAME") == 0.0


def test_bare_pytest_collects_every_module() -> None:
    """``pytest`` from the repository root, no PYTHONPATH, no cwd on sys.path (-P)."""
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-P", "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider"], cwd=root, env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "error" not in proc.stdout.splitlines()[-1]
