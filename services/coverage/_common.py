"""Input checks shared by the coverage modules (private).

Units come as the frame of :func:`geo.territory.load_units` (or any frame with
``code_insee`` and ``mairie_lon``/``mairie_lat``); partners as a plain frame
with ``type``, ``lon``, ``lat`` and optionally ``capacity`` and ``id``.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pyproj import Transformer

from geo.projections import LAMBERT93, WGS84

_TO_L93 = Transformer.from_crs(WGS84, LAMBERT93, always_xy=True)


def lonlat_to_lambert93(lon, lat) -> np.ndarray:
    """WGS84 lon/lat arrays to Lambert-93 metres, shape (n, 2)."""
    x, y = _TO_L93.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def check_units(units, name: str = "units") -> pd.DataFrame:
    """The units frame, checked: ``code_insee`` unique, needed for every table."""
    if not isinstance(units, pd.DataFrame):
        raise TypeError(f"{name}: expected a DataFrame of sector units (geo.territory.load_units()), "
                        f"got {type(units).__name__}")
    if "code_insee" not in units.columns:
        raise ValueError(f"{name}: missing column 'code_insee'; got {list(units.columns)}")
    if units["code_insee"].duplicated().any():
        dup = units.loc[units["code_insee"].duplicated(), "code_insee"].head(5).tolist()
        raise ValueError(f"{name}: duplicated code_insee {dup}; one row per unit is expected")
    return units


def unit_points(units: pd.DataFrame, points=None) -> np.ndarray:
    """Reference points (Lambert-93, metres) of the units, or ``points`` checked against them."""
    if points is None:
        missing = {"mairie_lon", "mairie_lat"} - set(units.columns)
        if missing:
            raise ValueError(f"units: missing column(s) {sorted(missing)} to place reference points; "
                             "give points=reference_points(units) instead")
        points = lonlat_to_lambert93(units["mairie_lon"], units["mairie_lat"])
    points = np.asarray(points, dtype=float)
    if points.shape != (len(units), 2):
        raise ValueError(f"points: expected shape ({len(units)}, 2) (one Lambert-93 x/y per unit), "
                         f"got {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("points: every unit needs a finite reference point")
    return points


def check_partners(partners, types=None) -> pd.DataFrame:
    """Partners frame checked: ``type`` (upper-cased), ``lon``, ``lat``, ``capacity`` (default 1), plus
    Lambert-93 ``x``/``y``; only ``types`` when given.

    A partner without a position raises (the caller drops such rows first:
    a distance to an unknown place would be meaningless).
    """
    if not isinstance(partners, pd.DataFrame):
        raise TypeError(f"partners: expected a DataFrame with columns type, lon, lat "
                        f"(capacity optional), got {type(partners).__name__}")
    missing = {"type", "lon", "lat"} - set(partners.columns)
    if missing:
        raise ValueError(f"partners: missing column(s) {sorted(missing)}; expected type, lon, lat "
                         f"(capacity optional); got {list(partners.columns)}")
    frame = partners.copy()
    frame["type"] = frame["type"].astype(str).str.upper()
    bad = ~(np.isfinite(frame["lon"].astype(float)) & np.isfinite(frame["lat"].astype(float)))
    if bad.any():
        raise ValueError(f"partners: {int(bad.sum())} row(s) without lon/lat (rows {list(frame.index[bad][:5])}); "
                         "drop partners without a position first")
    if "capacity" not in frame.columns:
        frame["capacity"] = 1.0
    frame["capacity"] = frame["capacity"].astype(float).fillna(1.0)
    if (frame["capacity"] < 0).any():
        raise ValueError(f"partners: capacity must be >= 0; got min {frame['capacity'].min()}")
    xy = lonlat_to_lambert93(frame["lon"], frame["lat"]) if len(frame) else np.empty((0, 2))
    frame["x"], frame["y"] = xy[:, 0], xy[:, 1]
    if types is not None:
        frame = frame[frame["type"].isin([t.upper() for t in types])]
    return frame


def as_unit_series(values, units: pd.DataFrame, name: str, fill=0) -> pd.Series:
    """A per-unit value aligned on ``units['code_insee']``.

    ``values`` may be a Series indexed by code_insee, a DataFrame with
    ``code_insee`` and a column ``name``, or a mapping. Codes that are not
    units raise; units without a value get ``fill``.
    """
    if values is None:
        return pd.Series(fill, index=pd.Index(units["code_insee"], name="code_insee"), name=name)
    if isinstance(values, pd.DataFrame):
        if "code_insee" not in values.columns or name not in values.columns:
            raise ValueError(f"{name}: expected a frame with columns code_insee and {name}; "
                             f"got {list(values.columns)}")
        series = values.groupby(values["code_insee"].astype(str))[name].sum() \
            if pd.api.types.is_numeric_dtype(values[name]) else values.set_index("code_insee")[name]
    elif isinstance(values, Mapping):
        series = pd.Series(dict(values))
    elif isinstance(values, pd.Series):
        series = values
    else:
        raise TypeError(f"{name}: expected a Series indexed by code_insee, a mapping or a frame "
                        f"with code_insee and {name}; got {type(values).__name__}")
    series.index = series.index.astype(str)
    unknown = series.index.difference(pd.Index(units["code_insee"]))
    if len(unknown):
        raise ValueError(f"{name}: {len(unknown)} code(s) are not sector units, e.g. {list(unknown[:5])}")
    out = series.reindex(units["code_insee"])
    if fill is not None:
        out = out.fillna(fill)
    out.index.name = "code_insee"
    out.name = name
    return out
