"""Accessibility index by the enhanced two-step floating catchment area method (E2SFCA).

Method (Luo & Qi 2009, "An enhanced two-step floating catchment area (E2SFCA)
method for measuring spatial accessibility to primary care physicians",
*Health & Place* 15(4); the method behind the DREES *Accessibilité potentielle
localisée*, APL):

1. For each supplier j (capacity S_j), the supply-to-demand ratio
   ``R_j = S_j / sum_k P_k W(d_kj)`` over the demand points k within the
   catchment ``d_kj <= d0``;
2. for each demand point i, the accessibility
   ``A_i = sum_j R_j W(d_ij)`` over the suppliers within the catchment.

``W`` is a step function of distance: a few bands with decreasing weights, 0
beyond the last band. Demand points are the sector units' reference points
(town hall, else a point inside the unit) weighted by their population (or,
optionally, their patients); suppliers are the partners' own positions.

**What is reported.** ``A_i`` is supply per inhabitant; the wrapper
:func:`accessibility` multiplies it by ``per`` (default **100,000**): e.g.
psychologists (FTE when ``capacity`` holds the FTE, else persons) per 100,000
inhabitants, ERC sites per 100,000 inhabitants. The population-weighted mean
of ``A_i`` over a territory where every supplier reaches some demand equals
total supply / total population (conservation: ``sum_i A_i P_i = sum_j S_j``).

**Distances: straight line, not road time.** APL uses road travel times
between communes (time bands of about 10, 20 and 30 minutes with weights
decreasing from 1 to about 2/3 and 1/3). We have no road graph; we use the
straight-line Lambert-93 distance as a proxy. Road distance is typically
1.2-1.4 times the straight line in this region (more in the Alps and the
Massif central) and average rural speeds are 60-70 km/h, so 10 km in a
straight line is about 13 km or 12-13 minutes by road: the kilometre bands
below roughly match APL's minute bands. Where mountains force long detours,
the proxy overstates accessibility; say so when showing the maps.

Default catchments and weights (:data:`DEFAULT_BANDS`), as ``(upper_km, weight)``:

* **PSY** (psychologists, frequent appointments, local care like APL's
  general practitioners): 0-10 km W=1, 10-20 km W=0.68, 20-30 km W=0.22,
  beyond 30 km W=0. The weights are Luo & Qi's (a Gaussian decay sampled in
  three zones); APL's 1, 2/3, 1/3 would be the alternative.
* **ERC** (few sites, a handful per department, visited occasionally, so
  patients accept longer trips): the same weights on bands twice as wide,
  0-20 km W=1, 20-40 km W=0.68, 40-60 km W=0.22, beyond 60 km W=0.

Other types have no default: pass ``bands``.

**Edges.** Suppliers across the region's border count: the report passes
every positioned partner of the directory within 60 km of a unit
(:func:`services.reports.coverage_data.neighbouring_partners`), so the
communes along the border are not shown as deprived for want of their
neighbours. Demand outside the 12 departments is not modelled: such a
supplier gives all its capacity to the territory's side, which overstates
accessibility along the border a little. APL has the same issue at
national borders. Bands are closed on the right:
a distance of exactly 10 km is in the first band.

Public names
------------
e2sfca
    Numeric core on arrays (Lambert-93 metres).
accessibility
    Per unit, for one partner type, from the units and partners frames.
DEFAULT_BANDS, E2SFCAResult, check_bands
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from services.coverage._common import as_unit_series, check_partners, check_units, unit_points

__all__ = ["e2sfca", "accessibility", "E2SFCAResult", "DEFAULT_BANDS", "PER_DEFAULT", "check_bands",
           "accessibility_column"]

#: Distance bands ``(upper_km, weight)`` per partner type; see the module docstring.
DEFAULT_BANDS: dict[str, tuple[tuple[float, float], ...]] = {
    "PSY": ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22)),
    "ERC": ((20.0, 1.0), (40.0, 0.68), (60.0, 0.22)),
}
#: Accessibility is reported per this many inhabitants (or patients).
PER_DEFAULT = 100_000


def accessibility_column(partner_type: str) -> str:
    """Name of the accessibility column for a type: ``accessibility_PSY``."""
    return f"accessibility_{partner_type.upper()}"


def check_bands(bands) -> tuple[tuple[float, float], ...]:
    """Bands checked: a non-empty sequence of ``(upper_km, weight)``, uppers increasing, weights in (0, 1].

    Raises
    ------
    ValueError
        Naming the value received and what is allowed.
    """
    try:
        pairs = tuple((float(upper), float(weight)) for upper, weight in bands)
    except (TypeError, ValueError):
        raise ValueError(f"bands: expected a sequence of (upper_km, weight) pairs, got {bands!r}") from None
    if not pairs:
        raise ValueError("bands: at least one (upper_km, weight) band is needed, got none")
    uppers = np.array([p[0] for p in pairs])
    weights = np.array([p[1] for p in pairs])
    if not (uppers > 0).all() or not (np.diff(uppers) > 0).all():
        raise ValueError(f"bands: upper distances must be positive and increasing, got {uppers.tolist()}")
    if not ((weights > 0) & (weights <= 1)).all():
        raise ValueError(f"bands: weights must be in (0, 1], got {weights.tolist()}")
    return pairs


@dataclass(frozen=True)
class E2SFCAResult:
    """Result of :func:`e2sfca`.

    Attributes
    ----------
    accessibility : ndarray (n,)
        ``A_i``, supply per unit of demand (multiply by 100,000 for "per
        100,000 inhabitants").
    ratio : ndarray (m,)
        ``R_j``, each supplier's supply-to-demand ratio (0 when no demand is
        within its catchment).
    weighted_demand : ndarray (m,)
        ``sum_k P_k W(d_kj)``, the demand each supplier serves.
    unreached_supply : float
        Supply of suppliers with no demand within reach (lost by the method).
    pairs : int
        Demand-supplier pairs within the catchment.
    """

    accessibility: np.ndarray
    ratio: np.ndarray
    weighted_demand: np.ndarray
    unreached_supply: float
    pairs: int


def e2sfca(demand_xy, demand, supply_xy, supply, bands) -> E2SFCAResult:
    """E2SFCA accessibility of each demand point.

    Parameters
    ----------
    demand_xy : array (n, 2)
        Demand points, Lambert-93 metres.
    demand : array (n,)
        Demand weights ``P_k`` (population), >= 0.
    supply_xy : array (m, 2)
        Suppliers, Lambert-93 metres (m may be 0).
    supply : array (m,)
        Capacities ``S_j``, >= 0.
    bands : sequence of (upper_km, weight)
        Step distance decay; 0 beyond the last upper bound (the catchment).

    Returns
    -------
    E2SFCAResult

    Examples
    --------
    One supplier of capacity 1 at 0 km of 100 people and 15 km of 50 people
    (bands 0-10 km W=1, 10-20 km W=0.5): ``R = 1 / (100 + 0.5*50) = 0.008``,
    ``A = [0.008, 0.004]``.

    >>> r = e2sfca([[0, 0], [15000, 0]], [100, 50], [[0, 0]], [1], [(10, 1), (20, 0.5)])
    >>> r.ratio.round(6).tolist(), r.accessibility.round(6).tolist()
    ([0.008], [0.008, 0.004])
    """
    bands = check_bands(bands)
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    supply_xy = np.asarray(supply_xy, dtype=float).reshape(-1, 2)
    demand = np.asarray(demand, dtype=float).reshape(-1)
    supply = np.asarray(supply, dtype=float).reshape(-1)
    if len(demand) != len(demand_xy):
        raise ValueError(f"demand: {len(demand)} weights for {len(demand_xy)} demand points")
    if len(supply) != len(supply_xy):
        raise ValueError(f"supply: {len(supply)} capacities for {len(supply_xy)} suppliers")
    if (demand < 0).any() or not np.isfinite(demand).all():
        raise ValueError(f"demand: weights must be finite and >= 0, got min {demand.min()}")
    if (supply < 0).any() or not np.isfinite(supply).all():
        raise ValueError(f"supply: capacities must be finite and >= 0, got min {supply.min()}")
    n, m = len(demand_xy), len(supply_xy)
    if n == 0 or m == 0:
        return E2SFCAResult(np.zeros(n), np.zeros(m), np.zeros(m), float(supply.sum()) if n == 0 else 0.0, 0)

    uppers_m = np.array([b[0] for b in bands]) * 1000.0
    weights = np.append(np.array([b[1] for b in bands]), 0.0)
    pairs = cKDTree(supply_xy).sparse_distance_matrix(cKDTree(demand_xy), uppers_m[-1], output_type="ndarray")
    j, i, d = pairs["i"], pairs["j"], pairs["v"]
    w = weights[np.searchsorted(uppers_m, d, side="left")]   # closed on the right: d == upper -> that band
    weighted_demand = np.bincount(j, weights=demand[i] * w, minlength=m)
    ratio = np.divide(supply, weighted_demand, out=np.zeros(m), where=weighted_demand > 0)
    access = np.bincount(i, weights=ratio[j] * w, minlength=n)
    unreached = float(supply[weighted_demand <= 0].sum())
    return E2SFCAResult(access, ratio, weighted_demand, unreached, int(len(d)))


def accessibility(units: pd.DataFrame, partners: pd.DataFrame, partner_type: str, *, bands=None,
                  demand="population", per: float = PER_DEFAULT, points=None) -> pd.DataFrame:
    """E2SFCA accessibility of each unit to the partners of one type.

    Parameters
    ----------
    units : DataFrame
        Sector units (:func:`geo.territory.load_units`): ``code_insee``,
        ``population``, reference point columns.
    partners : DataFrame
        ``type``, ``lon``, ``lat``, optional ``capacity`` (default 1, e.g.
        psychologists' FTE).
    partner_type : str
        The type to measure (e.g. ``"PSY"``, ``"ERC"``).
    bands : sequence of (upper_km, weight), optional
        Default :data:`DEFAULT_BANDS` for the type (PSY, ERC); required for
        other types.
    demand : "population", or per-unit counts
        ``"population"`` (the units' column), or patients as a Series indexed
        by code_insee / a frame ``code_insee, patients`` (units absent: 0).
    per : float
        Scale of the output (default 100,000: supply per 100,000 inhabitants).
    points : array (n, 2), optional
        The units' Lambert-93 reference points, if already computed.

    Returns
    -------
    DataFrame
        Indexed like ``units``: ``code_insee``, ``accessibility_T`` (supply
        per ``per`` inhabitants, 0 where no supplier is within the catchment).
        ``attrs`` holds the bands, ``per``, the demand used, the number of
        suppliers and the supply that reached no demand.

    Raises
    ------
    ValueError
        Unknown type without bands, bad bands, bad demand.

    Warns
    -----
    UserWarning
        When no partner of the type exists (accessibility 0 everywhere).
    """
    import warnings

    check_units(units)
    partner_type = str(partner_type).upper()
    if bands is None:
        if partner_type not in DEFAULT_BANDS:
            raise ValueError(f"bands: no default for partner_type {partner_type!r}; pass bands=[(upper_km, "
                             f"weight), ...] (defaults exist for {sorted(DEFAULT_BANDS)})")
        bands = DEFAULT_BANDS[partner_type]
    bands = check_bands(bands)
    if not (np.isfinite(per) and per > 0):
        raise ValueError(f"per: expected a positive number (e.g. 100000), got {per!r}")
    xy = unit_points(units, points)
    if isinstance(demand, str):
        if demand not in units.columns:
            raise ValueError(f"demand: {demand!r} is not a column of units; use 'population' or give "
                             "per-unit patient counts")
        weights = units[demand].to_numpy(dtype=float)
        demand_name = demand
    else:
        weights = as_unit_series(demand, units, "patients").to_numpy(dtype=float)
        demand_name = "patients"
    frame = check_partners(partners, types=[partner_type])
    if frame.empty:
        warnings.warn(f"partners: no partner of type {partner_type!r}; accessibility is 0 everywhere",
                      stacklevel=2)
    result = e2sfca(xy, weights, frame[["x", "y"]].to_numpy(), frame["capacity"].to_numpy(), bands)
    out = pd.DataFrame({"code_insee": units["code_insee"].to_numpy(),
                        accessibility_column(partner_type): result.accessibility * per}, index=units.index)
    out.attrs.update({"partner_type": partner_type, "bands": bands, "per": per, "demand": demand_name,
                      "suppliers": int(len(frame)), "supply": float(frame["capacity"].sum()),
                      "unreached_supply": result.unreached_supply})
    return out
