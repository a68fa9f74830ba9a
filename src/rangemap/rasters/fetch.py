"""Download Copernicus DEM tiles into a local cache and build a VRT over them.

The Copernicus DEM is published as 1° × 1° Cloud-Optimised GeoTIFF tiles named
after their south-west corner, e.g. ``Copernicus_DSM_COG_30_N27_00_E086_00_DEM``
covers 27–28°N, 86–87°E (``30`` = GLO-90, 3″; ``10`` = GLO-30, 1″).  No tile
exists over open ocean; the server then answers 404 (or 403 for a missing key),
which is recorded as "ocean" and skipped.

The cache folder holds the tiles, ``manifest.json`` (tile → sha256, bytes,
product, url, or ``"status": "ocean"``) and one VRT per request.  Every file is
written to a temporary name and moved into place only when complete and
readable, and a run holds an exclusive lock on ``.lock`` so two runs never
write the same cache at once.

The pure part (:func:`tile_names`, :func:`tile_url`) does no I/O;
:func:`fetch_dem` does the downloading.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import logging
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from rasterio.errors import RasterioError

from rangemap.errors import DataError, UsageError
from rangemap.fsutil import atomic_path, sha256_file, write_text_atomic

log = logging.getLogger(__name__)

#: Product name → resolution code used in the tile names (arc-seconds × 10).
PRODUCT_CODES: dict[str, int] = {"glo30": 10, "glo90": 30}

#: Default public base URL of each product (overridable by ``base_url`` or
#: the environment variable :data:`BASE_URL_ENV`).
DEFAULT_BASE_URLS: dict[str, str] = {
    "glo30": "https://copernicus-dem-30m.s3.amazonaws.com",
    "glo90": "https://copernicus-dem-90m.s3.amazonaws.com",
}

#: Environment variable that overrides the base URL for every product.
BASE_URL_ENV = "RANGEMAP_DEM_BASE_URL"

MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".lock"
MANIFEST_VERSION = 1

#: Refuse a tile response larger than this (a GLO-30 tile is at most ~60 MB).
MAX_TILE_BYTES = 512 * 1024 * 1024

#: Longest single back-off sleep between retries, seconds.
MAX_BACKOFF_S = 30.0

_CHUNK = 1 << 16
_USER_AGENT = "rangemap-fetch-dem (+https://pypi.org/project/rangemap/)"

Bounds = tuple[float, float, float, float]
ProgressFn = Callable[[int, int, str, str], None]


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_dem` produced.

    Attributes
    ----------
    vrt_path : Path
        VRT mosaic over all tiles found (in the cache folder).
    tiles : list of Path
        Tile files in the cache, in :func:`tile_names` order (ocean tiles left out).
    missing : list of str
        Names of tiles that do not exist (open ocean).
    downloaded : int
        Tiles downloaded by this run.
    cached : int
        Tiles taken from the cache after verifying their sha256.
    """

    vrt_path: Path
    tiles: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    downloaded: int = 0
    cached: int = 0


# --------------------------------------------------------------------------- pure core


def _check_product(product: str) -> int:
    try:
        return PRODUCT_CODES[product]
    except KeyError:
        raise UsageError(f"unknown DEM product {product!r}; choose one of "
                         f"{', '.join(sorted(PRODUCT_CODES))}") from None


