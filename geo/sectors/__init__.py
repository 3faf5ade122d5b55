"""Sectors: cut the territory into one contiguous, balanced, compact sector per social worker.

Numeric core (arrays)
---------------------
problem      Problem (the checked arrays), SectorError
base         SectorMethod (spopt-style base: parameters in, ``solve()`` sets ``labels_``)
pmedian      BalancedPMedian (no contiguity; the reference bound), fixed_base_bound (transport LP
             with fixed bases), graph_voronoi (sectors grown from fixed bases over the graph)
contiguous   ContiguousPMedian (the default method)
tools        fill_unassigned, repair_contiguity, balance, exact_balance, local_search

Plans and metrics
-----------------
context      SectorContext, build_context (per-unit arrays: points, patients, areas, shared borders)
plan         Plan (immutable; ``plan.flip({code: sector})``, ``plan["load"]``, ``plan.metrics()``),
             plan_from_frame
updaters     Updater, default_updaters (first-time and incremental paths), INCREMENTAL
constraints  contiguous, within_tolerance, respects_locks, no_empty_sector, failing, standard

Team, proposals and storage
---------------------------
team         Team (names, FTE, groups, base communes), read_workers, team_from_frame, resolve_base
             (base names and codes, the Lyon rule), BASE_MODES ("centre", "inside")
propose      propose, rebalance, changes, build_problem, plan_faults, refusal
io           read_counts, read_plan, write_plan
store        save_plan, list_plans, load_plan, compare_plans (SQLite, versions by name)

Hand edits and files (used by the Secteurs page)
------------------------------------------------
edit         History (undo/redo), move_units (respecting locks), forget_ancestors, locks_in, remeasure,
             restore_plan, sector_table, broken_sectors, empty_sectors, is_valid
export       plan_csv, plan_geojson, plan_geopackage (CSV, GeoJSON, GeoPackage as bytes)
"""
from geo.sectors.base import SectorMethod
from geo.sectors.context import SectorContext, build_context
from geo.sectors.contiguous import ContiguousPMedian
from geo.sectors.plan import Plan, plan_from_frame
from geo.sectors.pmedian import BalancedPMedian
from geo.sectors.problem import DEFAULT_TOLERANCE, Problem, SectorError
from geo.sectors.propose import changes, propose, rebalance
from geo.sectors.team import Team, read_workers

__all__ = ["BalancedPMedian", "ContiguousPMedian", "DEFAULT_TOLERANCE", "Plan", "Problem", "SectorContext",
           "SectorError", "SectorMethod", "Team", "build_context", "changes", "plan_from_frame", "propose",
           "read_workers", "rebalance"]
