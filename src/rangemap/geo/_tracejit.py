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
    """Indices of the points (px, py) sorted by (y, x), ties by index (stable LSD radix
    sort: by x, then by y)."""
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
def _walk(sl, xy, rx, ry, start):
    """Walk every ring from its smallest run index (``sl[:, 0]`` successors, ``sl[:, 1]``
    labels, < 0 where not yet walked), labelling its runs; with ``rx`` given, record the
    runs' start points in ring order (ring k: ``start[k]:start[k + 1]``).  Returns the
    number of rings."""
    n = sl.shape[0]
    m = 0
    k = 0
    rec = rx.size > 0
    for i in range(n):
        if sl[i, 1] < 0:
            if rec:
                start[k] = m
            k += 1
            j = i
            while sl[j, 1] < 0:
                sl[j, 1] = i
                if rec:
                    rx[m] = xy[j, 0]
                    ry[m] = xy[j, 1]
                m += 1
                j = sl[j, 0]
    if rec:
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
    sl = np.empty((n, 2), np.int32)  # successor, label
    sad = np.empty((n // 2 + 1, 2), np.int32)
    ns = 0
    px, py = x0[0], y0[0]  # the start points before this one (i > 0, i > 1)
    qx, qy = px, py
    for i in range(n):
        s, e = bs[i], be[i]
        sx_, sy_ = x0[s], y0[s]
        if sx_ != x1[e] or sy_ != y1[e]:
            return e_vx, e_vx, e_i, e_i, 1
        if i > 0 and sx_ == px and sy_ == py:
            if i > 1 and px == qx and py == qy:  # three runs start at one point
                return e_vx, e_vx, e_i, e_i, 1
            c1, c2 = bs[i - 1], s
            a, b = be[i - 1], e
            sad[ns, 0], sad[ns, 1] = a, b
            ns += 1
            for r in (a, b):
                if (np.sign(x1[c2] - x0[c2]) == np.sign(y1[r] - y0[r])
                        and np.sign(y1[c2] - y0[c2]) == -np.sign(x1[r] - x0[r])):
                    sl[r, 0] = c2
                else:
                    sl[r, 0] = c1
        else:
            sl[e, 0] = s
        qx, qy = px, py
        px, py = sx_, sy_
    sl[:, 1] = -1
    xy = np.empty((n, 2), x0.dtype)
    for i in range(n):
        xy[i, 0], xy[i, 1] = x0[i], y0[i]
    rx = np.empty(n, x0.dtype)
    ry = np.empty(n, x0.dtype)
    start = np.empty(n + 1, np.int64)
    none = np.empty(0, x0.dtype)
    # A saddle whose two turns are on one ring: the ring touches itself there; swapping
    # the two successors splits it into two rings meeting at that corner.  (Labels from
    # a first walk; the second one, after the swaps, records the rings.)
    if ns:
        _walk(sl, xy, none, none, start)
        for k in range(ns):
            a, b = sad[k, 0], sad[k, 1]
            if sl[a, 1] == sl[b, 1]:
                sl[a, 0], sl[b, 0] = sl[b, 0], sl[a, 0]
        sl[:, 1] = -1
    nring = _walk(sl, xy, rx, ry, start)
    # Each run's end is the start of the next one on its ring.  Shells have a negative
    # shoelace sum, holes a positive one; a run heading like the run before it (split
    # at a block border) adds no vertex.
    rdx = np.empty(n, np.int8)
    rdy = np.empty(n, np.int8)
    hole = np.zeros(nring, np.bool_)
    nkeep = np.zeros(nring, np.int64)
    nhole = 0
    for r in range(nring):
        a, b = start[r], start[r + 1]
        acc = np.int64(0)
        for t in range(a, b):
            u = t + 1 if t + 1 < b else a
            rdx[t] = np.sign(rx[u] - rx[t])
            rdy[t] = np.sign(ry[u] - ry[t])
            acc += np.int64(rx[t]) * np.int64(ry[u]) - np.int64(rx[u]) * np.int64(ry[t])
        kept = 0
        pdx, pdy = rdx[b - 1], rdy[b - 1]
        for t in range(a, b):
            if rdx[t] != pdx or rdy[t] != pdy:
                kept += 1
            pdx, pdy = rdx[t], rdy[t]
        nkeep[r] = kept
        if acc > 0:
            hole[r] = True
            nhole += 1
    par = np.arange(nring)  # each ring's shell (ring index)
    if nhole:
        if _hole_owners(rx, ry, rdx, start, hole, par, ox, oy, w, h):
            return e_vx, e_vx, e_i, e_i, 2
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
        m += nkeep[r]
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


@_jit
def _hole_owners(rx, ry, rdx, start, hole, par, ox, oy, w, h):
    """Set ``par`` of each hole ring to the shell of the polygon around it.  Returns
    True when a hole has no boundary to its left (not a closed set of rings).

    Each hole's leftmost vertical run (the first of them on the ring), its top row: the
    nearest vertical unit edge left of it on that row is a boundary of the polygon
    around the hole (its shell or another of its holes).
    """
    nring = hole.size
    qt = np.full(nring, -1, np.int64)
    want = np.zeros(h, np.bool_)
    nv = 0
    for r in range(nring):
        a, b = start[r], start[r + 1]
        p = -1
        for t in range(a, b):
            if rdx[t] == 0:
                nv += 1
                if hole[r] and (p < 0 or rx[t] < rx[p]):
                    p = t
        if hole[r]:
            qt[r] = p
            u = p + 1 if p + 1 < b else a
            want[min(ry[p], ry[u]) - oy] = True
    # Vertical runs in x order (counting sort), then their unit edges on the wanted rows
    # bucketed by row (so x ascending within a row).
    cnt = np.zeros(w + 1, np.int64)
    for t in range(rx.size):
        if rdx[t] == 0:
            cnt[rx[t] - ox + 1] += 1
    for k in range(w):
        cnt[k + 1] += cnt[k]
    vx = np.empty(nv, rx.dtype)
    vlo = np.empty(nv, rx.dtype)
    vhi = np.empty(nv, rx.dtype)
    vr = np.empty(nv, np.int32)
    for r in range(nring):
        a, b = start[r], start[r + 1]
        for t in range(a, b):
            if rdx[t] == 0:
                u = t + 1 if t + 1 < b else a
                k = cnt[rx[t] - ox]
                vx[k], vr[k] = rx[t], r
                vlo[k], vhi[k] = min(ry[t], ry[u]) - oy, max(ry[t], ry[u]) - oy
                cnt[rx[t] - ox] += 1
    need = np.zeros(h + 1, np.int64)
    for v in range(nv):
        for yy in range(vlo[v], vhi[v]):
            if want[yy]:
                need[yy + 1] += 1
    for k in range(h):
        need[k + 1] += need[k]
    ex = np.empty(need[h], rx.dtype)
    er = np.empty(need[h], np.int32)
    fill = need[:h].copy()
    for v in range(nv):
        for yy in range(vlo[v], vhi[v]):
            if want[yy]:
                ex[fill[yy]] = vx[v]
                er[fill[yy]] = vr[v]
                fill[yy] += 1
    for r in range(nring):
        if hole[r]:
            p = qt[r]
            a, b = start[r], start[r + 1]
            u = p + 1 if p + 1 < b else a
            yy = min(ry[p], ry[u]) - oy
            lo, hi = need[yy], need[yy + 1]  # edges of that row, x ascending
            q = rx[p]
            while lo < hi:  # first edge with x >= q
                mid = (lo + hi) // 2
                if ex[mid] < q:
                    lo = mid + 1
                else:
                    hi = mid
            if lo == need[yy]:
                return True
            par[r] = er[lo - 1]
    # A hole left of a hole passes on that hole's owner; x decreases along the chain,
    # so it ends at a shell.
    for r in range(nring):
        p = par[r]
        steps = 0
        while par[p] != p and steps <= nring:
            p = par[p]
            steps += 1
        par[r] = p
    return False


@_jit
def rings_area_sum(x, y, row, ring, shell, z_row, r0):
    """:func:`rangemap.geo.geodesy.grid_rings_area_km2` after ``Z`` per row: the same
    float operations in the same order (each ring's horizontal edges in vertex order,
    ``-radians(dx) * (Z(row) - Z(first row))`` summed from 0.0, ``abs() / 1e6``, signed
    by ``shell``, rings summed in order from 0.0)."""
    n = x.size
    rad = np.pi / 180.0
    total = 0.0
    i = 0
    r = 0
    while i < n:
        a = i
        while i < n and ring[i] == ring[a]:
            i += 1
        zf = z_row[row[a] - r0]
        acc = 0.0
        for k in range(a, i):
            nk = k + 1 if k + 1 < i else a
            if y[nk] == y[k]:
                acc += -((x[nk] - x[k]) * rad) * (z_row[row[k] - r0] - zf)
        ra = abs(acc) / 1e6
        total += ra if shell[r] else -ra
        r += 1
    return total


@_jit
def mask_runs(m, row0, col0):
    """:func:`rangemap.geo.gridpoly.mask_runs` of an int8 0/1 block: the same runs in the
    same order (horizontal lines top to bottom, each left to right; then vertical lines
    left to right, each top to bottom), int64."""
    nr, nc = m.shape
    p = np.zeros((nr + 2, nc + 2), np.int8)  # the block with a False border
    p[1:-1, 1:-1] = m
    # Pass 1: count the runs (horizontal in all; vertical per line, for the order).
    nh = 0
    for y in range(nr + 1):
        prev = 0
        for x in range(1, nc + 1):
            d = p[y, x] - p[y + 1, x]
            if d != 0 and d != prev:
                nh += 1
            prev = d
    vcnt = np.zeros(nc + 2, np.int64)
    vprev = np.zeros(nc + 1, np.int8)
    for y in range(1, nr + 1):
        for x in range(nc + 1):
            d = p[y, x] - p[y, x + 1]
            if d != 0 and d != vprev[x]:
                vcnt[x + 1] += 1
            vprev[x] = d
    for x in range(nc + 1):
        vcnt[x + 1] += vcnt[x]
    n = nh + vcnt[nc + 1]
    x0 = np.empty(n, np.int64)
    y0 = np.empty(n, np.int64)
    x1 = np.empty(n, np.int64)
    y1 = np.empty(n, np.int64)
    # Pass 2: horizontal runs (True above: heading +x).
    k = 0
    for y in range(nr + 1):
        prev = 0
        xs = 0
        for x in range(nc + 1):
            d = p[y, x + 1] - p[y + 1, x + 1] if x < nc else 0
            if d != prev:
                if prev != 0:
                    a, b = (xs, x) if prev > 0 else (x, xs)
                    x0[k], x1[k] = a + col0, b + col0
                    y0[k], y1[k] = y + row0, y + row0
                    k += 1
                xs = x
            prev = d
    # Vertical runs (True left: heading -y), each line's runs from its own offset.
    at = vcnt[:nc + 1] + nh
    vstart = np.zeros(nc + 1, np.int64)
    vprev[:] = 0
    for y in range(nr + 1):
        for x in range(nc + 1):
            d = p[y + 1, x] - p[y + 1, x + 1] if y < nr else 0
            q = vprev[x]
            if d != q:
                if q != 0:
                    a, b = (y, vstart[x]) if q > 0 else (vstart[x], y)
                    j = at[x]
                    x0[j], x1[j] = x + col0, x + col0
                    y0[j], y1[j] = a + row0, b + row0
                    at[x] += 1
                vstart[x] = y
            vprev[x] = d
    return x0, y0, x1, y1
