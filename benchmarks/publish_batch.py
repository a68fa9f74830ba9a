"""Publishing at scale: build and publish 10, 100, 1,000 generated taxa (not a timed test).

A batch generator writes a reviewed-ranges file (``rangemap extract -o`` format)
of ``n`` made-up taxa over the *real* embedded boundaries: each taxon takes a
random admin-1 unit and its nine nearest neighbours (by centroid, so a range is
a compact block of units, as in real accounts), with a lower elevation limit
drawn from 500-3,000 m and an upper limit on a third of them.  The taxa exist
for scale only; they mean nothing.

Each size runs ``rangemap build --ranges FILE --no-figures`` in its own process
under ``/usr/bin/time -v`` (peak RSS of the build), then opens every page of
the maps folder in headless Chromium (one browser, pages loaded one after the
other in a frame; a page passes when Leaflet is loaded and the page code has
finished: ``window.L`` and ``RM.started``).

Usage::

    PYTHONPATH=src:. python benchmarks/publish_batch.py --work /tmp/rmpub --sizes 10 100 1000

Prints a Markdown table and writes ``WORK/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyogrio
import shapely
import yaml
from shapely.geometry import box

ROOT = Path(__file__).resolve().parent.parent
BOUNDARIES = ROOT / "data" / "boundaries" / "boundaries.gpkg"
UNITS_PER_TAXON = 10


#: The embedded 30″ DEM's box: the units most costly to map lie in it.
FINE_DEM_BOX = (55.0, 20.0, 90.0, 50.0)


def make_batch(n: int, path: Path, seed: int = 0, anchor: bool = False) -> Path:
    """Write a ranges file of ``n`` generated taxa (10 neighbouring admin-1 units each).

    ``anchor``: the first taxon is instead the 10 admin-1 units with the most area
    under the 30″ DEM (Xinjiang, Tibet, ...; lower limit 500 m), the costliest units
    of the boundaries, so every batch size pays the same largest-unit cost and what
    differs between sizes is the number of taxa (the memory benchmark).
    """
    a1 = pyogrio.read_dataframe(BOUNDARIES, layer="admin1")
    a1 = a1[a1.geometry.notna() & ~a1.geometry.is_empty].reset_index(drop=True)
    # points in degrees are good enough to pick neighbours for a made-up range
    pts = a1.geometry.representative_point()
    cxy = np.column_stack([pts.x, pts.y])
    rng = np.random.default_rng(seed)
    heavy = np.argsort(-shapely.area(shapely.intersection(a1.geometry.values, box(*FINE_DEM_BOX))),
                       kind="stable")[:UNITS_PER_TAXON]
    species = []
    for i in range(n):
        home = int(rng.integers(len(a1)))
        d = np.hypot(*(cxy - cxy[home]).T)
        near = heavy if anchor and i == 0 else np.argsort(d)[:UNITS_PER_TAXON]
        rows = a1.iloc[near]
        countries = {}
        for iso3, name in zip(rows["iso3"], rows["name"], strict=True):
            countries[iso3] = {"iso3": iso3, "name": name, "evidence": []}
        admin1 = [{"country_iso3": r.iso3, "name": r.admin1_name,
                   "boundary_name": r.admin1_name, "evidence": []}
                  for r in rows.itertuples()]
        lo = float(rng.choice([500, 1000, 1500, 2000, 2500, 3000]))
        hi = float(lo + rng.choice([1500, 2500])) if rng.random() < 1 / 3 else None
        if anchor and i == 0:
            lo, hi = 500.0, None
        species.append({
            "name": f"benchmark taxon {i:04d}",
            "scientific_name": f"Benchus sp{i:04d}",
            "rank": "species",
            "countries": list(countries.values()),
            "admin1": admin1,
            "elevation_min_m": lo,
            "elevation_max_m": hi,
        })
    path.write_text(yaml.safe_dump({"species": species}, allow_unicode=True), encoding="utf-8")
    return path


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


CHECK = """<!DOCTYPE html><html><head><title>running</title></head><body>
<iframe id="f" style="width:1200px;height:800px"></iframe>
<script>
var pages = %s, i = 0, ok = 0, bad = [];
var f = document.getElementById('f');
function next() {
  if (i >= pages.length) {
    document.title = 'CHECK ok=' + ok + ' of=' + pages.length + ' bad=' + bad.slice(0, 5).join(',');
    return;
  }
  var name = pages[i++], tries = 0;
  f.onload = function () {
    (function poll() {
      var w = f.contentWindow, good = false;
      try { good = !!(w.L && w.L.version && w.RM && w.RM.started); } catch (e) { good = false; }
      if (good) { ok++; next(); }
      else if (++tries > 40) { bad.push(name); next(); }
      else setTimeout(poll, 50);
    })();
  };
  f.src = name;
}
next();
</script></body></html>
"""


def check_pages(maps: Path, work: Path) -> tuple[int, int, str, float]:
    """Open every page in one headless Chromium; (ok, pages, failures, seconds)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return 0, 0, "no chromium", 0.0
    pages = sorted(p.name for p in maps.glob("*.html") if not p.name.startswith("_"))
    driver = maps / "_bench_check.html"
    driver.write_text(CHECK % json.dumps(pages), encoding="utf-8")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--allow-file-access-from-files", "--proxy-server=127.0.0.1:9",
             "--disable-background-networking", f"--user-data-dir={work / 'chrome'}",
             f"--virtual-time-budget={max(60_000, 4000 * len(pages))}", "--dump-dom",
             driver.as_uri()],
            capture_output=True, text=True, timeout=7200)
    finally:
        driver.unlink()
    secs = time.perf_counter() - t0
    m = re.search(r"<title>CHECK ok=(\d+) of=(\d+) bad=([^<]*)</title>", proc.stdout)
    if not m:
        return 0, len(pages), "driver did not finish: " + proc.stderr[-300:], secs
    return int(m.group(1)), int(m.group(2)), m.group(3), secs


