"""Errors a user can cause, each with its exit code.

Every error raised on purpose by rangemap derives from :class:`RangemapError`;
the CLI turns it into a one-line message and the exit code, never a traceback.
"""


class RangemapError(Exception):
    """Base class: a problem with the user's input, reported in one line."""

    exit_code = 1


class DataError(RangemapError):
    """Bad or missing input data (a file, its contents, its CRS). Exit 1."""

    exit_code = 1


def first_line(exc: BaseException, default: str | None = None) -> str:
    """First line of an exception's text, for one-line messages (GDAL errors run long)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else (default or type(exc).__name__)


class UsageError(RangemapError):
    """Bad options or option combinations. Exit 2."""

    exit_code = 2
