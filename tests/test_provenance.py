"""Every file listed in data/PROVENANCE.md's checksum table has the size and sha256 it states.

A data file changed without its provenance row (an alias added, a grid rebuilt) would
otherwise leave a stale checksum that nobody notices.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
ROW = re.compile(r"^\| `([^`]+)` \| (\d+) \| `([0-9a-f]{64})` \|$", re.M)
ROWS = ROW.findall((DATA / "PROVENANCE.md").read_text(encoding="utf-8"))


def test_the_table_lists_the_embedded_data() -> None:
    names = {name for name, _, _ in ROWS}
    assert "boundaries/aliases.csv" in names
    assert "boundaries/boundaries.gpkg" in names


@pytest.mark.parametrize(("name", "size", "sha256"), ROWS, ids=[r[0] for r in ROWS])
def test_checksum_row_matches_the_file(name: str, size: str, sha256: str) -> None:
    path = DATA / name
    data = path.read_bytes()
    assert len(data) == int(size), f"{name}: size in data/PROVENANCE.md is stale"
    digest = hashlib.sha256(data).hexdigest()
    assert digest == sha256, f"{name}: sha256 in data/PROVENANCE.md is stale"
