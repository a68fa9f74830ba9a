"""The typed stage contracts (rangemap.model) say what the extract contract's schema says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rangemap import model

SCHEMA = json.loads((Path(model.__file__).parent / "schema" / "ranges.schema.json")
                    .read_text(encoding="utf-8"))
TAXON = SCHEMA["$defs"]["taxon"]
#: Keys the build sets on a record while it runs; never written, so not in the schema.
RUN_ONLY = {"elevation_min_source", "elevation_max_source"}


def _items(prop: str) -> dict:
    return TAXON["properties"][prop]["items"]


@pytest.mark.parametrize(("typed", "schema"), [
    (model.RangeRecord, TAXON),
    (model.RangeUnit, _items("units")),
    (model.CountryPlace, _items("countries")),
    (model.Admin1Place, _items("admin1")),
    (model.RegionPlace, _items("regions")),
    (model.HabitatPreference, _items("habitats")),
    (model.ElevationStatement, _items("elevation_other")),
    (model.ExcludedPlace, _items("excluded")),
    (model.Evidence, SCHEMA["$defs"]["evidence"]),
    (model.ExtractWarning, SCHEMA["$defs"]["warning"]),
    (model.Extracted, SCHEMA),
])
def test_typed_dicts_follow_the_schema(typed, schema) -> None:
    keys = set(typed.__annotations__) - RUN_ONLY
    assert keys == set(schema["properties"])
    assert set(typed.__required_keys__) - RUN_ONLY <= set(schema["required"])
    # A key the schema requires may be optional in the type only where older or
    # hand-edited files lack it (a unit's country name, which the build fills in).
    assert set(schema["required"]) - set(typed.__required_keys__) <= {"country"}
