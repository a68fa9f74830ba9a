"""Score the extractor against hand-written gold labels (``docs/LABELLING.md``).

The command-line front end is ``scripts/evaluate.py``; tests import this module
(not the script). For every ``X.txt`` in a folder that has a gold file
``X.gold.yaml`` beside it (or ``X.yaml`` in a ``gold/`` sub-folder, or in the
folder given with ``--gold``), the document is extracted on its own and compared
with its gold labels. Scored, overall and per source ``format`` of the gold file:

* **countries** -- micro precision/recall/F1 of pairs (taxon, ISO3) of the range
  *units* (countries named, implied by a named admin-1 unit, or added by a region);
* **admin-1** -- micro P/R/F1 of pairs (taxon, ISO3, boundary admin-1 name) of the
  admin-1 units *named* in range statements (the ``admin1`` list);
* **elevation band exactly right** -- share of gold taxa whose ``elevation_min_m``
  and ``elevation_max_m`` are both right (``null`` = not stated counts too); the
  per-bound exact counts and the mean absolute error are reported as well;
* **taxa found** -- share of gold taxa matched by an extracted record;
* **status leaks** (reported, not scored) -- gold ``uncertain``/``former``/
  ``introduced`` countries that the extractor put in the range anyway.

Extracted taxa are matched to gold taxa by scientific name, else by common name
(case and hyphens ignored). Places of extracted taxa that are not in the gold
file count as false positives, so spurious taxa lower precision. Unknown keys of
a gold file (provenance, ``group`` ...) are ignored.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rangemap.extract import extract_documents
from rangemap.gazetteer import Gazetteer

__all__ = [
    "Counts",
    "DocScore",
    "evaluate",
    "find_gold",
    "load_gold",
    "main",
    "report",
    "score_document",
    "summarize",
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BOUNDARIES = ROOT / "data" / "boundaries" / "boundaries.gpkg"
#: Format label of gold files that give none (the seed documents).
NO_FORMAT = "unspecified"
_STATUS_KEYS = ("uncertain", "former", "introduced")


def _norm(s: str | None) -> str:
    return " ".join((s or "").lower().replace("-", " ").split())


@dataclass
class Counts:
    """True positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, pred: set, gold: set) -> None:
        """Count one comparison of predicted and gold sets."""
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

    def as_dict(self) -> dict[str, Any]:
        """Counts and rates (JSON form)."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


@dataclass
class DocScore:
    """Scores of one document."""

    document: str
    format: str = NO_FORMAT
    countries: Counts = field(default_factory=Counts)
    admin1: Counts = field(default_factory=Counts)
    regions: Counts = field(default_factory=Counts)
    #: (taxon label, bound, gold value, extracted value)
    elev: list[tuple[str, str, float | None, float | None]] = field(default_factory=list)
    #: (taxon label, band exactly right)
    bands: list[tuple[str, bool]] = field(default_factory=list)
    #: (taxon label, found)
    taxa: list[tuple[str, bool]] = field(default_factory=list)
    #: gold uncertain/former/introduced countries mapped anyway: (taxon, key, iso3)
    status_leaks: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # human-readable differences


def load_gold(path: Path) -> dict[str, Any]:
    """Read and check a gold file (format: ``docs/LABELLING.md``).

    Raises
    ------
    ValueError
        If the file is not YAML or lacks the taxon list or a taxon's name.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise ValueError(f"{path}: not valid YAML{at}; fix the gold file") from None
    if not isinstance(data, dict) or not isinstance(data.get("taxa"), list):
        raise ValueError(f"{path}: a gold file needs a 'taxa' list")
    for t in data["taxa"]:
        if not isinstance(t, dict) or not (t.get("scientific_name") or t.get("name")):
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
        if (not g.get("scientific_name") or not sci) and g.get("name"):
            if _norm(g.get("name")) in names:
                return f"gold{i}"
    return f"pred:{sci or _norm(rec.get('name'))}"


