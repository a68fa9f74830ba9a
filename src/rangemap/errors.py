"""Errors a user can cause, as domain types.

Every error raised on purpose by rangemap derives from :class:`RangemapError`;
the CLI turns it into a one-line message and an exit code (1 data, 2 usage; the
mapping is :data:`rangemap.cli.group.EXIT_CODES`), never a traceback.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field


class RangemapError(Exception):
    """Base class: a problem with the user's input, reported in one line."""


class DataError(RangemapError):
    """Bad or missing input data (a file, its contents, its CRS). Exit 1."""


def first_line(exc: BaseException, default: str | None = None) -> str:
    """First line of an exception's text, for one-line messages (GDAL errors run long)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else (default or type(exc).__name__)


class UsageError(RangemapError):
    """Bad options or option combinations. Exit 2."""


# ---------------------------------------------------------------- warnings
#
# A probably-wrong result is a warning, never silence.  Stages call
# ``warn(code, message)``; the CLI collects them for the whole run
# (``collecting()``), prints a summary at the end, and build writes them to
# manifest.json.  With ``--strict`` a command calls ``check_strict()`` before it
# commits any output, so warnings become exit 1 and earlier outputs stay.

class StrictError(DataError):
    """Warnings under ``--strict``: exit 1, outputs not written."""


@dataclass(frozen=True)
class RunWarning:
    """One probably-wrong result: a stable ``code`` and a one-line ``message``."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class WarningLog:
    """The warnings of one run, in the order raised, without duplicates."""

    strict: bool = False
    items: list[RunWarning] = field(default_factory=list)

    def add(self, code: str, message: str) -> None:
        w = RunWarning(code, message)
        if w not in self.items:
            self.items.append(w)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[RunWarning]:
        return iter(self.items)

    def to_list(self) -> list[dict[str, str]]:
        """JSON-ready list (manifest.json ``warnings``)."""
        return [w.to_dict() for w in self.items]

    def summary(self) -> list[str]:
        """Lines for the end of a run: a count, then one line per warning."""
        if not self.items:
            return []
        n = len(self.items)
        return [f"{n} warning{'s' if n != 1 else ''}:"] + [
            f"  [{w.code}] {w.message}" for w in self.items]

    def check_strict(self) -> None:
        """Raise :class:`StrictError` when ``strict`` and any warning was raised."""
        if self.strict and self.items:
            n = len(self.items)
            raise StrictError(f"{n} warning{'s' if n != 1 else ''} with --strict (first: "
                              f"[{self.items[0].code}] {self.items[0].message}); no output "
                              "written, earlier outputs left as they were")


_LOG: contextvars.ContextVar[WarningLog | None] = contextvars.ContextVar(
    "rangemap_warnings", default=None)


def warn(code: str, message: str) -> None:
    """Record a warning in the current run's log (or log it when no run collects).

    Parameters
    ----------
    code : str
        Stable kebab-case code, e.g. ``partial-dem``, ``no-dem``, ``not-mapped``,
        ``repaired-geometry``, ``no-taxon`` (listed in the README's warning table).
    message : str
        One line naming the taxon/unit/file and what to check.
    """
    log = _LOG.get()
    if log is None:
        logging.getLogger("rangemap").warning("warning: [%s] %s", code, message)
    else:
        log.add(code, message)


def current_warnings() -> WarningLog | None:
    """The collecting log, or None outside :func:`collecting`."""
    return _LOG.get()


def check_strict() -> None:
    """Before committing outputs: raise :class:`StrictError` under ``--strict`` with warnings."""
    log = _LOG.get()
    if log is not None:
        log.check_strict()


@contextlib.contextmanager
def collecting(strict: bool = False) -> Iterator[WarningLog]:
    """Collect every :func:`warn` raised inside the block into one :class:`WarningLog`."""
    log = WarningLog(strict=strict)
    token = _LOG.set(log)
    try:
        yield log
    finally:
        _LOG.reset(token)
