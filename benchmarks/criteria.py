"""Criteria benchmark: elevation only vs + slope vs + land cover, on the synthetic 3″ DEM.

Not a timed test: run by hand, read the table.  Each row is ``engine.habitats()`` (the
engine alone: planning, blocks on the executor, assembly) for the benchmark range
(Nepal + Sikkim + Uttarakhand, one feature; band z >= 2500 m), median of ``--repeat``
runs, variants interleaved so drift on a shared machine hits them alike.  ``--baseline
SRC`` also runs elevation-only with another checkout's ``src`` (e.g. the main branch) in a
child process, to show that adding criteria did not slow the elevation-only path;
``--baseline-all`` runs every variant with it (before/after rows, each ratio against the
elevation-only run of its own code).

    python benchmarks/make_dem.py --out /tmp/rmbench
    PYTHONPATH=src python benchmarks/criteria.py --dem /tmp/rmbench/himalaya3s.vrt \\
        --work /tmp/rmbench --repeat 5 --baseline /work/main/src

``--globe`` is the second row: the embedded GLOBE 30″ DEM (real terrain, 15e6 cells) and
a realistic range, the Siberian ibex of ``data/occurrences/capra_sibirica_ranges.yaml``
where GLOBE covers it (Afghanistan, Kyrgyzstan, Pakistan, Tajikistan, Xinjiang, Himachal
Pradesh, Jammu and Kashmir, cut to 55-90E x 20-50N), band 500-6700 m as the account
states it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Variant name -> criteria spec (built in the child so any src tree can run it).
VARIANTS = {
    "elevation only": [],
    "+ slope >= 20°": [("slope", 20.0, None)],
    "+ land cover (composition, MODIS 0.05°)": [("landcover", None)],
    "+ land cover filter (IGBP 1-5, 8, 10)": [("landcover", (1, 2, 3, 4, 5, 8, 10))],
    "+ slope + land cover filter": [("slope", 20.0, None),
                                    ("landcover", (1, 2, 3, 4, 5, 8, 10))],
}


def _criteria(spec):
    from rangemap.criteria import LandCover, SlopeLimits

    lc = str(ROOT / "data" / "landcover" / "mcd12c1_2019_igbp.tif")
    out = []
    for item in spec:
        if item[0] == "slope":
            out.append(SlopeLimits(item[1], item[2]))
        else:
            out.append(LandCover(lc, item[1]))
    return tuple(out)


GLOBE = ROOT / "data" / "elevation" / "globe30s_55e90e_20n50n.tif"


def make_ibex_range(path: Path) -> Path:
    """The Siberian ibex's range units that the GLOBE 30″ grid covers, dissolved."""
    import geopandas as gpd
    from shapely.geometry import box

    b = ROOT / "data" / "boundaries" / "boundaries.gpkg"
    a0 = gpd.read_file(b, layer="admin0")
    a1 = gpd.read_file(b, layer="admin1")
    g = [*a0[a0.iso3.isin(["AFG", "KGZ", "PAK", "TJK"])].geometry,
         *a1[a1.admin1_name.isin(["Xinjiang", "Himachal Pradesh", "Jammu and Kashmir"])
             ].geometry]
    geom = gpd.GeoSeries(g, crs=4326).union_all().intersection(box(55, 20, 90, 50))
    gpd.GeoDataFrame({"name": ["capra sibirica"]}, geometry=[geom], crs=4326).to_file(path)
    return path


def child(args) -> None:
    """One timed run, printed as JSON (runs in a fresh process)."""
    import resource

    import geopandas as gpd

    from rangemap import engine

    try:
        from rangemap.rasters.dem import DemStack
    except ImportError:  # a --baseline tree from before the rasters package
        from rangemap.dem import DemStack

    geom = gpd.read_file(args.range).geometry.iloc[0]
    spec = json.loads(args.spec)
    kw = {"criteria": _criteria(spec)} if spec else {}
    stats: dict = {}

    def cpu() -> float:  # this process and its finished workers, user + system
        a, b = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                 resource.RUSAGE_CHILDREN))
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    # Polygon mode: the compiled tracer's one-time load (numba's import and its cached
    # machine code, ~0.3 s once per process; the numpy tracer of older trees: nothing)
    # is measured here, apart from the engine's CPU, like the imports above.  Area-only
    # runs never load it.
    w0 = cpu()
    if args.polygons:
        import numpy as np

        try:
            from rangemap.geo import gridpoly
        except ImportError:  # a tree from before the tracer
            gridpoly = None
        if gridpoly is not None and hasattr(gridpoly, "load"):
            gridpoly.load(warm=True)
        elif gridpoly is not None:
            gridpoly.trace(gridpoly.mask_runs(np.ones((2, 2), dtype=bool)))
    load = cpu() - w0
    c0 = cpu()
    with DemStack([args.dem]) as st, engine.make_executor(args.workers) as ex:
        t0 = time.perf_counter()
        res = engine.habitats([geom], list(st), tuple(args.band), polygons=args.polygons,
                              executor=ex, stats=stats, **kw)[0]
        dt = time.perf_counter() - t0
    print(json.dumps({"s": dt, "cpu": cpu() - c0, "load": load, "cells": res.cells,
                      "km2": res.cell_area_km2, "edges": stats.get("edges", 0)}))


