"""Live progress on a terminal (one stderr line rewritten in place)."""

from __future__ import annotations

import sys


class Bar:
    """Live progress on a terminal: the blocks of the taxon being computed, units done.

    One line on stderr, rewritten in place (``\\r``); cleared at the end.  Called as
    the pipeline's ``progress(n, total, label)`` after units, and its ``blocks(done,
    total, label)`` after every block (see ``pipeline.BlockProgress``).
    """

    def __init__(self, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.units = 0
        self.total = 0
        self.width = 0

    def __call__(self, n: int, total: int, label: str) -> None:
        self.units += n
        self.total = total
        self._show(f"habitat: {self.units}/{total} units ({label})")

    def blocks(self, done: int, total: int, label: str) -> None:
        units = f"{self.units}/{self.total} units; " if self.total else ""
        self._show(f"habitat: {units}{label}: block {done}/{total}")

    def _show(self, text: str) -> None:
        text = text[:110]
        self.stream.write("\r" + text + " " * max(0, self.width - len(text)))
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

