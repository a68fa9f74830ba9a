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


class UsageError(RangemapError):
    """Bad options or option combinations. Exit 2."""

    exit_code = 2
