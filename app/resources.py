"""Cached loaders and shared resources of the app (one place for every page).

The territory and its views (units, EPCIs, label points, the sector
engine's arrays...) are kept by the one process-wide
:class:`geo.territory.Territory` (:func:`territory`), which pages pass to
the services; ``st.cache_resource`` holds the other things shared as is
between sessions (the SQLite connection, coverage results);
``st.cache_data`` holds small tables each session gets a copy of.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.paths import demo_dir

#: The fictitious demo counts shown until real counts are imported.
DEMO_PATIENTS_FILE = "patients_demo.csv"


def territory():
    """The process-wide :class:`geo.territory.Territory`: the one object pages pass to the services.

    Not an ``st.cache_resource``: the territory keeps its own views, once per process.
    """
    from geo.territory import territory as default_territory

    return default_territory()


def units() -> gpd.GeoDataFrame:
    """The 4,033 sector units (shared: do not mutate)."""
    return territory().units


@st.cache_resource(show_spinner=False)
def connection() -> sqlite3.Connection:
    """The SQLite database (``--db`` / ``$SECTEURS_DB`` / per-user file), shared across threads.

    A directory that never had a partner gets the FICTITIOUS demo directory,
    so the maps have something to show before the first real import.
    """
    from services.storage import open_database
    import partners

    conn = open_database(check_same_thread=False)
    partners.ensure_demo_directory(conn)
    return conn


def partner_table() -> pd.DataFrame:
    """Every partner (columns of ``partners.list_partners``), shared by the sessions (do not mutate).

    Read once per :func:`directory_version` (every change of the directory
    writes its history, so an edit by anyone is read afresh at the next run):
    tens of milliseconds per run that twelve sessions would otherwise pay each.
    """
    import partners
    from app.shared import shared

    conn = connection()
    return shared("partner_table", partners.directory_stamp(conn), lambda: partners.list_partners(conn))


def partners_are_demo(table: pd.DataFrame) -> bool:
    """Whether the directory still holds fictitious demo partners."""
    from partners.demo import DEMO_SOURCE

    return bool(len(table)) and bool((table["source"] == DEMO_SOURCE).any())


def demo_patients_path() -> Path:
    return demo_dir() / DEMO_PATIENTS_FILE


@st.cache_data(show_spinner=False)
def patient_counts() -> pd.DataFrame | None:
    """Patients per unit (``code_insee``, ``patients``) from the FICTITIOUS demo file, or ``None``."""
    from geo.patients import read_counts

    path = demo_patients_path()
    if not path.exists():
        return None
    return read_counts(path)


# -- the team workspace (counts, team, current plan) -------------------------------------------------
def workspace_revision() -> tuple:
    """Changes whenever the workspace does (cache key of what is read from it)."""
    from services import workspace

    return workspace.revision(connection())


@st.cache_resource(show_spinner=False, max_entries=4)
def _workspace_counts(revision: tuple):
    from services import workspace

    conn = connection()
    return workspace.current_counts(conn), workspace.counts_info(conn)


def counts_in_use() -> tuple[pd.DataFrame | None, str, bool]:
    """``(counts, label, demo)``: the workspace counts (imported on Secteurs), else the FICTITIOUS demo ones.

    Cached under :func:`workspace_revision`: an import on one page shows on
    every page at its next run. Shared: do not mutate the frame.
    """
    counts, info = _workspace_counts(workspace_revision())
    if counts is not None and info is not None:
        return counts, info.label, info.demo
    demo = patient_counts()
    total = f"{int(demo['patients'].sum()):,}".replace(",", "\u202f") if demo is not None else ""
    label = f"démo fictive ({total} patients)" if demo is not None else ""
    return demo, label, demo is not None


@st.cache_resource(show_spinner=False, max_entries=4)
def _current_plan(revision: tuple):
    from services import workspace

    return workspace.current_plan(connection())


def current_plan():
    """The workspace's current plan version (:class:`geo.sectors.record.PlanRecord`), or ``None`` (shared)."""
    return _current_plan(workspace_revision())


def current_team():
    """The workspace team (:class:`geo.sectors.team.Team`), or ``None``."""
    from services import workspace

    return workspace.current_team(connection())