def validate_bounds(bounds: Sequence[float]) -> Bounds:
    """Check ``(west, south, east, north)`` in degrees and return it as floats.

    Raises
    ------
    UsageError
        If there are not four finite numbers, they are outside ±180/±90, the box
        is empty (``west >= east`` or ``south >= north``) or it crosses the
        antimeridian (``west > east``; split it into two requests instead).
    """
    try:
        w, s, e, n = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise UsageError(f"bounds must be four numbers W S E N, got {bounds!r}") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise UsageError(f"bounds must be finite numbers, got {w} {s} {e} {n}")
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise UsageError(f"longitudes must be within -180..180, got W={w} E={e}")
    if not (-90 <= s <= 90 and -90 <= n <= 90):
        raise UsageError(f"latitudes must be within -90..90, got S={s} N={n}")
    if w > e and not (w > 0 > e):
        # 88 26 80 31 is two numbers swapped, not a box around the world the long way.
        raise UsageError(f"W={w:g} is east of E={e:g}: swapped? give west first, e.g. "
                         f"--bounds {e:g} {s:g} {w:g} {n:g}")
    if w > e:
        raise UsageError(f"bounds cross the antimeridian (W={w} > E={e}); fetch the two sides "
                         "separately, e.g. W..180 and -180..E")
    if w == e:
        raise UsageError(f"bounds are empty: W = E = {w}")
    if s >= n:
        raise UsageError(f"bounds need S < N, got S={s} N={n}")
    return w, s, e, n


def tile_name(lat: int, lon: int, product: str) -> str:
    """Name of the tile whose south-west corner is at integer ``lat``, ``lon``.

    >>> tile_name(27, 86, "glo90")
    'Copernicus_DSM_COG_30_N27_00_E086_00_DEM'
    >>> tile_name(-1, -1, "glo30")
    'Copernicus_DSM_COG_10_S01_00_W001_00_DEM'
    """
    code = _check_product(product)
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"Copernicus_DSM_COG_{code}_{ns}{abs(lat):02d}_00_{ew}{abs(lon):03d}_00_DEM"


def tile_names(bounds: Sequence[float], product: str) -> list[str]:
    """Names of the 1° tiles that intersect ``bounds``, north to south, west to east.

    Parameters
    ----------
    bounds : sequence of 4 float
        ``(west, south, east, north)`` in degrees (EPSG:4326).  A box edge on
        an integer degree does not pull in the neighbouring tile.
    product : {"glo90", "glo30"}
        Copernicus DEM product.

    Returns
    -------
    list of str
        Tile names, e.g. ``Copernicus_DSM_COG_30_N27_00_E086_00_DEM``.

    Raises
    ------
    UsageError
        For invalid bounds (see :func:`validate_bounds`) or an unknown product.

    Examples
    --------
    >>> tile_names((86, 27, 88, 28), "glo90")  # doctest: +NORMALIZE_WHITESPACE
    ['Copernicus_DSM_COG_30_N27_00_E086_00_DEM', 'Copernicus_DSM_COG_30_N27_00_E087_00_DEM']
    """
    _check_product(product)
    w, s, e, n = validate_bounds(bounds)
    lons = range(math.floor(w), min(math.ceil(e), 180))
    lats = range(min(math.ceil(n), 90) - 1, math.floor(s) - 1, -1)
    return [tile_name(lat, lon, product) for lat in lats for lon in lons]


def resolve_base_url(product: str, base_url: str | None = None) -> str:
    """The base URL to use: ``base_url``, else ``$RANGEMAP_DEM_BASE_URL``, else the default.

    Raises
    ------
    UsageError
        If the URL is not ``http://`` or ``https://``.
    """
    _check_product(product)
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URLS[product]
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise UsageError(f"DEM base URL must be http(s)://, got {url!r}")
    return url.rstrip("/")


def tile_url(name: str, product: str, base_url: str | None = None) -> str:
    """URL of tile ``name``: ``{base}/{name}/{name}.tif``.

    Parameters
    ----------
    name : str
        Tile name from :func:`tile_names`.
    product : {"glo90", "glo30"}
        Selects the default base URL.
    base_url : str, optional
        Overrides the base URL (else ``$RANGEMAP_DEM_BASE_URL``, else the public bucket).
    """
    return f"{resolve_base_url(product, base_url)}/{name}/{name}.tif"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rangemap/copernicus-dem`` (``~/.cache/...`` by default)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "rangemap" / "copernicus-dem"


def vrt_name(bounds: Sequence[float], product: str) -> str:
    """File name of the VRT for a request: ``<product>_<W>_<S>_<E>_<N>.vrt``."""
    def num(v: float) -> str:
        text = f"{v:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text

    w, s, e, n = validate_bounds(bounds)
    return f"{product}_{num(w)}_{num(s)}_{num(e)}_{num(n)}.vrt"


