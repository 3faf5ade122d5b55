"""The ARS report: every export masked (no 1-10 anywhere), secondary suppression on totals, the PDF read back."""
from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest

from services.coverage import PRIMARY_SYMBOL, SECONDARY_SYMBOL, TOTAL_LABEL

TABLES = ("departements", "secteurs", "departements_secteurs", "zones_blanches", "zones_blanches_departements",
          "zones_blanches_communes", "communes")


@pytest.fixture(scope="module")
def ars_out(report_files, tmp_path_factory):
    """``secteurs report ars`` run once; the folder it wrote."""
    from app.cli import main

    out = tmp_path_factory.mktemp("ars")
    code = main(["report", "ars", "--plan", str(report_files["plan"]), "--patients", str(report_files["patients"]),
                 "--out", str(out), "--db", str(report_files["db"])])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def csv_tables(ars_out):
    return {name: pd.read_csv(ars_out / f"ars_couverture_{name}.csv", sep=";", dtype=str, encoding="utf-8-sig",
                              keep_default_na=False)
            for name in TABLES}


def _small(value) -> bool:
    text = str(value).replace("\u202f", "").replace(" ", "").strip()
    return bool(re.fullmatch(r"\d+(\.0)?", text)) and 1 <= float(text) <= 10


def _count_columns(columns):
    return [c for c in columns if "patient" in str(c).lower()]


def test_cli_writes_pdf_xlsx_and_one_csv_per_table(ars_out):
    names = sorted(p.name for p in ars_out.iterdir())
    assert names == sorted(["ars_couverture.pdf", "ars_couverture.xlsx",
                            *[f"ars_couverture_{t}.csv" for t in TABLES]])


def test_no_cell_of_1_to_10_in_any_csv(csv_tables):
    for name, table in csv_tables.items():
        columns = _count_columns(table.columns)
        if name != "zones_blanches_departements":
            assert columns, name
        for column in columns:
            bad = [v for v in table[column] if _small(v)]
            assert not bad, (name, column, bad[:5])
    assert PRIMARY_SYMBOL in set(csv_tables["communes"]["Patients"])
    assert SECONDARY_SYMBOL in set(csv_tables["departements"]["Patients"])
    # the department with 10 demo patients is masked, the region total is shown
    deps = csv_tables["departements"].set_index("Département")["Patients"]
    assert deps["15"] == PRIMARY_SYMBOL and deps[TOTAL_LABEL] == "1350"


def test_no_cell_of_1_to_10_in_any_xlsx_sheet(ars_out):
    book = openpyxl.load_workbook(ars_out / "ars_couverture.xlsx", read_only=True)
    assert set(TABLES) <= set(book.sheetnames) and "lisez-moi" in book.sheetnames
    for name in TABLES:
        rows = list(book[name].iter_rows(values_only=True))
        header, body = rows[0], rows[1:]
        for i in [i for i, h in enumerate(header) if "patient" in str(h).lower()]:
            bad = [row[i] for row in body if _small(row[i])]
            assert not bad, (name, header[i], bad[:5])
    readme = "\n".join(str(r[0]) for r in book["lisez-moi"].iter_rows(values_only=True) if r[0])
    assert "E2SFCA" in readme and "< 11" in readme and "FICTIVES" in readme


def _line_ok(cells: list[str], total: str) -> bool:
    """A published line (members and their total): a "< 11" cell is never its only hidden cell."""
    hidden = [c for c in [*cells, total] if c in (PRIMARY_SYMBOL, SECONDARY_SYMBOL)]
    return not (len(hidden) == 1 and hidden[0] == PRIMARY_SYMBOL)


