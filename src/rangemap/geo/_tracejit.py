"""The boundary-run tracer compiled with numba: :func:`rangemap.geo.gridpoly.trace`'s
arrays from sequential walks (no sorts of keys, no pointer jumping).

Same conventions and the same output as the numpy tracer (``gridpoly.trace_numpy``, the
tests' reference): run starts and ends paired by counting sorts over rows and columns
(stable: a two-pass radix sort gives the order of the numpy tracer's stable argsort of
``y * w + x``); rings are walked from their smallest run index upward, so a ring's
label and order come out of the walk itself; holes find their polygon through the
nearest vertical edge to their left on one row (the numpy tracer's rule).

Compiled once per machine and dtype (int32, int64): with ``cache=True`` numba keeps the
machine code next to this file (``__pycache__``) or, where that is read-only, in its
per-user cache; when neither can be written, every new process compiles again (a few
seconds, see ``benchmarks/README.md``) and the results are the same.
"""

from __future__ import annotations

import warnings

import numpy as np
from numba import njit
from numba.core.errors import NumbaWarning

#: Error codes of :func:`_trace` (the wrapper raises ValueError with these messages).
ERRORS = {1: "boundary runs do not close into rings", 2: "a hole has no boundary to its left"}


def _jit(fn):
    """``njit(cache=True)``, or without the cache when no cache folder can be written."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumbaWarning)
            return njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return njit(cache=False, nogil=True)(fn)


@_jit
def _point_order(px, py, ox, oy, w, h):
    """Indices of the points (px, py) sorted by (y, x), ties by index (stable LSD radix)."""
    n = px.size
    cnt = np.zeros(w + 1, np.int64)
    for i in range(n):
        cnt[px[i] - ox + 1] += 1
    for k in range(w):
        cnt[k + 1] += cnt[k]
    tmp = np.empty(n, np.int32)
    for i in range(n):
        k = px[i] - ox
        tmp[cnt[k]] = i
        cnt[k] += 1
    cnt = np.zeros(h + 1, np.int64)
    for i in range(n):
        cnt[py[i] - oy + 1] += 1
    for k in range(h):
        cnt[k + 1] += cnt[k]
    out = np.empty(n, np.int32)
    for t in range(n):
        i = tmp[t]
        k = py[i] - oy
        out[cnt[k]] = i
        cnt[k] += 1
    return out


@_jit
def _walk(succ, lab, order, start):
    """Label every ring by its smallest run index and record the runs in ring order:
    ring k is ``order[start[k]:start[k + 1]]``, from its label.  Returns the number
    of rings.
    """
    n = succ.size
    m = 0
    k = 0
    for i in range(n):
        if lab[i] < 0:
            start[k] = m
            k += 1
            j = i
            while lab[j] < 0:
                lab[j] = i
                order[m] = j
                m += 1
                j = succ[j]
    start[k] = m
    return k


@_jit
def _trace(x0, y0, x1, y1):
    """(vx, vy, ring, poly, error code): see :func:`rangemap.geo.gridpoly.trace`."""
    n = x0.size
    ox = min(x0.min(), x1.min())
    oy = min(y0.min(), y1.min())
    w = np.int64(max(x0.max(), x1.max()) - ox) + 1
    h = np.int64(max(y0.max(), y1.max()) - oy) + 1
    e_vx = np.empty(0, x0.dtype)
    e_i = np.empty(0, np.int64)
    # Successors: the i-th end in (y, x) order is followed by the i-th start; at a
    # saddle (two runs end and two start at one point) the turn around the same True
    # cell: the next run heads towards this run's True side (dy, -dx).
    bs = _point_order(x0, y0, ox, oy, w, h)
    be = _point_order(x1, y1, ox, oy, w, h)
    succ = np.empty(n, np.int32)
    sad_a = np.empty(n // 2 + 1, np.int32)
    sad_b = np.empty(n // 2 + 1, np.int32)
    ns = 0
    px, py = x0[0], y0[0]  # the previous start point (i > 0), and the one before it
    qx, qy = px, py
    for i in range(n):
        s, e = bs[i], be[i]
        if x0[s] != x1[e] or y0[s] != y1[e]:
            return e_vx, e_vx, e_i, e_i, 1
        if i > 0 and x0[s] == px and y0[s] == py:
            if i > 1 and px == qx and py == qy:  # three runs start at one point
                return e_vx, e_vx, e_i, e_i, 1
            c1, c2 = bs[i - 1], s
            a, b = be[i - 1], e
            sad_a[ns], sad_b[ns] = a, b
            ns += 1
            for r in (a, b):
                if (np.sign(x1[c2] - x0[c2]) == np.sign(y1[r] - y0[r])
                        and np.sign(y1[c2] - y0[c2]) == -np.sign(x1[r] - x0[r])):
                    succ[r] = c2
                else:
                    succ[r] = c1
        else:
            succ[e] = s
        qx, qy = px, py
        px, py = x0[s], y0[s]
    lab = np.full(n, -1, np.int32)
    order = np.empty(n, np.int32)
    start = np.empty(n + 1, np.int64)
    nring = _walk(succ, lab, order, start)
    # A saddle whose two turns are on one ring: the ring touches itself there; swapping
    # the two successors splits it into two rings meeting at that corner.
    pinched = False
    for k in range(ns):
        a, b = sad_a[k], sad_b[k]
        if lab[a] == lab[b]:
            succ[a], succ[b] = succ[b], succ[a]
            pinched = True
    if pinched:
        lab[:] = -1
        nring = _walk(succ, lab, order, start)
    # Runs in ring order, rings in the order of their labels (ascending).
    rx = np.empty(n, x0.dtype)
    ry = np.empty(n, x0.dtype)
    rdx = np.empty(n, np.int8)
    rdy = np.empty(n, np.int8)
    for t in range(n):
        j = order[t]
        rx[t] = x0[j]
        ry[t] = y0[j]
        rdx[t] = np.sign(x1[j] - x0[j])
        rdy[t] = np.sign(y1[j] - y0[j])
    # Shells have a negative shoelace sum, holes a positive one; vertices kept: runs
    # heading otherwise than the run before them (runs split at block borders).
    hole = np.zeros(nring, np.bool_)
    nkeep = np.zeros(nring + 1, np.int64)
    nhole = 0
    for r in range(nring):
        a, b = start[r], start[r + 1]
        acc = np.int64(0)
        kept = 0
        pdx, pdy = rdx[b - 1], rdy[b - 1]
        for t in range(a, b):
            j = order[t]
            acc += np.int64(x0[j]) * np.int64(y1[j]) - np.int64(x1[j]) * np.int64(y0[j])
            if rdx[t] != pdx or rdy[t] != pdy:
                kept += 1
            pdx, pdy = rdx[t], rdy[t]
        nkeep[r + 1] = kept
        if acc > 0:
            hole[r] = True
            nhole += 1
    par = np.arange(nring)  # each ring's shell (ring index)
    if nhole:
        # Each hole's leftmost vertical run (the first of them in ring order), its top
        # row; the nearest vertical unit edge left of it on that row is a boundary of
        # the polygon around the hole (its shell or another of its holes).
        pick = np.full(nring, -1, np.int64)
        want = np.zeros(h, np.bool_)
        for r in range(nring):
            if hole[r]:
                p = -1
                for t in range(start[r], start[r + 1]):
                    if rdx[t] == 0 and (p < 0 or rx[t] < rx[p]):
                        p = t
                pick[r] = p
                j = order[p]
                want[min(y0[j], y1[j]) - oy] = True
        # Vertical runs in x order (counting sort), their unit edges on the wanted
        # rows bucketed by row (so x ascending within a row).
        need = np.zeros(h + 1, np.int64)
        cnt = np.zeros(w + 1, np.int64)
        nv = 0
        for t in range(n):
            if rdx[t] == 0:
                cnt[rx[t] - ox + 1] += 1
                nv += 1
                j = order[t]
                for yy in range(min(y0[j], y1[j]) - oy, max(y0[j], y1[j]) - oy):
                    if want[yy]:
                        need[yy + 1] += 1
        for k in range(w):
            cnt[k + 1] += cnt[k]
        for k in range(h):
            need[k + 1] += need[k]
        vert = np.empty(nv, np.int32)  # positions in ring order
        vring = np.empty(nv, np.int32)
        for r in range(nring):
            for t in range(start[r], start[r + 1]):
                if rdx[t] == 0:
                    k = rx[t] - ox
                    vert[cnt[k]] = t
                    vring[cnt[k]] = r
                    cnt[k] += 1
        ex = np.empty(need[h], x0.dtype)
        er = np.empty(need[h], np.int32)
        fill = need[:h].copy()
        for v in range(nv):
            j = order[vert[v]]
            for yy in range(min(y0[j], y1[j]) - oy, max(y0[j], y1[j]) - oy):
                if want[yy]:
                    ex[fill[yy]] = x0[j]
                    er[fill[yy]] = vring[v]
                    fill[yy] += 1
        for r in range(nring):
            if hole[r]:
                j = order[pick[r]]
                yy = min(y0[j], y1[j]) - oy
                lo, hi = need[yy], need[yy + 1]  # edges of that row, x ascending
                q = x0[j]
                while lo < hi:  # first edge with x >= q
                    mid = (lo + hi) // 2
                    if ex[mid] < q:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo == need[yy]:
                    return e_vx, e_vx, e_i, e_i, 2
                par[r] = er[lo - 1]
        # A hole left of a hole passes on that hole's owner; x decreases along the
        # chain, so it ends at a shell.
        for r in range(nring):
            p = par[r]
            steps = 0
            while par[p] != p and steps <= nring:
                p = par[p]
                steps += 1
            par[r] = p
    # Ring order: polygons by their shell's label, the shell first, holes by label.
    pid = np.full(nring, -1, np.int64)
    npoly = 0
    for r in range(nring):
        if not hole[r]:
            pid[r] = npoly
            npoly += 1
    off = np.zeros(npoly + 1, np.int64)
    for r in range(nring):
        off[pid[par[r]] + 1] += 1
    for p in range(npoly):
        off[p + 1] += off[p]
    ro = np.empty(nring, np.int64)
    for r in range(nring):
        if not hole[r]:
            ro[off[pid[r]]] = r
            off[pid[r]] += 1
    for r in range(nring):
        if hole[r]:
            p = pid[par[r]]
            ro[off[p]] = r
            off[p] += 1
    m = 0
    for r in range(nring):
        m += nkeep[r + 1]
    vx = np.empty(m, x0.dtype)
    vy = np.empty(m, x0.dtype)
    ring = np.empty(m, np.int64)
    poly = np.empty(nring, np.int64)
    m = 0
    for k in range(nring):
        r = ro[k]
        poly[k] = pid[par[r]]
        a, b = start[r], start[r + 1]
        pdx, pdy = rdx[b - 1], rdy[b - 1]
        for t in range(a, b):
            if rdx[t] != pdx or rdy[t] != pdy:
                vx[m] = rx[t]
                vy[m] = ry[t]
                ring[m] = k
                m += 1
            pdx, pdy = rdx[t], rdy[t]
    return vx, vy, ring, poly, 0
