"""Distance from every unit to the nearest partner of each type, and zone coverage.

Distances are straight lines in Lambert-93 (EPSG:2154), in kilometres, from
each unit's reference point (town hall, else a point inside; see
:func:`geo.territory.reference_points`) to the partner's own position.

Public functions
----------------
nearest_distances
    Per unit and per partner type: distance (km) to the nearest partner of
    that type (and which partner, when the partners have an ``id``).
nearest_distances_xy
    The numeric core on arrays of Lambert-93 points.
zone_coverage
    Per unit and per zone type (CPTS, HAD): is the unit inside at least one
    partner's declared zone, and how many partners cover it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from services.coverage._common import check_partners, check_units, unit_points

__all__ = ["nearest_distances", "nearest_distances_xy", "zone_coverage", "distance_column",
           "covered_column", "ZONE_TYPES_DEFAULT"]

#: The partner types whose zones are declared as lists of communes.
ZONE_TYPES_DEFAULT = ("CPTS", "HAD")


def distance_column(partner_type: str) -> str:
    """Name of the distance column for a type: ``distance_km_PSY``."""
    return f"distance_km_{partner_type.upper()}"


def covered_column(zone_type: str) -> str:
    """Name of the coverage column for a zone type: ``covered_CPTS``."""
    return f"covered_{zone_type.upper()}"


def nearest_distances_xy(points_xy, supply_xy, workers: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each point to the nearest supply point.

    Parameters
    ----------
    points_xy : array (n, 2)
        Lambert-93 metres.
    supply_xy : array (m, 2)
        Lambert-93 metres; may be empty.
    workers : int
        Threads for the k-d tree query (-1: all cores).

    Returns
    -------
    (distance_km, position) : tuple of arrays (n,)
        Kilometres (NaN when there is no supply point) and the row of the
        nearest supply point (-1 when none).

    Examples
    --------
    >>> d, j = nearest_distances_xy([[0, 0], [6000, 0]], [[1000, 0], [9000, 0]])
    >>> d.tolist(), j.tolist()
    ([1.0, 3.0], [0, 1])
    """
    points = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    supply = np.asarray(supply_xy, dtype=float).reshape(-1, 2)
    if len(supply) == 0:
        return np.full(len(points), np.nan), np.full(len(points), -1, dtype=np.int64)
    distance, position = cKDTree(supply).query(points, k=1, workers=workers)
    return distance / 1000.0, position.astype(np.int64)


def nearest_distances(units: pd.DataFrame, partners: pd.DataFrame, types: Iterable[str] | None = None, *,
                      points=None) -> pd.DataFrame:
    """Distance (km) from every unit to the nearest partner of each type.

    Parameters
    ----------
    units : DataFrame
        Sector units (:func:`geo.territory.load_units`), one row per unit.
    partners : DataFrame
        Columns ``type``, ``lon``, ``lat`` (WGS84); ``id`` optional.
    types : iterable of str, optional
        Partner types to measure; default every type present in ``partners``.
        A requested type without any partner gives NaN distances.
    points : array (n, 2), optional
        The units' Lambert-93 reference points, if already computed.

    Returns
    -------
    DataFrame
        Indexed like ``units``: ``code_insee``, then for each type T
        ``distance_km_T`` and, when partners have an ``id``, ``nearest_id_T``.

    Examples
    --------
    >>> from geo.territory import load_units  # doctest: +SKIP
    >>> partners = pd.DataFrame({"type": ["ERC"], "lon": [4.85], "lat": [45.75]})  # doctest: +SKIP
    >>> nearest_distances(load_units(), partners)["distance_km_ERC"].max()  # doctest: +SKIP
    """
    check_units(units)
    xy = unit_points(units, points)
    frame = check_partners(partners)
    types = sorted(frame["type"].unique()) if types is None else [str(t).upper() for t in types]
    out = pd.DataFrame({"code_insee": units["code_insee"].to_numpy()}, index=units.index)
    for partner_type in types:
        subset = frame[frame["type"] == partner_type]
        distance, position = nearest_distances_xy(xy, subset[["x", "y"]].to_numpy())
        out[distance_column(partner_type)] = distance
        if "id" in subset.columns:
            ids = subset["id"].to_numpy()
            out[f"nearest_id_{partner_type}"] = pd.Series(
                [ids[p] if p >= 0 else None for p in position], index=units.index, dtype=object)
    return out


def zone_coverage(units: pd.DataFrame, zones, types: Iterable[str] = ZONE_TYPES_DEFAULT) -> pd.DataFrame:
    """Whether each unit lies in at least one declared zone of each type.

    Parameters
    ----------
    units : DataFrame
        Sector units, one row per unit.
    zones : mapping or DataFrame
        Either ``{type: iterable of covered code_insee}`` or a frame with
        columns ``type``, ``code_insee`` and optionally ``partner_id`` (one row
        per partner and covered commune).
    types : iterable of str
        Zone types reported (default CPTS and HAD); a type absent from
        ``zones`` gives a column of False.

    Returns
    -------
    DataFrame
        Indexed like ``units``: ``code_insee``, then for each type T
        ``covered_T`` (bool) and ``n_T`` (number of partners whose zone
        includes the unit; 1 per listed type when ``zones`` is a mapping).

    Warns
    -----
    UserWarning
        Codes in ``zones`` that are not sector units (ignored).

    Examples
    --------
    >>> units = pd.DataFrame({"code_insee": ["01001", "01002"]})
    >>> zone_coverage(units, {"CPTS": {"01001"}})["covered_CPTS"].tolist()
    [True, False]
    """
    import warnings

    check_units(units)
    types = [str(t).upper() for t in types]
    if isinstance(zones, pd.DataFrame):
        missing = {"type", "code_insee"} - set(zones.columns)
        if missing:
            raise ValueError(f"zones: missing column(s) {sorted(missing)}; expected type, code_insee "
                             f"(partner_id optional); got {list(zones.columns)}")
        long = pd.DataFrame({"type": zones["type"].astype(str).str.upper(),
                             "code_insee": zones["code_insee"].astype(str),
                             "partner_id": zones["partner_id"] if "partner_id" in zones.columns
                             else zones["type"].astype(str).str.upper()})
    elif isinstance(zones, Mapping):
        rows = [(str(t).upper(), str(code), str(t).upper()) for t, codes in zones.items() for code in codes]
        long = pd.DataFrame(rows, columns=["type", "code_insee", "partner_id"])
    else:
        raise TypeError(f"zones: expected a mapping type -> codes or a DataFrame (type, code_insee[, "
                        f"partner_id]); got {type(zones).__name__}")
    known = long["code_insee"].isin(units["code_insee"])
    if not known.all():
        sample = sorted(long.loc[~known, "code_insee"].unique())[:5]
        warnings.warn(f"zones: {int((~known).sum())} row(s) name codes that are not sector units "
                      f"(e.g. {sample}); ignored", stacklevel=2)
    long = long[known].drop_duplicates()
    out = pd.DataFrame({"code_insee": units["code_insee"].to_numpy()}, index=units.index)
    for zone_type in types:
        counts = long[long["type"] == zone_type].groupby("code_insee")["partner_id"].nunique()
        n = counts.reindex(units["code_insee"]).fillna(0).astype("int64").to_numpy()
        out[covered_column(zone_type)] = n > 0
        out[f"n_{zone_type}"] = n
    return out
