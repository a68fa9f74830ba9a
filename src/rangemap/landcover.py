"""Land-cover legends and IUCN habitat crosswalks (pure: no raster access).

A crosswalk maps IUCN Habitats Classification Scheme codes (strings such as ``"1.4"``,
``"5.10"``) to the classes of one land-cover legend.  Files use aoh's ``code,value``
format (extra columns such as ``name`` and ``basis`` are allowed and ignored); codes are
read as strings, never as numbers, so ``5.10`` stays ``5.10`` (REFERENCE.md: pandas reads
an all-numeric code column as floats).  Shipped crosswalks are in
``rangemap/crosswalks/<legend>.csv``, each row with its basis (see the README there).

Matching a taxon's code: rows with exactly that code; if there are none, rows of its
nearest listed ancestor (``1.4`` -> ``1``); a level-1 code with no row of its own
(``1``) takes the rows of all its subcodes (``1.1`` ... ``1.9``).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from rangemap.errors import DataError
from rangemap.fsutil import data_file

#: Land-cover legends rangemap ships a crosswalk for, with their class names.
LEGENDS: dict[str, dict[int, str]] = {
    "igbp": {
        0: "water", 1: "evergreen needleleaf forest", 2: "evergreen broadleaf forest",
        3: "deciduous needleleaf forest", 4: "deciduous broadleaf forest", 5: "mixed forest",
        6: "closed shrubland", 7: "open shrubland", 8: "woody savanna", 9: "savanna",
        10: "grassland", 11: "permanent wetland", 12: "cropland", 13: "urban",
        14: "cropland/natural mosaic", 15: "snow and ice", 16: "barren",
    },
    "esa-worldcover": {
        10: "tree cover", 20: "shrubland", 30: "grassland", 40: "cropland", 50: "built-up",
        60: "bare/sparse vegetation", 70: "snow and ice", 80: "permanent water",
        90: "herbaceous wetland", 95: "mangroves", 100: "moss and lichen",
    },
    "cgls-lc100": {
        0: "unknown", 20: "shrubs", 30: "herbaceous vegetation", 40: "cultivated",
        50: "urban", 60: "bare/sparse vegetation", 70: "snow and ice", 80: "permanent water",
        90: "herbaceous wetland", 100: "moss and lichen", 111: "closed forest, evergreen "
        "needleleaf", 112: "closed forest, evergreen broadleaf", 113: "closed forest, "
        "deciduous needleleaf", 114: "closed forest, deciduous broadleaf", 115: "closed "
        "forest, mixed", 116: "closed forest, other", 121: "open forest, evergreen "
        "needleleaf", 122: "open forest, evergreen broadleaf", 123: "open forest, deciduous "
        "needleleaf", 124: "open forest, deciduous broadleaf", 125: "open forest, mixed",
        126: "open forest, other", 200: "open sea",
    },
    "esa-cci": {
        10: "cropland, rainfed", 11: "cropland, herbaceous", 12: "cropland, tree or shrub",
        20: "cropland, irrigated", 30: "mosaic cropland (>50 %)", 40: "mosaic natural "
        "vegetation (>50 %)", 50: "tree, broadleaved evergreen", 60: "tree, broadleaved "
        "deciduous", 61: "tree, broadleaved deciduous, closed", 62: "tree, broadleaved "
        "deciduous, open", 70: "tree, needleleaved evergreen", 71: "tree, needleleaved "
        "evergreen, closed", 72: "tree, needleleaved evergreen, open", 80: "tree, "
        "needleleaved deciduous", 81: "tree, needleleaved deciduous, closed", 82: "tree, "
        "needleleaved deciduous, open", 90: "tree, mixed", 100: "mosaic tree and shrub "
        "(>50 %)", 110: "mosaic herbaceous (>50 %)", 120: "shrubland", 121: "shrubland, "
        "evergreen", 122: "shrubland, deciduous", 130: "grassland", 140: "lichens and "
        "mosses", 150: "sparse vegetation", 151: "sparse tree", 152: "sparse shrub",
        153: "sparse herbaceous", 160: "tree, flooded, fresh water", 170: "tree, flooded, "
        "saline water", 180: "shrub or herbaceous, flooded", 190: "urban", 200: "bare "
        "areas", 201: "consolidated bare areas", 202: "unconsolidated bare areas",
        210: "water", 220: "snow and ice",
    },
}



def default_landcover() -> Path:
    """The embedded land-cover map (MODIS MCD12C1 2019, IGBP, 0.05°; data/PROVENANCE.md)."""
    return data_file("landcover", "mcd12c1_2019_igbp.tif")


DEFAULT_LEGEND = "igbp"
DEFAULT_LABEL = "MCD12C1 2019 IGBP 0.05°"

CROSSWALKS = Path(__file__).resolve().parent / "crosswalks"

_CODE = re.compile(r"^\d+(\.\d+)*$")


def valid_habitat_code(code: str) -> bool:
    """True for an IUCN habitat code written as digits and dots (``1``, ``1.4``, ``9.8.1``)."""
    return bool(_CODE.match(code))


def crosswalk_path(legend: str) -> Path:
    """The shipped crosswalk of a legend."""
    return CROSSWALKS / f"{legend}.csv"


def read_crosswalk(path: str | Path) -> dict[str, set[int]]:
    """Read a ``code,value`` crosswalk: IUCN code (string) -> land-cover classes.

    Raises
    ------
    DataError
        Missing file, missing columns, a bad code or a non-integer class (one line naming
        the file, row and fix).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{p}: crosswalk not found; pass --crosswalk with a code,value CSV"
                        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{p}: cannot read crosswalk ({exc}); pass a UTF-8 code,value CSV"
                        ) from None
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or not {"code", "value"} <= {f.strip() for f in rows.fieldnames}:
        raise DataError(f"{p}: a crosswalk needs the columns code,value (IUCN habitat code, "
                        "land-cover class); found " + ",".join(rows.fieldnames or []))
    out: dict[str, set[int]] = {}
    for n, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        code, value = row["code"], row["value"]
        if not valid_habitat_code(code):
            raise DataError(f"{p}: line {n}: habitat code {code!r} is not an IUCN code like "
                            "1.4; fix the code column")
        if not re.fullmatch(r"\d+(\.0+)?", value):  # "10.0": a CSV written by pandas
            raise DataError(f"{p}: line {n}: land-cover class {value!r} is not an integer; "
                            "fix the value column")
        cls = int(value.split(".")[0])
        out.setdefault(code, set()).add(cls)
    if not out:
        raise DataError(f"{p}: the crosswalk has no rows")
    return out


