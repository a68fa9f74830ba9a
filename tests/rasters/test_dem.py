"""DEM names: the one table of embedded sources gives both the short name and the
attribution map pages show."""

from pathlib import Path

from rangemap.rasters.dem import attribution, source_name


def test_embedded_dems_have_short_name_and_attribution() -> None:
    globe = Path("data/elevation/globe30s_55e90e_20n50n.tif")
    pvlib = Path("elsewhere/pvlib_altitude_5min.tif")
    assert source_name(globe) == "globe30s"
    assert source_name(pvlib) == "pvlib5m"
    assert attribution(globe) == "NOAA GLOBE 30″ DEM"
    assert attribution(pvlib) == (
        "pvlib 5′ global altitude grid (Mapzen terrain tiles: SRTM, GMTED, ETOPO1 and others)"
    )


def test_other_dems_are_named_by_their_stem() -> None:
    mine = Path("/tmp/glo90_tile.vrt")
    assert source_name(mine) == "glo90_tile"
    assert attribution(mine) == "glo90_tile"
