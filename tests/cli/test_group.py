"""The group is the one place that maps errors to exit codes."""

from __future__ import annotations

import pytest

from rangemap.cli.group import EXIT_CODES, exit_code
from rangemap.errors import DataError, RangemapError, StrictError, UsageError


@pytest.mark.parametrize(("exc", "code"), [
    (UsageError("x"), 2), (DataError("x"), 1), (StrictError("x"), 1), (RangemapError("x"), 1),
    (ValueError("a bug"), 1)])
def test_exit_codes(exc: BaseException, code: int) -> None:
    assert exit_code(exc) == code


def test_error_types_carry_no_exit_code() -> None:
    # The library raises domain errors; only the CLI knows exit codes.
    assert not any(hasattr(cls, "exit_code") for cls in EXIT_CODES)
