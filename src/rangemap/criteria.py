"""Habitat criteria: what a DEM cell must satisfy, besides lying in the range, to count.

A habitat rule is a conjunction of criteria evaluated per DEM cell (cell-centre rule:
a cell counts when its centre lies in the range unit and every criterion holds there).
Each criterion says what it needs and reduces a block to a boolean mask:

* :class:`ElevationBand` -- ``min <= z <= max`` on the DEM (inclusive, as aoh does).  It is
  always the first criterion; the engine evaluates it itself on the block's native dtype
  (and widened / narrowed by the margin for the sensitivity areas).
* :class:`SlopeLimits` -- Horn's (1981) slope in degrees within ``[min, max]``; needs a
  one-cell halo of DEM around the block.
* :class:`LandCover` -- the class of a categorical raster (any CRS and resolution) at the
  DEM cell's centre (nearest cell) is one of ``classes``; with ``classes=None`` it filters
  nothing and only reports the land-cover composition of the habitat.

**Adding a criterion** touches this module only: subclass :class:`Criterion`, say its
``halo`` (DEM cells needed around the block), compute per-cell ``values`` from a
:class:`BlockData`, turn values into a ``mask``, and optionally reduce the values of the
habitat cells to a fixed-length, additive ``summary`` (area-weighted histogram) that
``finish`` turns into output fields.  Criteria are frozen dataclasses: they travel to
worker processes with each block task and key the caches (:meth:`Criterion.key`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from affine import Affine

if TYPE_CHECKING:
    from rangemap.rasters.dem import ClassGrid

#: WGS84 ellipsoid (for the ground spacing of lon/lat cells).
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)


@dataclass
class BlockData:
    """What a criterion may look at for one block (built by the engine).

    Attributes
    ----------
    src : rangemap.rasters.dem.DemSource
        The open DEM.
    row0, col0, nrows, ncols : int
        The block in the DEM's pixel grid.
    data : numpy.ndarray
        DEM values of the block (native dtype).
    valid : numpy.ndarray or None
        Cells with data (None: all).
    halo : numpy.ndarray or None
        float32 DEM values of the block plus a one-cell border (set when a criterion has
        ``halo = 1``; :func:`rangemap.rasters.dem.block_halo`).  Exact at the cells that
        can still be habitat (in the range, with data, in the band or its wide margin)
        and their neighbours: missing neighbours there (outside the DEM, or nodata) are
        NaN (the slope fills them, see horn_gradient2).  Elsewhere it may hold any
        finite value (the border is not read next to cells that cannot be habitat).
    rows : (first, stop) or None
        The block rows where some cell can still be habitat (in the range, with data, in
        the widest elevation band); a criterion may leave the values of other rows
        undefined, as long as its mask is False there.  None: every row.
    """

    src: Any
    row0: int
    col0: int
    nrows: int
    ncols: int
    data: np.ndarray
    valid: np.ndarray | None
    halo: np.ndarray | None = None
    rows: tuple[int, int] | None = None
    cache: dict = field(default_factory=dict)

    @property
    def transform(self) -> Affine:
        """Pixel-to-CRS transform of the block."""
        return self.src.transform * Affine.translation(self.col0, self.row0)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre x (per column) and y (per row) in the DEM's CRS."""
        t = self.src.transform
        x = t.c + (self.col0 + np.arange(self.ncols) + 0.5) * t.a
        y = t.f + (self.row0 + np.arange(self.nrows) + 0.5) * t.e
        return x, y


@dataclass
class CellAreas:
    """km² of a block's cells, for :meth:`Criterion.summary` (built by the engine).

    Attributes
    ----------
    rows : numpy.ndarray or None
        km² per row on a lon/lat DEM (the cells of a row are equal); None on a projected
        DEM.
    of : callable
        ``of(mask)``: km² of the ``mask`` cells in C order (None: every cell).
    """

    rows: np.ndarray | None
    of: Callable[[np.ndarray | None], np.ndarray]


