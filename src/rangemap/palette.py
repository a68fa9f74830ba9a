"""Taxon colours shared by the web maps (``publish``) and the QGIS styles (``styles``).

One list so a taxon has the same colour in the browser and in QGIS when both take the
taxa in the order of ``BuildResult.taxa``.  The per-taxon figures (``figures``) draw one
taxon each and keep their own fixed range/habitat colours.
"""

from __future__ import annotations

__all__ = ["PALETTE", "taxon_colour"]

#: Fill colours, one per taxon in build order (cycled).
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79",
)


def taxon_colour(i: int) -> str:
    """The colour of the ``i``-th taxon (0-based), cycling through :data:`PALETTE`."""
    return PALETTE[i % len(PALETTE)]