# --------------------------------------------------------------------------- cache lock


@contextlib.contextmanager
def cache_lock(cache_dir: Path, timeout: float, poll: float = 0.1) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``cache_dir/.lock``, waiting up to ``timeout`` s.

    Raises
    ------
    DataError
        If another process holds the lock for longer than ``timeout``.
    """
    path = cache_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, timeout)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DataError(f"cache is locked by another rangemap fetch-dem ({path}); "
                                    f"waited {timeout:g} s") from None
                if not told:
                    log.info("waiting for the cache lock %s", path)
                    told = True
                time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- manifest


def _load_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": MANIFEST_VERSION, "tiles": {}}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s (%s); cached tiles will be downloaded again",
                    path, exc)
        return {"version": MANIFEST_VERSION, "tiles": {}}
    if not isinstance(data, dict) or not isinstance(data.get("tiles"), dict):
        log.warning("ignoring malformed %s; cached tiles will be downloaded again", path)
        return {"version": MANIFEST_VERSION, "tiles": {}}
    return data


def _save_manifest(path: Path, manifest: dict) -> None:
    out = {**manifest, "version": MANIFEST_VERSION,
           "tiles": dict(sorted(manifest["tiles"].items()))}
    write_text_atomic(path, json.dumps(out, indent=2) + "\n")


def _cached_ok(path: Path, entry: dict | None) -> bool:
    """True when ``path`` exists and matches the manifest's size and sha256."""
    if not entry or entry.get("status") != "ok" or not path.is_file():
        return False
    try:
        if path.stat().st_size != entry.get("bytes"):
            return False
        return sha256_file(path) == entry.get("sha256")
    except OSError:
        return False


# --------------------------------------------------------------------------- download


class _Retryable(Exception):
    """A failure worth another attempt (connection, 5xx, truncation, unreadable)."""


class _NoTile(Exception):
    """The server says the tile does not exist (404, or 403 for a missing S3 key)."""


def _check_raster(path: Path) -> None:
    """Open ``path`` with rasterio and read every block of band 1 (catches truncation)."""
    try:
        with rasterio.open(path) as ds:
            if ds.count < 1 or ds.crs is None:
                raise _Retryable("not a georeferenced raster")
            for _, window in ds.block_windows(1):
                ds.read(1, window=window)
    except RasterioError as exc:
        raise _Retryable(f"unreadable GeoTIFF: {exc}") from None


