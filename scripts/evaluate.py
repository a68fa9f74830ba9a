"""Score rangemap's extractor against hand-written gold labels.

Usage::

    PYTHONPATH=src python scripts/evaluate.py FOLDER [FOLDER ...] [--gold DIR]
        [--boundaries GPKG] [--include-uncertain] [--json]

Prints, per document, per source format (the gold files' ``format``) and overall:
micro precision/recall/F1 of range countries and named admin-1 units, the share of
taxa whose elevation band is exactly right (minimum and maximum), and the share of
gold taxa found. The gold format is described in ``docs/LABELLING.md``; the
scoring rules in :mod:`rangemap.evaluation` (which tests import instead of this
script). Exit status is 0 when scoring ran (whatever the figures), 2 on usage or
data errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from rangemap.evaluation import main
except ModuleNotFoundError:  # run without PYTHONPATH=src: use this checkout's package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from rangemap.evaluation import main

if __name__ == "__main__":
    sys.exit(main())
