"""Fixtures of the page tests."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN


@pytest.fixture(scope="module")
def department_plan_csv(units) -> bytes:
    """A TEST plan, one sector per department, with referents and two groups (Métropole, Région)."""
    departement = units["departement"].astype(str)
    frame = pd.DataFrame({"code_insee": units["code_insee"], "sector": "S" + departement,
                          "referent": "Référente " + departement,
                          "groupe": ["Métropole" if d == "69" else "Région" for d in departement]})
    return frame.to_csv(index=False).encode("utf-8")


def _back_to_demo_only() -> None:
    """Leave the test session's shared directory as the other page tests expect it: the demo only
    (real partners hide the demo ones from every page)."""
    import partners
    from geo.access import act_as, local_user
    from geo.database import connect

    conn = connect()
    with act_as(local_user()):
        for partner_id in partners.list_partners(conn, include_demo=False)["id"]:
            partners.delete_partner(conn, int(partner_id), author="tests")
        partners.load_demo_directory(conn)
    conn.close()


@pytest.fixture(scope="module")
def partenaires_app() -> AppTest:
    """One app session on the Partenaires page (per test module); the directory is put back to the demo after."""
    at = AppTest.from_file(str(MAIN), default_timeout=180).run()
    at.switch_page("views/partenaires.py").run()
    yield at
    _back_to_demo_only()


@pytest.fixture(scope="module")
def conn(partenaires_app):
    """A connection to the database the Partenaires session writes (to check what is stored)."""
    from geo.database import connect

    return connect()
