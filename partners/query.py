"""Questions a social worker asks of the directory for a patient's commune.

:class:`NearestIndex`
    k-d tree on Lambert-93 coordinates; ``query(points_xy, k)`` answers a whole
    batch of points in one vectorised call.
:func:`nearest`
    The N nearest partners of a type from a commune, a postal code or a point,
    with the straight-line distance from the commune's reference point and,
    for CPTS and HAD, whether the partner's zone covers the commune.
:func:`covering`
    The CPTS and HAD whose zones include a commune.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.errors import SecteursError
from partners.model import NETWORK_LABEL, PARTNER_TYPES, ZONE_TYPES
from partners.places import Places, default_places, to_lambert93
from partners.store import AUTO, list_partners

#: Columns of :func:`nearest`, in order.
NEAREST_COLUMNS = ("rank", "id", "type", "name", "finess", "code_insee", "commune", "distance_km", "covers",
                   "phone", "email", "website", "address", "postal_code", "lon", "lat", "precision",
                   "outside_territory", "rpps", "adeli", "notes", "labels", "demo", "neighbour", "border_km")


def _labels_for(type: str, labels=(), network_only: bool = False) -> tuple:
    """The labels a search of ``type`` requires: ``labels``, plus the psycho-oncology network's
    for psychologists when ``network_only``."""
    wanted = tuple(labels or ())
    if network_only and type == "PSY":
        wanted += (NETWORK_LABEL,)
    return wanted


class NearestIndex:
    """Nearest-neighbour index over points in Lambert-93 metres.

    Parameters
    ----------
    points_xy
        Array (n, 2) of Lambert-93 x/y; rows are returned as positions.

    Examples
    --------
    >>> index = NearestIndex(np.array([[0.0, 0.0], [1000.0, 0.0]]))
    >>> distances, positions = index.query(np.array([[900.0, 0.0]]), k=1)
    >>> positions.tolist(), distances.round().tolist()
    ([[1]], [[100.0]])
    """

    def __init__(self, points_xy: np.ndarray):
        points = np.asarray(points_xy, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"points_xy: expected an array of shape (n, 2), got shape {points.shape}")
        if not np.isfinite(points).all():
            raise ValueError("points_xy: every point needs finite x and y (drop partners without position first)")
        self.points = points
        self.tree = cKDTree(points) if len(points) else None

    def __len__(self) -> int:
        return len(self.points)

    @classmethod
    def from_lonlat(cls, lonlat: np.ndarray) -> "NearestIndex":
        """Index WGS84 lon/lat points (projected to Lambert-93)."""
        return cls(to_lambert93(lonlat))

    def query(self, points_xy: np.ndarray, k: int = 1, workers: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest indexed points of each query point.

        Parameters
        ----------
        points_xy
            Array (m, 2) of Lambert-93 x/y.
        k
            Neighbours per point.
        workers
            Threads for the query (-1: all cores).

        Returns
        -------
        tuple
            ``(distances_m, positions)``, both of shape (m, k), nearest first;
            when fewer than ``k`` points are indexed the extra columns hold
            ``inf`` and ``-1``.

        Raises
        ------
        ValueError
            ``k`` below 1 or points of the wrong shape.
        """
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise SecteursError("partners.bad_k", k=k)
        queries = np.asarray(points_xy, dtype=float).reshape(-1, 2)
        m = len(queries)
        distances = np.full((m, k), np.inf)
        positions = np.full((m, k), -1, dtype=np.int64)
        n = len(self.points)
        if n == 0 or m == 0:
            return distances, positions
        kk = min(k, n)
        d, i = self.tree.query(queries, k=kk, workers=workers)
        distances[:, :kk] = d.reshape(m, kk)
        positions[:, :kk] = i.reshape(m, kk)
        return distances, positions


@dataclass(frozen=True)
class Origin:
    """Where a search starts: Lambert-93 point, the unit under it ("" outside) and a note."""

    xy: np.ndarray
    code_insee: str
    note: str = ""


def origin(places: Places, commune: str | None = None, postal_code: str | None = None,
           lonlat: tuple[float, float] | None = None) -> Origin:
    """The starting point of a search: a commune's reference point, or a given position.

    Exactly one of ``commune``, ``postal_code`` and ``lonlat`` must be given.
    A code or postal code covering several units (Lyon's 69123, a postal code
    shared by communes) starts from the most populous one, said in the note.

    Raises
    ------
    ValueError
        None or several given, or nothing found.
    """
    given = [name for name, value in (("commune", commune), ("postal_code", postal_code), ("lonlat", lonlat))
             if value not in (None, "")]
    if len(given) != 1:
        raise SecteursError("partners.one_place_needed", given=list(given) or ["aucun"])
    if lonlat is not None and lonlat != "":
        from partners.validation import validate_position

        lon, lat = validate_position(*lonlat)
        xy = to_lambert93(np.array([[lon, lat]]))[0]
        return Origin(xy, places.locate_one(lon, lat))
    if commune:
        code = str(commune).strip().upper()
        units = places.by_code(code)
        what = f"code INSEE {commune}"
    else:
        from geo.lookup import normalize_postal_code

        code = normalize_postal_code(postal_code) or str(postal_code)
        units = places.by_postal_code(code)
        what = f"code postal {postal_code}"
    if not units:
        raise SecteursError("partners.place_not_in_territory", what=what)
    note = ""
    if len(units) > 1:
        population = places.units["population"].to_numpy()
        units = sorted(units, key=lambda c: -population[places.index[c]])
        note = (f"le {what} couvre {len(units)} unités ({', '.join(units[:6])}{'...' if len(units) > 6 else ''}) ; "
                f"distances depuis {units[0]} {places.unit_name(units[0])}")
    return Origin(places.reference_point(units[0]), units[0], note)