def run_size(n: int, work: Path, extra: list[str], anchor: bool = False,
             browser: bool = True) -> dict:
    d = work / f"n{n}"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    ranges = make_batch(n, d / "ranges.yaml", anchor=anchor)
    out = d / "out"
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "rangemap", "-v", "build", "--ranges",
           str(ranges), "--out", str(out), "--no-figures", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"build failed for n={n}: {proc.stderr[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # stage timings are logged (-v), not kept in the manifest (builds are reproducible)
    line = re.search(r"timings: ([^\n]*)", proc.stderr)
    timings = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)", line.group(1))
               } if line else {}
    mem = re.search(r"peak memory: habitat_mb ([\d.]+), build_mb ([\d.]+)", proc.stderr)
    maps = out / "maps"
    pages = [p for p in maps.glob("*.html") if p.name != "index.html"]
    sizes = sorted(p.stat().st_size for p in pages)
    ok, total, bad, check_s = check_pages(maps, d) if browser else (0, 0, "not run", 0.0)
    return {
        "taxa": n, "taxa_mapped": len(manifest.get("taxa", [])), "wall_s": wall,
        "per_taxon_s": wall / n, "publish_s": timings.get("publish_s"),
        "habitat_s": timings.get("habitat_s"), "peak_rss_mb": rss_kb / 1024,
        "peak_after_habitat_mb": float(mem.group(1)) if mem else None,
        "outputs_mb": _du(out) / 1e6, "maps_mb": _du(maps) / 1e6,
        "maps_per_taxon_kb": _du(maps) / n / 1e3,
        "page_median_kb": sizes[len(sizes) // 2] / 1e3 if sizes else 0,
        "page_max_kb": sizes[-1] / 1e3 if sizes else 0,
        "index_kb": (maps / "index.html").stat().st_size / 1e3,
        "detail_mb": _du(maps / "detail") / 1e6 if (maps / "detail").exists() else 0,
        "assets_mb": _du(maps / "assets") / 1e6,
        "browser_ok": ok, "browser_pages": total, "browser_bad": bad, "browser_s": check_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--keep", action="store_true", help="keep the outputs of every size")
    ap.add_argument("--anchor", action="store_true",
                    help="first taxon = the 10 costliest units (same largest unit at every size)")
    ap.add_argument("--no-browser", action="store_true", help="do not open the pages")
    ap.add_argument("build_args", nargs="*", help="extra arguments for rangemap build")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in a.sizes:
        r = run_size(n, a.work, a.build_args, anchor=a.anchor, browser=not a.no_browser)
        results.append(r)
        print(json.dumps(r), flush=True)
        (a.work / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
        if not a.keep:
            shutil.rmtree(a.work / f"n{n}" / "out" / "geojson", ignore_errors=True)
    print("\n| taxa | wall s | s per taxon | habitat s | publish s | peak RSS MB "
          "| of it by the end of habitat MB | outputs MB "
          "| maps MB | maps KB per taxon | median page KB | largest page KB | index KB "
          "| pages open in Chromium |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: | ---: |")
    for r in results:
        print(f"| {r['taxa']:,} | {r['wall_s']:.1f} | {r['per_taxon_s']:.2f} "
              f"| {r['habitat_s'] or 0:.1f} | {r['publish_s'] or 0:.1f} | {r['peak_rss_mb']:.0f} "
              f"| {r.get('peak_after_habitat_mb') or 0:.0f} "
              f"| {r['outputs_mb']:.1f} | {r['maps_mb']:.1f} | {r['maps_per_taxon_kb']:.0f} "
              f"| {r['page_median_kb']:.0f} | {r['page_max_kb']:.0f} | {r['index_kb']:.0f} "
              f"| {r['browser_ok']} / {r['browser_pages']} |")


if __name__ == "__main__":
    main()
