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
    # communes in classes only (zeros with the 1-10), aggregates with "< 11" and "s"
    assert set(csv_tables["communes"]["Patients (classe)"]) <= {"0 à 10", "11 à 20", "21 à 50", "51 à 100",
                                                                "plus de 100", SECONDARY_SYMBOL}
    assert PRIMARY_SYMBOL in set(csv_tables["departements_secteurs"]["Patients"])
    assert SECONDARY_SYMBOL in set(csv_tables["departements_secteurs"]["Patients"])
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


def _published_from_csv(csv_tables) -> list[pd.DataFrame]:
    """What a reader rebuilds from the CSV files alone: each published cell and the communes it adds up."""
    communes = csv_tables["communes"]
    rows = [("unit", code, text, (code,)) for code, text in zip(communes["Code INSEE"],
                                                                  communes["Patients (classe)"])]
    by_dep = communes.groupby("Département")["Code INSEE"].apply(tuple)
    by_sec = communes.groupby("Secteur")["Code INSEE"].apply(tuple)
    by_cross = communes.groupby(["Département", "Secteur"])["Code INSEE"].apply(tuple)
    everyone = tuple(communes["Code INSEE"])
    for dep, text in zip(csv_tables["departements"]["Département"], csv_tables["departements"]["Patients"]):
        rows.append(("departement", dep, text, everyone if dep == TOTAL_LABEL else by_dep[dep]))
    for sec, text in zip(csv_tables["secteurs"]["Secteur"], csv_tables["secteurs"]["Patients"]):
        rows.append(("secteur", sec, text, everyone if sec == TOTAL_LABEL else by_sec[sec]))
    cross = csv_tables["departements_secteurs"]
    for dep, sec, text in zip(cross["Département"], cross["Secteur"], cross["Patients"]):
        if TOTAL_LABEL not in (dep, sec):
            rows.append(("cross", (dep, sec), text, by_cross[(dep, sec)]))
    white = csv_tables["zones_blanches_communes"]
    for criterion, text in zip(csv_tables["zones_blanches"]["Critère"], csv_tables["zones_blanches"]["Patients"]):
        inside = white if criterion == "au moins un critère" else white[white["Motifs"].str.contains(criterion,
                                                                                                   regex=False)]
        if len(inside):
            rows.append(("white", criterion, text, tuple(inside["Code INSEE"])))
    return [pd.DataFrame(rows, columns=["level", "key", "display", "units"])]


def test_nothing_masked_can_be_recovered_from_the_csv_files(csv_tables, report_files):
    """An attacker reading the CSVs (tests/services/coverage/attacker.py) pins no masked count down."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "coverage"))
    from attacker import Attacker
    from geo.patients import read_counts

    published = _published_from_csv(csv_tables)
    truth = read_counts(report_files["patients"]).set_index("code_insee")["patients"].to_dict()
    frame = published[0]
    attacker = Attacker(published, csv_tables["communes"]["Code INSEE"])
    assert attacker.recovered([frame[frame["level"] != "unit"]], truth) == []
    # the region, and all but a couple of department totals, are published
    deps = csv_tables["departements"].set_index("Département")["Patients"]
    assert deps[TOTAL_LABEL] == "1350" and (deps != SECONDARY_SYMBOL).sum() >= 11


def test_a_second_report_on_the_same_counts_is_audited_with_the_first(ars_out, report_files, tmp_path, capsys):
    """Another plan, same counts, same database: the register holds both and the second names the first."""
    from app.cli import main
    from geo.database import connect
    from services.coverage.releases import list_releases

    plan = pd.read_csv(report_files["plan"], dtype=str)
    plan["sector"] = plan["sector"].str[:4]                      # coarser squares: another plan
    other = tmp_path / "plan_bis.csv"
    plan.to_csv(other, index=False)
    code = main(["report", "ars", "--plan", str(other), "--patients", str(report_files["patients"]),
                 "--out", str(tmp_path / "bis"), "--db", str(report_files["db"])])
    assert code == 0
    err = capsys.readouterr().err
    assert re.search(r"contrôlé avec [1-9]\d* diffusion\(s\) antérieure", err)
    assert re.search(r"cellules : \d+ publiées, \d+ masquées \(< 11\), \d+ supprimées \(s\)", err)
    releases = list_releases(connect(report_files["db"]))
    assert len(releases) >= 2 and releases["counts_fingerprint"].nunique() == 1
    assert releases["label"].iloc[-1] == "plan_bis.csv"


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
    (["--max-km", "PSY=loin"], "--max-km « PSY=loin » : attendu TYPE=KM"),
    (["--max-km", "ERC=-5"], "--max-km « ERC=-5 » : attendu TYPE=KM avec une distance positive"),
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
    assert code == 2 and "none.csv : fichier introuvable" in capsys.readouterr().err
