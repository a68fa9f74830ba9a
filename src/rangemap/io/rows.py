"""A table's rows parked in an anonymous temporary file (:class:`RowSpool`).

A build's habitat stage makes one small attribute table per taxon.  Held in memory until
the end, 1,000 taxa of 10 units kept ~35 MB of pandas objects (a 10-row frame of 45
columns is ~35 KB of blocks, indexes and cells) scattered over Python's small-object
arenas, which are not handed back when the frames go: the resident set grew with the
number of taxa.  The spool keeps each piece pickled on disk and reads rows back a few
pieces at a time, with the dtypes ``pd.concat`` of every piece gives (which depend on
all the pieces: a taxon whose ``admin1`` is all None makes the column ``object``).
"""

from __future__ import annotations

import bisect
import pickle
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from rangemap.fsutil import Spill


class RowSpool:
    """Row pieces of one table (same columns), appended in order, read back by position.

    What stays in memory per piece is three numbers, plus one row per distinct kind
    of column (dtype, all-null, empty) over the whole table, from which the table's
    dtypes are found exactly as ``pd.concat`` finds them.  :meth:`read` casts each
    piece to those dtypes before joining them, as ``pd.concat`` does: the rows read are
    equal, dtypes included, to the same rows of ``pd.concat(pieces, ignore_index=True)``.
    """

    def __init__(self) -> None:
        self._spill = Spill()
        self._where = array("q")  # (offset, length) of each pickled piece
        self._starts = array("q", [0])  # first row of each piece; the last entry: rows
        self._columns: list[str] | None = None
        self._kinds: dict[str, dict[tuple[Any, bool, bool], pd.DataFrame]] = {}
        self._dtypes: dict[str, Any] | None = None
        self._then: dict[str, Any] = {}

    def __len__(self) -> int:
        return int(self._starts[-1])

    @property
    def pieces(self) -> int:
        return len(self._where) // 2

    @property
    def columns(self) -> list[str]:
        return list(self._columns or [])

    def append(self, frame: pd.DataFrame) -> None:
        """Park ``frame``'s rows after the others (its index is dropped)."""
        frame = frame.reset_index(drop=True)
        if self._columns is None:
            self._columns = list(frame.columns)
        elif list(frame.columns) != self._columns:
            raise ValueError(f"RowSpool.append: columns {list(frame.columns)} differ from "
                             f"{self._columns}")
        empty = not len(frame)
        for c in self._columns:
            col = frame[c]
            na = np.asarray(col.isna(), dtype=bool)
            key = (col.dtype, bool(na.all()), empty)
            kinds = self._kinds.setdefault(c, {})
            if key not in kinds:
                pos = 0 if empty or key[1] else int(np.argmin(na))
                kinds[key] = frame[[c]].iloc[pos:pos + 1].copy()
        at, n = self._spill.put(pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL))
        self._where.extend((at, n))
        self._starts.append(self._starts[-1] + len(frame))
        self._dtypes = None

    def astype(self, dtypes: dict[str, Any]) -> None:
        """Cast columns of every row read from now on, after the table's own dtypes
        (as ``table[c] = table[c].astype(d)`` on the joined table would)."""
        self._then.update(dtypes)

    @property
    def dtypes(self) -> dict[str, Any]:
        """Each column's dtype in the joined table (``pd.concat`` of every piece)."""
        if self._dtypes is None:
            out = {}
            for c in self.columns:
                reps = list(self._kinds[c].values())
                out[c] = (reps[0][c].dtype if len(reps) == 1
                          else pd.concat(reps, ignore_index=True)[c].dtype)
            self._dtypes = out
        return self._dtypes

    def _piece(self, i: int) -> pd.DataFrame:
        frame = pickle.loads(self._spill.get(self._where[2 * i], self._where[2 * i + 1]))
        dtypes = self.dtypes
        cast = {c: d for c, d in dtypes.items() if frame[c].dtype != d}
        return frame.astype(cast) if cast else frame

    def read(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Rows ``start`` to ``stop`` (exclusive) with the joined table's dtypes; index 0..n-1."""
        n = len(self)
        stop = n if stop is None else min(stop, n)
        start = max(0, start)
        if self._columns is None:
            return pd.DataFrame()
        if stop <= start:
            parts = [self._piece(0).iloc[0:0]] if self.pieces else []
        else:
            first = bisect.bisect_right(self._starts, start) - 1
            last = bisect.bisect_left(self._starts, stop) - 1
            parts = []
            for i in range(first, last + 1):
                a, b = self._starts[i], self._starts[i + 1]
                piece = self._piece(i)
                if start > a or stop < b:
                    piece = piece.iloc[max(start, a) - a:min(stop, b) - a]
                parts.append(piece)
        out = (parts[0].reset_index(drop=True) if len(parts) == 1
               else pd.concat(parts, ignore_index=True))
        for c, d in self._then.items():
            if c in out:
                out[c] = out[c].astype(d)
        return out

    def frames(self, span: int = 1) -> Iterator[pd.DataFrame]:
        """The table ``span`` pieces at a time, in order."""
        for i in range(0, self.pieces, span):
            yield self.read(self._starts[i], self._starts[min(i + span, self.pieces)])

    def column(self, name: str) -> pd.Series:
        """One column of every row (read a piece at a time)."""
        parts = [f[name] for f in self.frames()]
        if not parts:
            return pd.Series([], dtype=self.dtypes.get(name, object), name=name)
        return pd.concat(parts, ignore_index=True)

    def itertuples(self, index: bool = False, name: str | None = "Pandas") -> Iterator[Any]:
        """``DataFrame.itertuples`` over every row, a piece at a time."""
        for f in self.frames():
            yield from f.itertuples(index=index, name=name)

    def close(self) -> None:
        self._spill.close()