def run(src: Path, dem: Path, rng: Path, spec, polygons: bool, workers: int,
        band) -> dict:
    env = os.environ | {"PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--child", "--dem", str(dem), "--range", str(rng),
           "--spec", json.dumps(spec), "--workers", str(workers),
           "--band", *(("none" if b is None else str(b)) for b in band)]
    if polygons:
        cmd.append("--polygons")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def _limit(v: str) -> float | None:
    return None if v.lower() == "none" else float(v)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dem", type=Path, default=None)
    ap.add_argument("--globe", action="store_true",
                    help="the embedded GLOBE 30″ DEM and the Siberian ibex range (500-6700 m)")
    ap.add_argument("--band", nargs=2, type=_limit, default=None, metavar=("MIN", "MAX"),
                    help="elevation band in m ('none': open); default 2500 none "
                         "(--globe: 500 6700)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/rmbench"))
    ap.add_argument("--range", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another checkout's src/ for an elevation-only baseline row")
    ap.add_argument("--baseline-all", action="store_true",
                    help="run every variant with --baseline too (before/after rows)")
    ap.add_argument("--polygons", action="store_true")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--spec", default="[]")
    args = ap.parse_args()
    if args.band is None:
        args.band = [500.0, 6700.0] if args.globe else [2500.0, None]
    if args.child:
        child(args)
        return
    try:
        args.work.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        ap.error(f"--work {args.work}: {exc.strerror}; give a folder that can be created")
    if args.globe:
        args.dem = args.dem or GLOBE
        rng = args.range or make_ibex_range(args.work / "range_ibex.gpkg")
    else:
        if args.dem is None:
            ap.error("--dem is required (or --globe)")
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from run import make_range

        rng = args.range or make_range(args.work / "range.gpkg")
    # (row name, src tree, criteria spec, row of that tree's elevation-only run)
    rows = []
    if args.baseline:
        base_name = f"elevation only, baseline ({args.baseline})"
        rows.append((base_name, args.baseline, [], base_name))
        if args.baseline_all:
            rows += [(f"{name}, baseline", args.baseline, spec, base_name)
                     for name, spec in VARIANTS.items() if spec]
    rows += [(name, ROOT / "src", spec, "elevation only") for name, spec in VARIANTS.items()]
    times: dict[str, list[float]] = {name: [] for name, *_ in rows}
    cpus: dict[str, list[float]] = {name: [] for name, *_ in rows}
    loads: dict[str, list[float]] = {name: [] for name, *_ in rows}
    out: dict[str, dict] = {}
    for mode in ([True, False] if args.polygons else [False]):
        for _ in range(args.repeat):
            for name, src, spec, _ in rows:
                r = run(src, args.dem, rng, spec, mode, args.workers, args.band)
                times[name].append(r["s"])
                cpus[name].append(r["cpu"])
                loads[name].append(r.get("load", 0.0))
                out[name] = r
                print(f"  {name} ({'polygons' if mode else 'area'}): {r['s']:.2f} s",
                      file=sys.stderr)
        mode_name = "polygons" if mode else "area-only"
        print(f"\n{mode_name}, {args.workers} workers, median of {args.repeat} "
              f"({args.dem.name}, band {args.band[0]}-{args.band[1]} m; × elev. = against "
              "the elevation-only run of the same code):\n")
        print("| variant | engine wall s (median; runs) | × elev. | CPU s (engine + workers, "
              "median; runs) | × elev. | tracer load CPU s (once per process, median) | "
              "× elev. with the load | habitat km² | cells | boundary edges |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, _, _, ref in rows:
            base = statistics.median(times[ref])
            cbase = statistics.median(cpus[ref])
            lbase = statistics.median(loads[ref])
            med = statistics.median(times[name])
            cmed = statistics.median(cpus[name])
            lmed = statistics.median(loads[name])
            runs = ", ".join(f"{t:.2f}" for t in times[name])
            cruns = ", ".join(f"{t:.2f}" for t in cpus[name])
            print(f"| {name} | {med:.2f} ({runs}) | {med / base:.2f} | {cmed:.2f} ({cruns}) | "
                  f"{cmed / cbase:.2f} | {lmed:.2f} | {(cmed + lmed) / (cbase + lbase):.2f} | "
                  f"{out[name]['km2']:,.1f} | {out[name]['cells']:,} | {out[name]['edges']:,} |")
        times = {name: [] for name, *_ in rows}
        cpus = {name: [] for name, *_ in rows}
        loads = {name: [] for name, *_ in rows}


if __name__ == "__main__":
    main()
