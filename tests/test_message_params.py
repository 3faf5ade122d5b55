"""Every raise site's parameters render its message: a code raised with ``value=`` whose French
template wants ``{type}`` would fail on the page (an error about the error) instead of explaining.

Scans geo/, partners/, services/ and app/ for calls naming a code (``XError("domain.what", k=v)``,
``ValidationError(field, value, message, code="domain.what", k=v)``, a row's ``Issue(level, field,
message, "domain.what", {params})`` or ``error(row, message, "domain.what", k=v)``) and renders the catalogue
entry with the keyword names the call gives (plus ``field`` and ``value`` for a ValidationError).
Calls passing ``**params`` are skipped (their names are not known statically).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.messages import CATALOGUE, render_code
from geo.errors import is_code

ROOT = Path(__file__).resolve().parents[1]


def _sites() -> list[tuple[str, str, frozenset]]:
    sites = []
    for package in ("geo", "partners", "services", "app"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "messages" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if any(k.arg is None for k in node.keywords):
                    continue
                keywords = {k.arg: k.value for k in node.keywords}
                code, extra = None, set()
                if name == "Issue" and len(node.args) >= 4:  # Issue(level, field, message, code, {params})
                    code = _constant_code(node.args[3])
                    given = node.args[4] if len(node.args) > 4 else ast.Dict(keys=[], values=[])
                    if not isinstance(given, ast.Dict) or not all(isinstance(k, ast.Constant) for k in given.keys):
                        continue
                    keywords = {k.value: None for k in given.keys}
                elif name == "error" and len(node.args) >= 3:  # partners.io._common.error(row, message, code, **params)
                    code = _constant_code(node.args[2])
                elif not name.endswith("Error"):
                    continue
                elif _constant_code(node.args[0] if node.args else None):
                    code = node.args[0].value
                elif _constant_code(keywords.get("code")):
                    code, extra = keywords["code"].value, {"field", "value"}  # ValidationError adds both
                if code in CATALOGUE:
                    named = set(keywords) - ({"code"} if name.endswith("Error") else set())  # code= names the code
                    names = frozenset(named | extra)
                    sites.append((f"{path.relative_to(ROOT)}:{node.lineno}", code, names))
    return sites


def _constant_code(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and is_code(node.value):
        return node.value
    return None


SITES = _sites()


def test_sites_are_found():
    found = {code for _, code, _ in SITES}
    assert len(SITES) > 100 and {"partners.unknown_type", "partners.finess_short_line", "partners.name_empty"} <= found


@pytest.mark.parametrize("where, code, names", SITES, ids=[f"{w} {c}" for w, c, _ in SITES])
def test_the_raise_site_parameters_render_the_message(where, code, names):
    params = {name: ["x1", "x2"] if name.endswith("s") else "x" for name in names}
    try:
        text = render_code(code, params)
    except KeyError as exc:  # a name the message needs and the raise site does not give
        pytest.fail(f"{where}: {code} raised with {sorted(names)} but its message needs {exc}")
    except (TypeError, ValueError, AttributeError, IndexError):
        return  # a message function doing arithmetic on its numbers: the stand-in "x" is not one
    assert text and "{" not in text