def predicted_sets(rec: dict[str, Any]) -> tuple[set, set, set]:
    """(countries, admin1, regions) of an extracted record, as scored."""
    countries = {u["iso3"] for u in rec["units"]}
    admin1 = {(a["country_iso3"], a["boundary_name"]) for a in rec["admin1"]
              if a.get("status", "native") in ("native", "reintroduced")}
    regions = {r["name"] for r in rec["regions"]
               if r.get("status", "native") in ("native", "reintroduced")}
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
    ds = DocScore(document, str(gold.get("format") or NO_FORMAT))
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
        if g is None:
            continue
        ds.taxa.append((label, prec is not None))
        if prec is None:
            ds.errors.append(f"{label}: taxon not found")
        for skey in _STATUS_KEYS:
            for iso3 in sorted(set(g.get(skey) or []) - gc):
                if iso3 in pc:
                    ds.status_leaks.append((label, skey, iso3))
                    ds.errors.append(f"{label}: {skey} country {iso3} mapped as range")
        right = True
        for bound in ("elevation_min_m", "elevation_max_m"):
            want = g.get(bound)
            got = prec.get(bound) if prec is not None else None
            ds.elev.append((label, bound, want, got))
            if got != want:
                right = False
                ds.errors.append(f"{label}: {bound} {got} (gold {want})")
        ds.bands.append((label, right))
    return ds


def find_gold(txt: Path, gold_dir: Path | None) -> Path | None:
    """Gold file of a document, if any."""
    cands = [txt.with_name(txt.stem + ".gold.yaml")]
    if gold_dir is not None:
        cands.insert(0, gold_dir / (txt.stem + ".yaml"))
    cands.append(txt.parent / "gold" / (txt.stem + ".yaml"))
    return next((c for c in cands if c.is_file()), None)


def evaluate(folders: list[Path], boundaries: Path = DEFAULT_BOUNDARIES,
             gold_dir: Path | None = None, include_uncertain: bool = False
             ) -> list[DocScore]:
    """Extract and score every labelled document of ``folders``."""
    gaz = Gazetteer.load(boundaries)
    out: list[DocScore] = []
    for folder in folders:
        for txt in sorted(folder.glob("*.txt")):
            gpath = find_gold(txt, gold_dir)
            if gpath is None:
                continue
            gold = load_gold(gpath)
            result = extract_documents([txt], gaz, include_uncertain=include_uncertain)
            out.append(score_document(result, gold, txt.name))
    return out


def _share(rows: list[tuple[str, bool]]) -> dict[str, Any]:
    n = len(rows)
    k = sum(1 for _, ok in rows if ok)
    return {"right": k, "n": n, "share": (k / n) if n else None}


def summarize(scores: list[DocScore]) -> dict[str, Any]:
    """Micro figures of a list of document scores (see the module docs)."""
    c, a, r = Counts(), Counts(), Counts()
    for s in scores:
        c += s.countries
        a += s.admin1
        r += s.regions
    elev: dict[str, Any] = {}
    for bound in ("elevation_min_m", "elevation_max_m"):
        rows = [(g, p) for s in scores for _, b, g, p in s.elev if b == bound]
        both = [abs(g - p) for g, p in rows if g is not None and p is not None]
        elev[bound] = {"exact": sum(1 for g, p in rows if g == p), "n": len(rows),
                       "mae_m": (sum(both) / len(both)) if both else None,
                       "n_numeric": len(both)}
    return {
        "documents": len(scores),
        "countries": c.as_dict(),
        "admin1": a.as_dict(),
        "regions": r.as_dict(),
        "elevation_band": _share([b for s in scores for b in s.bands]),
        "elevation": elev,
        "taxa_found": _share([t for s in scores for t in s.taxa]),
        "status_leaks": sum(len(s.status_leaks) for s in scores),
    }


def per_format(scores: list[DocScore]) -> dict[str, dict[str, Any]]:
    """:func:`summarize` for each gold ``format``."""
    formats = sorted({s.format for s in scores})
    return {f: summarize([s for s in scores if s.format == f]) for f in formats}


def _f(v: float | None) -> str:
    return "  -  " if v is None else f"{v:5.2f}"


def _prf(c: dict[str, Any]) -> str:
    return f"{_f(c['precision'])} {_f(c['recall'])} {_f(c['f1'])}"


def _frac(d: dict[str, Any]) -> str:
    return f"{d['right']}/{d['n']}" + ("" if d["share"] is None else f" {d['share']:.2f}")


