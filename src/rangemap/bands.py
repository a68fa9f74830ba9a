"""The elevation band: one rule for defaults and one check, whatever the source.

A taxon's band comes from its documents or ``ranges.yaml`` (*stated*) and from
``--min-elevation``/``--max-elevation`` (*given*, each overriding the stated
limit of its side).  Then:

* no limit at all: the lower limit is :data:`DEFAULT_MIN_ELEVATION_M` (the
  design card's rule for high-mountain taxa), no upper limit;
* an upper limit alone (stated or given): no lower limit, never the default
  (a default 2,500 m floor under "below 1,600 m" would give an empty band);
* a lower limit above the upper one: an empty band, a usage error (exit 2)
  raised before any habitat work and before any output is touched.
"""

from __future__ import annotations

import math

from rangemap.errors import UsageError
from rangemap.values import finite_number

#: Lower limit (m) when nothing states any limit for a taxon.
DEFAULT_MIN_ELEVATION_M = 2500.0


def _limit(value: object) -> float | None:
    """A limit as a float, or None when open (None or NaN)."""
    if value is None:
        return None
    v = float(value)  # type: ignore[arg-type]
    return None if math.isnan(v) else v


def default_band(min_m: object, max_m: object) -> tuple[float | None, float | None, bool]:
    """Apply the default rule to a band's limits.

    Returns
    -------
    (min_m, max_m, defaulted)
        ``defaulted`` is True when the default lower limit was used (no limit
        was stated or given at all).
    """
    lo, hi = _limit(min_m), _limit(max_m)
    if lo is None and hi is None:
        return DEFAULT_MIN_ELEVATION_M, None, True
    return lo, hi, False


def check_band(min_m: object, max_m: object, where: str, min_source: str = "the lower limit",
               max_source: str = "the upper limit") -> None:
    """Raise :class:`UsageError` when the band is empty (``min_m > max_m``).

    Parameters
    ----------
    min_m, max_m : float or None
        The limits; None (or NaN) is open.
    where : str
        What the band belongs to, first in the message (a file, a taxon, an option).
    min_source, max_source : str
        Where each limit came from (``--min-elevation``, ``ranges.yaml: elevation_min_m``,
        a document and its sentence), so the message names both.
    """
    lo, hi = _limit(min_m), _limit(max_m)
    if lo is not None and hi is not None and lo > hi:
        raise UsageError(f"{where}: empty elevation band: minimum {lo:g} m ({min_source}) is "
                         f"above maximum {hi:g} m ({max_source}); swap or fix them")


def margin_bands(min_m: float | None, max_m: float | None, margin_m: float):
    """The band widened and narrowed by ``margin_m`` at each stated limit.

    Returns ((lo, hi) wide, (lo, hi) narrow); an open limit stays open.
    """
    wide = (None if min_m is None else min_m - margin_m,
            None if max_m is None else max_m + margin_m)
    narrow = (None if min_m is None else min_m + margin_m,
              None if max_m is None else max_m - margin_m)
    return wide, narrow


def band_text(lo: object, hi: object, open_text: str = "no band") -> str:
    """A band as people read it: ``≥ 2,500 m``, ``2,500–4,000 m``, ``≤ 1,600 m``, or
    ``open_text`` when neither limit is set (missing, NaN and infinite values are open)."""
    a, b = finite_number(lo), finite_number(hi)
    if a is not None and b is not None:
        return f"{a:,.0f}–{b:,.0f} m"
    if a is not None:
        return f"≥ {a:,.0f} m"
    if b is not None:
        return f"≤ {b:,.0f} m"
    return open_text
