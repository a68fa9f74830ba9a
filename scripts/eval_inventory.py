"""Inventory of the evaluation corpus: counts per split, format and group; checksums.

Usage::

    python scripts/eval_inventory.py [data/eval]

Prints texts per split x format, texts and taxa per group, continents are not inferred;
checks every gold file's ``sha256`` against its text and that no taxon is in both splits.
Exit 1 when a checksum differs or a taxon is in both splits.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "data" / "eval"
    texts: Counter[tuple[str, str]] = Counter()
    groups: Counter[tuple[str, str]] = Counter()
    taxa: dict[str, set[str]] = defaultdict(set)
    # A gold taxon with only a common name would escape the split check by its names
    # alone, so the file's own taxon (the stem before "__", e.g. "chionomys_nivalis")
    # is checked across the splits too.
    stems: dict[str, set[str]] = defaultdict(set)
    bad: list[str] = []
    for split in ("dev", "test"):
        for gold in sorted((root / split).glob("*.gold.yaml")):
            d = yaml.safe_load(gold.read_text(encoding="utf-8"))
            txt = gold.with_name(gold.name.replace(".gold.yaml", ".txt"))
            texts[(split, d.get("format") or "?")] += 1
            groups[(split, d.get("group") or "?")] += 1
            stems[split].add(gold.name.split("__")[0].removesuffix("_2").replace("_", " "))
            for t in d.get("taxa") or []:
                taxa[split].add(str(t.get("scientific_name") or t.get("name")).lower())
            want = d.get("sha256")
            if want and hashlib.sha256(txt.read_bytes()).hexdigest() != want:
                bad.append(f"{txt}: sha256 differs from its gold file")
    formats = sorted({f for _, f in texts})
    print("| format | dev | test |\n|---|---:|---:|")
    for f in formats:
        print(f"| {f} | {texts[('dev', f)]} | {texts[('test', f)]} |")
    print(f"| **all** | {sum(v for (s, _), v in texts.items() if s == 'dev')} | "
          f"{sum(v for (s, _), v in texts.items() if s == 'test')} |\n")
    print("| group | dev texts | test texts |\n|---|---:|---:|")
    for g in sorted({g for _, g in groups}):
        print(f"| {g} | {groups[('dev', g)]} | {groups[('test', g)]} |")
    dev, test = taxa["dev"] | stems["dev"], taxa["test"] | stems["test"]
    both = dev & test
    print(f"\ntaxa: dev {len(taxa['dev'])}, test {len(taxa['test'])}, "
          f"distinct {len(taxa['dev'] | taxa['test'])}, in both splits {len(both)}")
    for b in bad:
        print(b, file=sys.stderr)
    for t in sorted(both):
        print(f"taxon in both splits: {t}", file=sys.stderr)
    return 1 if bad or both else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
