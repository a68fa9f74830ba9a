"""Score rangemap's extractor against hand-written gold labels.

Usage::

    PYTHONPATH=src python scripts/evaluate.py FOLDER [FOLDER ...] [--boundaries GPKG] [--json]

For every ``X.txt`` in a folder that has a gold file ``X.gold.yaml`` beside it
(or ``X.yaml`` in a ``gold/`` sub-folder, or given with ``--gold DIR``), the
document is extracted on its own and compared with the gold labels. Printed:
per document and micro-averaged precision, recall and F1 of

* **countries** -- pairs (taxon, ISO3) of the range *units* (countries named,
  implied by a named admin-1 unit, or added by a region);
* **admin-1** -- pairs (taxon, ISO3, boundary admin-1 name) of the admin-1
  units *named* in range statements (the ``admin1`` list);

and elevation accuracy: for every gold taxon, ``elevation_min_m`` and
``elevation_max_m`` are compared (exact match, ``null`` = not stated, counts
too) and the mean absolute error over taxa where both values are numbers.

Extracted taxa are matched to gold taxa by scientific name, else by common
name (case and hyphens ignored). Places of extracted taxa that are not in the
gold file count as false positives, so spurious taxa lower precision.

Gold file format (YAML)::

    document: 002_6a169be1f87737dc.txt
    taxa:
      - scientific_name: Moschus leucogaster   # or null
        name: white-bellied musk deer
        rank: species                          # species | genus
        countries: [NPL, BTN, IND, PAK, CHN, AFG]
        admin1: [[IND, Sikkim], [CHN, Xizang]] # boundary names
        regions: [Himalayas]                   # optional, reported only
        elevation_min_m: 2500                  # null = not stated
        elevation_max_m: null
    notes:
      - why each judgment call was made

Exit status is 0 when scoring ran (whatever the figures), 2 on usage or data
errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BOUNDARIES = ROOT / "data" / "boundaries" / "boundaries.gpkg"


def _norm(s: str | None) -> str:
    return " ".join((s or "").lower().replace("-", " ").split())


@dataclass
class Counts:
    """True positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, pred: set, gold: set) -> None:
        self.tp += len(pred & gold)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)

    def __iadd__(self, other: Counts) -> Counts:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    @property
    def precision(self) -> float | None:
        d = self.tp + self.fp
        return self.tp / d if d else None

    @property
    def recall(self) -> float | None:
        d = self.tp + self.fn
        return self.tp / d if d else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class DocScore:
    """Scores of one document."""

    document: str
    countries: Counts = field(default_factory=Counts)
    admin1: Counts = field(default_factory=Counts)
    regions: Counts = field(default_factory=Counts)
    elev: list[tuple[str, str, float | None, float | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # human-readable differences


def load_gold(path: Path) -> dict[str, Any]:
    """Read and check a gold file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("taxa"), list):
        raise ValueError(f"{path}: a gold file needs a 'taxa' list")
    for t in data["taxa"]:
        if not (t.get("scientific_name") or t.get("name")):
            raise ValueError(f"{path}: every taxon needs scientific_name or name")
    return data


def _key_of(rec: dict[str, Any], gold_taxa: list[dict[str, Any]]) -> str:
    """Gold key an extracted record matches, else its own key."""
    sci = rec.get("scientific_name")
    names = {_norm(rec.get("name"))} | {_norm(c) for c in rec.get("common_names", [])}
    for i, g in enumerate(gold_taxa):
        if sci and g.get("scientific_name") == sci:
            return f"gold{i}"
    for i, g in enumerate(gold_taxa):
        if not g.get("scientific_name") or not sci:
            if _norm(g.get("name")) in names:
                return f"gold{i}"
    return f"pred:{sci or _norm(rec.get('name'))}"


def predicted_sets(rec: dict[str, Any]) -> tuple[set, set, set]:
    """(countries, admin1, regions) of an extracted record, as scored."""
    countries = {u["iso3"] for u in rec["units"]}
    admin1 = {(a["country_iso3"], a["boundary_name"]) for a in rec["admin1"]}
    regions = {r["name"] for r in rec["regions"]}
    return countries, admin1, regions


def score_document(result: dict[str, Any], gold: dict[str, Any], document: str) -> DocScore:
    """Compare the extraction of one document with its gold labels."""
    gt = gold["taxa"]
    pred: dict[str, tuple[set, set, set, dict[str, Any]]] = {}
    for rec in result["species"]:
        k = _key_of(rec, gt)
        c, a, r = predicted_sets(rec)
        if k in pred:
            pc, pa, pr, prec = pred[k]
            pred[k] = (pc | c, pa | a, pr | r, prec)
        else:
            pred[k] = (c, a, r, rec)
    ds = DocScore(document)
    keys = {f"gold{i}" for i in range(len(gt))} | set(pred)
    for k in sorted(keys):
        g = gt[int(k[4:])] if k.startswith("gold") else None
        gc = set(g.get("countries") or []) if g else set()
        ga = {tuple(x) for x in (g.get("admin1") or [])} if g else set()
        gr = set(g.get("regions") or []) if g else set()
        pc, pa, pr, prec = pred.get(k, (set(), set(), set(), None))
        label = (g.get("scientific_name") or g.get("name")) if g else k[5:]
        ds.countries.add({(k, x) for x in pc}, {(k, x) for x in gc})
        ds.admin1.add({(k, x) for x in pa}, {(k, x) for x in ga})
        if g is not None and "regions" in g:
            ds.regions.add({(k, x) for x in pr}, {(k, x) for x in gr})
        for what, p, q in (("countries", pc, gc), ("admin1", pa, ga)):
            if p - q:
                ds.errors.append(f"{label}: extra {what} {sorted(p - q)}")
            if q - p:
                ds.errors.append(f"{label}: missing {what} {sorted(q - p)}")
        if g is not None:
            for bound in ("elevation_min_m", "elevation_max_m"):
                if bound in g:
                    got = prec[bound] if prec is not None else None
                    ds.elev.append((label, bound, g[bound], got))
                    if got != g[bound]:
                        ds.errors.append(f"{label}: {bound} {got} (gold {g[bound]})")
    return ds


def find_gold(txt: Path, gold_dir: Path | None) -> Path | None:
    """Gold file of a document, if any."""
    cands = [txt.with_name(txt.stem + ".gold.yaml")]
    if gold_dir is not None:
        cands.insert(0, gold_dir / (txt.stem + ".yaml"))
    cands.append(txt.parent / "gold" / (txt.stem + ".yaml"))
    return next((c for c in cands if c.is_file()), None)


def evaluate(folders: list[Path], boundaries: Path, gold_dir: Path | None = None
             ) -> list[DocScore]:
    """Extract and score every labelled document of ``folders``."""
    from rangemap.extract import extract_documents
    from rangemap.gazetteer import Gazetteer

    gaz = Gazetteer.load(boundaries)
    out: list[DocScore] = []
    for folder in folders:
        for txt in sorted(folder.glob("*.txt")):
            gpath = find_gold(txt, gold_dir)
            if gpath is None:
                continue
            gold = load_gold(gpath)
            result = extract_documents([txt], gaz)
            out.append(score_document(result, gold, txt.name))
    return out


def _f(v: float | None) -> str:
    return "  -  " if v is None else f"{v:5.2f}"


def elevation_summary(scores: list[DocScore]) -> dict[str, Any]:
    """Exact-match counts and mean absolute error of elevation bounds."""
    out: dict[str, Any] = {}
    for bound in ("elevation_min_m", "elevation_max_m"):
        rows = [(g, p) for s in scores for _, b, g, p in s.elev if b == bound]
        exact = sum(1 for g, p in rows if g == p)
        both = [abs(g - p) for g, p in rows if g is not None and p is not None]
        out[bound] = {"exact": exact, "n": len(rows),
                      "mae_m": (sum(both) / len(both)) if both else None,
                      "n_numeric": len(both)}
    return out


def report(scores: list[DocScore]) -> str:
    """The printed table."""
    lines = []
    head = (f"{'document':34} {'countries P/R/F1':>20} {'admin-1 P/R/F1':>20} "
            f"{'elev min':>9} {'elev max':>9}")
    lines += [head, "-" * len(head)]
    tot_c, tot_a, tot_r = Counts(), Counts(), Counts()

    def prf(c: Counts) -> str:
        return f"{_f(c.precision)} {_f(c.recall)} {_f(c.f1)}"

    for s in scores:
        tot_c += s.countries
        tot_a += s.admin1
        tot_r += s.regions
        el = {b: [(g, p) for _, bb, g, p in s.elev if bb == b]
              for b in ("elevation_min_m", "elevation_max_m")}
        em = "/".join(str(sum(g == p for g, p in el[b])) + "/" + str(len(el[b]))
                      for b in ("elevation_min_m",))
        ex = "/".join(str(sum(g == p for g, p in el[b])) + "/" + str(len(el[b]))
                      for b in ("elevation_max_m",))
        lines.append(f"{s.document[:34]:34} {prf(s.countries):>20} {prf(s.admin1):>20} "
                     f"{em:>9} {ex:>9}")
    lines.append("-" * len(head))
    lines.append(f"{'micro-average':34} {prf(tot_c):>20} {prf(tot_a):>20}")
    lines.append(f"counts: countries tp={tot_c.tp} fp={tot_c.fp} fn={tot_c.fn}; "
                 f"admin-1 tp={tot_a.tp} fp={tot_a.fp} fn={tot_a.fn}; "
                 f"regions P/R/F1 {prf(tot_r)}")
    for bound, v in elevation_summary(scores).items():
        mae = "n/a" if v["mae_m"] is None else f"{v['mae_m']:.0f} m"
        lines.append(f"{bound}: exact {v['exact']}/{v['n']}, mean absolute error {mae} "
                     f"(over {v['n_numeric']} taxa with both values)")
    errs = [(s.document, e) for s in scores for e in s.errors]
    if errs:
        lines.append("differences:")
        lines += [f"  {d}: {e}" for d, e in errs]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path, help="folders of .txt documents")
    ap.add_argument("--gold", type=Path, default=None,
                    help="folder of <stem>.yaml gold files (default: beside the texts)")
    ap.add_argument("--boundaries", type=Path, default=DEFAULT_BOUNDARIES)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    try:
        for f in args.folders:
            if not f.is_dir():
                raise ValueError(f"{f}: not a folder")
        scores = evaluate(args.folders, args.boundaries, args.gold)
    except Exception as exc:  # noqa: BLE001 - reported as a one-line error
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    if not scores:
        print("evaluate: no labelled documents found (X.txt needs X.gold.yaml)",
              file=sys.stderr)
        return 2
    if args.json:
        tot_c, tot_a = Counts(), Counts()
        for s in scores:
            tot_c += s.countries
            tot_a += s.admin1
        print(json.dumps({
            "documents": [{"document": s.document,
                           "countries": vars(s.countries), "admin1": vars(s.admin1),
                           "differences": s.errors} for s in scores],
            "micro": {"countries": {"precision": tot_c.precision, "recall": tot_c.recall,
                                    "f1": tot_c.f1},
                      "admin1": {"precision": tot_a.precision, "recall": tot_a.recall,
                                 "f1": tot_a.f1}},
            "elevation": elevation_summary(scores),
        }, indent=2))
    else:
        print(report(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
