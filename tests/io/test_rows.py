"""RowSpool: rows parked on disk read back equal, dtypes included, to ``pd.concat`` of the
pieces (which is what the build held in memory before)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pytest

from rangemap.io.rows import RowSpool


def _piece(rng: np.random.Generator, n: int, kind: str) -> pd.DataFrame:
    """A habitat-like piece of ``n`` rows; ``kind`` picks the columns' dtypes."""
    text = [f"t{int(v)}" for v in rng.integers(0, 99, n)]
    floats = rng.random(n) * 1000
    ints = rng.integers(0, 10**6, n)
    frame = pd.DataFrame({
        "taxon_id": [f"taxon-{kind}"] * n,
        "admin1": text,            # str, or all None (object) below
        "area_km2": floats,        # float64
        "habitat_cells": ints,     # int64, or floats / all None below
        "note": [None] * n,        # object, all null, or text below
        "flag": rng.random(n) < 0.5,  # bool, or None mixed in below
    })
    if kind == "whole-country":
        frame["admin1"] = [None] * n
    elif kind == "float-cells":
        frame["habitat_cells"] = ints.astype("float64")
    elif kind == "null-cells":
        frame["habitat_cells"] = [None] * n
    elif kind == "noted":
        frame["note"] = [f"note {i}" if i % 2 else None for i in range(n)]
    elif kind == "nullable-flag":
        frame["flag"] = [None if i % 3 == 0 else bool(i % 2) for i in range(n)]
    elif kind == "empty":
        frame = frame.iloc[0:0]
    return frame


def _cells(rows: Iterable[tuple]) -> list[tuple]:
    """Rows as (type, value) cells, NaN as a marker (NaN != NaN)."""
    return [tuple((type(v).__name__, "NaN" if isinstance(v, float) and v != v else v)
                  for v in row) for row in rows]


KINDS = ["plain", "whole-country", "float-cells", "null-cells", "noted", "nullable-flag",
         "empty"]


@pytest.mark.parametrize("kinds", [
    ["plain"],
    ["plain", "plain", "plain"],
    ["plain", "whole-country"],
    ["whole-country", "plain", "float-cells"],
    ["plain", "null-cells", "float-cells"],
    ["noted", "plain"],
    ["plain", "nullable-flag", "plain"],
    ["plain", "empty", "whole-country"],
    KINDS,
    KINDS[::-1],
])
@pytest.mark.parametrize("span", [(0, None), (0, 1), (3, 17), (5, 6), (12, None), (7, 7)])
def test_rows_read_back_as_the_joined_table(kinds: list[str], span: tuple[int, int | None]
                                            ) -> None:
    rng = np.random.default_rng(len(kinds) * 7 + span[0])
    pieces = [_piece(rng, int(rng.integers(1, 8)), k) for k in kinds]
    joined = pd.concat(pieces, ignore_index=True)
    spool = RowSpool()
    try:
        for p in pieces:
            spool.append(p.set_axis(range(100, 100 + len(p))))  # any index: dropped
        assert len(spool) == len(joined) and spool.pieces == len(pieces)
        assert spool.dtypes == dict(joined.dtypes)
        start, stop = span
        want = joined.iloc[start:stop].reset_index(drop=True)
        pd.testing.assert_frame_equal(spool.read(start, stop), want, check_exact=True)
        pd.testing.assert_series_equal(spool.column("habitat_cells"),
                                       joined["habitat_cells"], check_exact=True)
        assert _cells(spool.itertuples()) == _cells(joined.itertuples(index=False))
        # the rows one piece at a time, then two at a time, are the table in order
        for size in (1, 2):
            got = list(spool.frames(size))
            assert len(got) == -(-len(pieces) // size)
            pd.testing.assert_frame_equal(pd.concat(got, ignore_index=True), joined,
                                          check_exact=True)
    finally:
        spool.close()


def test_a_cast_after_the_join() -> None:
    """``astype`` casts as the joined table's column would be (None -> NaN in float64)."""
    rng = np.random.default_rng(3)
    pieces = [_piece(rng, 4, "plain"), _piece(rng, 3, "null-cells")]
    joined = pd.concat(pieces, ignore_index=True)
    joined["habitat_cells"] = joined["habitat_cells"].astype("float64")
    spool = RowSpool()
    for p in pieces:
        spool.append(p)
    spool.astype({"habitat_cells": "float64"})
    pd.testing.assert_frame_equal(spool.read(), joined, check_exact=True)
    pd.testing.assert_frame_equal(spool.read(2, 6), joined.iloc[2:6].reset_index(drop=True),
                                  check_exact=True)
    spool.close()


def test_pieces_must_share_their_columns() -> None:
    spool = RowSpool()
    spool.append(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(ValueError, match="columns"):
        spool.append(pd.DataFrame({"b": [2], "a": [1]}))
    spool.close()
