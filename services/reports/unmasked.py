"""The unmasked coverage view: TRUE patient counts, for the team, refused to the ARS role.

The Couverture page shows the team the real counts (per commune on the map,
per department, sector and white-zone criterion in the tables) unless the ARS
mode is on; a person with the *ARS* role must never get them, whatever the page
does. Both functions here check ``coverage.unmasked`` for the person acting
(:func:`geo.access.require_acting`) on every call, before giving anything.

What leaves for the ARS goes through :mod:`services.reports.ars` (masked)
instead.
"""
from __future__ import annotations

import pandas as pd

from geo.access import require_acting
from services.reports.ars import _french
from services.reports.coverage_data import Coverage

#: Columns of the white-zone communes table (true counts).
WHITE_UNIT_COLUMNS = ["code_insee", "nom", "departement", "secteur", "population", "patients", "reasons"]


def true_patients(coverage: Coverage) -> pd.Series:
    """TRUE patients per unit (``code_insee`` index), for the unmasked map.

    Raises
    ------
    geo.access.AccessError
        ``access.forbidden``: the person acting may not see counts of 1 to 10 (``coverage.unmasked``).
    """
    require_acting("coverage.unmasked")
    return coverage.counts


def true_tables(coverage: Coverage) -> dict[str, pd.DataFrame]:
    """The coverage tables with TRUE counts and French headers (keys as the ARS report's tables).

    ``departements``, ``secteurs``, ``departements_secteurs``,
    ``zones_blanches``, ``zones_blanches_communes``. Built once per
    :class:`Coverage` (every session looking at the same coverage shares them);
    the right is checked on every call.

    Raises
    ------
    geo.access.AccessError
        ``access.forbidden``: the person acting may not see counts of 1 to 10 (``coverage.unmasked``).
    """
    require_acting("coverage.unmasked")
    tables = coverage.memo.get("true_tables")
    if tables is None:
        tables = coverage.memo["true_tables"] = {
            "departements": _french(coverage.department_table()).rename(columns={"nom_departement": "Nom"}),
            "secteurs": _french(coverage.sector_table()),
            "departements_secteurs": _french(coverage.cross_table()),
            "zones_blanches": _french(coverage.white_summary()),
            "zones_blanches_communes": _french(coverage.white_units()[WHITE_UNIT_COLUMNS]),
        }
    return tables