def classes_for(codes: list[str] | tuple[str, ...], crosswalk: dict[str, set[int]]
                ) -> tuple[tuple[int, ...], list[str]]:
    """Land-cover classes for a taxon's IUCN habitat codes (see the module docstring).

    Returns
    -------
    (classes, unmatched)
        Sorted classes, and the codes the crosswalk does not map (caves, marine, ...).
    """
    classes: set[int] = set()
    unmatched = []
    for code in codes:
        code = str(code).strip()
        if code in crosswalk:
            classes |= crosswalk[code]
            continue
        parts = code.split(".")
        found = False
        for k in range(len(parts) - 1, 0, -1):
            anc = ".".join(parts[:k])
            if anc in crosswalk:
                classes |= crosswalk[anc]
                found = True
                break
        if not found:
            subs = [v for c, v in crosswalk.items() if c.startswith(code + ".")]
            for v in subs:
                classes |= v
            found = bool(subs)
        if not found:
            unmatched.append(code)
    return tuple(sorted(classes)), unmatched


def class_name(legend: str, code: str | int) -> str:
    """``"10 grassland"``; ``"none"`` stays as it is."""
    if str(code) == "none":
        return "no class"
    name = LEGENDS.get(legend, {}).get(int(code))
    return f"{code} {name}" if name else str(code)


def shares_text(shares: dict[str, float] | str | None, legend: str | None,
                top: int = 4) -> str:
    """``"10 grassland 41 %, 16 barren 35 %, …"``: the largest classes of a composition."""
    if isinstance(shares, str):
        try:
            shares = json.loads(shares)
        except ValueError:
            return ""
    if not shares:
        return ""
    items = sorted(shares.items(), key=lambda kv: -kv[1])
    parts = [f"{class_name(legend or '', k)} {100 * v:.0f} %" for k, v in items[:top]]
    if len(items) > top:
        parts.append("…")
    return ", ".join(parts)
