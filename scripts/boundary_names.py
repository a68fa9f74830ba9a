"""Look up the boundary names that gold labels must use (for labellers, not the extractor).

Usage::

    python scripts/boundary_names.py IND            # every admin-1 unit of India
    python scripts/boundary_names.py uttarakhand    # units whose name or alias contains the text

Prints ``ISO3<TAB>admin1_name<TAB>aliases`` from ``data/boundaries/boundaries.gpkg`` and the
alias table ``data/boundaries/aliases.csv``. Gold ``admin1`` pairs are ``[ISO3, admin1_name]``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pyogrio

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    q = argv[0]
    df = pyogrio.read_dataframe(ROOT / "data/boundaries/boundaries.gpkg", layer="admin1",
                                read_geometry=False)
    extra: dict[tuple[str, str], list[str]] = {}
    with open(ROOT / "data/boundaries/aliases.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["kind"] == "admin1":
                extra.setdefault((row["iso3"], row["admin1_name"]), []).append(row["alias"])
    for r in df.itertuples():
        aliases = [a for a in (r.aliases or "").split("|") if a]
        aliases += extra.get((r.iso3, r.admin1_name), [])
        hay = " ".join([r.admin1_name, *aliases]).lower()
        if (len(q) == 3 and q.isupper() and r.iso3 == q) or q.lower() in hay:
            print(f"{r.iso3}\t{r.admin1_name}\t{'|'.join(aliases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