def _check_type(type: str) -> str:
    value = str(type or "").strip().upper()
    if value not in PARTNER_TYPES:
        raise SecteursError("partners.unknown_type", type=type, types=list(PARTNER_TYPES))
    return value


def _zone_members(conn: sqlite3.Connection, ids, code: str) -> dict[int, bool]:
    """For each partner id whose zone is known: does it cover ``code``?"""
    ids = [int(i) for i in ids]
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    known = {r[0] for r in conn.execute(f"SELECT id FROM partners WHERE zone_known = 1 AND id IN ({marks})", ids)}
    covering_ids = {r[0] for r in conn.execute(
        f"SELECT partner_id FROM partner_communes WHERE code_insee = ? AND partner_id IN ({marks})", [code] + ids)}
    return {i: i in covering_ids for i in known}


def nearest(conn: sqlite3.Connection, type: str, *, commune: str | None = None, postal_code: str | None = None,
            lonlat: tuple[float, float] | None = None, k: int = 5, places: Places | None = None,
            include_outside: bool = True, include_demo=AUTO, labels=(), network_only: bool = False) -> pd.DataFrame:
    """The ``k`` nearest partners of a type.

    Parameters
    ----------
    conn
        Open database.
    type
        Partner type (``CPTS``, ``HAD``, ``PSY``...).
    commune, postal_code, lonlat
        Where from (exactly one): INSEE code, postal code or WGS84 (lon, lat).
    k
        How many partners.
    places
        The territory (committed one by default).
    include_outside
        Also consider partners flagged ``outside_territory`` (a patient near
        the border may go there: neighbouring partners are the reason to keep them).
    include_demo
        Consider the FICTITIOUS demo partners: ``"auto"`` (default) only while the directory
        holds no real partner; ``True``/``False`` as asked.
    labels
        Keep the partners carrying every one of these labels.
    network_only
        Psychologists: only those of the psycho-oncology network (label
        :data:`~partners.model.NETWORK_LABEL`); other types are not affected.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NEAREST_COLUMNS`, nearest first. ``distance_km`` is the
        straight line from the commune's reference point (Lambert-93);
        ``covers`` tells, for CPTS and HAD with a known zone, whether the zone
        includes the commune (empty otherwise). ``attrs`` holds the origin
        (``code_insee``, ``note``).

    Raises
    ------
    ValueError
        Unknown type, bad ``k`` or origin.

    Examples
    --------
    >>> nearest(conn, "HAD", commune="69383", k=3)  # doctest: +SKIP
    """
    type = _check_type(type)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise SecteursError("partners.bad_k", k=k)
    places = places or default_places()
    start = origin(places, commune, postal_code, lonlat)
    frame = list_partners(conn, type=type, include_outside=include_outside, include_demo=include_demo,
                          labels=_labels_for(type, labels, network_only))
    frame = frame[frame["lon"].notna() & frame["lat"].notna()].reset_index(drop=True)
    index = NearestIndex.from_lonlat(frame[["lon", "lat"]].to_numpy()) if len(frame) else NearestIndex(np.empty((0, 2)))
    distances, positions = index.query(start.xy[None, :], k=k)
    keep = positions[0] >= 0
    result = frame.iloc[positions[0][keep]].reset_index(drop=True)
    result["distance_km"] = np.round(distances[0][keep] / 1000.0, 2)
    result["rank"] = np.arange(1, len(result) + 1)
    if type in ZONE_TYPES and start.code_insee:
        members = _zone_members(conn, result["id"], start.code_insee)
        result["covers"] = pd.Series([members.get(int(i), None) for i in result["id"]], dtype=object)
    else:
        result["covers"] = pd.Series([None] * len(result), dtype=object)
    result = result[list(NEAREST_COLUMNS)]
    result.attrs.update(code_insee=start.code_insee, note=start.note)
    return result


