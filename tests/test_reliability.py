"""Reruns: nothing changed -> no work; one document changed -> only its taxa; killed -> intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rangemap.fsutil import TMP_PREFIX, sha256_file
from rangemap.pipeline import DEFAULT_DEMS, build
from tests.helpers import DATA, ROOT

DOC_A = ("Alpha musk deer\nThe alpha musk deer (Moschus alphus) is found in Aland, "
         "above altitudes of {lo:,} m.\n")
DOC_B = ("Beta musk deer\nThe beta musk deer (Moschus betus) is found in Upper Bee of "
         "Beeland, above altitudes of 4,000 m.\n")


def _docs(d: Path, lo: int = 1000) -> Path:
    docs = d / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "a.txt").write_text(DOC_A.format(lo=lo), encoding="utf-8")
    (docs / "b.txt").write_text(DOC_B, encoding="utf-8")
    return docs


def _snapshot(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): sha256_file(p) for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def test_no_change_rerun_does_no_work_and_one_doc_rebuilds_its_taxon(tiny_world) -> None:
    d = tiny_world["dir"]
    docs = _docs(d)
    kw = {"docs": docs, "dems": [tiny_world["dem"]], "boundaries": tiny_world["boundaries"],
          "out": d / "out"}
    first = build(**kw)
    assert not first.up_to_date
    assert sorted(first.rebuilt) == ["moschus-alphus", "moschus-betus"]
    before = _snapshot(d / "out")
    mtime = (d / "out/manifest.json").stat().st_mtime_ns

    again = build(**kw)
    assert again.up_to_date and again.rebuilt == [] and again.reused == []
    assert (d / "out/manifest.json").stat().st_mtime_ns == mtime
    assert _snapshot(d / "out") == before

    _docs(d, lo=2000)  # change only document a
    third = build(**kw)
    assert third.rebuilt == ["moschus-alphus"] and third.reused == ["moschus-betus"]
    manifest = json.loads((d / "out/manifest.json").read_text())
    assert manifest["taxa_rebuilt"] == ["moschus-alphus"]
    hab = json.loads((d / "out/geojson/habitat.geojson").read_text())
    mins = {f["properties"]["taxon_id"]: f["properties"]["elevation_min_m"]
            for f in hab["features"]}
    assert mins == {"moschus-alphus": 2000, "moschus-betus": 4000}

    forced = build(**kw, force=True)
    assert sorted(forced.rebuilt) == ["moschus-alphus", "moschus-betus"]


def test_damaged_output_is_rebuilt(tiny_world) -> None:
    d = tiny_world["dir"]
    kw = {"docs": _docs(d), "dems": [tiny_world["dem"]],
          "boundaries": tiny_world["boundaries"], "out": d / "out"}
    build(**kw)
    (d / "out/summary.csv").write_text("damaged", encoding="utf-8")
    res = build(**kw)
    assert not res.up_to_date
    assert res.reused  # habitat came from the cache; outputs were rewritten
    assert (d / "out/summary.csv").read_text().startswith("species,")


def test_cli_says_up_to_date(tiny_world) -> None:
    from click.testing import CliRunner

    from rangemap.cli import cli

    d = tiny_world["dir"]
    args = ["build", "--docs", str(_docs(d)), "--dem", str(tiny_world["dem"]), "--boundaries",
            str(tiny_world["boundaries"]), "--out", str(d / "out")]
    assert CliRunner().invoke(cli, args).exit_code == 0
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0 and "up to date" in res.output


@pytest.mark.parametrize("delay", [1.5, 4.0])
def test_sigkill_mid_build_leaves_previous_outputs_intact(tmp_path, delay) -> None:
    """Kill a real build on the embedded data, check the old outputs, then rerun."""
    out = tmp_path / "out"
    dems = [str(ROOT / p) for p in DEFAULT_DEMS]
    base = [sys.executable, "-m", "rangemap", "build", "--docs", str(DATA / "documents"),
            "--boundaries", str(DATA / "boundaries" / "boundaries.gpkg"), "--out", str(out)]
    for dem in dems:
        base += ["--dem", dem]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(base, check=True, env=env, capture_output=True, timeout=600)
    before = _snapshot(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["output_sha256"]) <= set(before)

    # A changed parameter forces a full rebuild; kill it part-way.
    proc = subprocess.Popen(base + ["--elevation-margin", "150", "--force"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert killed, "the build finished before the kill: raise the build size or lower delay"
    after = {k: v for k, v in _snapshot(out).items() if not k.startswith(TMP_PREFIX)}
    # The previous outputs are exactly as they were (new ones were only staged).
    assert after == before
    # Rerun completes, removes temporaries and verifies.
    done = subprocess.run(base + ["--elevation-margin", "150"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert not list(out.rglob(f"{TMP_PREFIX}*"))
    new_manifest = json.loads((out / "manifest.json").read_text())
    assert new_manifest["parameters"]["elevation_margin"] == 150
    for rel, digest in new_manifest["output_sha256"].items():
        assert sha256_file(out / rel) == digest
