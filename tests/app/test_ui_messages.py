"""The sector engine's errors reach the French UI in French (messages produced by the real engine)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.ui import french
from geo.sectors import SectorError
from geo.sectors.context import build_context
from geo.sectors.propose import propose
from geo.sectors.team import Team


@pytest.fixture(scope="module")
def context():
    from geo.patients import read_counts
    from geo.paths import demo_dir

    return build_context(read_counts(demo_dir() / "patients_demo.csv"))


def _error(call) -> SectorError:
    with pytest.raises(SectorError) as caught:
        call()
    return caught.value


def _cases(context):
    heavy = context.codes[np.argsort(-context.patients)[:8]]
    few = pd.DataFrame({"code_insee": context.codes[:7], "patients": 3})
    return {
        "too many sectors": (lambda: propose(few, 11, context=context), "11 secteurs demandés, mais seulement 7"),
        "unknown codes": (lambda: propose(pd.DataFrame({"code_insee": ["99998"], "patients": [1]}), 2, context=context),
                          "ne sont pas des communes du territoire : 99998"),
        "zero workload": (lambda: propose(pd.DataFrame({"code_insee": ["01001"], "patients": [0]}), 2, context=context),
                          "charge nulle"),
        "impossible locks": (lambda: propose(None, 11, context=context, locked={c: "S01" for c in heavy}),
                             "verrous incompatibles avec l'équilibre : les communes verrouillées au secteur S01"),
        "lock to unknown sector": (lambda: propose(None, 3, context=context, locked={"01001": "Zoé"}),
                                   "la commune 01001 est verrouillée au secteur Zoé, qui n'existe pas"),
        "duplicate workers": (lambda: Team(("Anne", "Anne"), (1.0, 1.0)), "en double : Anne"),
        "zero FTE": (lambda: Team(("Anne", "Bruno"), (1.0, 0.0)), "chaque ETP doit être supérieur à 0"),
        "one unit too heavy": (lambda: propose(pd.DataFrame({"code_insee": ["69383", "69384"], "patients": [90, 10]}),
                                               2, context=context), "pèse à elle seule 90"),
    }


@pytest.mark.parametrize("case", ["too many sectors", "unknown codes", "zero workload", "impossible locks",
                                  "lock to unknown sector", "duplicate workers", "zero FTE", "one unit too heavy"])
def test_engine_errors_are_translated(context, case):
    call, expected = _cases(context)[case]
    error = _error(call)
    translated = french(error)
    assert error.code is not None and translated != str(error), error
    assert expected in translated, translated