def covering(conn: sqlite3.Connection, commune: str, types=ZONE_TYPES, places: Places | None = None,
             include_demo=AUTO, labels=()) -> pd.DataFrame:
    """The partners (CPTS and HAD by default) whose zones include a commune.

    Parameters
    ----------
    conn
        Open database.
    commune
        INSEE code (an old code or 69123 is mapped to today's units; a partner
        covering any of them is listed).
    types
        Partner types to consider.
    include_demo, labels
        As :func:`nearest`.

    Returns
    -------
    pandas.DataFrame
        The :func:`partners.store.list_partners` columns plus ``covered_code``,
        sorted by type and name.

    Raises
    ------
    ValueError
        The commune is not in the territory.
    """
    places = places or default_places()
    code = str(commune).strip().upper()
    units = places.by_code(code)
    if not units:
        raise SecteursError("partners.place_not_in_territory", what=f"code INSEE {commune}")
    types = [_check_type(t) for t in ([types] if isinstance(types, str) else types)]
    rows = conn.execute(
        f"SELECT partner_id, min(code_insee) FROM partner_communes WHERE code_insee IN ({','.join('?' * len(units))}) "
        "GROUP BY partner_id", units).fetchall()
    found = {r[0]: r[1] for r in rows}
    frame = list_partners(conn, type=",".join(types), include_demo=include_demo, labels=labels)
    frame = frame[frame["id"].isin(found)].copy()
    frame["covered_code"] = frame["id"].map(found)
    return frame.reset_index(drop=True)


def nearest_for_units(conn: sqlite3.Connection, type: str, k: int = 1, places: Places | None = None,
                      include_demo=AUTO, labels=(), network_only: bool = False) -> pd.DataFrame:
    """For every sector unit, its ``k`` nearest partners of a type (one batch query).

    Returns
    -------
    pandas.DataFrame
        One row per (unit, rank): ``code_insee, rank, id, name, distance_km``.
    """
    type = _check_type(type)
    places = places or default_places()
    frame = list_partners(conn, type=type, include_demo=include_demo, labels=_labels_for(type, labels, network_only))
    frame = frame[frame["lon"].notna()].reset_index(drop=True)
    index = NearestIndex.from_lonlat(frame[["lon", "lat"]].to_numpy()) if len(frame) else NearestIndex(np.empty((0, 2)))
    distances, positions = index.query(places.reference_xy, k=k)
    n = len(places.codes)
    ranks = np.tile(np.arange(1, k + 1), n)
    flat = positions.ravel()
    ok = flat >= 0
    ids = np.where(ok, frame["id"].to_numpy()[np.clip(flat, 0, None)] if len(frame) else -1, -1)
    names = np.where(ok, frame["name"].to_numpy()[np.clip(flat, 0, None)] if len(frame) else "", "")
    return pd.DataFrame({"code_insee": np.repeat(places.codes, k), "rank": ranks, "id": ids, "name": names,
                         "distance_km": np.round(distances.ravel() / 1000.0, 2)})[ok].reset_index(drop=True)


def local_services(conn: sqlite3.Connection, commune: str, k: int = 3, types=None,
                   places: Places | None = None, include_demo=AUTO, labels=(),
                   network_only: bool = False) -> pd.DataFrame:
    """Everything a social worker needs for one patient's commune, in one table.

    For each type (all of :data:`~partners.model.PARTNER_TYPES` by default):
    the ``k`` nearest partners; for CPTS and HAD, the partners whose zone
    covers the commune come first (``covers`` True), whatever their distance.

    Parameters
    ----------
    conn
        Open database.
    commune
        INSEE code of the patient's commune (old codes and 69123 accepted).
    k
        Partners per type.
    types
        Types to list (default: all).
    include_demo, labels, network_only
        As :func:`nearest` (``network_only``: psychologists of the psycho-oncology network only).

    Returns
    -------
    pandas.DataFrame
        :data:`NEAREST_COLUMNS`, grouped by type in :data:`PARTNER_TYPES` order;
        ``rank`` restarts at 1 for each type. ``attrs`` holds the origin.

    Examples
    --------
    >>> local_services(conn, "69383", k=2)  # doctest: +SKIP
    """
    places = places or default_places()
    types = list(PARTNER_TYPES) if types is None else [_check_type(t) for t in types]
    frames = []
    attrs = {}
    for type_ in types:
        options = dict(include_demo=include_demo, labels=_labels_for(type_, labels, network_only))
        frame = nearest(conn, type_, commune=commune, k=k, places=places, **options)
        attrs = dict(frame.attrs)
        if type_ in ZONE_TYPES and attrs.get("code_insee"):
            cover = covering(conn, attrs["code_insee"], types=[type_], places=places, **options)
            extra = cover[~cover["id"].isin(frame["id"])]
            if len(extra):
                far = nearest(conn, type_, commune=commune, k=int(len(frame) + len(extra) + 50), places=places,
                              **options)
                frame = pd.concat([frame, far[far["id"].isin(extra["id"])]], ignore_index=True)
            frame = frame.sort_values(["covers", "distance_km"], ascending=[False, True], key=_covers_key,
                                      kind="stable").reset_index(drop=True)
        frame["rank"] = np.arange(1, len(frame) + 1)
        frames.append(frame)
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(NEAREST_COLUMNS))
    result.attrs.update(attrs)
    return result


def _covers_key(column: pd.Series) -> pd.Series:
    if column.name == "covers":
        return column.map({True: 1, False: 0}).fillna(0)
    return column