def test_secondary_suppression_holds_on_department_and_sector_totals(csv_tables):
    deps = csv_tables["departements"].set_index("Département")["Patients"]
    secs = csv_tables["secteurs"].set_index("Secteur")["Patients"]
    cross = csv_tables["departements_secteurs"]
    units = csv_tables["communes"]
    region = deps[TOTAL_LABEL]
    assert _line_ok(deps.drop(TOTAL_LABEL).tolist(), region)
    assert _line_ok(secs.drop(TOTAL_LABEL).tolist(), region)
    for dep, part in units.groupby("Département"):
        assert _line_ok(part["Patients"].tolist(), deps[dep]), dep
        row = cross[(cross["Département"] == dep) & (cross["Secteur"] != TOTAL_LABEL)]
        assert _line_ok(row["Patients"].tolist(), deps[dep]), dep
    for sec, part in units.groupby("Secteur"):
        assert _line_ok(part["Patients"].tolist(), secs[sec]), sec
        column = cross[(cross["Secteur"] == sec) & (cross["Département"] != TOTAL_LABEL)]
        assert _line_ok(column["Patients"].tolist(), secs[sec]), sec
    # a masked department cannot be recovered by subtracting the others from the region total
    shown = [int(v) for v in deps.drop(TOTAL_LABEL) if v.isdigit()]
    hidden = deps.drop(TOTAL_LABEL)[~deps.drop(TOTAL_LABEL).str.isdigit()]
    assert len(hidden) >= 2 and int(region) - sum(shown) > 10


def test_check_export_refuses_small_counts():
    from services.reports import DisclosureError, check_export

    with pytest.raises(DisclosureError, match=r"^t: column 'Patients', row 1: count '3' would be published"):
        check_export({"t": pd.DataFrame({"Patients": ["< 11", "3", "s"]})})
    check_export({"t": pd.DataFrame({"Patients": ["< 11", "0", "s", "11"], "Population": [3, 4, 5, 6]})})


def test_pdf_has_every_section_maps_and_masked_figures(ars_out, csv_tables):
    from pypdf import PdfReader

    from services.reports._ars_pdf import SECTIONS

    reader = PdfReader(ars_out / "ars_couverture.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    for section in SECTIONS:
        assert section in flat, section
    assert "rapport pour l'ARS" in flat and "DONNÉES DE DÉMONSTRATION FICTIVES" in flat
    assert re.search(r"Date : \d\d/\d\d/\d{4}", flat)
    assert "0 à 10 km : poids 1" in flat and "20 à 40 km : poids 0,68" in flat      # PSY and ERC bands
    assert "Patients suivis : 1 350" in flat
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 12            # patients, CPTS, HAD, white zones, 2 accessibility, 7 distances
    # the department table: Cantal's 10 patients are "< 11", every masked department is masked in the PDF too
    deps = csv_tables["departements"].set_index("Département")
    table = text[text.index(SECTIONS[2]):text.index(SECTIONS[3])]
    lines = [line for line in table.splitlines() if re.match(r"^\d\d ", line)]
    assert len(lines) == len(deps) - 1
    for code, row in deps.drop(TOTAL_LABEL).iterrows():
        line = next(line for line in lines if line.startswith(f"{code} "))
        assert f" {row['Patients']} " in line, (code, line)
    # the department x sector grid: no cell of 1 to 10 (a "< 11" reads as the tokens "<" and "11")
    grid = text[text.index(SECTIONS[4]):text.index(SECTIONS[5])]
    rows = [line.split() for line in grid.splitlines() if re.match(r"^\d\d ", line)]
    assert len(rows) >= len(deps) - 1        # a grid, or the long form when there are many sectors
    for tokens in rows:
        assert not [t for t in tokens[1:] if t.isdigit() and 1 <= int(t) <= 10], tokens
    for line in text.splitlines():
        if line.startswith(("hors zone", "PSY à plus", "ERC à plus", "au moins un")):
            assert not re.search(r" (10|[1-9])$", line.strip()), line


@pytest.mark.parametrize("argument, message", [
    (["--max-km", "PSY=loin"], "--max-km: expected TYPE=KM such as PSY=30, got 'PSY=loin'"),
    (["--max-km", "ERC=-5"], "--max-km: expected TYPE=KM with a positive distance, got 'ERC=-5'"),
])
def test_cli_input_errors(report_files, tmp_path, capsys, argument, message):
    from app.cli import main

    code = main(["report", "ars", "--plan", str(report_files["plan"]), "--patients", str(report_files["patients"]),
                 "--out", str(tmp_path / "out"), "--db", str(report_files["db"]), *argument])
    assert code == 2 and not (tmp_path / "out").exists()
    assert message in capsys.readouterr().err


def test_cli_missing_patients_file(report_files, tmp_path, capsys):
    from app.cli import main

    code = main(["report", "ars", "--plan", str(report_files["plan"]), "--patients", str(tmp_path / "none.csv"),
                 "--out", str(tmp_path / "out"), "--db", str(report_files["db"])])
    assert code == 2 and "none.csv: no such file" in capsys.readouterr().err