def _download_once(url: str, dest: Path, timeout: float) -> tuple[str, int]:
    """One attempt: stream ``url`` to a temporary file, verify, move to ``dest``.

    Returns the sha256 and size.  On any failure the temporary file is removed
    and ``dest`` is left untouched.
    """
    req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 (scheme checked)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (403, 404):
            raise _NoTile(str(exc.code)) from None
        if exc.code >= 500 or exc.code in (408, 429):
            raise _Retryable(f"HTTP {exc.code} {exc.reason}") from None
        raise DataError(f"download failed: HTTP {exc.code} {exc.reason} for {url}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise _Retryable(f"connection error: {reason}") from None

    with resp, atomic_path(dest, suffix=".part.tif") as tmp:
        length_header = resp.headers.get("Content-Length")
        try:
            expected = int(length_header) if length_header is not None else None
        except ValueError:
            expected = None
        if expected is not None and expected > MAX_TILE_BYTES:
            raise DataError(f"refusing {url}: {expected} bytes is more than a DEM tile")
        h = hashlib.sha256()
        size = 0
        with open(tmp, "wb") as f:  # a local write error (disk full) is not retried
            while True:
                try:
                    block = resp.read(_CHUNK)
                except (http.client.HTTPException, OSError) as exc:
                    raise _Retryable(f"connection error while reading: {exc!r}") from None
                if not block:
                    break
                size += len(block)
                if size > MAX_TILE_BYTES:
                    raise DataError(f"refusing {url}: more than {MAX_TILE_BYTES} bytes")
                h.update(block)
                f.write(block)
        if expected is not None and size != expected:
            raise _Retryable(f"truncated response: {size} of {expected} bytes")
        if size == 0:
            raise _Retryable("empty response")
        _check_raster(tmp)
    return h.hexdigest(), size


def _download(url: str, dest: Path, *, retries: int, backoff: float,
              timeout: float) -> tuple[str, int] | None:
    """Download with retries; ``None`` when the tile does not exist.

    Raises
    ------
    DataError
        After ``retries + 1`` failed attempts, naming the URL.
    """
    attempts = max(0, int(retries)) + 1
    last = ""
    for attempt in range(attempts):
        try:
            return _download_once(url, dest, timeout)
        except _NoTile:
            return None
        except (TimeoutError, _Retryable) as exc:
            last = str(exc) or type(exc).__name__
            if attempt + 1 < attempts:
                delay = min(MAX_BACKOFF_S, backoff * 2 ** attempt)
                log.info("%s: %s; retrying in %.2g s (%d/%d)", url, last, delay,
                         attempt + 1, attempts - 1)
                time.sleep(delay)
    raise DataError(f"could not download {url} after {attempts} attempt(s): {last}")


# --------------------------------------------------------------------------- VRT


_GDAL_TYPES = {
    "uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16", "uint32": "UInt32",
    "int32": "Int32", "uint64": "UInt64", "int64": "Int64", "float32": "Float32",
    "float64": "Float64",
}


def _fmt(v: float) -> str:
    """Shortest exact text for a float; integers-in-disguise without noise."""
    if not math.isfinite(v):
        return repr(float(v))
    r = round(v)
    if abs(v - r) < 1e-9:
        return str(int(r))
    return repr(float(v))


def _default_nodata(dtype: str) -> float:
    if dtype.startswith("float"):
        return -32767.0
    info = np.iinfo(dtype)
    return float(info.max if info.min == 0 else info.min)


def build_vrt_xml(tiles: Sequence[Path], vrt_dir: Path) -> str:
    """VRT XML mosaicking ``tiles`` (single-band, same CRS, lon/lat, north-up).

    The mosaic covers the union of the tiles' extents at the finest pixel
    spacing found in either axis.  Copernicus tiles north of 50° have wider
    spacing in longitude; their pixels are mapped onto the finer grid
    (nearest neighbour), so values are repeated, never interpolated.  Areas
    not covered by a tile (ocean) read as nodata: the tiles' own nodata value,
    or -32767 for float tiles that have none.

    Parameters
    ----------
    tiles : sequence of Path
        GeoTIFF tiles; paths are written relative to ``vrt_dir`` when inside it.
    vrt_dir : Path
        Folder the VRT will be written to.
    """
    if not tiles:
        raise DataError("no tiles to build a VRT from")
    infos = []
    for p in tiles:
        with rasterio.open(p) as ds:
            t = ds.transform
            if t.b != 0 or t.d != 0 or t.e >= 0:
                raise DataError(f"{p}: only north-up rasters can be mosaicked")
            infos.append({
                "path": Path(p), "width": ds.width, "height": ds.height, "xres": t.a,
                "yres": -t.e, "left": t.c, "top": t.f, "right": t.c + t.a * ds.width,
                "bottom": t.f + t.e * ds.height, "dtype": ds.dtypes[0], "nodata": ds.nodata,
                "crs": ds.crs, "block": ds.block_shapes[0],
            })
    crs = infos[0]["crs"]
    for i in infos[1:]:
        if i["crs"] != crs:
            raise DataError(f"{i['path']}: CRS differs from {infos[0]['path']}")
    dtypes = {i["dtype"] for i in infos}
    if len(dtypes) != 1:
        raise DataError(f"tiles have different data types: {sorted(dtypes)}")
    dtype = dtypes.pop()
    nodata = next((i["nodata"] for i in infos if i["nodata"] is not None), None)
    if nodata is None:
        nodata = _default_nodata(dtype)

    xres = min(i["xres"] for i in infos)
    yres = min(i["yres"] for i in infos)
    x0 = min(i["left"] for i in infos)
    y0 = max(i["top"] for i in infos)
    x1 = max(i["right"] for i in infos)
    y1 = min(i["bottom"] for i in infos)
    width = max(1, round((x1 - x0) / xres))
    height = max(1, round((y0 - y1) / yres))

    def rel(p: Path) -> tuple[str, str]:
        try:
            return "1", p.resolve().relative_to(vrt_dir.resolve()).as_posix()
        except ValueError:
            return "0", str(p.resolve())

    out = [
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">',
        f"  <SRS>{escape(crs.to_wkt())}</SRS>",
        f"  <GeoTransform>{_fmt(x0)}, {_fmt(xres)}, 0, {_fmt(y0)}, 0, {_fmt(-yres)}"
        "</GeoTransform>",
        f'  <VRTRasterBand dataType="{_GDAL_TYPES[dtype]}" band="1">',
        f"    <NoDataValue>{_fmt(nodata)}</NoDataValue>",
    ]
    for i in infos:
        relative, name = rel(i["path"])
        bh, bw = i["block"]
        out += [
            "    <SimpleSource>",
            f"      <SourceFilename relativeToVRT=\"{relative}\">{escape(name)}"
            "</SourceFilename>",
            "      <SourceBand>1</SourceBand>",
            f'      <SourceProperties RasterXSize="{i["width"]}" RasterYSize="{i["height"]}" '
            f'DataType="{_GDAL_TYPES[dtype]}" BlockXSize="{bw}" BlockYSize="{bh}"/>',
            f'      <SrcRect xOff="0" yOff="0" xSize="{i["width"]}" ySize="{i["height"]}"/>',
            f'      <DstRect xOff="{_fmt((i["left"] - x0) / xres)}" '
            f'yOff="{_fmt((y0 - i["top"]) / yres)}" '
            f'xSize="{_fmt(i["width"] * i["xres"] / xres)}" '
            f'ySize="{_fmt(i["height"] * i["yres"] / yres)}"/>',
            "    </SimpleSource>",
        ]
    out += ["  </VRTRasterBand>", "</VRTDataset>", ""]
    return "\n".join(out)


def write_vrt(tiles: Sequence[Path], vrt_path: Path) -> Path:
    """Write a VRT over ``tiles`` to ``vrt_path`` atomically.

    Uses ``osgeo.gdal.BuildVRT`` (``resolution="highest"``) when the GDAL Python
    bindings are installed, else :func:`build_vrt_xml`.
    """
    vrt_path = Path(vrt_path)
    try:
        from osgeo import gdal  # type: ignore[import-not-found]  # optional GDAL bindings
    except ImportError:
        gdal = None
    if gdal is not None:
        with atomic_path(vrt_path) as tmp:
            gdal.UseExceptions()
            ds = gdal.BuildVRT(str(tmp), [str(p) for p in tiles], resolution="highest")
            if ds is None:
                raise DataError(f"GDAL could not build {vrt_path}")
            ds = None  # noqa: F841 (closing flushes the file)
        return vrt_path
    write_text_atomic(vrt_path, build_vrt_xml(tiles, vrt_path.parent))
    return vrt_path


# --------------------------------------------------------------------------- fetch


#: Temporary files a killed run may leave in the cache folder (names from
#: :func:`rangemap.fsutil.atomic_path`, old and new style); only these are removed.
_STALE_PATTERNS = (".rangemap-tmp-*", ".Copernicus_DSM_COG_*.part.tif", ".manifest.json.*",
                   ".glo30_*.vrt", ".glo90_*.vrt")


def _remove_stale_temps(cache_dir: Path) -> None:
    """Remove temporary files left in ``cache_dir`` by a killed run (we hold the lock)."""
    for pattern in _STALE_PATTERNS:
        for p in cache_dir.glob(pattern):
            if p.is_file():
                with contextlib.suppress(OSError):
                    p.unlink()


def fetch_dem(
    bounds: Sequence[float],
    product: str,
    cache_dir: str | os.PathLike[str],
    *,
    yes: bool = False,
    max_tiles: int = 20,
    base_url: str | None = None,
    retries: int = 4,
    backoff: float = 0.5,
    timeout: float = 60,
    progress: ProgressFn | None = None,
    lock_timeout: float = 900,
) -> FetchResult:
    """Download the Copernicus DEM tiles covering ``bounds`` and build a VRT over them.

    Parameters
    ----------
    bounds : sequence of 4 float
        ``(west, south, east, north)`` in degrees; must not cross the antimeridian.
    product : {"glo90", "glo30"}
        GLO-90 (3″, ~90 m) or GLO-30 (1″, ~30 m).
    cache_dir : path-like
        Folder for tiles, ``manifest.json``, ``.lock`` and the VRT (created if needed).
    yes : bool
        Allow more than ``max_tiles`` tiles.
    max_tiles : int
        Tile count above which ``yes`` is required.
    base_url : str, optional
        Server to download from instead of ``$RANGEMAP_DEM_BASE_URL`` or the public bucket.
    retries : int
        Extra attempts per tile after a connection error, HTTP 5xx/408/429, a
        truncated or unreadable response.
    backoff : float
        First retry delay in seconds; doubles on each retry (at most 30 s).
    timeout : float
        Socket timeout per connect/read, seconds.
    progress : callable, optional
        Called as ``progress(index, total, name, status)`` with 1-based index and
        status one of ``"downloading"``, ``"downloaded"``, ``"cached"``, ``"ocean"``.
    lock_timeout : float
        Seconds to wait for another run holding the cache lock.

    Returns
    -------
    FetchResult

    Raises
    ------
    UsageError
        Invalid bounds or product, or too many tiles without ``yes``.
    DataError
        A tile failed every attempt (nothing partial is left in the cache), the
        cache is locked for longer than ``lock_timeout``, or every tile is ocean.
    """
    names = tile_names(bounds, product)
    base = resolve_base_url(product, base_url)
    if len(names) > max_tiles and not yes:
        raise UsageError(f"bounds cover {len(names)} tiles (limit {max_tiles}); "
                         "pass --yes or narrow --bounds")
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    manifest_path = cache / MANIFEST_NAME
    total = len(names)

    def report(i: int, name: str, status: str) -> None:
        if progress is not None:
            progress(i, total, name, status)

    tiles: list[Path] = []
    missing: list[str] = []
    downloaded = cached = 0
    with cache_lock(cache, lock_timeout):
        _remove_stale_temps(cache)
        manifest = _load_manifest(manifest_path)
        entries: dict = manifest["tiles"]
        for i, name in enumerate(names, start=1):
            url = tile_url(name, product, base)
            path = cache / f"{name}.tif"
            entry = entries.get(name)
            if _cached_ok(path, entry):
                tiles.append(path)
                cached += 1
                report(i, name, "cached")
                continue
            if entry and entry.get("status") == "ocean" and entry.get("url") == url:
                missing.append(name)
                report(i, name, "ocean")
                continue
            report(i, name, "downloading")
            got = _download(url, path, retries=retries, backoff=backoff, timeout=timeout)
            if got is None:
                entries[name] = {"status": "ocean", "product": product, "url": url}
                missing.append(name)
                status = "ocean"
            else:
                sha, size = got
                entries[name] = {"status": "ok", "sha256": sha, "bytes": size,
                                 "product": product, "url": url}
                tiles.append(path)
                downloaded += 1
                status = "downloaded"
            _save_manifest(manifest_path, manifest)
            report(i, name, status)
        if not tiles:
            raise DataError(f"no Copernicus DEM tiles cover {' '.join(map(str, bounds))}: "
                            f"all {total} are open ocean")
        vrt_path = write_vrt(tiles, cache / vrt_name(bounds, product))
    return FetchResult(vrt_path=vrt_path, tiles=tiles, missing=missing,
                       downloaded=downloaded, cached=cached)
