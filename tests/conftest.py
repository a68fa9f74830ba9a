"""Shared fixtures: tiny worlds generated in code (no network, no big files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rangemap.gazetteer import Gazetteer
from tests.helpers import ramp_dem, write_boundaries, write_dem

BOUNDARIES = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "boundaries.gpkg"


@pytest.fixture
def tiny_world(tmp_path: Path) -> dict[str, Path]:
    """Paths of a tiny DEM and boundaries in ``tmp_path``."""
    dem = write_dem(tmp_path / "dem.tif", ramp_dem(), west=0, north=8, res=1)
    bnd = write_boundaries(tmp_path / "boundaries.gpkg")
    return {"dem": dem, "boundaries": bnd, "dir": tmp_path}


@pytest.fixture(scope="session")
def gaz() -> Gazetteer:
    """The gazetteer of the embedded boundaries, loaded once for every extraction test
    (a test module with its own ``gaz``, as test_gazetteer's synthetic one, overrides it)."""
    assert BOUNDARIES.is_file(), f"{BOUNDARIES} is missing"
    return Gazetteer.load(BOUNDARIES)
