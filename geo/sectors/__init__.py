"""Sectors: cut the territory into one contiguous, balanced, compact sector per social worker.

Numeric core (arrays)
---------------------
problem      Problem (the checked arrays), SectorError
base         SectorMethod (spopt-style base: parameters in, ``solve()`` sets ``labels_``)
pmedian      BalancedPMedian (no contiguity; the reference bound)
contiguous   ContiguousPMedian (the default method)
tools        fill_unassigned, repair_contiguity, balance, exact_balance, local_search

Hand edits and files (used by the Secteurs page)
------------------------------------------------
edit         History (undo/redo), move_units (respecting locks), forget_ancestors, locks_in, remeasure,
             restore_plan, sector_table, broken_sectors
export       plan_csv, plan_geojson, plan_geopackage (CSV, GeoJSON, GeoPackage as bytes)
"""
from geo.sectors.base import SectorMethod
from geo.sectors.contiguous import ContiguousPMedian
from geo.sectors.pmedian import BalancedPMedian
from geo.sectors.problem import DEFAULT_TOLERANCE, Problem, SectorError

__all__ = ["BalancedPMedian", "ContiguousPMedian", "DEFAULT_TOLERANCE", "Problem", "SectorError",
           "SectorMethod"]