@dataclass(frozen=True)
class Criterion:
    """One habitat criterion (see the module docstring for how to add one)."""

    #: Short name, used in output field names and the readable ``criteria`` text.
    name: ClassVar[str] = "criterion"
    #: DEM cells needed around each block (0 or 1).
    halo: ClassVar[int] = 0
    #: True for the "habitat" filter of the IUCN fallback rules (land cover).
    habitat_filter: ClassVar[bool] = False
    #: Summary bins (0: no summary).
    bins: ClassVar[int] = 0
    #: Summarize over the final habitat (False: over the habitat before this criterion).
    summary_of_final: ClassVar[bool] = True

    @property
    def filters(self) -> bool:
        """False when the criterion keeps every cell (it only reports)."""
        return True

    def values(self, blk: BlockData) -> np.ndarray:
        """Per-cell values of the block (cached on ``blk`` by the engine's call)."""
        raise NotImplementedError

    def mask(self, values: np.ndarray) -> np.ndarray | None:
        """Cells that satisfy the criterion (None: every cell)."""
        raise NotImplementedError

    def summary(self, values: np.ndarray, mask: np.ndarray | None,
                areas: CellAreas) -> np.ndarray:
        """Additive reduction of the values of the ``mask`` cells (None: every cell),
        weighted by their km² (``areas``)."""
        return np.zeros(self.bins)

    def finish(self, total: np.ndarray | None) -> dict[str, Any]:
        """Output fields from the summed summaries of a unit (None: no habitat)."""
        return {}

    def describe(self) -> str:
        """Readable form for the ``criteria`` output field."""
        raise NotImplementedError

    def key(self) -> dict[str, Any]:
        """What identifies the criterion's result (for caches)."""
        return {"name": self.name, "text": self.describe()}


