"""Errors people see are codes with parameters: no SecteursError (or CommandError) raised with free text.

Scans geo/ (the sector engine's files excepted: another branch converts them), partners/, services/ and
app/ with the AST. A raise of a SecteursError subclass must pass a code (``"domain.what"``) or, for
``ValidationError(field, value, message, code=...)``, a ``code=`` keyword; a ``CommandError`` is not
raised at all outside the engine's CLI (its messages are codes of ``app/messages/cli.py`` now).
"""
from __future__ import annotations

import ast
from pathlib import Path

from geo.errors import is_code

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "partners", "services", "app")
#: Files of the sector engine, converted on their own branch (issue 10).
ENGINE = {f"geo/sectors/{name}.py" for name in (
    "base", "contiguous", "pmedian", "tools", "propose", "problem", "team", "constraints", "_graph", "context",
    "plan", "updaters", "edit")} | {"app/cli/sectors.py"}


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _error_classes() -> set[str]:
    """SecteursError and every class deriving from it in the packages (by name, transitively)."""
    bases: dict[str, set[str]] = {}
    for _, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
    found = {"SecteursError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def _free_text_raises() -> list[str]:
    classes = _error_classes()
    bad = []
    for rel, tree in _sources():
        if rel in ENGINE:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call = node.exc
            name = getattr(call.func, "id", getattr(call.func, "attr", ""))
            if name == "CommandError":
                bad.append(f"{rel}:{node.lineno} CommandError")
            if name not in classes:
                continue
            if name == "ValidationError":
                if not any(k.arg in ("code", None) for k in call.keywords):
                    bad.append(f"{rel}:{node.lineno} ValidationError without code=")
                continue
            first = call.args[0] if call.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and is_code(first.value):
                continue
            if isinstance(first, (ast.Constant, ast.JoinedStr, ast.BinOp)) or first is None:
                bad.append(f"{rel}:{node.lineno} {name}({ast.unparse(first) if first else ''})"[:160])
    return bad


def test_no_free_text_raise_of_a_secteurs_error():
    bad = _free_text_raises()
    assert not bad, "raise a code with parameters (message in app/messages/<domain>.py):\n" + "\n".join(bad)


def test_the_scan_finds_a_free_text_raise(tmp_path):
    # The scan itself can fail: a free-text raise in a parsed source is reported.
    tree = ast.parse('raise SectorError(f"{n} sectors asked")\nraise SectorError("plans.empty_file", file="x")')
    raises = [n for n in ast.walk(tree) if isinstance(n, ast.Raise)]
    first = raises[0].exc.args[0]
    assert isinstance(first, ast.JoinedStr) and is_code(raises[1].exc.args[0].value)
    assert "SectorError" in _error_classes()


#: Modules that handle what people type, upload or pass on the command line (files, options, page
#: inputs). A ``ValueError`` or ``KeyError`` raised there reaches people: it must be a SecteursError
#: with a code and a French message. A ``TypeError`` is a contract between our own modules (people's
#: input arrives as text or bytes): allowed, and shown as a generic French sentence if ever raised.
INPUT_MODULES = ("geo/reading.py", "geo/patients.py", "geo/resolver.py", "geo/territory_build.py", "geo/sectors/io.py",
                 "partners/io/", "partners/network.py", "partners/importer.py", "partners/preview.py",
                 "partners/validation.py", "partners/directory.py", "services/routing.py", "services/workspace.py",
                 "app/cli/", "app/views/", "app/ui.py", "app/uploads.py", "app/auth.py",
                 "app/partner_filter_picker.py")
#: Functions of computation modules that people reach with their input (triaged): their raises are codes.
USER_REACHABLE = {("services/coverage/tables.py", "plan_series"),  # a plan file's codes outside the territory
                  ("services/coverage/white_zones.py", "_max_km_checked")}  # the CLI's --max-km TYPE=KM


def _plain_raises(rel: str, tree: ast.AST, functions=None) -> list[str]:
    """``raise ValueError(...)`` / ``raise KeyError(...)`` with a message, in ``tree`` (or its ``functions``)."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if functions is not None and function.name not in functions:
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
                if name in ("ValueError", "KeyError", "LookupError", "IndexError"):
                    found.append(f"{rel}:{node.lineno} {function.name}: {name}")
    return found


def test_no_english_raise_where_people_give_input():
    bad = []
    for rel, tree in _sources():
        if rel.startswith(INPUT_MODULES) and rel not in ENGINE:
            bad += _plain_raises(rel, tree)
        names = {name for path, name in USER_REACHABLE if path == rel}
        if names:
            defined = {f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
            assert names <= defined, f"{rel}: {names - defined} renamed? update USER_REACHABLE"
            bad += _plain_raises(rel, tree, names)
    assert not bad, ("a file, an option or a page input can reach these: raise a SecteursError code "
                     "(message in app/messages/<domain>.py), or a TypeError for a contract:\n" + "\n".join(bad))


def test_the_input_scan_finds_a_plain_raise():
    tree = ast.parse("def read(x):\n    raise ValueError(f'{x}: bad')\n\ndef ok(x):\n    raise TypeError('x')\n"
                     "\ndef coded(x):\n    raise SecteursError('files.empty', file=x)\n")
    assert _plain_raises("geo/patients.py", tree) == ["geo/patients.py:2 read: ValueError"]
    assert _plain_raises("geo/patients.py", tree, {"ok", "coded"}) == []
