"""Run every method side by side on the synthetic 3″ DEM; print a Markdown table.

    python benchmarks/make_dem.py --out /tmp/rmbench
    python benchmarks/run.py --dem /tmp/rmbench/himalaya3s.vrt --work /tmp/rmbench

Each method runs in its own process under ``/usr/bin/time -v`` (peak RSS of the
process tree's largest process).  Range: Nepal + Sikkim + Uttarakhand from
data/boundaries/boundaries.gpkg, dissolved into one feature; band z >= 2500 m.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = os.environ | {"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}


def make_range(path: Path, bbox=None) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    b = ROOT / "data" / "boundaries" / "boundaries.gpkg"
    if bbox is None:
        a0 = gpd.read_file(b, layer="admin0")
        a1 = gpd.read_file(b, layer="admin1")
        g = [*a0[a0.iso3 == "NPL"].geometry, *a1[a1.admin1_name.isin(
            ["Sikkim", "Uttaranchal"])].geometry]
        geom = gpd.GeoSeries(g, crs=4326).union_all()
    else:
        a0 = gpd.read_file(b, layer="admin0", bbox=tuple(bbox))
        geom = a0.geometry.union_all().intersection(box(*bbox))
    gpd.GeoDataFrame({"name": ["range"]}, geometry=[geom], crs=4326).to_file(path)
    return path


REPEAT = 1


def timed(cmd: list[str], timeout: float) -> tuple[float, float, str]:
    """(median seconds, peak RSS MB, stdout of the median run) over REPEAT runs."""
    runs = sorted(_timed_once(cmd, timeout) for _ in range(REPEAT))
    dt, rss, out = runs[len(runs) // 2]
    if REPEAT > 1:
        print(f"  {cmd[2] if len(cmd) > 2 else cmd[0]}: {[round(r[0], 2) for r in runs]} s",
              file=sys.stderr)
    return dt, max(r[1] for r in runs), out


def _timed_once(cmd: list[str], timeout: float) -> tuple[float, float, str]:
    """(seconds, peak RSS MB, stdout) of a command under /usr/bin/time -v."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                           env=ENV, timeout=timeout)
    except subprocess.TimeoutExpired:
        return float("inf"), float("nan"), ""
    dt = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(f"{cmd}: {p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return dt, rss / 1024, p.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dem", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--naive-timeout", type=float, default=600)
    ap.add_argument("--bbox", type=float, nargs=4, default=None,
                    help="range = admin-0 countries cut to this box (for the 1e9 run)")
    ap.add_argument("--only", default="polygons,area,cli,gdal,naive,reference")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each method N times and keep the median wall time (this VM "
                         "varies by 10-30 %% between runs)")
    a = ap.parse_args()
    global REPEAT
    REPEAT = a.repeat
    only = a.only.split(",")
    a.work.mkdir(parents=True, exist_ok=True)
    rng = make_range(a.work / "range.gpkg", a.bbox)
    res_file = a.work / "results.json"
    rows = json.loads(res_file.read_text()) if res_file.exists() else {}
    rm = [PY, str(ROOT / "benchmarks" / "rm_run.py")]
    common = ["--range", str(rng), "--dem", str(a.dem), "--workers", str(a.workers)]
    for mode in ("reference", "area", "polygons"):
        if mode in only:
            extra = ["--out", str(a.work / "rm.fgb")] if mode == "polygons" else []
            dt, rss, out = timed([*rm, mode, *common, *extra], 3600)
            rows[mode] = json.loads(out) | {"wall_s": dt, "rss_mb": rss}
            print(mode, rows[mode], file=sys.stderr)
    if "cli" in only:
        # The commands users run, end to end: Python start, imports, range read, output.
        cli = [PY, "-m", "rangemap"]
        band = ["--range", str(rng), "--dem", str(a.dem), "--min-elevation", "2500",
                "--workers", str(a.workers), "--overwrite"]
        for name, cmd in (("cli_habitat", [*cli, "habitat", *band, "-o",
                                           str(a.work / "cli.fgb")]),
                          ("cli_area", [*cli, "area", *band, "-o", str(a.work / "cli.csv")])):
            dt, rss, _ = timed(cmd, 3600)
            rows[name] = {"wall_s": dt, "rss_mb": rss}
            print(name, rows[name], file=sys.stderr)
    if "gdal" in only:
        mask, poly, clip = (a.work / n for n in ("mask.tif", "poly.fgb", "clip.fgb"))
        steps = [["/usr/bin/python3", "/usr/bin/gdal_calc.py", "--quiet", "-A", str(a.dem),
                  "--calc", "A>=2500", "--type", "Byte", "--NoDataValue", "0",
                  "--co", "TILED=YES", "--co", "COMPRESS=ZSTD", "--outfile", str(mask)],
                 ["/usr/bin/python3", "/usr/bin/gdal_polygonize.py", "-q", str(mask), "-f",
                  "FlatGeobuf", str(poly)],
                 ["ogr2ogr", "-nlt", "PROMOTE_TO_MULTI", "-clipsrc", str(rng), str(clip),
                  str(poly)]]
        totals, peak = [], 0.0
        for _ in range(REPEAT):  # the three steps as one unit, outputs removed each time
            for f in (mask, poly, clip):
                f.unlink(missing_ok=True)
            tot = 0.0
            for s in steps:
                dt, rss, _ = _timed_once(s, 3600)
                tot += dt
                peak = max(peak, rss)
            totals.append(tot)
        if REPEAT > 1:
            print(f"  gdal: {[round(t, 2) for t in sorted(totals)]} s", file=sys.stderr)
        tot = sorted(totals)[len(totals) // 2]
        import geopandas as gpd

        from rangemap.geo.geodesy import geodesic_area_km2
        g = gpd.read_file(clip)
        rows["gdal"] = {"wall_s": tot, "rss_mb": peak,
                        "area_km2": sum(geodesic_area_km2(x) for x in g.geometry)}
        print("gdal", rows["gdal"], file=sys.stderr)
    if "naive" in only:
        dt, rss, out = timed([*rm, "naive", *common], a.naive_timeout)
        rows["naive"] = (json.loads(out) if out else {}) | {"wall_s": dt, "rss_mb": rss}
        print("naive", rows["naive"], file=sys.stderr)
    res_file.write_text(json.dumps(rows, indent=1, default=str))
    print(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