def _num(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class ElevationBand(Criterion):
    """``min_m <= z <= max_m`` (metres, inclusive; None is open).  The engine applies it."""

    min_m: float | None = None
    max_m: float | None = None
    name: ClassVar[str] = "elevation"

    @property
    def filters(self) -> bool:
        return self.min_m is not None or self.max_m is not None

    def describe(self) -> str:
        if self.min_m is not None and self.max_m is not None:
            return f"elevation {_num(self.min_m)}–{_num(self.max_m)} m"
        if self.min_m is not None:
            return f"elevation ≥ {_num(self.min_m)} m"
        if self.max_m is not None:
            return f"elevation ≤ {_num(self.max_m)} m"
        return "elevation any"


def ground_spacing_m(src: Any, row0: int, nrows: int) -> tuple[np.ndarray, np.ndarray]:
    """Ground distance (m) between neighbouring cell centres, per row: (dx, dy).

    Lon/lat DEMs: ellipsoidal spacing at each row's centre latitude, ``dx = N cos(phi)
    dlambda`` (N the prime vertical radius of curvature) and ``dy = M dphi`` (M the
    meridional radius).  Projected DEMs: the plain cell size in CRS units (no correction
    for the projection's scale factor, which stays within 0.1 % in a UTM zone).
    """
    t = src.transform
    if not src.geographic:
        return np.full(nrows, abs(t.a)), np.full(nrows, abs(t.e))
    lat = np.radians(t.f + (row0 + np.arange(nrows) + 0.5) * t.e)
    w = 1.0 - _E2 * np.sin(lat) ** 2
    n = _A / np.sqrt(w)
    m = _A * (1 - _E2) / w**1.5
    return n * np.cos(lat) * math.radians(abs(t.a)), m * math.radians(abs(t.e))


#: Rows per strip in :func:`horn_gradient2`: a strip's temporaries stay in the CPU cache
#: (a whole 1200 x 1200 block's did not: the gradient was memory bound, ~7 ns per cell).
_STRIP = 32


def horn_gradient2(z: np.ndarray, dx: np.ndarray, dy: np.ndarray,
                   rows: tuple[int, int] | None = None, integer: bool = False) -> np.ndarray:
    """Squared gradient (tan² of the slope) by Horn's 3 x 3 method.

    Parameters
    ----------
    z : (n + 2, m + 2) float array
        Elevations with a one-cell border; NaN where there is no value (outside the
        DEM, nodata).  A missing neighbour takes the centre cell's value, so cells on
        the DEM's edge or beside nodata still get a slope from their other neighbours
        (``gdaldem slope -compute_edges`` extrapolates instead; inside the DEM the two
        agree).
    dx, dy : (n,) arrays
        Ground spacing per row (metres).
    rows : (first, stop), optional
        Compute only these rows of the result; the others are NaN (no slope limit holds
        there).  The engine passes the rows where some cell can still be habitat.
    integer : bool
        ``z`` holds whole numbers below 2**17 in magnitude (an int16 or uint16 DEM), so
        Horn's two weighted differences are exact in any order: they are then computed
        from row and column sums (8 array operations instead of 12).

    Notes
    -----
    Computed in strips of ``_STRIP`` rows, each with the same float operations in the
    same order as a whole-array computation, so the result does not depend on the strip
    size (a test checks it against the whole-array formula, bit for bit); with
    ``integer`` the differences are the same exact numbers, so the result is the same
    bits as well (tested).
    """
    n, m = z.shape[0] - 2, z.shape[1] - 2
    out = np.empty((n, m), dtype=np.result_type(z.dtype, np.float32))
    r0, r1 = (0, n) if rows is None else rows
    out[:r0] = np.nan
    out[r1:] = np.nan
    sx = (1 / (8 * dx)).astype(out.dtype)
    sy = (1 / (8 * dy)).astype(out.dtype)
    k = min(_STRIP, max(r1 - r0, 0))
    gy = np.empty((k, m), dtype=out.dtype)
    sums = (np.empty((k, m + 2), dtype=out.dtype), np.empty((k + 2, m), dtype=out.dtype)) \
        if integer else None
    for a0 in range(r0, r1, _STRIP):
        a1 = min(a0 + _STRIP, r1)
        zs = z[a0:a1 + 2]
        gaps = bool(np.isnan(zs).any())
        if sums is not None and not gaps:
            _horn_strip_sums(zs, a1 - a0, m, sx[a0:a1], sy[a0:a1], out[a0:a1], gy[:a1 - a0],
                             sums)
        else:
            _horn_strip(zs, a1 - a0, m, gaps, sx[a0:a1], sy[a0:a1], out[a0:a1],
                        gy[:a1 - a0])
    return out


def _horn_strip_sums(z, n, m, sx, sy, gx, gy, sums) -> None:
    """:func:`_horn_strip` for whole-number elevations without gaps: the column sums
    ``a + 2d + g`` (one per column, shared by the cells left and right of it) and the row
    sums ``a + 2b + c`` give ``gx`` and ``gy`` by one subtraction each.  Every partial sum
    is a whole number below 2**20, exact in float32, so ``gx`` and ``gy`` equal those of
    :func:`_horn_strip` exactly."""
    col = sums[0][:n]
    np.add(z[:n], z[2:n + 2], out=col)
    col += z[1:n + 1]
    col += z[1:n + 1]
    np.subtract(col[:, 2:], col[:, :-2], out=gx)
    row = sums[1][:n + 2]
    np.add(z[:, :m], z[:, 2:m + 2], out=row)
    row += z[:, 1:m + 1]
    row += z[:, 1:m + 1]
    np.subtract(row[2:], row[:-2], out=gy)
    gx *= sx[:, None]
    gy *= sy[:, None]
    gx *= gx
    gy *= gy
    gx += gy


def _horn_strip(z, n, m, gaps, sx, sy, gx, gy) -> None:
    """One strip of :func:`horn_gradient2`, written into ``gx`` (``gy``: scratch)."""
    e = z[1:-1, 1:-1]

    def nb(dy: int, dx: int) -> np.ndarray:
        v = z[dy:dy + n, dx:dx + m]
        return np.where(np.isnan(v), e, v) if gaps else v

    a, b, c = nb(0, 0), nb(0, 1), nb(0, 2)
    d, f = nb(1, 0), nb(1, 2)
    g, h, i = nb(2, 0), nb(2, 1), nb(2, 2)
    # (c + 2f + i) - (a + 2d + g) and (g + 2h + i) - (a + 2b + c), no temporaries.
    np.subtract(f, d, out=gx)
    gx *= 2
    gx += c
    gx -= a
    gx += i
    gx -= g
    np.subtract(h, b, out=gy)
    gy *= 2
    gy += g
    gy -= a
    gy += i
    gy -= c
    gx *= sx[:, None]
    gy *= sy[:, None]
    gx *= gx
    gy *= gy
    gx += gy


#: Cells per chunk in :func:`masked_values` (1 MB of int64 indices).
_CHUNK = 1 << 17


def masked_values(a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``a[m]`` (C order) by row chunks of ``flatnonzero`` + ``take``.

    A boolean gather branches per cell: on a ragged mask (slope) it is 3-4x slower than
    taking the cells by index.  The indices are made a chunk of rows at a time: indices
    for a whole block (int64, 8 bytes a cell) raised glibc's mmap threshold and with it
    the peak RSS by ~110 MB on the 1e8-cell benchmark.
    """
    out = np.empty(int(np.count_nonzero(m)), dtype=a.dtype)
    step = max(1, _CHUNK // max(1, a.shape[1]))
    k = 0
    for r in range(0, a.shape[0], step):
        idx = np.flatnonzero(m[r:r + step])
        np.take(a[r:r + step].ravel(), idx, out=out[k:k + idx.size])
        k += idx.size
    return out


#: Slope histogram bins: 0.1° each, 0..90°.
SLOPE_STEP = 0.1


@dataclass(frozen=True)
class SlopeLimits(Criterion):
    """Slope (degrees, Horn's method) within ``[min_deg, max_deg]`` (inclusive)."""

    min_deg: float | None = None
    max_deg: float | None = None
    name: ClassVar[str] = "slope"
    halo: ClassVar[int] = 1
    bins: ClassVar[int] = int(round(90 / SLOPE_STEP)) + 1

    @property
    def filters(self) -> bool:
        """False for open limits (``--min-slope 0``): slope statistics only."""
        return (self.min_deg is not None and self.min_deg > 0) or (
            self.max_deg is not None and self.max_deg < 90)

    def values(self, blk: BlockData) -> np.ndarray:
        """tan² of the slope of each cell (comparisons need no arctan)."""
        dx, dy = ground_spacing_m(blk.src, blk.row0, blk.nrows)
        dt = blk.data.dtype
        return horn_gradient2(blk.halo, dx, dy, blk.rows,
                              integer=dt.kind in "iu" and dt.itemsize <= 2)

    def mask(self, values: np.ndarray) -> np.ndarray | None:
        m = None
        if self.min_deg is not None and self.min_deg > 0:
            m = values >= math.tan(math.radians(self.min_deg)) ** 2
        if self.max_deg is not None and self.max_deg < 90:
            hi = values <= math.tan(math.radians(self.max_deg)) ** 2
            m = hi if m is None else np.logical_and(m, hi, out=m)
        return m

    def summary(self, values, mask, areas) -> np.ndarray:
        v = values.ravel() if mask is None else masked_values(values, mask)
        deg = np.arctan(np.sqrt(v))
        deg *= np.float32(180 / math.pi / SLOPE_STEP)  # in bins of SLOPE_STEP degrees
        idx = np.minimum(np.rint(deg).astype("int32"), self.bins - 1)
        return np.bincount(idx, weights=areas.of(mask), minlength=self.bins)

    def finish(self, total) -> dict[str, Any]:
        if total is None or total.sum() <= 0:
            return {"slope_median_deg": None}
        cum = np.cumsum(total)
        return {"slope_median_deg": round(float(np.searchsorted(cum, cum[-1] / 2))
                                          * SLOPE_STEP, 1)}

    def describe(self) -> str:
        lo, hi = self.min_deg, self.max_deg
        if lo is not None and hi is not None:
            return f"slope {_num(lo)}–{_num(hi)}°"
        if lo is not None:
            return f"slope ≥ {_num(lo)}°"
        if hi is not None:
            return f"slope ≤ {_num(hi)}°"
        return "slope any"


#: Land-cover codes are 0..255; this bin collects cells with no class (nodata, outside
#: the map, or a code above 255).
LC_NONE = 256


@dataclass(frozen=True)
class LandCover(Criterion):
    """Land-cover class at each DEM cell centre (nearest cell of a categorical raster).

    Attributes
    ----------
    path : str
        The land-cover raster (any CRS; any geographic CRS is read as WGS84 lon/lat).
    classes : tuple of int, optional
        Classes kept; None keeps every cell and only reports the composition.
    legend : str
        Legend name (``igbp``, ``esa-worldcover``, ``cgls-lc100``, ``esa-cci``).
    label : str
        Short name of the map in the readable criteria text.
    habitats : tuple of str
        IUCN habitat codes the classes came from (for the readable text), if any.
    """

    path: str = ""
    classes: tuple[int, ...] | None = None
    legend: str = "igbp"
    label: str = ""
    habitats: tuple[str, ...] = ()
    name: ClassVar[str] = "landcover"
    habitat_filter: ClassVar[bool] = True
    bins: ClassVar[int] = LC_NONE + 1
    summary_of_final: ClassVar[bool] = False

    @property
    def filters(self) -> bool:
        return self.classes is not None

    def values(self, blk: BlockData) -> np.ndarray | ClassGrid:
        """Classes per cell: a :class:`rangemap.rasters.dem.ClassGrid` (lon/lat DEM and map), else
        the per-cell uint16 array."""
        from rangemap.rasters.dem import sample_categorical

        return sample_categorical(self.path, blk)

    def mask(self, values: np.ndarray | ClassGrid) -> np.ndarray | None:
        if self.classes is None:
            return None
        lut = np.zeros(LC_NONE + 1, dtype=bool)
        lut[[c for c in self.classes if 0 <= c < LC_NONE]] = True
        # On a grid the table is applied to the few map cells, then expanded.
        return lut[values] if isinstance(values, np.ndarray) else values.expand(lut)

    def summary(self, values, mask, areas) -> np.ndarray:
        if not isinstance(values, np.ndarray) and areas.rows is not None:
            # Cells of one row and one run of equal map column share class and km²:
            # count the mask per (row, column run), weight by the row's km², add up the
            # rows of one map row and bin by the map cell's class (no per-cell gather).
            rs, cs = values.runs()
            if mask is None:
                n = np.diff(np.r_[cs, values.cc.size])
                w = np.multiply.outer(areas.rows, n)
            else:
                m8 = mask.view(np.uint8) if mask.flags.c_contiguous else mask.astype(np.uint8)
                w = np.add.reduceat(m8, cs, axis=1, dtype=np.int32) * areas.rows[:, None]
            w = np.add.reduceat(w, rs, axis=0)
            codes = values.cls[np.ix_(values.rr[rs], values.cc[cs])]
            return np.bincount(codes.ravel(), weights=w.ravel(), minlength=self.bins)
        v = values if isinstance(values, np.ndarray) else values.expand()
        v = v.ravel() if mask is None else masked_values(v, mask)
        return np.bincount(v, weights=areas.of(mask), minlength=self.bins)

    def finish(self, total) -> dict[str, Any]:
        if total is None or total.sum() <= 0:
            return {"landcover": {}}
        share = total / total.sum()
        out = {}
        for code in np.flatnonzero(share > 0):
            out["none" if code == LC_NONE else str(int(code))] = round(float(share[code]), 6)
        return {"landcover": out}

    def describe(self) -> str:
        where = self.label or self.legend
        if self.classes is None:
            return f"land cover ({where}): composition only"
        if self.habitats:
            return (f"habitats {','.join(self.habitats)} → {where} classes "
                    f"{','.join(str(c) for c in self.classes)}")
        return f"land cover ({where}) classes {','.join(str(c) for c in self.classes)}"

    def key(self) -> dict[str, Any]:
        return {"name": self.name, "text": self.describe(), "path": self.path}


def describe_all(criteria: tuple[Criterion, ...]) -> str:
    """The readable ``criteria`` field: the filtering criteria joined by ``; ``."""
    parts = [c.describe() for c in criteria if c.filters]
    return "; ".join(parts) if parts else "range only"
