"""File-system helpers: atomic writes and safe names.

Every output is written to a temporary name in the destination folder and
moved into place with :func:`os.replace`, so a reader never sees half a file
and a failed run leaves the previous output untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely

#: Prefix of temporary files; a killed run can leave them, the next run removes them.
TMP_PREFIX = ".rangemap-tmp-"


def remove_stale_temporaries(root: str | os.PathLike[str]) -> int:
    """Delete temporary files and folders a killed run left under ``root``; return how many."""
    base = Path(root)
    if not base.is_dir():
        return 0
    n = 0
    for p in sorted(base.rglob(f"{TMP_PREFIX}*"), key=lambda q: len(q.parts)):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            n += 1
        elif p.exists():
            p.unlink()
            n += 1
    return n


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place on success.

    Parameters
    ----------
    path : path-like
        Final destination.
    suffix : str, optional
        Suffix for the temporary file (drivers such as GDAL pick the format
        from it); defaults to the destination's suffix.

    Notes
    -----
    On error the temporary file is removed and ``path`` is left as it was.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{TMP_PREFIX}{dest.name}.",
        suffix=suffix if suffix is not None else dest.suffix, dir=dest.parent,
    )
    os.close(fd)
    tmp_path = Path(tmp)
    # GDAL drivers refuse to write over an existing (empty) file for some formats.
    tmp_path.unlink()
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


class Spill:
    """Bytes parked in an anonymous temporary file, read back by (offset, length).

    For what a build must keep but not hold in memory (habitat geometries,
    engine results shared between taxa): the file has no name, so it vanishes
    when closed or when the process ends, killed or not.
    """

    def __init__(self) -> None:
        self._fh = tempfile.TemporaryFile()
        self._end = 0

    def put(self, data: bytes) -> tuple[int, int]:
        """Append ``data``; return its (offset, length)."""
        self._fh.seek(self._end)
        self._fh.write(data)
        at = self._end
        self._end += len(data)
        return at, len(data)

    def get(self, offset: int, length: int) -> bytes:
        """The bytes stored at (offset, length)."""
        self._fh.seek(offset)
        return self._fh.read(length)

    @property
    def nbytes(self) -> int:
        """Bytes written so far."""
        return self._end

    def close(self) -> None:
        self._fh.close()


class GeometrySpool:
    """Geometries parked in a :class:`Spill` as WKB, by row position in the order added.

    A build's habitat stage adds each taxon's habitat polygons as they come and
    keeps only their attributes in memory; the writers read the geometries back a
    few taxa at a time (:meth:`read`), so the polygons of a batch are never all in
    memory at once.  What WKB leaves out is kept too: a geometry's precision grid
    (set where the engine snapped pieces of several DEMs together) is put back, so
    a geometry read back is the same to every later operation (``set_precision``
    to the same grid is then a no-op, as it was before spooling).
    """

    def __init__(self) -> None:
        self._spill = Spill()
        # per row, in arrays (8 bytes a number, no Python object each): the offset (-1 for
        # a missing geometry), the length of its WKB and its precision grid
        self._at = array("q")
        self._len = array("q")
        self._grid = array("d")
        self._types: set[int] = set()
        self._has_z = False

    def __len__(self) -> int:
        return len(self._at)

    def extend(self, geoms: Any) -> int:
        """Append geometries (one per row); return the position of the first."""
        first = len(self._at)
        arr = np.empty(len(geoms), dtype=object)
        arr[:] = list(geoms)
        present = ~shapely.is_missing(arr)
        self._types |= set(shapely.get_type_id(arr[present]).tolist())
        full = arr[present][~shapely.is_empty(arr[present])]
        self._has_z = self._has_z or bool(shapely.has_z(full).any())
        grids = np.zeros(len(arr))
        grids[present] = shapely.get_precision(arr[present])
        for wkb, grid in zip(shapely.to_wkb(arr), grids, strict=True):
            if wkb is None:
                self._at.append(-1)
                self._len.append(0)
            else:
                at, n = self._spill.put(wkb)
                self._at.append(at)
                self._len.append(n)
            self._grid.append(float(grid))
        return first

    def kinds(self) -> tuple[set[int], bool]:
        """Geometry type ids (``shapely.get_type_id``) of all rows; any with Z."""
        return set(self._types), self._has_z

    def read(self, start: int, stop: int) -> np.ndarray:
        """Geometries of rows ``start`` to ``stop`` (exclusive), as an object array."""
        at = np.asarray(self._at[start:stop], dtype=np.int64)
        n = np.asarray(self._len[start:stop], dtype=np.int64)
        grid = np.asarray(self._grid[start:stop], dtype=float)
        out = np.full(len(at), None, dtype=object)
        present = at >= 0
        if present.any():
            lo = int(at[present].min())
            hi = int((at[present] + n[present]).max())
            blob = self._spill.get(lo, hi - lo)
            out[present] = shapely.from_wkb(
                [blob[a - lo:a - lo + k] for a, k in zip(at[present], n[present], strict=True)])
        for g in set(grid[present & (grid > 0)].tolist()):
            sel = present & (grid == g)
            # the coordinates are on the grid already: pointwise sets the grid, moves nothing
            out[sel] = shapely.set_precision(out[sel], g, mode="pointwise")
        return out

    def close(self) -> None:
        self._spill.close()


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_len: int = 60) -> str:
    """Turn untrusted text into a safe file-name stem (``[a-z0-9-]``, never empty).

    >>> slugify("Moschus leucogaster")
    'moschus-leucogaster'
    >>> slugify("../../etc/passwd")
    'etc-passwd'
    """
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_RE.sub("-", norm.lower()).strip("-")[:max_len].strip("-")
    if not slug:
        slug = "taxon-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return slug


def unique_name(base: str, used: set[str]) -> str:
    """``base``, else ``base-2``, ``base-3`` ...: the first not in ``used``, added to it.

    >>> used = {"index"}
    >>> [unique_name(s, used) for s in ("ovis", "ovis", "index")]
    ['ovis', 'ovis-2', 'index-2']
    """
    name, n = base, 2
    while name in used:
        name, n = f"{base}-{n}", n + 1
    used.add(name)
    return name


def safe_child(root: str | os.PathLike[str], name: str) -> Path:
    """Return ``root/name`` after checking it resolves inside ``root``.

    Raises
    ------
    ValueError
        If the resolved path escapes ``root``.
    """
    base = Path(root).resolve()
    child = (base / name).resolve()
    if base != child and base not in child.parents:
        raise ValueError(f"refusing to write outside {base}: {name!r}")
    return child


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


#: Environment variable naming another folder laid out like rangemap's ``data/``.
DATA_ENV = "RANGEMAP_DATA"


def data_dir() -> Path:
    """Folder of the embedded data (documents, boundaries, elevation), wherever rangemap runs.

    In order: ``$RANGEMAP_DATA`` when set; ``data/`` inside the installed
    package (a wheel ships it as package data; in a checkout it is a symlink
    to the repository's top-level ``data/``); the checkout's ``data/`` two
    levels above the package (an editable install on a system without
    symlinks).  The current folder plays no part, so ``cd ~ && rangemap
    build`` finds the same data as a run from the repository.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    pkg = Path(__file__).resolve().parent
    for cand in (pkg / "data", pkg.parents[1] / "data"):
        if (cand / "boundaries").is_dir():
            return cand
    return pkg / "data"


def data_file(*parts: str) -> Path:
    """Path of an embedded data file, e.g. ``data_file("boundaries", "boundaries.gpkg")``."""
    return data_dir().joinpath(*parts)


def source_date() -> str:
    """The timestamp written inside outputs (GeoPackage ``last_change``, style times).

    ``$SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds
    convention) when set, else the epoch itself: outputs of identical inputs
    are then byte-identical; the wall-clock time of a build is only in
    ``manifest.json``'s ``created``.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        secs = int(raw) if raw else 0
    except ValueError:
        secs = 0
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(secs))


def created_time() -> str:
    """``manifest.json``'s ``created``: ``$SOURCE_DATE_EPOCH`` when set, else now (UTC)."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        return source_date()
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


_FOLIUM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def stable_ids(paths: list[str | os.PathLike[str]]) -> None:
    """Replace the random 32-hex element ids of Folium/branca pages with counters.

    Folium names every map element ``<kind>_<uuid4 hex>``; numbered in order of
    first appearance instead (same length, one numbering across all ``paths``
    in sorted order, so a script that names a page's element still finds it),
    pages rebuilt from identical inputs are byte-identical.
    """
    ids: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        return ids.setdefault(m.group(0), f"{len(ids) + 1:032x}")

    for p in sorted(Path(q) for q in paths):
        text = p.read_text(encoding="utf-8")
        new = _FOLIUM_ID.sub(repl, text)
        if new != text:
            write_text_atomic(p, new)
