"""Print the admin-1 names of the boundary file that are also ordinary English words.

Usage::

    PYTHONPATH=src python scripts/common_word_admin1.py [WORDLIST] [--boundaries GPKG]

WORDLIST defaults to ``/usr/share/dict/american-english`` (Debian package ``wamerican``;
the list in :data:`rangemap.gazetteer.COMMON_WORD_ADMIN1` was made from wamerican
2020.12.07-2). A name counts when its folded one-word form (a leading "The" dropped) is a
lower-case entry of the word list, i.e. a common word rather than a proper noun ("Malé" =
"male", "The Valley" = "valley"; not "Georgia"); names made only of generic words
(:data:`rangemap.gazetteer.GENERIC_ADMIN1_WORDS`) are never matched anyway and are left
out. Paste the printed set into ``gazetteer.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    from rangemap.gazetteer import GENERIC_ADMIN1_WORDS, fold
except ModuleNotFoundError:  # run without PYTHONPATH=src: use this checkout's package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from rangemap.gazetteer import GENERIC_ADMIN1_WORDS, fold

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wordlist", nargs="?", default="/usr/share/dict/american-english")
    ap.add_argument("--boundaries", default=str(ROOT / "data/boundaries/boundaries.gpkg"))
    args = ap.parse_args(argv)
    path = Path(args.wordlist)
    if not path.is_file():
        print(f"{path}: word list not found; install Debian's wamerican or pass a list",
              file=sys.stderr)
        return 2
    import pyogrio

    lower = {w.strip() for w in path.read_text(encoding="utf-8").splitlines()
             if w.strip().islower()}
    a1 = pyogrio.read_dataframe(args.boundaries, layer="admin1", read_geometry=False)
    found = set()
    for name in a1["admin1_name"]:
        f = fold(str(name))
        f = f[4:] if f.startswith("the ") else f
        if f.isalpha() and len(f) >= 3 and f in lower and f not in GENERIC_ADMIN1_WORDS:
            found.add(f)
    print(sorted(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
