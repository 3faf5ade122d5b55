"""Coverage tables by unit, department and sector.

Public functions
----------------
unit_table
    One row per unit: population, patients, distances to the nearest partner
    of each type, zone coverage, accessibility indices (and sector if a plan
    is given).
department_table, sector_table, summary_by
    The unit table aggregated per department / sector / any column, with a
    ``"Total"`` row for the region: units, population, patients, covered
    population share per zone type, population-weighted mean and max
    distance to each partner type, population-weighted mean accessibility.
cross_table
    Patients per department x sector in long form with both margins and the
    grand total (``"Total"`` keys), ready for :func:`~services.coverage.masking.mask_table`.
ars_tables
    Every table of the ARS export (units, departments, sectors, department x
    sector) masked with one shared pattern, and that pattern.
french_columns
    The columns renamed with French labels for display.

Patient counts here are true counts: anything that leaves the app for the
ARS goes through :mod:`services.coverage.masking` first.
"""
from __future__ import annotations


import pandas as pd

from geo.errors import SecteursError
from services.coverage._common import as_unit_series, check_units
from services.coverage.masking import TOTAL_LABEL

__all__ = ["unit_table", "summary_by", "department_table", "sector_table", "cross_table", "ars_tables",
           "french_columns", "FRENCH_LABELS", "plan_series"]

#: French labels of the fixed columns (per-type columns are labelled by pattern).
FRENCH_LABELS = {
    "code_insee": "Code INSEE", "nom": "Commune", "departement": "Département", "secteur": "Secteur",
    "population": "Population", "patients": "Patients", "units": "Communes",
    "critere": "Critère", "population_share": "Part de la population", "reasons": "Motifs",
}
_PATTERNS = (
    ("distance_km_", "Distance au plus proche {t} (km)"),
    ("mean_distance_km_", "Distance moyenne au plus proche {t} (km, pondérée par la population)"),
    ("max_distance_km_", "Distance maximale au plus proche {t} (km)"),
    ("covered_share_", "Part de la population couverte par une zone {t}"),
    ("covered_", "Couverte par une zone {t}"),
    ("accessibility_", "Accessibilité {t} (E2SFCA, pour 100 000 habitants)"),
    ("nearest_id_", "{t} le plus proche"),
    ("n_", "Nombre de zones {t}"),
)


def french_columns(table: pd.DataFrame) -> pd.DataFrame:
    """A copy with columns renamed to their French labels (unknown names kept)."""
    def label(column):
        if column in FRENCH_LABELS:
            return FRENCH_LABELS[column]
        for prefix, template in sorted(_PATTERNS, key=lambda p: -len(p[0])):
            if isinstance(column, str) and column.startswith(prefix):
                return template.format(t=column[len(prefix):])
        return column
    return table.rename(columns=label)


def plan_series(plan, units: pd.DataFrame | None = None, name: str = "secteur") -> pd.Series:
    """A sector plan as a Series code_insee -> sector.

    ``plan`` may be a :class:`~geo.sectors.record.PlanRecord`, a Series, a
    mapping or a frame ``code_insee, sector`` (``plan.csv``; the label column
    may be named ``sector`` or ``secteur``), checked by
    :func:`geo.sectors.record.plan_frame`.

    Raises
    ------
    SecteursError
        ``coverage.plan_unknown_codes``: codes of the plan (a file people keep) that are not units
        of ``units``.
    """
    from geo.sectors.record import plan_frame

    frame = plan_frame(plan)
    series = pd.Series(frame["sector"].to_numpy(), index=pd.Index(frame["code_insee"].astype(str)))
    if units is not None:
        unknown = series.index.difference(pd.Index(units["code_insee"]))
        if len(unknown):
            raise SecteursError("coverage.plan_unknown_codes", count=len(unknown), codes=unknown[:10].tolist())
    return series.rename(name)


def _merge_frames(out: pd.DataFrame, frames, name: str) -> pd.DataFrame:
    if frames is None:
        return out
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    for frame in frames:
        if "code_insee" not in frame.columns:
            raise ValueError(f"{name}: each frame needs code_insee; got {list(frame.columns)}")
        extra = [c for c in frame.columns if c != "code_insee" and c not in out.columns]
        out = out.merge(frame[["code_insee", *extra]], on="code_insee", how="left", validate="one_to_one")
    return out


