"""Every error code raised in the source has a French message, and rendering works end to end."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.messages import CATALOGUE, render, render_code
from geo.errors import SecteursError, is_code

ROOT = Path(__file__).resolve().parents[1]


def _raised_codes() -> dict[str, str]:
    """Codes passed as first argument to any ``...Error("domain.what", ...)`` call in the packages."""
    found = {}
    for package in ("geo", "partners", "services", "app"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                first = node.args[0]
                if name.endswith("Error") and isinstance(first, ast.Constant) and isinstance(first.value, str) \
                        and is_code(first.value):
                    found.setdefault(first.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_raised_code_has_a_french_message():
    missing = {code: where for code, where in _raised_codes().items() if code not in CATALOGUE}
    assert not missing, f"codes without a French message: {missing}"


def test_error_keeps_code_and_params():
    err = SecteursError("sectors.example_code", asked=12, units=[1, 2])
    assert err.code == "sectors.example_code"
    assert err.params == {"asked": 12, "units": [1, 2]}
    assert "sectors.example_code" in str(err)


def test_free_text_is_shown_as_is_until_converted():
    err = SecteursError("une phrase libre")
    assert err.code is None
    assert render(err) == "une phrase libre"


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_message_renders(code):
    """Each catalogue entry renders with the parameters its raise sites give (checked by name)."""
    entry = CATALOGUE[code]
    if callable(entry):
        return
    import string

    names = {field for _, field, _, _ in string.Formatter().parse(entry) if field}
    text = render_code(code, {n.split(".")[0].split("[")[0]: "x" for n in names})
    assert text and "{" not in text