def report(scores: list[DocScore]) -> str:
    """The printed tables: per document, per format and overall."""
    lines = []
    head = (f"{'document':34} {'countries P/R/F1':>17} {'admin-1 P/R/F1':>17} "
            f"{'band':>6} {'taxa':>6}")
    lines += [head, "-" * len(head)]
    for s in scores:
        one = summarize([s])
        lines.append(f"{s.document[:34]:34} {_prf(one['countries']):>17} "
                     f"{_prf(one['admin1']):>17} "
                     f"{one['elevation_band']['right']}/{one['elevation_band']['n']:<4} "
                     f"{one['taxa_found']['right']}/{one['taxa_found']['n']}")
    lines.append("")
    fhead = (f"{'format':14} {'docs':>4} {'countries P/R/F1':>17} {'admin-1 P/R/F1':>17} "
             f"{'band exact':>11} {'taxa found':>11}")
    lines += [fhead, "-" * len(fhead)]
    groups = list(per_format(scores).items()) + [("overall", summarize(scores))]
    for name, m in groups:
        if name == "overall":
            lines.append("-" * len(fhead))
        lines.append(f"{name[:14]:14} {m['documents']:>4} {_prf(m['countries']):>17} "
                     f"{_prf(m['admin1']):>17} {_frac(m['elevation_band']):>11} "
                     f"{_frac(m['taxa_found']):>11}")
    tot = summarize(scores)
    # "micro-average" kept as the overall line's name in older reports and scripts
    lines.append(f"micro-average: countries {_prf(tot['countries'])}; admin-1 "
                 f"{_prf(tot['admin1'])}")
    c, a = tot["countries"], tot["admin1"]
    lines.append(f"counts: countries tp={c['tp']} fp={c['fp']} fn={c['fn']}; "
                 f"admin-1 tp={a['tp']} fp={a['fp']} fn={a['fn']}; "
                 f"regions P/R/F1 {_prf(tot['regions'])}; "
                 f"status leaks {tot['status_leaks']}")
    for bound, v in tot["elevation"].items():
        mae = "n/a" if v["mae_m"] is None else f"{v['mae_m']:.0f} m"
        lines.append(f"{bound}: exact {v['exact']}/{v['n']}, mean absolute error {mae} "
                     f"(over {v['n_numeric']} taxa with both values)")
    errs = [(s.document, e) for s in scores for e in s.errors]
    if errs:
        lines.append("differences:")
        lines += [f"  {d}: {e}" for d, e in errs]
    return "\n".join(lines)


def as_json(scores: list[DocScore]) -> dict[str, Any]:
    """All figures as one JSON-able dict."""
    tot = summarize(scores)
    return {
        "documents": [
            {"document": s.document, "format": s.format, **summarize([s]),
             "differences": s.errors} for s in scores],
        "per_format": per_format(scores),
        "overall": tot,
        # kept for readers of the earlier output
        "micro": {"countries": tot["countries"], "admin1": tot["admin1"]},
        "elevation": tot["elevation"],
    }


def main(argv: list[str] | None = None) -> int:
    """``scripts/evaluate.py``: exit 0 when scoring ran, 2 on usage or data errors."""
    ap = argparse.ArgumentParser(
        prog="evaluate.py", description="Score rangemap's extractor against gold labels.")
    ap.add_argument("folders", nargs="+", type=Path, help="folders of .txt documents")
    ap.add_argument("--gold", type=Path, default=None,
                    help="folder of <stem>.yaml gold files (default: beside the texts)")
    ap.add_argument("--boundaries", type=Path, default=DEFAULT_BOUNDARIES)
    ap.add_argument("--include-uncertain", action="store_true",
                    help="map places given as possible/probable too (as 'rangemap extract "
                    "--include-uncertain')")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    try:
        for f in args.folders:
            if not f.is_dir():
                raise ValueError(f"{f}: not a folder; give folders of .txt documents")
        scores = evaluate(args.folders, args.boundaries, args.gold, args.include_uncertain)
    except Exception as exc:  # noqa: BLE001 - reported as a one-line error
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    if not scores:
        print("evaluate: no labelled documents found (X.txt needs X.gold.yaml)",
              file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(scores), indent=2))
    else:
        print(report(scores))
    return 0