def unit_table(units: pd.DataFrame, *, patients=None, distances=None, coverage=None, accessibility=None,
               plan=None) -> pd.DataFrame:
    """One row per unit with every coverage figure.

    Parameters
    ----------
    units : DataFrame
        Sector units (``code_insee``, ``nom``, ``departement``, ``population``).
    patients : Series or DataFrame, optional
        Patients per unit; 0 where absent.
    distances, coverage : DataFrame, optional
        From :func:`~services.coverage.distances.nearest_distances` and
        :func:`~services.coverage.distances.zone_coverage`.
    accessibility : DataFrame or list of DataFrame, optional
        From :func:`~services.coverage.e2sfca.accessibility` (one per type).
    plan : Series, mapping or DataFrame, optional
        code_insee -> sector; adds ``secteur`` (units outside the plan: NaN,
        with a warning).

    Returns
    -------
    DataFrame
        In the units' order.
    """
    import warnings

    check_units(units)
    base = [c for c in ("code_insee", "nom", "departement", "population") if c in units.columns]
    out = pd.DataFrame(units[base].to_numpy(), columns=base)
    out["population"] = out["population"].astype("int64")
    if plan is not None:
        sectors = plan_series(plan, units).reindex(units["code_insee"])
        if sectors.isna().any():
            warnings.warn(f"plan: {int(sectors.isna().sum())} unit(s) have no sector "
                          f"(e.g. {sectors.index[sectors.isna()][:3].tolist()})", stacklevel=2)
        out["secteur"] = sectors.to_numpy()
    out["patients"] = as_unit_series(patients, units, "patients").astype("int64").to_numpy()
    out = _merge_frames(out, distances, "distances")
    out = _merge_frames(out, coverage, "coverage")
    out = _merge_frames(out, accessibility, "accessibility")
    return out


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    ok = values.notna()
    total = weights[ok].sum()
    return float((values[ok] * weights[ok]).sum() / total) if total > 0 else float("nan")


def _aggregate(part: pd.DataFrame) -> dict:
    row = {"units": int(len(part)), "population": int(part["population"].sum())}
    if "patients" in part.columns:
        row["patients"] = int(part["patients"].sum())
    population = part["population"].astype(float)
    for column in part.columns:
        if column.startswith("covered_"):
            covered = part[column].astype(bool)
            row[f"covered_share_{column.removeprefix('covered_')}"] = (
                float(population[covered].sum() / population.sum()) if population.sum() > 0 else float("nan"))
    for column in part.columns:
        if column.startswith("distance_km_"):
            t = column.removeprefix("distance_km_")
            row[f"mean_distance_km_{t}"] = _weighted_mean(part[column], population)
            row[f"max_distance_km_{t}"] = float(part[column].max()) if part[column].notna().any() else float("nan")
    for column in part.columns:
        if column.startswith("accessibility_"):
            row[column] = _weighted_mean(part[column], population)
    return row


def summary_by(table: pd.DataFrame, by: str, total: bool = True) -> pd.DataFrame:
    """Aggregate a :func:`unit_table` per value of column ``by``.

    Distances and accessibility are population-weighted means (what an
    inhabitant of the group has on average); ``max_distance_km_T`` is the
    farthest unit; ``covered_share_T`` the share of the population inside a
    zone of type T. Units with no value of ``by`` form a ``"(hors plan)"``
    group, so that the rows add up to the total.

    Parameters
    ----------
    table : DataFrame
        From :func:`unit_table`.
    by : str
        A column of ``table`` (``departement``, ``secteur``, ...).
    total : bool
        Append a ``"Total"`` row computed on all units.
    """
    if by not in table.columns:
        raise ValueError(f"by: {by!r} is not a column of the table; columns are {list(table.columns)}")
    keys = table[by].astype(object).where(table[by].notna(), "(hors plan)")
    rows = [{by: key, **_aggregate(part)} for key, part in table.groupby(keys, sort=True)]
    if total:
        rows.append({by: TOTAL_LABEL, **_aggregate(table)})
    return pd.DataFrame(rows)


