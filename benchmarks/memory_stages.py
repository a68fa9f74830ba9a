"""Where a build's memory goes, stage by stage (issue #14; a measurement, not a test).

Runs ``rangemap build --ranges BATCH --no-figures`` in this process on a batch of
``publish_batch.make_batch`` (``--anchor``: the same costliest units at every size) while a
thread samples the resident set (``/proc/self/status``) and glibc's heap (``mallinfo2``:
bytes in use vs. free but kept) every 100 ms, each sample labelled with the stage running.
Every ``--every`` taxa of the habitat stage it also weighs what the build holds per taxon
(the attribute frames, the engine results kept for sharing).  ``--tracemalloc`` adds
snapshots at the end of the habitat stage and of publishing, whose largest Python
allocation sites are printed (numpy arrays included; GEOS and GDAL memory is not seen).

Usage (one process per size, so peaks do not carry over)::

    PYTHONPATH=src:. python benchmarks/memory_stages.py --work /tmp/ms100 --taxa 100 --anchor
    PYTHONPATH=src:. python benchmarks/memory_stages.py --work /tmp/ms1000 --taxa 1000 --anchor

Prints one line per stage (RSS at its start, its peak, at its end; heap in use and free at
its end, MB) and writes ``WORK/samples.json``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import shutil
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from publish_batch import make_batch  # noqa: E402


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _mallinfo() -> tuple[float, float]:
    """(heap bytes in use incl. mmapped blocks, free bytes kept by malloc), MB."""
    try:
        f = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return 0.0, 0.0
    f.restype = _Mallinfo2
    m = f()
    return (m.uordblks + m.hblkhd) / 2**20, m.fordblks / 2**20


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


STAGE = ["start"]
SAMPLES: list[tuple[float, float, str]] = []
PROBES: list[dict] = []


def _sampler(stop: threading.Event) -> None:
    t0 = time.perf_counter()
    while not stop.is_set():
        SAMPLES.append((time.perf_counter() - t0, rss_mb(), STAGE[-1]))
        time.sleep(0.1)


def _staged(obj, name: str, label: str) -> None:
    fn = getattr(obj, name)

    def wrapper(*a, **k):
        STAGE.append(label)
        _mark(f"{label}:begin")
        try:
            return fn(*a, **k)
        finally:
            _mark(f"{label}:end")
            STAGE.pop()

    setattr(obj, name, wrapper)


def _mark(what: str) -> None:
    used, free = _mallinfo()
    PROBES.append({"what": what, "rss": rss_mb(), "heap_used": used, "heap_free": free})


def _deep_mb(obj) -> float:
    import pandas as pd
    if isinstance(obj, pd.DataFrame):
        return float(obj.memory_usage(deep=True).sum()) / 2**20
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--taxa", type=int, required=True)
    ap.add_argument("--anchor", action="store_true")
    ap.add_argument("--every", type=int, default=50, help="weigh held objects every N taxa")
    ap.add_argument("--tracemalloc", action="store_true")
    a = ap.parse_args()
    if a.work.exists():
        shutil.rmtree(a.work)
    a.work.mkdir(parents=True)
    batch = make_batch(a.taxa, a.work / "ranges.yaml", anchor=a.anchor)

    import shapely

    from rangemap import heap, pipeline
    from rangemap.cli import main as cli_main
    from rangemap.io import vectors
    from rangemap.maps import writer

    snaps: dict[str, tracemalloc.Snapshot] = {}
    release = heap.release
    seen = [0]

    def probe_release() -> None:
        release()
        caller = sys._getframe(1)
        if caller.f_code.co_name != "habitat_incremental":
            return
        seen[0] += 1
        if seen[0] % a.every:
            return
        loc = caller.f_locals
        shared = loc.get("shared")
        recent = list(getattr(shared, "_recent", {}).values())
        geo = sum(int(shapely.get_num_coordinates(r.geometry)) * 16 for r in recent
                  if r.geometry is not None) / 2**20
        keys = sum(getattr(r.aoo_keys, "nbytes", 0) for r in recent) / 2**20
        used, free = _mallinfo()
        PROBES.append({"what": f"taxon {seen[0]}", "rss": rss_mb(), "heap_used": used,
                       "heap_free": free,
                       "parts_mb": sum(_deep_mb(p) for p in loc.get("parts", [])),
                       "shared_recent": len(recent), "shared_geom_mb": geo,
                       "shared_aoo_keys_mb": keys,
                       "shared_spilled": len(getattr(shared, "_spilled", {})),
                       "traced_mb": tracemalloc.get_traced_memory()[0] / 2**20
                       if tracemalloc.is_tracing() else None})
        print(json.dumps(PROBES[-1]), flush=True)

    heap.release = probe_release
    _staged(pipeline, "habitat_incremental", "habitat")
    _staged(pipeline, "taxa_table", "taxa_table")
    _staged(pipeline, "publish_outputs", "publish")
    _staged(vectors.LayerWriter, "add", "publish/layers")
    _staged(writer.MapWriter, "add", "publish/maps")
    _staged(writer.MapWriter, "finish", "publish/index")
    if a.tracemalloc:
        inner = pipeline.habitat_incremental

        def traced(*args, **kw):
            run = inner(*args, **kw)
            snaps["end of habitat"] = tracemalloc.take_snapshot()
            return run

        pipeline.habitat_incremental = traced
        tracemalloc.start(6)

    stop = threading.Event()
    th = threading.Thread(target=_sampler, args=(stop,), daemon=True)
    th.start()
    t0 = time.perf_counter()
    try:
        cli_main(["-v", "build", "--ranges", str(batch), "--out", str(a.work / "out"),
                  "--no-figures", "--force"])
    except SystemExit as e:
        if e.code:
            raise
    wall = time.perf_counter() - t0
    if a.tracemalloc:
        snaps["end of build"] = tracemalloc.take_snapshot()
    stop.set()
    th.join()

    stages: dict[str, list[float]] = {}
    for _, rss, st in SAMPLES:
        stages.setdefault(st, []).append(rss)
    print(f"\n{a.taxa} taxa, wall {wall:.0f} s, peak RSS {max(r for _, r, _ in SAMPLES):.0f} MB")
    print("| stage | samples | first MB | peak MB | last MB |")
    for st, v in stages.items():
        print(f"| {st} | {len(v)} | {v[0]:.0f} | {max(v):.0f} | {v[-1]:.0f} |")
    for p in PROBES:
        if not p["what"].startswith("taxon"):
            print(f"{p['what']}: rss {p['rss']:.0f}, heap used {p['heap_used']:.0f}, "
                  f"heap free {p['heap_free']:.0f}")
    for name, snap in snaps.items():
        snap = snap.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        total = sum(s.size for s in snap.statistics("filename")) / 2**20
        print(f"\ntracemalloc, {name}: {total:.1f} MB traced; largest sites")
        for s in snap.statistics("traceback")[:15]:
            print(f"  {s.size / 2**20:7.1f} MB {s.count:8d} blocks")
            for line in s.traceback.format()[-6:]:
                print("     ", line)
    (a.work / "samples.json").write_text(json.dumps(
        {"taxa": a.taxa, "wall_s": wall, "samples": SAMPLES, "probes": PROBES}),
        encoding="utf-8")


if __name__ == "__main__":
    main()
