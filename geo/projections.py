"""Coordinate reference systems: Lambert-93 for measuring, WGS84 for the map."""
from __future__ import annotations

import geopandas as gpd

#: Distances and areas are computed in Lambert-93 (metres).
LAMBERT93 = "EPSG:2154"
#: The map and stored lon/lat are WGS84.
WGS84 = "EPSG:4326"


def to_lambert93(frame: gpd.GeoDataFrame | gpd.GeoSeries):
    """Project a frame to Lambert-93, refusing one without a CRS."""
    if frame.crs is None:
        raise ValueError("geometry has no CRS; expected EPSG:4326 or EPSG:2154")
    return frame.to_crs(LAMBERT93)
