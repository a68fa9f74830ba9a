"""Rules for the structured source formats: MSW3 lines, floras, HMW/HBW paragraphs,
IUCN range text and Animal Diversity Web sections (short synthetic texts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rangemap.extract import extract_text, merge_records
from rangemap.gazetteer import Gazetteer

BOUNDARIES = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "boundaries.gpkg"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    assert BOUNDARIES.is_file(), f"{BOUNDARIES} is missing"
    return Gazetteer.load(BOUNDARIES)


def _records(text: str, gaz: Gazetteer) -> list[dict[str, Any]]:
    return [r.to_dict() for r in merge_records(extract_text(text, "t.txt", gaz))]


def _one(text: str, gaz: Gazetteer) -> dict[str, Any]:
    recs = _records(text, gaz)
    assert len(recs) == 1, [r["scientific_name"] or r["name"] for r in recs]
    return recs[0]


# --------------------------------------------------------------------------- floras

# bracketed extremes belong to the flora's one statement: the band is the outer values
@pytest.mark.parametrize(("habitat", "band"), [
    ("Alpine meadows, cliffs; (2900–) 3700–4100(–5100) m. S Gansu, W Sichuan.", (2900, 5100)),
    ("Alpine meadows; 3700-4100(-5100) m. Gansu.", (3700, 5100)),
    ("Alpine meadows; (2900-)3700-4100 m. Gansu.", (2900, 4100)),
    ("Alpine meadows; 3700--4100 m. Gansu.", (3700, 4100)),
    ("Scapes 8--16(--25) cm. Alpine meadows; 3000-4000 m. Gansu.", (3000, 4000)),
])
def test_flora_bracketed_extremes(gaz: Gazetteer, habitat: str, band: tuple) -> None:
    text = ("12. Saxifraga montanella Harry Smith, Acta Horti Gothob. 1: 14. 1924.\n\n"
            f"{habitat}\n")
    rec = _one(text, gaz)
    assert (rec["elevation_min_m"], rec["elevation_max_m"]) == band
