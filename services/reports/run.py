"""The ARS pipeline, once: directory -> coverage -> masked report, for the pages and the CLI alike.

``secteurs report ars`` and the Couverture page both call :func:`ars_report_for`
(the page caches :func:`coverage_for` separately, as its maps use it too).
"""
from __future__ import annotations

import sqlite3
from typing import Mapping

import pandas as pd

from services.reports.ars import ArsReport, build_ars_report, sources_lines
from services.reports.coverage_data import Coverage, compute_coverage, partner_inputs


def coverage_for(conn: sqlite3.Connection, plan, counts: pd.DataFrame, *, max_km: Mapping[str, float] | None = None,
                 units=None, territory=None) -> Coverage:
    """Coverage of the territory for a plan (record or frame), patient counts and the directory of ``conn``.

    ``territory`` (a :class:`geo.territory.Territory`, default the process-wide committed one) gives the
    units unless ``units`` are given.
    """
    from geo.sectors.record import plan_frame

    if units is None:
        from geo.territory import as_territory

        units = as_territory(territory).units
    partner_frame, zones, _ = partner_inputs(conn)
    return compute_coverage(units, partner_frame, zones, counts, plan_frame(plan)[["code_insee", "sector"]],
                            max_km=dict(max_km) if max_km else None)


def ars_report_for(conn: sqlite3.Connection, plan, counts: pd.DataFrame, *, plan_label: str, counts_label: str,
                   demo_patients: bool, max_km: Mapping[str, float] | None = None, units=None,
                   coverage: Coverage | None = None, earlier=None, territory=None) -> ArsReport:
    """The masked ARS report: coverage (computed unless given), sources, FICTITIOUS labels when any input is.

    Parameters
    ----------
    conn : sqlite3.Connection
        The database holding the partner directory.
    plan : PlanRecord or DataFrame
    counts : DataFrame
        ``code_insee, patients``.
    plan_label, counts_label : str
        How the sources section names the plan and the counts.
    demo_patients : bool
        The counts are FICTITIOUS (the report says so).
    max_km : mapping, optional
        White-zone distance per partner type.
    units, territory : optional
        The units, or the :class:`geo.territory.Territory` they come from (default: the committed one).
    coverage : Coverage, optional
        Already computed for the same inputs (the page's cached one).
    earlier : sequence of DataFrame, optional
        Earlier releases of the same counts (:func:`services.coverage.releases.earlier_releases`);
        ``None``: read them from the release register of ``conn``. The masking is audited jointly with them.
    """
    from services.coverage.releases import counts_fingerprint, earlier_releases

    partner_frame, _, demo_partners = partner_inputs(conn)
    if coverage is None:
        coverage = coverage_for(conn, plan, counts, max_km=max_km, units=units, territory=territory)
    sources = sources_lines(patients=counts_label, demo_patients=demo_patients, partners=partner_frame,
                            demo_partners=demo_partners, plan=plan_label)
    if earlier is None:
        earlier = earlier_releases(conn, counts_fingerprint(counts))
    return build_ars_report(coverage, sources=sources, demo=demo_partners or demo_patients, plan_label=plan_label,
                            earlier=earlier)
