"""No CSV or XLSX written by secteurs lets a spreadsheet run a hostile text as a formula."""
from __future__ import annotations

import ast
import csv
import doctest
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import geo.safe_export as safe_export
from geo.database import connect
from geo.safe_export import FORMULA_STARTS, safe_cell, safe_frame

#: Texts that Excel or LibreOffice would run (or split into a formula) if written as they are.
HOSTILE = ['=HYPERLINK("http://attaquant.example/x","Cliquez")', "+33 4 72 00 00 00", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _no_formula(cells) -> None:
    for value in cells:
        if isinstance(value, str):
            assert not value.startswith(FORMULA_STARTS), repr(value)


@pytest.mark.parametrize("text", HOSTILE)
def test_each_formula_start_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Lyon", "Cabinet d'Oncologie", "", "'=déjà protégé", 12, -3, 4.5, None])
def test_plain_values_are_untouched(value):
    assert safe_cell(value) == value


def test_frames_keep_numbers_as_numbers():
    frame = pd.DataFrame({"nom": HOSTILE, "n": range(-3, 3), "km": [-1.5] * 6})
    out = safe_frame(frame)
    _no_formula(out["nom"])
    assert out["n"].tolist() == list(range(-3, 3)) and out["km"].dtype == float
    assert frame["nom"].tolist() == HOSTILE  # the caller's frame is not changed


def test_doctests():
    assert doctest.testmod(safe_export).failed == 0


@pytest.fixture
def directory(tmp_path):
    import partners
    from partners.model import Partner

    conn = connect(tmp_path / "d.sqlite")
    for i, name in enumerate(HOSTILE[:4]):
        partners.save_partner(conn, Partner(type="CCAS", name=name, code_insee="69383", lon=4.85, lat=45.75,
                                            precision="commune", notes=HOSTILE[(i + 1) % 4]), author="test")
    yield conn
    conn.close()


def test_partner_csv_export(directory):
    from partners.export import export_bytes

    text = export_bytes(directory, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    _no_formula(cell for row in rows for cell in row)
    names = [row[rows[0].index("nom")] for row in rows[1:]]
    assert sorted(names) == sorted("'" + h for h in HOSTILE[:4])


def test_partner_xlsx_export(directory):
    from partners.export import export_bytes

    book = openpyxl.load_workbook(io.BytesIO(export_bytes(directory, "xlsx")))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    _no_formula(c.value for c in cells)


def test_routed_lists_csv_and_xlsx(units, tmp_path):
    from services.routing import Routing, route_file

    plan = pd.DataFrame({"code_insee": units["code_insee"], "sector": "AS " + units["departement"].astype(str)})
    routing = Routing.from_plan(plan)
    source = ("Nom;CP;Ville\n" + "".join(f"{h.replace(';', ',')};69003;LYON\n" for h in HOSTILE[:4])
              + "=1+1;99999;NULLEPART\n").encode("utf-8")
    batch = route_file(io.BytesIO(source), routing, "liste.csv")
    rows = list(csv.reader(io.StringIO(batch.to_csv_bytes().decode("utf-8-sig")), delimiter=";"))
    _no_formula(cell for row in rows for cell in row)
    assert rows[1][0] == "'" + HOSTILE[0]
    book = openpyxl.load_workbook(io.BytesIO(batch.to_xlsx_bytes()))
    for sheet in book.worksheets:  # the routed rows and the "non placées" sheet
        cells = [c for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        _no_formula(c.value for c in cells)


def test_sector_moves_csv():
    from geo.sectors.export import moves_csv

    moves = pd.DataFrame({"code_insee": ["69383"], "nom": ["Lyon 3e"], "from": ["=A1"], "to": ["@B2"], "patients": [3]})
    rows = list(csv.reader(io.StringIO(moves_csv(moves).decode("utf-8"))))
    _no_formula(cell for row in rows for cell in row)
    assert rows[1][2:] == ["'=A1", "'@B2", "3"]


def test_users_list_csv(tmp_path, capsys):
    from app.cli import main

    db = str(tmp_path / "u.sqlite")
    assert main(["users", "add", "x@chu.test", "--role", "lecture", "--sso", "--name", "=cmd()", "--db", db]) == 0
    capsys.readouterr()
    assert main(["users", "list", "--format", "csv", "--db", db]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    _no_formula(cell for row in rows for cell in row)


# -- every writer of the code goes through geo.safe_export --------------------------------------------
ROOT = Path(__file__).resolve().parents[2]
#: Calls that write CSV or XLSX cells.
WRITERS = {"to_csv", "to_excel", "writerow", "writerows"}
#: Writers that never write user text, reviewed one by one (file, function): why.
REVIEWED = {
    ("partners/io/template.py", "template_bytes"): "the template's fixed headers and example row",
    ("partners/io/synthetic_rpps.py", "write_network_list"): "a generated test file of invented names",
}


def _scopes(tree: ast.Module):
    """Each function with its own statements, and the module's top-level statements (a page's script)."""
    yield "<module>", [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                    ast.ClassDef))]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.body


#: What geo.safe_export offers (a scope using one of them neutralises its cells).
SAFE = {"safe_cell", "safe_frame", "safe_rows", "safe_dicts"}


def _uses_safe(nodes) -> bool:
    names = {n.id if isinstance(n, ast.Name) else n.attr for node in nodes for n in ast.walk(node)
             if isinstance(n, (ast.Name, ast.Attribute))}
    return bool(names & SAFE)


def _writer_sites():
    """(file, scope, line, whether that scope or a function it calls uses geo.safe_export)."""
    for package in ("geo", "partners", "services", "app"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            functions = {node.name: node for node in ast.walk(tree)
                         if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for name, body in _scopes(tree):
                calls = [c for n in body for c in ast.walk(n) if isinstance(c, ast.Call)]
                called = [functions[c.func.id] for c in calls if isinstance(c.func, ast.Name) and c.func.id in functions]
                safe = _uses_safe(body) or _uses_safe(called)
                for call in calls:
                    if isinstance(call.func, ast.Attribute) and call.func.attr in WRITERS:
                        yield str(path.relative_to(ROOT)), name, call.lineno, safe


def test_every_csv_and_xlsx_writer_neutralises_formulas():
    sites = list(_writer_sites())
    assert len(sites) > 15  # the scan sees the exports (partners, plans, routed lists, ARS, journal, CLI)
    unsafe = sorted({(f, fn, line) for f, fn, line, safe in sites if not safe and (f, fn) not in REVIEWED})
    assert not unsafe, f"CSV/XLSX written without geo.safe_export: {unsafe}"
    assert set(REVIEWED) <= {(f, fn) for f, fn, _, _ in sites}  # no stale exemption


def test_counts_file_neutralises_service_names(tmp_path):
    from geo.patients import write_counts

    counts = pd.DataFrame({"code_insee": ["69383", "01053"], "service": [HOSTILE[0], "Oncologie"],
                           "patients": [12, 3]})
    path = write_counts(counts, tmp_path / "effectifs.csv", comments=["test"])
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8").split("\n", 1)[1])))
    _no_formula(cell for row in rows for cell in row)
    assert rows[1][1] == "'" + HOSTILE[0] and rows[1][2] == "12"
