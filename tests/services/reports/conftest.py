"""Report fixtures: a quick TEST plan (60 km squares), demo counts, a database with the FICTITIOUS demo directory.

The plan is not a proposed plan (proposing takes seconds): Lambert-93 squares of
60 km named ``S<x>-<y>``, every unit in one, as in the coverage tests.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
DEMO_PATIENTS = REPO / "data" / "demo" / "patients_demo.csv"


@pytest.fixture(scope="session")
def square_plan(units) -> pd.DataFrame:
    from geo.territory import reference_points

    labels = [f"S{int(x // 60000):02d}-{int(y // 60000):03d}" for x, y in reference_points(units)]
    return pd.DataFrame({"code_insee": units["code_insee"].to_numpy(), "sector": labels})


@pytest.fixture(scope="session")
def report_files(tmp_path_factory, square_plan):
    """plan.csv, the demo counts and a database holding the demo directory."""
    import partners
    from geo.database import connect

    folder = tmp_path_factory.mktemp("report_inputs")
    plan = folder / "plan.csv"
    square_plan.to_csv(plan, index=False)
    db = folder / "secteurs.sqlite"
    conn = connect(db)
    partners.ensure_demo_directory(conn)
    conn.close()
    return {"plan": plan, "patients": DEMO_PATIENTS, "db": db, "folder": folder}
