"""Polygons of raster masks, traced with numpy: boundary runs in, rings and polygons out.

Why not GDAL's polygonizer: the engine polygonizes block by block and must then join the
blocks' polygons at their seams.  Working on *boundary runs* (maximal straight pieces
of the boundary between True and False cells, in integer pixel coordinates) makes both
steps array operations:

1. :func:`mask_runs` finds the runs of one block (a few passes over the block).
2. :func:`cancel_seams` joins blocks: a run on a block border where the neighbour block
   is also True appears twice, in opposite directions, and both copies are dropped.
   What is left is exactly the boundary of the whole mask.
3. :func:`trace` chains runs into rings and rings into polygons.

Conventions (pixel space: x = column, y = row, y grows downwards).  Every run has the
True cells on one fixed side: a run heading ``(dx, dy)`` has them on the side
``(dy, -dx)``.  Shells then have a negative shoelace sum in pixel space and holes a
positive one; after a north-up transform (negative ``e``) shells are counter-clockwise,
as RFC 7946 wants.

Connectivity is 4 (as ``rasterio.features.shapes(connectivity=4)``): True cells that
touch only at a corner are in different polygons.  Output is OGC-valid: where one
polygon touches itself at a corner (a hole meeting the shell or another hole), the
rings are split there rather than pinched.

How rings are traced without a Python loop over runs: each run's successor is the run
starting where it ends (two stable sorts, of the start points and of the end points,
pair them up); at a *saddle* (two True cells diagonal to each other) there are two, and
the one turning around the same True cell is taken.  Rings are the cycles of that
successor permutation (:func:`cycles`): about one run in 16 is a *ruler*, all rulers step
forward together until each meets the next one (about one pass over the runs), and
pointer jumping (each step doubles the distance looked ahead) runs on the rulers alone;
that labels each run with its ring's smallest run index and gives its position from
there.  A saddle whose two turns landed on the same ring is a pinch: its two successors
are swapped, which splits that ring in two.  Holes find their polygon by looking left:
the nearest boundary to the left of a hole's leftmost edge belongs to the polygon around
it (its shell, or another of its holes, whose owner is looked up in turn).  Runs are put
in ring order by one scatter (ring offsets plus positions), not a sort of every run.
"""

from __future__ import annotations

import numpy as np

#: Runs are four integer arrays (int64, or int32 from blocks): start x, start y, end x,
#: end y (pixel coordinates).
Runs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

_EMPTY = np.empty(0, dtype="int64")


