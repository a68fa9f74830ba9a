"""The process heap under glibc: one policy for the engine and the build.

While the engine works, freed block-sized arrays stay in the heap for the next block
(:func:`keep_freed_blocks`); between taxa the build hands free pages back to the system
(:func:`release`), so what one taxon leaves does not add up over a batch.  Both are
no-ops without glibc (other systems, musl) and neither changes a result.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable
from typing import Any

#: glibc ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_TUNED = False


@functools.cache
def _glibc(symbol: str) -> Callable[..., Any] | None:
    """A glibc function of this process, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), symbol)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt symbol)
        return None


def keep_freed_blocks() -> None:
    """Let glibc keep freed block-sized arrays for the next block (once per process).

    By default glibc serves an array of a few MB with a fresh ``mmap`` (or returns the
    heap's free top to the system), so every block's arrays (the halo, the slope, the
    masks) fault their pages in again: on the criteria benchmark (1e8 cells, serial) the
    slope run took 182,000 minor faults against 118,000 for elevation only, ~0.2 s of
    CPU.  Arrays up to 32 MB (a 2048² float64 block is 32 MB) now come from the heap, and
    up to 256 MB of free heap is kept: 95,000 faults.  The price is a higher peak RSS
    (freed arrays stay between GDAL's cached tiles: 429 -> 512 MB for that run), so the
    engine calls this only for blocks with criteria beyond the band; the elevation-only
    path keeps glibc's defaults.
    """
    global _TUNED
    if _TUNED:
        return
    _TUNED = True
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    mallopt(_M_TRIM_THRESHOLD, 256 << 20)


def release() -> None:
    """Give the heap's free pages back to the system (glibc ``malloc_trim``).

    Called between taxa: the engine's arrays of one taxon are freed when it is done, but
    glibc keeps freed heap (up to 256 MB once :func:`keep_freed_blocks` ran), and what it
    keeps would otherwise add up over a batch.  Within a taxon the engine's reuse of
    freed arrays is untouched.
    """
    trim = _glibc("malloc_trim")
    if trim is not None:
        trim(0)