def department_table(table: pd.DataFrame, total: bool = True) -> pd.DataFrame:
    """:func:`summary_by` per department (with ``nom_departement``)."""
    from geo.territory import DEPARTEMENT_NAMES

    out = summary_by(table, "departement", total=total)
    out.insert(1, "nom_departement", out["departement"].map(DEPARTEMENT_NAMES).fillna(""))
    return out


def sector_table(table: pd.DataFrame, plan=None, total: bool = True) -> pd.DataFrame:
    """:func:`summary_by` per sector; ``plan`` adds or replaces the ``secteur`` column."""
    if plan is not None:
        table = table.copy()
        table["secteur"] = plan_series(plan).reindex(table["code_insee"]).to_numpy()
    if "secteur" not in table.columns:
        raise ValueError("plan: the table has no 'secteur' column; pass plan=code_insee -> sector")
    return summary_by(table, "secteur", total=total)


def cross_table(table: pd.DataFrame, rows: str = "departement", columns: str = "secteur",
                value: str = "patients", margins: bool = True) -> pd.DataFrame:
    """Long-form cross table ``rows x columns`` of ``value`` with margins.

    Returns
    -------
    DataFrame
        ``rows``, ``columns``, ``value``: one row per pair present, then
        ``(row, "Total")`` margins, ``("Total", column)`` margins and
        ``("Total", "Total")``. ``pivot(index=rows, columns=columns)`` gives
        the usual grid (after masking).
    """
    for column in (rows, columns, value):
        if column not in table.columns:
            raise ValueError(f"cross_table: {column!r} is not a column of the table; columns are {list(table.columns)}")
    frame = table[[rows, columns, value]].dropna(subset=[rows, columns])
    out = frame.groupby([rows, columns], sort=True)[value].sum().reset_index()
    if margins:
        by_row = frame.groupby(rows, sort=True)[value].sum().reset_index().assign(**{columns: TOTAL_LABEL})
        by_col = frame.groupby(columns, sort=True)[value].sum().reset_index().assign(**{rows: TOTAL_LABEL})
        grand = pd.DataFrame({rows: [TOTAL_LABEL], columns: [TOTAL_LABEL], value: [frame[value].sum()]})
        out = pd.concat([out, by_row[out.columns], by_col[out.columns], grand], ignore_index=True)
    out[value] = out[value].astype("int64")
    return out


def ars_tables(table: pd.DataFrame, protection=None, *, cross: bool = True) -> tuple[dict, object]:
    """The ARS export's tables, masked consistently.

    Parameters
    ----------
    table : DataFrame
        From :func:`unit_table` (with ``secteur`` when a plan was given).
    protection : Protection, optional
        A pattern already computed for these counts (e.g. cached by the app);
        default: :func:`~services.coverage.masking.protect_counts` over
        departments, sectors (if any) and their cross table.
    cross : bool
        Include the department x sector table.

    Returns
    -------
    (tables, protection)
        ``tables`` maps ``"communes"``, ``"departements"``, ``"secteurs"``
        (when the table has sectors) and ``"departements_x_secteurs"`` to
        frames whose ``patients`` column holds display strings (``"< 11"``,
        ``"s"``, numbers); every other column is unchanged.
    """
    from services.coverage.masking import mask_table, protect_counts

    has_sectors = "secteur" in table.columns and table["secteur"].notna().any()
    if protection is None:
        groupings = {"departement": table.set_index("code_insee")["departement"]}
        if has_sectors:
            groupings["secteur"] = table.set_index("code_insee")["secteur"].dropna()
        counts = table.set_index("code_insee")["patients"]
        protection = protect_counts(counts, groupings,
                                    cross=[("departement", "secteur")] if has_sectors and cross else ())
    tables = {"communes": mask_table(table, protection),
              "departements": mask_table(department_table(table), protection)}
    if has_sectors:
        tables["secteurs"] = mask_table(sector_table(table), protection)
        if cross:
            tables["departements_x_secteurs"] = mask_table(cross_table(table), protection,
                                                           level=("departement", "secteur"))
    return tables, protection
