"""Memory of publishing alone: ``write_maps`` over the first N taxa of a build (not a test).

Reads a build's GeoPackage and manifest (e.g. ``publish_batch.py --keep``'s
1,000-taxon build), keeps the first N taxa, and runs ``write_maps`` in this
process while a thread samples the resident set (``/proc/self/status``) every
20 ms.  Reports the RSS with the inputs loaded, the peak during publishing and
the difference: what publishing itself adds, which should not grow with N.
``--no-band-layers`` leaves out the band layers, whose engine runs peak with the
largest unit drawn (not with N).

Usage (one process per N, so peaks do not carry over)::

    for n in 10 100 1000; do
      PYTHONPATH=src python benchmarks/publish_memory.py /tmp/rmpub/n1000/out $n [--no-band-layers]
    done
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyogrio


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    build, n = Path(sys.argv[1]), int(sys.argv[2])
    bands = "--no-band-layers" not in sys.argv[3:]
    from rangemap.maps import write_maps
    from rangemap.pipeline import band_habitat, default_boundaries, default_dems
    from rangemap.rasters.dem import DemStack

    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    taxa = manifest["taxa"][:n]
    keep = {t["taxon_id"] for t in taxa}
    ranges = pyogrio.read_dataframe(build / "rangemap.gpkg", layer="ranges")
    habitat = pyogrio.read_dataframe(build / "rangemap.gpkg", layer="habitat")
    ranges = ranges[ranges["taxon_id"].isin(keep)].reset_index(drop=True)
    habitat = habitat[habitat["taxon_id"].isin(keep)].reset_index(drop=True)
    admin0 = pyogrio.read_dataframe(default_boundaries(), layer="admin0")
    base = rss_mb()
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, DemStack(default_dems()) as stack:
        files = write_maps(ranges, habitat, taxa, Path(tmp) / "maps", admin0,
                           relief=default_dems(),
                           band_layers=band_habitat(stack, 100.0) if bands else None)
        secs = time.perf_counter() - t0
    stop.set()
    th.join()
    print(json.dumps({"taxa": n, "band_layers": bands, "units": len(ranges),
                      "files": len(files),
                      "rss_inputs_mb": round(base, 1), "rss_peak_mb": round(peak[0], 1),
                      "publish_adds_mb": round(peak[0] - base, 1),
                      "seconds": round(secs, 1), "per_taxon_s": round(secs / n, 3)}))


if __name__ == "__main__":
    main()