def sector_context():
    """The sector engine's arrays of the territory, without patients (shared: use ``with_counts``).

    Built once per territory (one of its views).
    """
    from geo.sectors.context import build_context

    t = territory()
    return t.view("sector_context", lambda: build_context(territory=t))


def unit_label_points() -> tuple:
    """(lat, lon) arrays of a point per unit for labels: the town hall, else a point inside."""
    return territory().label_points


def epci_table() -> pd.DataFrame:
    """EPCIs of the territory: ``epci_code, epci_nom, departement`` (of most of its units), ``units``."""
    return territory().epcis


# -- partners' nearest per unit, sector plans (Orientation, Partenaires) ---------------------------
def directory_version() -> tuple[int, int]:
    """(partners, last change id): changes whenever the directory does (cache key)."""
    import partners

    return partners.directory_stamp(connection())


@st.cache_data(show_spinner="Calcul des partenaires les plus proches…", max_entries=4)
def nearest_by_unit(version: tuple[int, int], labels: tuple[str, ...] = (), network_only: bool = False) -> dict:
    """``{type: {code_insee: (name, km)}}`` for the directory at ``version`` (see :func:`directory_version`),
    with the partners carrying ``labels`` (and, for psychologists, of the network when ``network_only``)."""
    from services.partner_filter import PartnerFilter
    from services.routing import nearest_partners

    return nearest_partners(connection(), territory=territory(),
                            partner_filter=PartnerFilter(labels=labels, network_only=network_only))


def saved_plans() -> list[dict]:
    """The latest version of each saved sector plan, newest first."""
    from geo.sectors.store import list_plans

    latest: dict[str, dict] = {}
    for row in list_plans(connection()):
        if row["name"] not in latest or row["version"] > latest[row["name"]]["version"]:
            latest[row["name"]] = row
    return sorted(latest.values(), key=lambda r: r["created_at"], reverse=True)


def saved_record(name: str, version: int):
    """A saved plan version as a record (assignment, team, counts snapshot)."""
    from geo.sectors.store import load_record

    return load_record(connection(), name, version)


#: Sectors of the demo plan proposed on the FICTITIOUS patients.
DEMO_PLAN_SECTORS = 12


@st.cache_data(show_spinner="Proposition d'un plan de démonstration (quelques secondes)…")
def demo_plan() -> pd.DataFrame:
    """A plan of :data:`DEMO_PLAN_SECTORS` sectors proposed on the FICTITIOUS demo patients."""
    from geo.sectors.propose import propose

    return propose(patient_counts(), DEMO_PLAN_SECTORS, seed=0).to_frame()


# -- coverage and reports (Couverture, Fiche secteur) ---------------------------------------------
@st.cache_resource(show_spinner="Calcul de la couverture (distances, zones, accessibilité, zones blanches)…",
                   max_entries=4)
def coverage(plan: pd.DataFrame, counts: pd.DataFrame, max_km: tuple, version: tuple[int, int]):
    """:class:`services.reports.Coverage` for a plan, counts, white-zone distances and directory ``version``.

    Shared (a resource): its tables are read, never changed; the masking
    pattern is computed on first use and kept.
    """
    from services.reports.run import coverage_for

    return coverage_for(connection(), plan[["code_insee", "sector"]], counts, max_km=dict(max_km),
                        territory=territory())


@st.cache_resource(show_spinner="Masquage des effectifs (secret statistique)…", max_entries=4)
def ars_report(plan: pd.DataFrame, counts: pd.DataFrame, max_km: tuple, version: tuple[int, int],
               plan_label: str, demo_patients: bool, patients_label: str, releases: int = 0):
    """The masked ARS report (:func:`services.reports.run.ars_report_for`) for the same inputs as :func:`coverage`,
    audited with the ``releases`` earlier releases of the same counts in the register (part of the cache key)."""
    from services.reports.run import ars_report_for

    return ars_report_for(connection(), plan, counts, plan_label=plan_label, counts_label=patients_label,
                          demo_patients=demo_patients, coverage=coverage(plan, counts, max_km, version),
                          earlier=None if releases else [], territory=territory())


def record_release(report) -> None:
    """Enter a report that leaves the app (download) in the release register."""
    report.record(connection())
