"""White zones: units outside every CPTS, or too far from a partner type.

A unit is in a white zone for a criterion when

* ``hors zone CPTS``: no CPTS declares it in its zone (``covered_CPTS`` of
  :func:`services.coverage.distances.zone_coverage` is False);
* ``<TYPE> à plus de N km``: its reference point is farther than ``max_km[TYPE]``
  (straight line, Lambert-93) from the nearest partner of that type, or no
  partner of that type exists.

Public functions
----------------
white_zones
    The flagged units (only the white ones by default) with population,
    patients, the distances used and the reasons, in French.
white_zone_summary
    Units, population (and its share) and patients per criterion, for the
    region or per department / sector.
white_zone_groupings
    The criteria as groupings for :func:`services.coverage.masking.protect_counts`
    (so that patients in white zones are masked consistently with the other
    tables).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.errors import SecteursError
from services.coverage._common import as_unit_series, check_units
from services.coverage.distances import covered_column, distance_column

__all__ = ["white_zones", "white_zone_summary", "white_zone_groupings", "ANY_LABEL"]

#: Label of the "at least one criterion" row.
ANY_LABEL = "au moins un critère"


def _criteria(zone_type: str | None, max_km: Mapping) -> list[tuple[str, str]]:
    out = []
    if zone_type:
        out.append((f"no_{zone_type}", f"hors zone {zone_type}"))
    for partner_type, km in max_km.items():
        out.append((f"far_{partner_type}", f"{partner_type} à plus de {km:g} km"))
    return out


def white_zones(units: pd.DataFrame, *, coverage: pd.DataFrame | None = None,
                distances: pd.DataFrame | None = None, max_km: Mapping[str, float] | None = None,
                patients=None, zone_type: str | None = "CPTS", only_white: bool = True) -> pd.DataFrame:
    """Units in a white zone for at least one criterion.

    Parameters
    ----------
    units : DataFrame
        Sector units: ``code_insee``, ``population`` (``nom``, ``departement``
        copied when present).
    coverage : DataFrame, optional
        :func:`~services.coverage.distances.zone_coverage` output; required when
        ``zone_type`` is set.
    distances : DataFrame, optional
        :func:`~services.coverage.distances.nearest_distances` output; required
        when ``max_km`` is given.
    max_km : mapping type -> km, optional
        E.g. ``{"PSY": 30, "ERC": 60}``.
    patients : Series or DataFrame, optional
        Patients per unit (``code_insee`` index or columns ``code_insee,
        patients``); 0 where absent.
    zone_type : str or None
        The zone criterion (default ``"CPTS"``; None to skip it).
    only_white : bool
        Return only the white units (default) or every unit with its flags
        (what :func:`white_zone_summary` needs).

    Returns
    -------
    DataFrame
        ``code_insee``, ``nom``, ``departement``, ``population``,
        ``patients``, one bool column per criterion (``no_CPTS``,
        ``far_PSY``, ...), the distances used, ``white`` and ``reasons``
        (French, ``"; "``-separated). ``attrs["criteria"]`` maps each flag
        column to its French label.

    Raises
    ------
    SecteursError
        ``coverage.unknown_distance_type`` (a ``max_km`` type without distances: the CLI's
        ``--max-km XYZ=30``), ``coverage.bad_max_km`` (a distance that is not a positive number).
    ValueError
        Missing inputs for a criterion (a programming error).
    """
    check_units(units)
    max_km = dict(max_km or {})
    if zone_type is None and not max_km:
        raise ValueError("white_zones: no criterion; give zone_type='CPTS' (with coverage) and/or max_km")
    out = pd.DataFrame({"code_insee": units["code_insee"].to_numpy()}, index=units.index)
    for column in ("nom", "departement"):
        if column in units.columns:
            out[column] = units[column].to_numpy()
    if "population" not in units.columns:
        raise ValueError(f"units: missing column 'population'; got {list(units.columns)}")
    out["population"] = units["population"].to_numpy()
    out["patients"] = as_unit_series(patients, units, "patients").astype("int64").to_numpy()
    criteria = _criteria(zone_type.upper() if zone_type else None, {k.upper(): v for k, v in max_km.items()})
    if zone_type:
        zone_type = zone_type.upper()
        column = covered_column(zone_type)
        if coverage is None or column not in coverage.columns:
            raise ValueError(f"coverage: a frame with {column!r} is needed for zone_type={zone_type!r} "
                             "(see zone_coverage), or pass zone_type=None")
        covered = coverage.set_index("code_insee")[column].reindex(units["code_insee"])
        if covered.isna().any():
            raise ValueError(f"coverage: {int(covered.isna().sum())} unit(s) missing, e.g. "
                             f"{covered.index[covered.isna()][:3].tolist()}")
        out[f"no_{zone_type}"] = ~covered.astype(bool).to_numpy()
    _max_km_checked(max_km, distances)
    for partner_type, km in max_km.items():
        partner_type = partner_type.upper()
        column = distance_column(partner_type)
        d = distances.set_index("code_insee")[column].reindex(units["code_insee"]).to_numpy()
        out[column] = d
        out[f"far_{partner_type}"] = ~(d <= km)         # NaN (no partner of the type) counts as far
    flags = [c for c, _ in criteria]
    labels = dict(criteria)
    out["white"] = out[flags].any(axis=1)
    out["reasons"] = ["; ".join(labels[c] for c, flag in zip(flags, row) if flag) for row in out[flags].to_numpy()]
    out.attrs["criteria"] = labels
    if only_white:
        out = out[out["white"]]
    return out


def _max_km_checked(max_km: Mapping[str, float], distances: pd.DataFrame | None) -> None:
    """Refuse a white-zone distance that is not a positive number, or a type without distances.

    People set these (the CLI's ``--max-km TYPE=KM``, the Couverture page), hence codes.
    """
    available = [c.removeprefix("distance_km_") for c in (distances.columns if distances is not None else [])
                 if c.startswith("distance_km_")]
    for partner_type, km in max_km.items():
        partner_type = partner_type.upper()
        if not (isinstance(km, (int, float, np.number)) and not isinstance(km, bool) and km > 0):
            raise SecteursError("coverage.bad_max_km", type=partner_type, km=str(km))
        if partner_type not in available:
            raise SecteursError("coverage.unknown_distance_type", type=partner_type, types=available)


def white_zone_summary(flags: pd.DataFrame, by: str | pd.Series | None = None) -> pd.DataFrame:
    """Units, population and patients in white zones, per criterion.

    Parameters
    ----------
    flags : DataFrame
        :func:`white_zones` with ``only_white=False`` (every unit).
    by : str or Series, optional
        A column of ``flags`` (e.g. ``"departement"``) or a Series
        code_insee -> sector, to summarise per group; default the region.

    Returns
    -------
    DataFrame
        ``critere`` (French label), [the group], ``units``, ``population``,
        ``population_share`` (0-1, of the group's population), ``patients``.
        Patients are true counts: mask them for the ARS (see
        :func:`white_zone_groupings`).
    """
    labels = flags.attrs.get("criteria")
    if not labels or "white" not in flags.columns:
        raise ValueError("flags: expected the output of white_zones(..., only_white=False)")
    key = None
    frame = flags.copy()
    if by is not None:
        if isinstance(by, str):
            if by not in frame.columns:
                raise ValueError(f"by: {by!r} is not a column of flags; columns are {list(frame.columns)}")
            key = by
        else:
            key = by.name or "secteur"
            frame[key] = pd.Series(by).reindex(frame["code_insee"]).to_numpy()
    rows = []
    criteria = list(labels.items()) + [("white", ANY_LABEL)]
    groups = [(None, frame)] if key is None else list(frame.groupby(key, sort=True))
    for group, part in groups:
        population = part["population"].sum()
        for column, label in criteria:
            sel = part[part[column]]
            row = {"critere": label}
            if key is not None:
                row[key] = group
            row.update(units=int(len(sel)), population=int(sel["population"].sum()),
                       population_share=float(sel["population"].sum() / population) if population else 0.0,
                       patients=int(sel["patients"].sum()))
            rows.append(row)
    return pd.DataFrame(rows)


def white_zone_groupings(flags: pd.DataFrame) -> dict[str, pd.Series]:
    """Each criterion as a one-cell grouping (``"zone blanche"``: its white units) for protect_counts.

    Publishing patients in white zones next to unit, department or sector
    tables adds equations an attacker can use; pass these groupings to
    :func:`services.coverage.masking.protect_counts` so that the same pattern
    covers them. Only the white units' cell is published (the complement
    is the region total minus it, which the audit sees anyway); the
    summary's patients for a criterion are that ``"zone blanche"`` cell.
    """
    labels = flags.attrs.get("criteria")
    if not labels:
        raise ValueError("flags: expected the output of white_zones(..., only_white=False)")
    out = {}
    for column in [*labels, "white"]:
        name = labels.get(column, ANY_LABEL)
        out[name] = pd.Series(np.where(flags[column], "zone blanche", None), index=flags["code_insee"].to_numpy(),
                              dtype=object)
    return out
