"""Rasters: opening DEMs and reading masked windows (:mod:`.dem`), the shaded-relief base
image (:mod:`.relief`) and downloading Copernicus DEM tiles (:mod:`.fetch`).
"""
