"""rangemap finds its embedded data from the installed package, wherever it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rangemap.cli import cli
from rangemap.fsutil import DATA_ENV, data_dir, data_file

ROOT = Path(__file__).resolve().parents[1]
DOC = ("White-bellied musk deer\nThe white-bellied musk deer (Moschus leucogaster) occurs in "
       "Nepal and Bhutan, above altitudes of 3,000 m.\n")


def test_data_dir_is_found_without_the_current_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert (data_dir() / "boundaries" / "boundaries.gpkg").is_file()
    assert data_file("elevation", "pvlib_altitude_5min.tif").is_file()
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "mydata"))
    assert data_file("documents") == tmp_path / "mydata" / "documents"


def test_extract_runs_from_another_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text(DOC, encoding="utf-8")
    res = CliRunner().invoke(cli, ["extract", "x.txt", "--json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output)["species"][0]
    assert {u["iso3"] for u in rec["units"]} == {"NPL", "BTN"}


def test_data_env_points_elsewhere(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text(DOC, encoding="utf-8")
    res = CliRunner().invoke(cli, ["extract", "x.txt"])
    assert res.exit_code == 1
    assert "nowhere/boundaries/boundaries.gpkg: boundaries file not found" in res.output


@pytest.mark.slow
def test_wheel_install_builds_from_home(tmp_path) -> None:
    """A real (non-editable) install, run from a folder that is not the checkout."""
    wheels, target, home = tmp_path / "wheels", tmp_path / "site", tmp_path / "home"
    home.mkdir()
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], check=True,
                   capture_output=True)
    (wheel,) = wheels.glob("rangemap-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {**{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", DATA_ENV)},
           "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-P", "-c",
                            "import rangemap; print(rangemap.__file__)"], cwd=home, env=env,
                           capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(target))
    (home / "mydocs").mkdir()
    (home / "mydocs" / "a.txt").write_text(DOC, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-P", "-m", "rangemap", "build", "--docs", "mydocs",
                           "--out", "maps"], cwd=home, env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((home / "maps" / "manifest.json").read_text(encoding="utf-8"))
    dems = [d["path"] for d in manifest["dems"]]
    assert all(p.startswith(str(target)) for p in dems), dems
    assert (home / "maps" / "maps" / "index.html").is_file()
