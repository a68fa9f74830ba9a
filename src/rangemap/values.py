"""Null and number helpers shared by the tables, maps and figures.

Table cells arrive as None, NaN (pandas' missing value), numpy scalars, numbers or
strings; these helpers give each module the same reading of them.
"""

from __future__ import annotations

import math
from typing import Any


def is_null(v: Any) -> bool:
    """True for None and a float NaN (numpy float64 included), the table's missing values."""
    return v is None or (isinstance(v, float) and math.isnan(v))


def number(v: Any) -> float | None:
    """``v`` as a float, or None when it is missing or not a number (infinity is kept)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def finite_number(v: Any) -> float | None:
    """``v`` as a finite float, or None (None, NaN, infinity, non-numeric strings)."""
    f = number(v)
    return f if f is not None and math.isfinite(f) else None


def text(v: Any) -> str | None:
    """``v`` as stripped text, or None when it is missing or blank."""
    if is_null(v):
        return None
    s = str(v).strip()
    return s or None


def plain_number(v: float) -> float | int:
    """A whole number as an int (``2500``, not ``2500.0``), others as they are: how the
    extract contract writes limits, so the YAML and JSON read as the text said them."""
    return int(v) if float(v).is_integer() else v
