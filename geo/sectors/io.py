"""Files of the sector engine: patient counts, plans (``code_insee,sector``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.sectors.problem import SectorError


def read_counts(path) -> pd.DataFrame:
    """Patient counts ``code_insee, patients`` (delegates to :func:`geo.patients.read_counts`)."""
    from geo.patients import read_counts as _read

    return _read(path)


def read_plan(path) -> pd.DataFrame:
    """A plan file ``code_insee,sector`` (``#`` comments allowed); codes kept as text."""
    path = Path(path)
    frame = pd.read_csv(path, comment="#", dtype=str, sep=None, engine="python")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "secteur" in frame.columns and "sector" not in frame.columns:
        frame = frame.rename(columns={"secteur": "sector"})
    missing = [c for c in ("code_insee", "sector") if c not in frame.columns]
    if missing:
        raise SectorError(f"{path.name}: a plan needs columns code_insee,sector; missing {missing}")
    frame["code_insee"] = frame["code_insee"].str.strip().str.zfill(5)
    frame["sector"] = frame["sector"].str.strip()
    return frame[["code_insee", "sector"]]


def write_plan(plan, path) -> Path:
    """Write ``code_insee,sector`` (every unit once, code order)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plan.to_frame().to_csv(path, index=False)
    return path
