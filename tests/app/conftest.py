"""Fixtures of the page tests."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def department_plan_csv(units) -> bytes:
    """A TEST plan, one sector per department, with referents and two groups (Métropole, Région)."""
    departement = units["departement"].astype(str)
    frame = pd.DataFrame({"code_insee": units["code_insee"], "sector": "S" + departement,
                          "referent": "Référente " + departement,
                          "groupe": ["Métropole" if d == "69" else "Région" for d in departement]})
    return frame.to_csv(index=False).encode("utf-8")
