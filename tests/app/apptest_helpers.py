"""What every AppTest of the pages shares (imported by name: conftest modules are ambiguous across folders)."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

#: The app's entry script.
MAIN = Path(__file__).resolve().parents[2] / "app" / "main.py"


def assert_no_error(at: AppTest) -> None:
    """The page ran without an exception and shows no error box."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