def _runs_1d(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of equal non-zero values along the rows of ``d`` (int8).

    ``d`` must end with a zero column so that runs never span two rows.
    Returns flat start index, flat end index (exclusive) and the value.
    """
    f = d.ravel()
    # One pass for the change points (flatnonzero dominates; the rest is per run).
    cut = np.flatnonzero(f[1:] != f[:-1]) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [f.size]])
    val = f[starts]
    nz = val != 0
    return starts[nz], ends[nz], val[nz]


def _line_runs(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Runs on the lines between the rows of ``m`` (int8 0/1), rows 0..n.

    Returns the line, the run's start and end along it, and whether the cell before
    the line (row above) is the True one.
    """
    n, k = m.shape
    p = np.zeros((n + 2, k), dtype=np.int8)
    p[1:-1] = m
    d = np.zeros((n + 1, k + 1), dtype=np.int8)
    np.subtract(p[:-1], p[1:], out=d[:, :k])
    s, e, v = _runs_1d(d)
    w = k + 1
    line = s // w
    return line, s - line * w, (e - 1) - line * w + 1, v > 0


def mask_runs(mask: np.ndarray, row0: int = 0, col0: int = 0) -> Runs:
    """Boundary runs of the True cells of ``mask``, cells outside it counted False.

    Parameters
    ----------
    mask : numpy.ndarray
        2-D boolean array.
    row0, col0 : int
        Global pixel offset of ``mask[0, 0]``.

    Returns
    -------
    Runs
        Start and end points of each run (directed, True cells on the ``(dy, -dx)``
        side), in global pixel coordinates.
    """
    nr, nc = mask.shape
    if nr == 0 or nc == 0:
        return _EMPTY, _EMPTY, _EMPTY, _EMPTY
    m = mask.view(np.int8) if mask.dtype == bool else (mask != 0).view(np.int8)
    if _JIT and _JIT[0] is not None:  # compiled, where this process loaded it already
        return _JIT[0].mask_runs(np.ascontiguousarray(m), int(row0), int(col0))
    # Horizontal lines y = 0..nr (cell above minus cell below; True above: heading +x),
    # then vertical lines x = 0..nc on the transposed block (True left: heading -y).
    y, xa, xb, up = _line_runs(m)
    hx0, hx1 = np.where(up, xa, xb), np.where(up, xb, xa)
    x, ya, yb, left = _line_runs(m.T)
    vy0, vy1 = np.where(left, yb, ya), np.where(left, ya, yb)
    x0 = np.concatenate([hx0, x]) + col0
    x1 = np.concatenate([hx1, x]) + col0
    y0 = np.concatenate([y, vy0]) + row0
    y1 = np.concatenate([y, vy1]) + row0
    return x0, y0, x1, y1


def concat_runs(parts: list[Runs]) -> Runs:
    """Runs of several blocks as one set: int32 when every value fits (half the memory
    to fault in and gather), else int64."""
    parts = [p for p in parts if p is not None and p[0].size]
    if not parts:
        return _EMPTY, _EMPTY, _EMPTY, _EMPTY
    small = all(a.dtype == np.int32 or (np.iinfo(np.int32).min < a.min()
                                        and a.max() < np.iinfo(np.int32).max)
                for p in parts for a in p)
    dt = np.int32 if small else np.int64
    return tuple(np.concatenate([p[i] for p in parts], dtype=dt)  # type: ignore[return-value]
                 for i in range(4))


def cancel_seams(runs: Runs, seams_r, seams_c) -> Runs:
    """Drop the run pieces that two blocks share along interior seams.

    Runs lying on a seam line (a horizontal run on a row in ``seams_r``, a vertical run
    on a column in ``seams_c``) are cut into unit edges; a unit edge present twice (in
    opposite directions: True on both sides) is dropped, the rest are joined into runs
    again.
    """
    x0, y0, x1, y1 = runs
    if x0.size == 0:
        return runs
    horiz = y0 == y1
    on = np.zeros(x0.size, dtype=bool)
    if len(seams_r):
        on |= horiz & np.isin(y0, np.asarray(seams_r, dtype="int64"))
    if len(seams_c):
        on |= ~horiz & np.isin(x0, np.asarray(seams_c, dtype="int64"))
    if not on.any():
        return runs
    keep = ~on
    idx = np.flatnonzero(on)
    h = horiz[idx]
    # Along the line: position and direction; across it: the line.
    a, b = np.where(h, x0[idx], y0[idx]), np.where(h, x1[idx], y1[idx])
    line = np.where(h, y0[idx], x0[idx])
    sign = np.sign(b - a)
    n = np.abs(b - a)
    lo = np.minimum(a, b)
    rep = np.repeat(np.arange(idx.size), n)
    pos = lo[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(n) - n, n))
    kind = h[rep].astype("int64")
    ln = line[rep]
    sg = sign[rep]
    # Unit edges by (kind, line, pos); a key seen twice cancels.
    order = np.lexsort((pos, ln, kind))
    kind, ln, pos, sg = kind[order], ln[order], pos[order], sg[order]
    same_next = np.zeros(kind.size, dtype=bool)
    same_next[:-1] = (kind[1:] == kind[:-1]) & (ln[1:] == ln[:-1]) & (pos[1:] == pos[:-1])
    dup = same_next.copy()
    dup[1:] |= same_next[:-1]
    kind, ln, pos, sg = kind[~dup], ln[~dup], pos[~dup], sg[~dup]
    if kind.size:
        # Join contiguous survivors with the same direction into runs again.
        order = np.lexsort((pos, sg, ln, kind))
        kind, ln, pos, sg = kind[order], ln[order], pos[order], sg[order]
        brk = np.ones(kind.size, dtype=bool)
        brk[1:] = ((kind[1:] != kind[:-1]) | (ln[1:] != ln[:-1]) | (sg[1:] != sg[:-1])
                   | (pos[1:] != pos[:-1] + 1))
        first = np.flatnonzero(brk)
        last = np.r_[first[1:], kind.size] - 1
        k, lnr, sgr = kind[first], ln[first], sg[first]
        pa, pb = pos[first], pos[last] + 1
        fa, fb = np.where(sgr > 0, pa, pb), np.where(sgr > 0, pb, pa)
        hh = k == 1
        nx0, nx1 = np.where(hh, fa, lnr), np.where(hh, fb, lnr)
        ny0, ny1 = np.where(hh, lnr, fa), np.where(hh, lnr, fb)
    else:
        nx0 = nx1 = ny0 = ny1 = _EMPTY
    dt = x0.dtype
    return (np.concatenate([x0[keep], nx0], dtype=dt), np.concatenate([y0[keep], ny0], dtype=dt),
            np.concatenate([x1[keep], nx1], dtype=dt), np.concatenate([y1[keep], ny1], dtype=dt))


