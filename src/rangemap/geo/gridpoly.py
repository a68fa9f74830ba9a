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

How rings are traced without a Python loop: each run's successor is the run starting
where it ends; at a *saddle* (two True cells diagonal to each other) there are two, and
the one turning around the same True cell is taken.  Rings are the cycles of that
successor permutation, labelled by pointer jumping (each step doubles the distance
looked ahead, so ~log2(ring length) array passes); the position of each run in its ring
is found the same way.  A saddle whose two turns landed on the same ring is a pinch:
its two successors are swapped, which splits that ring in two.  Holes find their
polygon by looking left: the nearest boundary to the left of a hole's leftmost edge
belongs to the polygon around it (its shell, or another of its holes, whose owner is
looked up in turn).
"""

from __future__ import annotations

import numpy as np

#: Runs are four int64 arrays: start x, start y, end x, end y (pixel coordinates).
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
    """Runs of several blocks as one set."""
    parts = [p for p in parts if p is not None and p[0].size]
    if not parts:
        return _EMPTY, _EMPTY, _EMPTY, _EMPTY
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))  # type: ignore[return-value]


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
    return (np.concatenate([x0[keep], nx0]), np.concatenate([y0[keep], ny0]),
            np.concatenate([x1[keep], nx1]), np.concatenate([y1[keep], ny1]))


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


def _steps_to_tail(succ: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """Steps from each element to the last one of its cycle (the one before its label)."""
    n = succ.size
    idx = np.arange(n, dtype=succ.dtype)
    tail = succ == lab  # the element whose successor is the cycle's head
    nxt = np.where(tail, idx, succ)
    dist = (~tail).astype(np.int64)
    while True:
        nn = nxt[nxt]
        if np.array_equal(nn, nxt):
            return dist
        dist = dist + dist[nxt]
        nxt = nn


def trace(runs: Runs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rings and polygons from a closed set of boundary runs.

    Returns
    -------
    (x, y, ring, poly)
        Vertex coordinates (int64 pixel coordinates, rings not closed, no collinear
        vertices), the ring of each vertex (0, 1, ... in order) and the polygon of each
        ring (0, 1, ...; the first ring of each polygon is its shell).
    """
    x0, y0, x1, y1 = runs
    n = x0.size
    if n == 0:
        return _EMPTY, _EMPTY, _EMPTY, _EMPTY
    it = np.int32 if n < 2**31 - 1 else np.int64
    ox, oy = min(x0.min(), x1.min()), min(y0.min(), y1.min())
    w = int(max(x0.max(), x1.max()) - ox) + 1
    ks = (y0 - oy) * w + (x0 - ox)
    ke = (y1 - oy) * w + (x1 - ox)
    order = np.argsort(ks, kind="stable").astype(it)
    kss = ks[order]
    lo = np.searchsorted(kss, ke, "left")
    cnt = np.searchsorted(kss, ke, "right") - lo
    if (cnt < 1).any() or (cnt > 2).any():
        raise ValueError("boundary runs do not close into rings")
    sx, sy = np.sign(x1 - x0), np.sign(y1 - y0)
    succ = order[lo]
    two = np.flatnonzero(cnt == 2)
    if two.size:
        # Saddle: turn around the same True cell (4-connectivity): the next run heads
        # towards this run's True side (dy, -dx).
        c2 = order[lo[two] + 1]
        pick2 = (sx[c2] == sy[two]) & (sy[c2] == -sx[two])
        succ[two] = np.where(pick2, c2, succ[two])
    lab = _cycle_labels(succ)
    if two.size:
        # Both turns of a saddle on one ring: the ring touches itself there.  Swapping
        # the two successors splits it into two rings meeting at that corner.
        t = two[np.argsort(ke[two], kind="stable")]
        a, b = t[0::2], t[1::2]
        pinch = lab[a] == lab[b]
        if pinch.any():
            a, b = a[pinch], b[pinch]
            succ[a], succ[b] = succ[b], succ[a].copy()
            lab = _cycle_labels(succ)
    dist = _steps_to_tail(succ, lab)
    # Shells have a negative shoelace sum (see module docstring), holes a positive one.
    area2 = np.bincount(lab, weights=(x0 * y1 - x1 * y0).astype("float64"), minlength=n)
    heads = np.flatnonzero(lab == np.arange(n))
    hole = np.zeros(n, dtype=bool)
    hole[heads] = area2[heads] > 0
    owner = np.arange(n, dtype=np.int64)
    if hole[heads].any():
        owner = _hole_owners(x0, y0, x1, y1, lab, hole, ox, oy, w)
    # Order: polygon (by its shell), shell before holes, ring, position in ring.
    order = np.lexsort((-dist, lab, hole[lab], owner[lab]))
    lab_o = lab[order]
    vx, vy = x0[order], y0[order]
    dx, dy = sx[order], sy[order]
    # Drop collinear vertices (runs split at block borders): same heading as the run
    # before it in the ring.
    first = np.ones(n, dtype=bool)
    first[1:] = lab_o[1:] != lab_o[:-1]
    start = np.flatnonzero(first)
    last = np.r_[start[1:], n] - 1
    prev = np.arange(n) - 1
    prev[start] = last
    keep = (dx != dx[prev]) | (dy != dy[prev])
    vx, vy, lab_o = vx[keep], vy[keep], lab_o[keep]
    rfirst = np.ones(lab_o.size, dtype=bool)
    rfirst[1:] = lab_o[1:] != lab_o[:-1]
    ring = np.cumsum(rfirst) - 1
    ring_heads = lab_o[rfirst]
    shell_of = owner[ring_heads]
    pfirst = np.ones(ring_heads.size, dtype=bool)
    pfirst[1:] = shell_of[1:] != shell_of[:-1]
    poly = np.cumsum(pfirst) - 1
    return vx, vy, ring, poly


def _hole_owners(x0, y0, x1, y1, lab, hole, ox, oy, w):
    """Shell ring (label) of every ring: itself for shells, the enclosing shell for holes."""
    n = x0.size
    vert = np.flatnonzero(x0 == x1)
    ya = np.minimum(y0[vert], y1[vert])
    ln = np.abs(y1[vert] - y0[vert])
    # Every vertical unit edge: (row, x) key and its ring.
    rep = np.repeat(np.arange(vert.size), ln)
    rows = ya[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(ln) - ln, ln))
    keys = (rows - oy) * w + (x0[vert][rep] - ox)
    ring_of = lab[vert][rep]
    o = np.argsort(keys, kind="stable")
    keys, ring_of = keys[o], ring_of[o]
    # Each hole's leftmost vertical run (smallest x; any of them).
    hv = vert[hole[lab[vert]]]
    o = np.lexsort((x0[hv], lab[hv]))
    hv = hv[o]
    firsts = hv[np.r_[True, lab[hv][1:] != lab[hv][:-1]]]
    q = (np.minimum(y0[firsts], y1[firsts]) - oy) * w + (x0[firsts] - ox)
    i = np.searchsorted(keys, q, "left") - 1
    if (i < 0).any() or (keys[np.maximum(i, 0)] // w != q // w).any():
        raise ValueError("a hole has no boundary to its left")
    par = np.arange(n, dtype=np.int64)
    par[lab[firsts]] = ring_of[i]
    # A hole whose left neighbour is another hole of the same polygon takes that
    # hole's owner; x strictly decreases along the chain, so it ends at a shell.
    while True:
        nxt = par[par]
        if np.array_equal(nxt, par):
            break
        par = nxt
    return par

