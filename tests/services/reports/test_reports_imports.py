"""Importing services.reports pulls neither the app nor the PDF and plotting libraries (loaded when a report is drawn)."""
from __future__ import annotations

import subprocess
import sys


def test_import_is_light():
    code = ("import sys, services.reports; "
            "print([m for m in ('streamlit', 'matplotlib', 'fpdf', 'folium') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