def _cycle_labels(succ: np.ndarray) -> np.ndarray:
    """Smallest index on each element's cycle of the permutation ``succ``."""
    lab = np.arange(succ.size, dtype=succ.dtype)
    nxt = succ.copy()
    while True:
        new = np.minimum(lab, lab[nxt])
        if np.array_equal(new, lab):
            return lab
        lab = new
        nxt = nxt[nxt]


def _to_tail(nxt: np.ndarray, tail: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Sum of ``weight`` from each element up to (not including) the tail of its cycle."""
    nxt = np.where(tail, np.arange(nxt.size, dtype=nxt.dtype), nxt)
    dist = np.where(tail, 0, weight).astype(nxt.dtype)
    while True:
        nn = nxt[nxt]
        if np.array_equal(nn, nxt):
            return dist
        dist = dist + dist[nxt]
        nxt = nn


#: Permutations up to this size are labelled by pointer jumping alone.
_SMALL = 4096


def _jump_cycles(succ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cycles` by pointer jumping over every element (~log2(longest) passes)."""
    n = succ.size
    lab = _cycle_labels(succ)
    dist = _to_tail(succ, succ == lab, np.ones(n, dtype=succ.dtype))
    return lab, (np.bincount(lab, minlength=n)[lab] - 1 - dist).astype(succ.dtype)


def cycles(succ: np.ndarray, corner: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cycles of the permutation ``succ``: the smallest index on each element's cycle
    (its label) and the number of steps from that smallest index to the element.

    Pointer jumping over every element costs ~log2(longest cycle) passes over all of
    them.  Instead about one element in 16, chosen by a hash of its index (so no
    regular layout of the runs can starve a long ring of them), is a *ruler*
    (:func:`_ruler_cycles`).  Cycles that drew no ruler (mostly rings of a few runs) are
    walked again with the elements of ``corner`` as rulers (the tracer passes runs that
    can start a ring's top-left vertex: every ring has one); whatever is left is
    labelled by pointer jumping.
    """
    n = succ.size
    if n <= _SMALL:
        return _jump_cycles(succ)
    idx = np.arange(n, dtype=succ.dtype)
    ruler = (idx.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(60) == 0
    lab, pos, rest = _ruler_cycles(succ, ruler)
    if rest.size and corner is not None:
        sub = _sub_permutation(succ, rest)
        slab, spos, srest = _ruler_cycles(sub, corner[rest])
        lab[rest], pos[rest] = rest[slab], spos
        rest = rest[srest]
    if rest.size:
        slab, pos[rest] = _jump_cycles(_sub_permutation(succ, rest))
        lab[rest] = rest[slab]
    return lab, pos


def _sub_permutation(succ: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """``succ`` on the elements ``sub`` (sorted; a union of its cycles), renumbered."""
    inv = np.empty(succ.size, dtype=succ.dtype)
    inv[sub] = np.arange(sub.size, dtype=succ.dtype)
    return inv[succ[sub]]


def _ruler_cycles(succ: np.ndarray, ruler: np.ndarray):
    """Labels and positions (as :func:`cycles`) of the elements on cycles with a ruler.

    All rulers step forward together until each reaches the next ruler, which records
    every element's ruler and its offset from it (about one pass over the elements);
    pointer jumping then runs on the rulers alone.  Returns (label, position, the
    elements on cycles without a ruler, whose label and position are left unset).
    """
    n = succ.size
    it = succ.dtype
    rulers = np.flatnonzero(ruler).astype(it)
    nr = rulers.size
    owner = np.full(n, -1, dtype=it)
    off = np.zeros(n, dtype=it)
    owner[rulers] = np.arange(nr, dtype=it)
    nxt_r = np.empty(nr, dtype=it)  # the next ruler on the cycle
    gap = np.empty(nr, dtype=it)  # steps to it
    cur, walker = succ[rulers], np.arange(nr, dtype=it)
    step = 1
    while cur.size:
        hit = ruler[cur]
        if hit.any():
            nxt_r[walker[hit]] = owner[cur[hit]]
            gap[walker[hit]] = step
            cur, walker = cur[~hit], walker[~hit]
        owner[cur] = walker
        off[cur] = step
        cur = succ[cur]
        step += 1
    rest = np.flatnonzero(owner < 0).astype(it)
    if nr == 0:
        return np.empty(n, dtype=it), np.empty(n, dtype=it), rest
    if rest.size:  # their ruler: a dummy one past the end (their results are not used)
        owner[rest] = nr
    # Label of a ruler's cycle: the smallest index over its rulers' segments.
    seg_min = np.full(nr + 1, n, dtype=it)
    np.minimum.at(seg_min, owner, np.arange(n, dtype=it))
    seg_min = seg_min[:nr]
    rl = seg_min.copy()
    nxt = nxt_r.copy()
    while True:
        new = np.minimum(rl, rl[nxt])
        if np.array_equal(new, rl):
            break
        rl = new
        nxt = nxt[nxt]
    # The head ruler holds the label in its segment; the tail is the ruler before it.
    head = seg_min == rl
    tail = head[nxt_r]
    to_tail = _to_tail(nxt_r, tail, gap)
    per_label = np.empty(n, dtype=it)
    heads, tails = np.flatnonzero(head), np.flatnonzero(tail)
    per_label[rl[heads]] = heads
    hr = per_label[rl]  # each ruler's head ruler
    per_label[rl[tails]] = gap[tails]
    length = np.append(to_tail[hr] + per_label[rl], 0)  # head to tail, plus the tail's gap
    # Steps from the label to each ruler (the label sits at offset off[label] in the
    # head ruler's segment; elements of that segment before it wrap around).
    base = np.append(to_tail[hr] - to_tail - off[rl], 0)
    pos = base[owner]
    pos += off
    pos += np.where(pos < 0, length[owner], 0).astype(it)
    lab = np.append(rl, 0)[owner]
    return lab, pos, rest


def _successors(x0, y0, x1, y1, ks, ke, it):
    """Each run's successor (the run starting where it ends), the saddles' end runs
    (pairs) and the runs that may start a ring's top-left vertex.

    Every point is the end of as many runs as start there (1, or 2 at a saddle), so the
    sorted start keys equal the sorted end keys and the i-th end in that order is
    followed by the i-th start; at a saddle the turn around the same True cell is taken
    (4-connectivity): the next run heads towards this run's True side ``(dy, -dx)``.
    """
    n = x0.size
    by_start = np.argsort(ks, kind="stable").astype(it)
    by_end = np.argsort(ke, kind="stable").astype(it)
    kss = ks[by_start]
    if not np.array_equal(kss, ke[by_end]) or (n > 2 and (kss[2:] == kss[:-2]).any()):
        raise ValueError("boundary runs do not close into rings")
    succ = np.empty(n, dtype=it)
    succ[by_end] = by_start
    two = np.flatnonzero(kss[1:] == kss[:-1])
    a, b = by_end[two], by_end[two + 1]
    # Runs that may start a ring's top-left vertex (every ring has one): heading +x
    # after a run heading -y, or +y after -x; at a saddle, both runs starting there.
    sx, sy = np.sign(x1 - x0).astype(np.int8), np.sign(y1 - y0).astype(np.int8)
    corner = np.empty(n, dtype=bool)
    corner[by_start] = (((sx[by_start] == 1) & (sy[by_end] == -1))
                        | ((sy[by_start] == 1) & (sx[by_end] == -1)))
    if two.size:
        c1, c2 = by_start[two], by_start[two + 1]
        corner[c1] = corner[c2] = True
        for r in (a, b):
            pick2 = (sx[c2] == sy[r]) & (sy[c2] == -sx[r])
            succ[r] = np.where(pick2, c2, c1)
    return succ, a, b, corner, sx, sy


def trace(runs: Runs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rings and polygons from a closed set of boundary runs.

    Compiled (:mod:`rangemap.geo._tracejit`, numba) when numba imports, else
    :func:`trace_numpy`; both give the same arrays (tested against each other and the
    tests' pointer-jumping reference).

    Returns
    -------
    (x, y, ring, poly)
        Vertex coordinates (integer pixel coordinates, in the runs' dtype; rings not
        closed, no collinear vertices), the ring of each vertex (0, 1, ... in order) and
        the polygon of each ring (0, 1, ...; the first ring of each polygon is its shell).
        Polygons come in the order of their shell's smallest run index, holes in the
        order of theirs, and each ring starts at its smallest run index.
    """
    x0 = runs[0]
    n = x0.size
    if n == 0:
        return _EMPTY, _EMPTY, _EMPTY, _EMPTY
    jit = _JIT[0] if _JIT else None
    if not _JIT and _NUMPY_RUNS[0] + n >= JIT_AFTER_RUNS:
        jit = _compiled()
    if jit is None or n >= 2**31 - 1 or x0.dtype not in (np.int32, np.int64):
        _NUMPY_RUNS[0] += n
        return trace_numpy(runs)
    dt = np.int32 if all(a.dtype == np.int32 for a in runs) else np.int64
    x0, y0, x1, y1 = (np.ascontiguousarray(a, dtype=dt) for a in runs)
    vx, vy, ring, poly, err = jit._trace(x0, y0, x1, y1)
    if err:
        raise ValueError(jit.ERRORS[err])
    return vx, vy, ring, poly


_JIT: list = []

#: Runs a process traces with numpy before it loads the compiled tracer (ski rental:
#: loading costs ~0.55 s of CPU once per process, about what the numpy tracer spends on
#: this many runs; from then on tracing costs about a third).
JIT_AFTER_RUNS = 1_000_000
_NUMPY_RUNS = [0]


def _compiled():
    """The compiled tracer's module, or None without numba (imported on first use).

    Importing numba (~0.3 s of CPU) and loading the cached machine code (~0.25 s) is paid
    once per process, and compiling it ~10-15 s once per machine (numba's cache), so it
    is never loaded by importing this module: :func:`trace` loads it once a process has
    traced :data:`JIT_AFTER_RUNS` runs with numpy (a mask of that size at once), or
    :func:`load` does; :func:`mask_runs` and the lon/lat area use the compiled loops only
    where they are loaded already (worker processes that only compute blocks never
    load them).
    """
    if not _JIT:
        try:
            from rangemap.geo import _tracejit
        except ImportError:
            _tracejit = None
        _JIT.append(_tracejit)
    return _JIT[0]


def load(warm: bool = False) -> bool:
    """Load the compiled tracer in this process now (False: numba is missing), for a
    process about to trace many runs.  ``warm``: also load (or compile) the machine code
    of every compiled function for int32 and int64 runs, so that no later call pays for
    it (the benchmarks measure it apart)."""
    jit = _compiled()
    if jit is None:
        return False
    if warm:
        runs = mask_runs(np.ones((2, 2), dtype=bool))
        for dt in (np.int64, np.int32):
            x, y, ring, poly = trace(tuple(a.astype(dt) for a in runs))
            jit.rings_area_sum(x.astype(float), y.astype(float), y, ring,
                               np.ones(1, dtype=bool), np.zeros(3), 0)
    return True


def trace_numpy(runs: Runs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`trace` in numpy alone (ruler walk, sorts): the fallback without numba and
    the tests' reference for the compiled tracer.

    Returns
    -------
    (x, y, ring, poly)
        Vertex coordinates (integer pixel coordinates, in the runs' dtype; rings not
        closed, no collinear vertices), the ring of each vertex (0, 1, ... in order) and
        the polygon of each ring (0, 1, ...; the first ring of each polygon is its shell).
        Polygons come in the order of their shell's smallest run index, holes in the
        order of theirs, and each ring starts at its smallest run index.
    """
    x0, y0, x1, y1 = runs
    n = x0.size
    if n == 0:
        return _EMPTY, _EMPTY, _EMPTY, _EMPTY
    it = np.int32 if n < 2**31 - 1 else np.int64
    ox, oy = min(x0.min(), x1.min()), min(y0.min(), y1.min())
    w = int(max(x0.max(), x1.max()) - ox) + 1
    kt = np.int32 if (int(max(y0.max(), y1.max()) - oy) + 1) * w < 2**31 else np.int64
    ks = (y0 - oy).astype(kt) * w + (x0 - ox).astype(kt)
    ke = (y1 - oy).astype(kt) * w + (x1 - ox).astype(kt)
    succ, a, b, corner, sx, sy = _successors(x0, y0, x1, y1, ks, ke, it)
    del ks, ke
    lab, pos = cycles(succ, corner)
    if a.size:
        # Both turns of a saddle on one ring: the ring touches itself there.  Swapping
        # the two successors splits it into two rings meeting at that corner.
        pinch = lab[a] == lab[b]
        if pinch.any():
            a, b = a[pinch], b[pinch]
            succ[a], succ[b] = succ[b], succ[a].copy()
            split = np.zeros(n, dtype=bool)
            split[lab[a]] = True
            sub = np.flatnonzero(split[lab]).astype(it)
            slab, pos[sub] = cycles(_sub_permutation(succ, sub), corner[sub])
            lab[sub] = sub[slab]
    del succ
    # Shells have a negative shoelace sum (see module docstring), holes a positive one.
    area2 = np.bincount(lab, minlength=n, weights=(x0.astype(np.int64) * y1
                                                   - x1.astype(np.int64) * y0).astype("float64"))
    heads = np.flatnonzero(lab == np.arange(n, dtype=it))
    hole = area2[heads] > 0
    shell = heads.copy()  # each ring's shell (its label), in the order of heads
    if hole.any():
        shell = _hole_owners(x0, y0, x1, y1, lab, heads, hole, ox, oy, w)
    # Order: polygon (by its shell), shell before holes, ring; each ring from its label.
    ro = np.lexsort((heads, hole, shell))
    size = np.bincount(lab, minlength=n)[heads[ro]]
    start = np.empty(n, dtype=it)
    start[heads[ro]] = np.cumsum(size) - size
    order = np.empty(n, dtype=it)
    order[start[lab] + pos] = np.arange(n, dtype=it)
    del start, pos
    lab_o = lab[order]
    vx, vy = x0[order], y0[order]
    # Drop collinear vertices (runs split at block borders): same heading as the run
    # before it in the ring.
    dx, dy = sx[order], sy[order]
    first = np.ones(n, dtype=bool)
    first[1:] = lab_o[1:] != lab_o[:-1]
    rstart = np.flatnonzero(first)
    prev = np.arange(-1, n - 1, dtype=it)
    prev[rstart] = np.r_[rstart[1:], n] - 1
    keep = (dx != dx[prev]) | (dy != dy[prev])
    vx, vy, lab_o = vx[keep], vy[keep], lab_o[keep]
    rfirst = np.ones(lab_o.size, dtype=bool)
    rfirst[1:] = lab_o[1:] != lab_o[:-1]
    ring = np.cumsum(rfirst) - 1
    shell_of = shell[ro]
    pfirst = np.ones(ro.size, dtype=bool)
    pfirst[1:] = shell_of[1:] != shell_of[:-1]
    poly = np.cumsum(pfirst) - 1
    return vx, vy, ring, poly


def _hole_owners(x0, y0, x1, y1, lab, heads, hole, ox, oy, w):
    """The shell (its label) of each ring of ``heads``: itself for shells, the
    enclosing shell for holes (``hole``, aligned with ``heads``)."""
    n = x0.size
    it = lab.dtype
    ri = np.empty(n, dtype=it)  # per label: its position in heads
    ri[heads] = np.arange(heads.size, dtype=it)
    vert = np.flatnonzero(x0 == x1).astype(it)
    vx = x0[vert] - ox
    # Every vertical unit edge, sorted by (row, x): the runs by x, their unit edges by
    # row (stable), as 16-bit radix sorts when they fit.
    vert = vert[np.argsort(_radix(vx, w), kind="stable")]
    vx = x0[vert] - ox
    ya = np.minimum(y0[vert], y1[vert]) - oy
    ln = np.abs(y1[vert] - y0[vert])
    rep = np.repeat(np.arange(vert.size, dtype=it), ln)
    rows = ya[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(ln) - ln, ln))
    o = np.argsort(_radix(rows, int(rows.max()) + 1), kind="stable")
    rep = rep[o]
    keys = rows[o] * w + vx[rep]
    # Each hole's leftmost vertical run (smallest x; any of them).
    hv = vert[hole[ri[lab[vert]]]]
    hl = ri[lab[hv]]
    minx = np.full(heads.size, np.iinfo(np.int64).max)
    np.minimum.at(minx, hl, x0[hv])
    pick = np.full(heads.size, -1, dtype=np.int64)
    at_min = x0[hv] == minx[hl]
    pick[hl[at_min]] = hv[at_min]
    firsts = pick[hole]
    q = (np.minimum(y0[firsts], y1[firsts]) - oy).astype(np.int64) * w + (x0[firsts] - ox)
    i = np.searchsorted(keys, q, "left") - 1
    if (i < 0).any() or (keys[np.maximum(i, 0)] // w != q // w).any():
        raise ValueError("a hole has no boundary to its left")
    par = np.arange(heads.size, dtype=it)
    par[np.flatnonzero(hole)] = ri[lab[vert[rep[i]]]]
    # A hole whose left neighbour is another hole of the same polygon takes that
    # hole's owner; x strictly decreases along the chain, so it ends at a shell.
    while True:
        nxt = par[par]
        if np.array_equal(nxt, par):
            break
        par = nxt
    return heads[par]


def _radix(v: np.ndarray, bound: int) -> np.ndarray:
    """``v`` (0 <= v < bound) as uint16 when it fits: numpy sorts those stably by radix."""
    return v.astype(np.uint16) if bound <= 65536 else v
