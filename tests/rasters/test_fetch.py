"""fetch-dem: tile naming, downloading with retries into a verified cache, the VRT.

Tiles are tiny generated COGs served by a local HTTP server bound to
127.0.0.1; every network loop is bounded (few retries, millisecond back-off,
short timeouts).
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import http.server
import json
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from rangemap.errors import DataError, UsageError
from rangemap.rasters.fetch import (
    BASE_URL_ENV,
    DEFAULT_BASE_URLS,
    LOCK_NAME,
    MANIFEST_NAME,
    fetch_dem,
    tile_name,
    tile_names,
    tile_url,
    vrt_name,
)

CELLS = 12  # cells per degree in the generated tiles (GLO-90 has 1200)
FAST = {"retries": 3, "backoff": 0.001, "timeout": 5, "lock_timeout": 5}


# --------------------------------------------------------------------------- tile_names


def _n(code: int, ns: str, lat: int, ew: str, lon: int) -> str:
    return f"Copernicus_DSM_COG_{code}_{ns}{lat:02d}_00_{ew}{lon:03d}_00_DEM"


@pytest.mark.parametrize("bounds, product, expected", [
    # Integer edges do not pull in the neighbours; north to south, west to east.
    ((86, 27, 88, 29), "glo90", [_n(30, "N", 28, "E", 86), _n(30, "N", 28, "E", 87),
                                 _n(30, "N", 27, "E", 86), _n(30, "N", 27, "E", 87)]),
    ((86, 27, 87, 28), "glo30", [_n(10, "N", 27, "E", 86)]),
    ((86.2, 27.1, 86.7, 27.9), "glo90", [_n(30, "N", 27, "E", 86)]),
    ((86.0, 27.0, 87.000001, 28.0), "glo90", [_n(30, "N", 27, "E", 86),
                                              _n(30, "N", 27, "E", 87)]),
    # Negative coordinates and the equator / prime meridian.
    ((-1.5, -0.5, 0.5, 0.5), "glo90", [_n(30, "N", 0, "W", 2), _n(30, "N", 0, "W", 1),
                                       _n(30, "N", 0, "E", 0), _n(30, "S", 1, "W", 2),
                                       _n(30, "S", 1, "W", 1), _n(30, "S", 1, "E", 0)]),
    ((-71.5, -33.9, -70.1, -33.2), "glo30", [_n(10, "S", 34, "W", 72),
                                             _n(10, "S", 34, "W", 71)]),
    ((-1, -1, 0, 0), "glo90", [_n(30, "S", 1, "W", 1)]),
    # World corners.
    ((-180, -90, -179, -89), "glo90", [_n(30, "S", 90, "W", 180)]),
    ((179.5, 89.5, 180, 90), "glo90", [_n(30, "N", 89, "E", 179)]),
])
def test_tile_names(bounds, product, expected):
    assert tile_names(bounds, product) == expected


def test_tile_name_is_south_west_corner():
    assert tile_name(27, 86, "glo90") == "Copernicus_DSM_COG_30_N27_00_E086_00_DEM"
    assert tile_name(-9, -78, "glo30") == "Copernicus_DSM_COG_10_S09_00_W078_00_DEM"


@pytest.mark.parametrize("bounds, product, match", [
    ((170, 0, -170, 1), "glo90", "antimeridian"),
    ((10, 5, 11, 5), "glo90", "S < N"),
    ((10, 6, 11, 5), "glo90", "S < N"),
    ((10, 5, 10, 6), "glo90", "empty"),
    ((-181, 0, 1, 1), "glo90", "longitudes"),
    ((0, -91, 1, 1), "glo90", "latitudes"),
    ((0, float("nan"), 1, 1), "glo90", "finite"),
    ((0, 0, 1), "glo90", "four numbers"),
    ((0, 0, 1, 1), "glo15", "unknown DEM product"),
])
def test_tile_names_rejects(bounds, product, match):
    with pytest.raises(UsageError, match=match):
        tile_names(bounds, product)


def test_tile_url_defaults_and_overrides(monkeypatch):
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    name = tile_name(27, 86, "glo90")
    assert tile_url(name, "glo90") == f"{DEFAULT_BASE_URLS['glo90']}/{name}/{name}.tif"
    name30 = tile_name(27, 86, "glo30")
    assert tile_url(name30, "glo30") == f"{DEFAULT_BASE_URLS['glo30']}/{name30}/{name30}.tif"
    assert all(u.startswith("https://") for u in DEFAULT_BASE_URLS.values())
    assert "90m" in DEFAULT_BASE_URLS["glo90"] and "30m" in DEFAULT_BASE_URLS["glo30"]
    assert tile_url(name, "glo90", "http://127.0.0.1:9/x/") == (
        f"http://127.0.0.1:9/x/{name}/{name}.tif")
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:9/env")
    assert tile_url(name, "glo90") == f"http://127.0.0.1:9/env/{name}/{name}.tif"
    assert tile_url(name, "glo90", "http://127.0.0.1:9/arg").startswith("http://127.0.0.1:9/arg/")
    with pytest.raises(UsageError, match="http"):
        tile_url(name, "glo90", "file:///etc")


def test_vrt_name():
    assert vrt_name((86, 27, 88.5, 29), "glo90") == "glo90_86_27_88.5_29.vrt"
    assert vrt_name((-1.25, -0.0, 0.5, 1), "glo30") == "glo30_-1.25_0_0.5_1.vrt"


# --------------------------------------------------------------------------- test server


def tile_array(lat: int, lon: int, width: int = CELLS, height: int = CELLS) -> np.ndarray:
    """Distinct values per tile and cell, exact in float32 (< 2**24)."""
    base = ((lat + 90) * 361 + (lon + 180)) % 10000
    return (base * 1000 + np.arange(width * height).reshape(height, width)).astype("float32")


def write_tile(root: Path, lat: int, lon: int, product: str = "glo90",
               width: int = CELLS, height: int = CELLS) -> Path:
    """A COG named like the real tile, shifted half a pixel like Copernicus tiles."""
    xres, yres = 1 / width, 1 / height
    name = tile_name(lat, lon, product)
    path = root / f"{name}.tif"
    with rasterio.open(path, "w", driver="COG", width=width, height=height, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(lon - xres / 2, lat + 1 + yres / 2, xres, yres)
                       ) as dst:
        dst.write(tile_array(lat, lon, width, height), 1)
    return path


class TileServer:
    """Serves ``root/<name>.tif`` at ``/<name>/<name>.tif``; scripted failures per tile.

    ``plans[name]`` is a list of actions used one per request (then ``"ok"``):
    ``ok``, ``404``, ``403``, ``401``, ``500``, ``truncate`` (Content-Length larger
    than the body) and ``cut`` (a consistent but cut-short body).
    """

    def __init__(self, root: Path):
        self.root = root
        self.plans: dict[str, list[str]] = {}
        self.hits: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        host, port = self.httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}/dem"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def next_action(self, name: str) -> str:
        with self._lock:
            self.hits[name] += 1
            plan = self.plans.get(name)
            if plan:
                return plan.pop(0)
        return "ok" if (self.root / f"{name}.tif").is_file() else "404"

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 (quiet)
                pass

            def do_GET(self):  # noqa: N802 (http.server API)
                parts = self.path.split("/")
                if len(parts) != 4 or parts[1] != "dem" or parts[3] != f"{parts[2]}.tif":
                    self.send_error(400)
                    return
                name = parts[2]
                action = server.next_action(name)
                if action in ("404", "403", "401", "500"):
                    self.send_error(int(action))
                    return
                body = (server.root / f"{name}.tif").read_bytes()
                length = len(body)
                if action == "truncate":
                    body = body[: len(body) // 2]
                elif action == "cut":
                    body = body[: len(body) * 2 // 3]
                    length = len(body)
                self.send_response(200)
                self.send_header("Content-Type", "image/tiff")
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

        return Handler


@pytest.fixture(autouse=True)
def _no_proxy_no_env(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY", BASE_URL_ENV):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    srv = TileServer(root)
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        srv.thread.join(timeout=5)


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def _quad(server: TileServer) -> tuple[float, float, float, float]:
    """2×2 degrees at 27–29°N, 86–88°E; the north-east tile is ocean (404)."""
    for lat, lon in ((27, 86), (27, 87), (28, 86)):
        write_tile(server.root, lat, lon)
    return (86, 27, 88, 29)


def _sample(vrt: Path, lon: float, lat: float) -> float:
    with rasterio.open(vrt) as ds:
        row, col = ds.index(lon, lat)
        return float(ds.read(1, window=((row, row + 1), (col, col + 1)))[0, 0])


def _cache_junk(cache: Path) -> list[str]:
    """Temporary or partial files left in the cache."""
    return sorted(p.name for p in cache.iterdir()
                  if p.name.startswith(".") and p.name != LOCK_NAME)


# --------------------------------------------------------------------------- fetch_dem


def test_fetch_mosaic_with_ocean_tile(server, cache):
    bounds = _quad(server)
    calls = []
    res = fetch_dem(bounds, "glo90", cache, base_url=server.base_url,
                    progress=lambda *a: calls.append(a), **FAST)
    ocean = tile_name(28, 87, "glo90")
    assert res.missing == [ocean]
    assert [p.name for p in res.tiles] == [f"{tile_name(28, 86, 'glo90')}.tif",
                                           f"{tile_name(27, 86, 'glo90')}.tif",
                                           f"{tile_name(27, 87, 'glo90')}.tif"]
    assert (res.downloaded, res.cached) == (3, 0)
    assert res.vrt_path == cache / "glo90_86_27_88_29.vrt"
    assert all(server.hits[n] == 1 for n in tile_names(bounds, "glo90"))
    assert [c[:2] for c in calls if c[3] != "downloading"] == [(i, 4) for i in range(1, 5)]
    assert {c[3] for c in calls} == {"downloading", "downloaded", "ocean"}

    manifest = json.loads((cache / MANIFEST_NAME).read_text())
    assert manifest["tiles"][ocean]["status"] == "ocean"
    for p in res.tiles:
        entry = manifest["tiles"][p.stem]
        assert entry["status"] == "ok" and entry["product"] == "glo90"
        assert entry["bytes"] == p.stat().st_size
        assert entry["url"] == tile_url(p.stem, "glo90", server.base_url)
        assert entry["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert _cache_junk(cache) == []

    # The VRT is the tiles side by side, nodata where the ocean tile is.
    with rasterio.open(res.vrt_path) as ds:
        assert (ds.width, ds.height) == (2 * CELLS, 2 * CELLS)
        assert ds.crs == rasterio.crs.CRS.from_epsg(4326)
        assert ds.bounds.left == pytest.approx(86 - 0.5 / CELLS)
        assert ds.bounds.top == pytest.approx(29 + 0.5 / CELLS)
        got = ds.read(1, masked=True)
    expected = np.ma.masked_all((2 * CELLS, 2 * CELLS), dtype="float32")
    expected[:CELLS, :CELLS] = tile_array(28, 86)
    expected[CELLS:, :CELLS] = tile_array(27, 86)
    expected[CELLS:, CELLS:] = tile_array(27, 87)
    assert np.array_equal(got.mask, expected.mask)
    assert np.array_equal(got.filled(0), expected.filled(0))

    # Points in two different tiles, either side of the edge (tiles are shifted half a
    # pixel west like Copernicus tiles, so the edge is at 87 - 1/24 °E).
    a, b = tile_array(27, 86), tile_array(27, 87)
    assert _sample(res.vrt_path, 86.94, 27.5) == a[6, 11]
    assert _sample(res.vrt_path, 86.97, 27.5) == b[6, 0]
    assert _sample(res.vrt_path, 86.5, 28.5) == tile_array(28, 86)[6, 6]
    assert _sample(res.vrt_path, 87.5, 28.5) == -32767  # nodata over the ocean tile


def test_rerun_uses_cache_without_requests(server, cache):
    bounds = _quad(server)
    first = fetch_dem(bounds, "glo90", cache, base_url=server.base_url, **FAST)
    hits = server.total_hits
    calls = []
    again = fetch_dem(bounds, "glo90", cache, base_url=server.base_url,
                      progress=lambda *a: calls.append(a[3]), **FAST)
    assert server.total_hits == hits
    assert (again.downloaded, again.cached) == (0, 3)
    assert again.missing == first.missing and again.tiles == first.tiles
    assert calls == ["cached", "ocean", "cached", "cached"]
    assert _sample(again.vrt_path, 86.5, 27.5) == tile_array(27, 86)[6, 6]


def test_corrupted_cached_tile_is_downloaded_again(server, cache):
    bounds = (86, 27, 88, 28)
    write_tile(server.root, 27, 86)
    write_tile(server.root, 27, 87)
    res = fetch_dem(bounds, "glo90", cache, base_url=server.base_url, **FAST)
    bad = res.tiles[1]
    data = bytearray(bad.read_bytes())
    data[-1] ^= 0xFF
    bad.write_bytes(bytes(data))
    again = fetch_dem(bounds, "glo90", cache, base_url=server.base_url, **FAST)
    assert (again.downloaded, again.cached) == (1, 1)
    assert server.hits[bad.stem] == 2 and server.hits[res.tiles[0].stem] == 1
    assert bad.read_bytes() == (server.root / bad.name).read_bytes()


def test_retries_server_errors(server, cache):
    write_tile(server.root, 27, 86)
    name = tile_name(27, 86, "glo90")
    server.plans[name] = ["500", "500"]
    res = fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=server.base_url, **FAST)
    assert server.hits[name] == 3
    assert res.downloaded == 1
    assert res.tiles[0].read_bytes() == (server.root / f"{name}.tif").read_bytes()


@pytest.mark.parametrize("action", ["truncate", "cut"])
def test_truncated_response_is_retried_not_cached(server, cache, action):
    write_tile(server.root, 27, 86)
    name = tile_name(27, 86, "glo90")
    server.plans[name] = [action]
    res = fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=server.base_url, **FAST)
    assert server.hits[name] == 2
    assert res.tiles[0].read_bytes() == (server.root / f"{name}.tif").read_bytes()
    assert _cache_junk(cache) == []


def test_truncated_every_time_fails_and_leaves_nothing(server, cache):
    write_tile(server.root, 27, 86)
    name = tile_name(27, 86, "glo90")
    server.plans[name] = ["truncate", "cut"] * 5
    with pytest.raises(DataError, match=f"{name}.tif after 3 attempt"):
        fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=server.base_url,
                  **{**FAST, "retries": 2})
    assert server.hits[name] == 3
    assert not (cache / f"{name}.tif").exists()
    assert _cache_junk(cache) == []


def test_always_failing_tile_is_a_data_error(server, cache):
    write_tile(server.root, 27, 86)
    write_tile(server.root, 27, 87)
    bad = tile_name(27, 87, "glo90")
    server.plans[bad] = ["500"] * 10
    t0 = time.monotonic()
    with pytest.raises(DataError) as info:
        fetch_dem((86, 27, 88, 28), "glo90", cache, base_url=server.base_url, **FAST)
    assert time.monotonic() - t0 < 10
    assert tile_url(bad, "glo90", server.base_url) in str(info.value)
    assert "HTTP 500" in str(info.value)
    assert server.hits[bad] == FAST["retries"] + 1
    assert not (cache / f"{bad}.tif").exists()
    assert _cache_junk(cache) == []
    manifest = json.loads((cache / MANIFEST_NAME).read_text())
    assert bad not in manifest["tiles"]
    assert not list(cache.glob("*.vrt"))
    # The good tile downloaded before the failure stays cached for the next run.
    assert manifest["tiles"][tile_name(27, 86, "glo90")]["status"] == "ok"


def test_client_error_is_not_retried(server, cache):
    write_tile(server.root, 27, 86)
    name = tile_name(27, 86, "glo90")
    server.plans[name] = ["401"]
    with pytest.raises(DataError, match="HTTP 401"):
        fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=server.base_url, **FAST)
    assert server.hits[name] == 1


def test_403_means_ocean_and_all_ocean_is_an_error(server, cache):
    name = tile_name(0, -30, "glo90")
    server.plans[name] = ["403"]
    with pytest.raises(DataError, match="open ocean"):
        fetch_dem((-30, 0, -29, 1), "glo90", cache, base_url=server.base_url, **FAST)
    manifest = json.loads((cache / MANIFEST_NAME).read_text())
    assert manifest["tiles"][name]["status"] == "ocean"


def test_connection_refused_is_bounded(cache):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(DataError, match=f"127.0.0.1:{port}.*after 2 attempt"):
        fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=f"http://127.0.0.1:{port}",
                  **{**FAST, "retries": 1})
    assert time.monotonic() - t0 < 10


def test_env_base_url(server, cache, monkeypatch):
    write_tile(server.root, 27, 86)
    monkeypatch.setenv(BASE_URL_ENV, server.base_url)
    res = fetch_dem((86, 27, 87, 28), "glo90", cache, **FAST)
    assert res.downloaded == 1 and server.total_hits == 1


def test_tile_cap(server, cache):
    with pytest.raises(UsageError, match="25 tiles.*--yes or narrow --bounds"):
        fetch_dem((0, 0, 5, 5), "glo90", cache, base_url=server.base_url, **FAST)
    assert server.total_hits == 0
    write_tile(server.root, 27, 86)
    write_tile(server.root, 27, 87)
    with pytest.raises(UsageError, match="2 tiles"):
        fetch_dem((86, 27, 88, 28), "glo90", cache, base_url=server.base_url, max_tiles=1,
                  **FAST)
    res = fetch_dem((86, 27, 88, 28), "glo90", cache, base_url=server.base_url, max_tiles=1,
                    yes=True, **FAST)
    assert res.downloaded == 2


@contextlib.contextmanager
def _hold_lock(cache: Path):
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / LOCK_NAME, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def test_locked_cache_times_out(server, cache):
    write_tile(server.root, 27, 86)
    with _hold_lock(cache):
        t0 = time.monotonic()
        with pytest.raises(DataError, match="cache is locked by another rangemap fetch-dem"):
            fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=server.base_url,
                      **{**FAST, "lock_timeout": 0.3})
        assert 0.25 <= time.monotonic() - t0 < 5
    assert server.total_hits == 0


def test_second_run_waits_for_the_lock(server, cache):
    write_tile(server.root, 27, 86)
    released = threading.Event()

    def holder(ready: threading.Event):
        with _hold_lock(cache):
            ready.set()
            time.sleep(0.3)
            released.set()

    ready = threading.Event()
    t = threading.Thread(target=holder, args=(ready,), daemon=True)
    t.start()
    assert ready.wait(5)
    res = fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=server.base_url, **FAST)
    assert released.is_set() and res.downloaded == 1
    t.join(5)


def test_stale_temp_files_are_removed(server, cache):
    write_tile(server.root, 27, 86)
    cache.mkdir()
    name = tile_name(27, 86, "glo90")
    stale = [cache / f".rangemap-tmp-{name}.tif.abc123.part.tif",
             cache / f".{name}.tif.abc123.part.tif", cache / ".manifest.json.x1y2.json"]
    keep = [cache / ".hidden-user-file", cache / "notes.txt"]
    for p in stale + keep:
        p.write_bytes(b"half a file")
    fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=server.base_url, **FAST)
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in keep)


def test_vrt_mixed_longitude_spacing(server, cache):
    """North of 50° Copernicus tiles are narrower; the VRT uses the finest spacing."""
    write_tile(server.root, 49, 86, width=CELLS)
    write_tile(server.root, 50, 86, width=CELLS * 2 // 3)  # 8 columns, 1/8° wide
    res = fetch_dem((86, 49, 87, 51), "glo90", cache, base_url=server.base_url, **FAST)
    with rasterio.open(res.vrt_path) as ds:
        assert ds.res == pytest.approx((1 / CELLS, 1 / CELLS))
    south, north = tile_array(49, 86), tile_array(50, 86, width=8)
    for row, col in [(0, 0), (5, 3), (11, 7), (6, 4)]:  # centres of 1/8° cells
        lon = 86 - 1 / 16 + (col + 0.5) / 8
        lat = 51 + 1 / 24 - (row + 0.5) / 12
        assert _sample(res.vrt_path, lon, lat) == north[row, col], (row, col)
    for row, col in [(0, 0), (6, 6), (11, 11)]:
        lon = 86 - 1 / 24 + (col + 0.5) / 12
        lat = 50 + 1 / 24 - (row + 0.5) / 12
        assert _sample(res.vrt_path, lon, lat) == south[row, col], (row, col)


def test_vrt_paths_are_relative(server, cache, tmp_path):
    write_tile(server.root, 27, 86)
    res = fetch_dem((86, 27, 87, 28), "glo90", cache, base_url=server.base_url, **FAST)
    moved = tmp_path / "moved"
    os.rename(cache, moved)
    assert _sample(moved / res.vrt_path.name, 86.5, 27.5) == tile_array(27, 86)[6, 6]


def test_cli_fetch_dem_usage_errors() -> None:
    from click.testing import CliRunner

    from rangemap.cli import cli

    res = CliRunner().invoke(cli, ["fetch-dem", "--bounds", "170", "0", "-170", "1"])
    assert res.exit_code == 2 and "antimeridian" in res.output.lower()
    res = CliRunner().invoke(cli, ["fetch-dem", "--bounds", "0", "0", "30", "30",
                                   "--max-tiles", "5"])
    assert res.exit_code == 2 and "--yes" in res.output


def test_fetched_vrt_feeds_habitat(server, cache, tmp_path, monkeypatch):
    """The worked example of the README: fetch-dem, then use its VRT as --dem."""
    import json

    import geopandas as gpd
    from click.testing import CliRunner
    from shapely.geometry import box

    from rangemap.cli import cli

    bounds = _quad(server)
    monkeypatch.setenv(BASE_URL_ENV, server.base_url)
    res = CliRunner().invoke(cli, ["-q", "fetch-dem", "--bounds", *map(str, bounds),
                                   "--cache", str(cache)])
    assert res.exit_code == 0, res.output
    vrt = Path(res.output.strip().splitlines()[-1])
    assert vrt.is_file()
    rng = tmp_path / "unit.gpkg"
    gpd.GeoDataFrame({"name": ["sw"]}, geometry=[box(86.1, 27.1, 86.9, 27.9)],
                     crs=4326).to_file(rng)
    out = tmp_path / "h.geojson"
    # tile_array values grow along each tile: the threshold keeps part of the tile.
    lo = float(tile_array(27, 86)[CELLS // 2, 0])
    res = CliRunner().invoke(cli, ["habitat", "--range", str(rng), "--dem", str(vrt),
                                   "--min-elevation", str(lo), "-o", str(out)])
    assert res.exit_code == 0, res.output
    props = json.loads(out.read_text())["features"][0]["properties"]
    assert props["dem_source"] == vrt.stem and 0 < props["area_km2"] < 90 * 90
