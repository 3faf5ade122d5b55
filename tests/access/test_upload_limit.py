"""Uploads over the limit are refused with a French message before any page reads them."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from app.serving import MAX_UPLOAD_MB, check_upload_size
from geo.access import AccessError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from apptest_helpers import page_with_plan_file  # noqa: E402


def test_limit_is_checked_in_bytes():
    check_upload_size("liste.csv", MAX_UPLOAD_MB * 1024 * 1024)
    with pytest.raises(AccessError) as caught:
        check_upload_size("liste.csv", MAX_UPLOAD_MB * 1024 * 1024 + 1)
    assert caught.value.code == "access.upload_too_large"
    assert caught.value.params["limit_mb"] == MAX_UPLOAD_MB


def test_orientation_refuses_a_list_over_the_limit(units):
    plan = pd.DataFrame({"code_insee": units["code_insee"], "sector": "S" + units["departement"].astype(str)})
    at = page_with_plan_file("orientation", plan.to_csv(index=False).encode(), timeout=300)
    big = b"Code postal;Ville\n" + b"69003;LYON\n" * ((MAX_UPLOAD_MB * 1024 * 1024) // 11 + 10)
    at.file_uploader(key="orientation_list").set_value(("enorme.csv", big, "text/csv")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("enorme.csv" in e and f"limite est de {MAX_UPLOAD_MB} Mo" in e for e in errors), errors
    assert not any("orientées" in m.value.lower() for m in at.markdown)
