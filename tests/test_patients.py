"""Importing messy hospital exports, counts files and the no-identifier rule."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import openpyxl
import pandas as pd
import re

import pytest

from app.messages import render

from app.cli import main as cli
from geo.patients import (AMBIGUITY_RULE, PatientFileError, import_patients, read_counts,
                          write_counts)
from geo.paths import demo_dir

# Identifying values that must never leave the input file.
IDENTIFIERS = {
    "Nom": "Zorglubovitch",
    "Prénom": "Pénélopiane",
    "Date de naissance": "13/07/1931",
    "NIR": "2310769123456",
    "Adresse": "17, impasse des Quokkas",
    "Téléphone": "06 98 76 54 32",
    "Courriel": "quokka.zorglub@exemple.invalid",
}
IDENTIFYING_VALUES = list(IDENTIFIERS.values()) + ["Quokkas", "2 31 07 69 123 456"]

LOCATION_HEADER = ["Code INSEE", "Code postal", "Ville"]
EXTRA_HEADER = ["Service", "Date de demande"]

# (code INSEE, postal code, town) -> expected unit, method; or reject reason.
PLACED = [
    (("42218", "", ""), "42218", "code_insee"),
    (("69101", "", ""), "69114", "code_insee"),             # old delegated commune
    (("", "42000", "ST ETIENNE"), "42218", "postal_code+name"),
    (("", "1000", "Bourg-en-Bresse"), "01053", "postal_code+name"),  # lost leading zero
    (("", "69003", "LYON"), "69383", "postal_code+name"),   # Lyon -> arrondissement
    (("", "69640", "JARNIOUX"), "69114", "postal_code+name"),  # old commune name
    (("", "1400", "L'ABERGEMENT-CLEMENCIAT"), "01001", "postal_code+name"),
    (("", "73000", "CHAMBERY"), "73065", "postal_code+name"),  # accents lost
    (("", "26400", ""), "26108", "postal_code"),            # shared postal code: ambiguous
]
REJECTED = [
    (("75056", "", ""), "commune hors territoire"),
    (("69999", "", ""), "code INSEE inconnu"),
    (("ABC", "", ""), "code INSEE mal formé"),
    (("", "75013", "PARIS"), "commune hors territoire"),
    (("", "42999", ""), "code postal inconnu"),
    (("", "690", ""), "code postal mal formé"),
    (("", "", ""), "aucune localisation"),
    (("", "", "Atlantis"), "commune introuvable"),
]
EXPECTED_COUNTS = {"42218": 2, "69114": 2, "01053": 1, "69383": 1, "01001": 1, "73065": 1, "26108": 1}
SERVICES = ["Oncologie médicale", "Radiothérapie"]


def _records(location_header=LOCATION_HEADER):
    """Header and rows of a messy export; the rows carry identifying columns too."""
    header = list(IDENTIFIERS) + location_header + EXTRA_HEADER
    rows = []
    for i, (location, *_) in enumerate(PLACED + REJECTED):
        date = f"0{1 + i % 9}/03/{2024 + i % 2}"
        rows.append(list(IDENTIFIERS.values()) + list(location) + [SERVICES[i % 2], date])
    return header, rows


def _row_numbers(first_data_row, blank_after=None):
    """File row of each record, given the first data row and an optional blank line."""
    numbers, row = [], first_data_row
    for i in range(len(PLACED) + len(REJECTED)):
        numbers.append(row)
        row += 1 + (blank_after == i)
    return numbers


def write_csv(path: Path, header, rows, encoding="utf-8", delimiter=";", comments=(), blank_after=None):
    with open(path, "w", encoding=encoding, newline="") as handle:
        for line in comments:
            handle.write(f"# {line}\r\n")
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for i, row in enumerate(rows):
            writer.writerow(row)
            if i == blank_after:
                handle.write("\r\n")
    return path


def check_result(result, numbers):
    counts = dict(zip(result.counts["code_insee"], result.counts["patients"]))
    assert counts == EXPECTED_COUNTS
    assert result.counts["code_insee"].map(type).eq(str).all()
    s = result.summary
    assert s["rows_read"] == len(PLACED) + len(REJECTED)
    assert s["placed"] == len(PLACED) and s["rejected"] == len(REJECTED)
    assert s["placed"] + s["rejected"] == s["rows_read"]
    assert s["by_method"] == {"code_insee": 2, "postal_code+name": 6, "postal_code": 1}
    assert s["ambiguous"] == 1
    placements = result.placements.set_index("row")
    for (_, unit, method), number in zip(PLACED, numbers):
        assert placements.loc[number, "code_insee"] == unit
        assert placements.loc[number, "method"] == method
    rejects = result.rejects
    assert list(rejects.columns) == ["row", "reason"]  # never the cells: a shifted row can hold identifiers
    assert list(rejects["row"]) == numbers[len(PLACED):]
    for (_, reason), got in zip(REJECTED, rejects["reason"]):
        assert reason in got
    ambiguous = result.ambiguous.iloc[0]
    assert ambiguous["row"] == numbers[len(PLACED) - 1] and ambiguous["code_insee_retenu"] == "26108"
    assert len(ambiguous["candidats"].split()) > 10
    assert_no_identifiers(str(result.placements.to_dict()) + str(result.rejects.to_dict())
                          + str(result.ambiguous.to_dict()) + str(result.summary) + result.report())


def assert_no_identifiers(text: str):
    for value in IDENTIFYING_VALUES:
        assert value not in text


def assert_no_identifier_in_files(*directories):
    scanned = 0
    for directory in directories:
        for path in Path(directory).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                scanned += 1
                for value in IDENTIFYING_VALUES:
                    for encoding in ("utf-8", "cp1252", "utf-16-le"):
                        assert value.encode(encoding) not in data, f"{value!r} found in {path}"
    return scanned


# -- encodings, separators, formats -----------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_csv_encodings_and_separators(tmp_path, encoding, delimiter):
    header, rows = _records()
    path = write_csv(tmp_path / "export.csv", header, rows, encoding, delimiter,
                     comments=["Export DPI"], blank_after=3)
    result = import_patients(path)
    check_result(result, _row_numbers(3, blank_after=3))
    assert result.summary["encoding"] == encoding and result.summary["delimiter"] == delimiter
    assert result.summary["blank_rows"] == 1 and result.summary["header_row"] == 2


def test_utf16_excel_unicode_text(tmp_path):
    header, rows = _records()
    path = write_csv(tmp_path / "export.txt", header, rows, "utf-16", "\t")
    check_result(import_patients(path), _row_numbers(2))


def _write_xlsx(path: Path, header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Extraction du dossier patient informatisé"])  # a title line
    sheet.append([])
    sheet.append(header)
    for row in rows:
        row = list(row)
        # Spreadsheet types: numbers for codes (leading zeros lost), real dates.
        for index, value in enumerate(row):
            if header[index] in ("Code INSEE", "Code postal") and value.isdigit():
                row[index] = int(value)
            if header[index] == "Date de demande":
                day, month, year = map(int, value.split("/"))
                row[index] = dt.datetime(year, month, day)
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx(tmp_path):
    header, rows = _records()
    path = _write_xlsx(tmp_path / "export.xlsx", header, rows)
    result = import_patients(path)
    check_result(result, _row_numbers(4))
    assert result.summary["format"] == "xlsx" and result.summary["header_row"] == 3
    years = result.counts_by("annee")
    assert set(years["annee"]) == {2024, 2025}  # the referral date, never the birth date


def test_file_like_objects(tmp_path):
    header, rows = _records()
    xlsx = _write_xlsx(tmp_path / "export.xlsx", header, rows)
    check_result(import_patients(io.BytesIO(xlsx.read_bytes()), "upload.xlsx"), _row_numbers(4))

    class Upload(io.BytesIO):  # like streamlit's UploadedFile
        name = "export.csv"

    data = write_csv(tmp_path / "export.csv", header, rows, "cp1252", ";").read_bytes()
    check_result(import_patients(Upload(data)), _row_numbers(2))


@pytest.mark.parametrize("location_header", [
    ["code_insee", "code_postal", "ville"],
    ["COG", "CP", "Localité"],
    ["Code commune", "CODE POSTAL", "Libellé commune"],
    ["INSEE", "Code Postal", "COMMUNE"],
    ["Code Insee Résidence", "CP domicile", "Commune de résidence"],
])
def test_header_variants(tmp_path, location_header):
    header, rows = _records(location_header)
    # A birth place column must not be taken for the home commune.
    header = header + ["Commune de naissance", "CP naissance"]
    rows = [row + ["Annecy", "74000"] for row in rows]
    result = import_patients(write_csv(tmp_path / "export.csv", header, rows))
    check_result(result, _row_numbers(2))
    assert list(result.summary["columns"].values())[:3] == location_header


def test_service_and_year(tmp_path):
    header, rows = _records()
    result = import_patients(write_csv(tmp_path / "export.csv", header, rows))
    assert result.by_options == ["annee", "service"]
    by_service = result.counts_by("service")
    assert set(by_service["service"]) == set(SERVICES)
    assert by_service["patients"].sum() == len(PLACED)
    by_both = result.counts_by(["annee", "service"])
    assert by_both["patients"].sum() == len(PLACED)
    assert set(by_both["annee"]) == {2024, 2025}


def test_only_a_birth_date_gives_no_year(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["CP", "Ville", "Date de naissance"],
                     [["69003", "Lyon", "13/07/1931"]])
    result = import_patients(path)
    assert result.by_options == []
    with pytest.raises(ValueError) as info:
        result.counts_by("annee")
    assert info.value.code == "patients.no_such_grouping"


def test_lyon_without_arrondissement_is_ambiguous(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["Code INSEE", "CP", "Ville"],
                     [["69123", "", ""], ["69123", "69008", ""], ["", "69373", "LYON CEDEX 08"]])
    result = import_patients(path)
    assert dict(zip(result.counts["code_insee"], result.counts["patients"])) == {"69383": 2, "69388": 1}
    assert result.summary["ambiguous"] == 2
    assert AMBIGUITY_RULE in result.report()


def test_mixed_encodings_and_odd_spellings(tmp_path):
    path = tmp_path / "e.csv"
    lines = ["Ville;CP;Date", "Chambéry;73000;01/03/25", "69003 LYON;;2025-03-01", "Lyon (69008);;03/2024",
             "Saint-Égrève;38120;sans date"]
    data = b"\r\n".join(line.encode("utf-8" if i % 2 else "cp1252") for i, line in enumerate(lines))
    path.write_bytes(data)
    result = import_patients(path)
    assert result.summary["encoding"] == "utf-8+cp1252"
    assert result.summary["rejected"] == 0 and result.summary["year_unknown"] == 1
    assert list(result.placements["code_insee"]) == ["73065", "69383", "69388", "38382"]
    assert result.placements["annee"].fillna(0).tolist() == [2025, 2025, 2024, 0]


# -- bad files --------------------------------------------------------------------------------
@pytest.mark.parametrize("content, code", [
    (b"", "files.empty"),
    (b"\xef\xbb\xbf\r\n  \r\n", "files.empty"),
    ("Nom;Prénom;NIR\nZorglubovitch;Pénélopiane;2310769123456\n".encode(), "patients.no_location_column"),
    (b"CP;Ville\n69003;LYON \x81\x8d\x90\n", "patients.unknown_encoding"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "patients.xls_format"),
])
def test_bad_files(tmp_path, content, code):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(PatientFileError) as info:
        import_patients(path)
    assert info.value.code == code
    assert_no_identifiers(str(info.value) + render(info.value))


def test_bad_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PatientFileError) as info:
        import_patients(path)
    assert info.value.code == "files.not_xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(PatientFileError) as info:
        import_patients(path)
    assert info.value.code == "patients.empty_workbook"
    book = openpyxl.Workbook()
    book.active.append(["Nom", "Prénom"])
    book.active.append(["Zorglubovitch", "Pénélopiane"])
    book.save(path)
    with pytest.raises(PatientFileError) as info:
        import_patients(path)
    assert info.value.code == "patients.no_location_column"
    assert_no_identifiers(str(info.value) + render(info.value))


# -- counts files -----------------------------------------------------------------------------
def test_counts_round_trip(tmp_path):
    counts = pd.DataFrame({"code_insee": ["69383", "01001"], "patients": [3, 1]})
    path = write_counts(counts, tmp_path / "c.csv", comments=["DONNÉES FICTIVES"])
    assert path.read_text(encoding="utf-8").startswith("# DONNÉES FICTIVES\ncode_insee,patients\n")
    back = read_counts(path)
    assert back.to_dict("list") == {"code_insee": ["01001", "69383"], "patients": [1, 3]}
    assert back["patients"].dtype == "int64"


def test_read_counts_tolerates_lost_zeros_and_extra_columns(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("# comment\ncode_insee;annee;patients\n1001;2024;2\n01001;2025;3\n69383;2025;1\n",
                    encoding="utf-8-sig")
    assert read_counts(path).to_dict("list") == {"code_insee": ["01001", "69383"], "patients": [5, 1]}


@pytest.mark.parametrize("body, code, message", [
    ("code_insee,patients\n69123,4\n", "patients.counts_bad_lines", r"ligne 2 : code « 69123 ».*\(Lyon"),
    ("# c\ncode_insee,patients\n01001,1\n99999,2\nxyz,1\n", "patients.counts_bad_lines",
     r"2 ligne\(s\) invalide\(s\) : ligne 4 : code « 99999 ».*ligne 5 : code « xyz »"),
    ("code_insee,patients\n69101,4\n", "patients.counts_bad_lines", r"ligne 2 .*aujourd'hui 69114"),
    ("code_insee,patients\n01001,-1\n", "patients.counts_bad_lines", r"ligne 2 : effectif « -1 »"),
    ("code_insee,patients\n01001,1.5\n", "patients.counts_bad_lines", r"ligne 2 : effectif « 1.5 »"),
    ("code_insee,patients\n01001," + "9" * 400 + "\n", "patients.counts_bad_lines", r"ligne 2 : effectif"),
    ("code,nb\n01001,1\n", "patients.counts_missing_columns", r"code_insee, patients"),
    ("# only comments\n", "patients.counts_empty", "vide"),
])
def test_read_counts_errors(tmp_path, body, code, message):
    path = tmp_path / "c.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(PatientFileError) as info:
        read_counts(path)
    assert info.value.code == code
    assert re.search(message, render(info.value))


def test_demo_files():
    demo = demo_dir()
    counts = read_counts(demo / "patients_demo.csv")
    assert (demo / "patients_demo.csv").read_text(encoding="utf-8").startswith("# DONNÉES FICTIVES")
    assert counts["patients"].sum() == 1350
    assert counts["code_insee"].str[:2].nunique() == 12  # every department
    result = import_patients(demo / "export_hopital_demo.csv")
    s = result.summary
    assert s["rows_read"] == s["placed"] + s["rejected"] and s["rejected"] == 18
    assert set(result.counts_by("annee")["annee"]) == {2024, 2025}
    assert (demo / "export_hopital_demo.csv").read_text(encoding="utf-8-sig").startswith("# DONNÉES FICTIVES")


# -- CLI and the no-identifier rule ----------------------------------------------------------
def test_cli_import_writes_no_identifier(tmp_path, capsys):
    source = tmp_path / "in"
    out = tmp_path / "out"
    source.mkdir()
    out.mkdir()
    header, rows = _records()
    export = write_csv(source / "export.csv", header, rows, "cp1252", ";")
    xlsx = _write_xlsx(source / "export.xlsx", header, rows)

    assert cli(["patients", "import", str(export), "--out", str(out / "counts.csv"),
                "--rejects", str(out / "rejects.csv"), "--ambiguous", str(out / "ambiguous.csv")]) == 0
    assert cli(["patients", "import", str(xlsx), "--out", str(out / "by_service.csv"), "--by", "service",
                "--by", "annee", "--json"]) == 0
    assert cli(["patients", "check", str(out / "counts.csv")]) == 0
    captured = capsys.readouterr()
    assert "Placées : 9 dont ambiguës : 1 ; rejetées : 8" in captured.out

    assert read_counts(out / "counts.csv").set_index("code_insee")["patients"].to_dict() == EXPECTED_COUNTS
    by_service = pd.read_csv(out / "by_service.csv", comment="#", dtype={"code_insee": str})
    assert list(by_service.columns) == ["code_insee", "service", "annee", "patients"]  # --by order
    rejects = pd.read_csv(out / "rejects.csv", dtype=str, encoding="utf-8-sig")
    assert list(rejects.columns) == ["row", "reason"]  # never the cells: a shifted row can hold identifiers
    assert len(rejects) == len(REJECTED)
    assert (out / "by_service_rejets.csv").exists()  # rejects are never dropped silently

    assert_no_identifiers(captured.out + captured.err)
    cache = Path(os.environ["SECTEURS_CACHE"])
    database_dir = Path(os.environ["SECTEURS_DB"]).parent
    assert assert_no_identifier_in_files(out, cache, database_dir) >= 5
    # The input files do hold them: the scan would have seen them.
    assert b"Zorglubovitch" in export.read_bytes()


def test_cli_bad_file(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("Nom;Prénom\nZorglubovitch;Pénélopiane\n", encoding="utf-8")
    assert cli(["patients", "import", str(path), "--out", str(tmp_path / "c.csv")]) == 2
    captured = capsys.readouterr()
    assert "aucune colonne de localisation" in captured.err
    assert_no_identifiers(captured.out + captured.err)
    assert not (tmp_path / "c.csv").exists()


def test_large_file_progress(tmp_path, capsys):
    header, rows = _records()
    path = write_csv(tmp_path / "big.csv", header, rows * 1500)  # 25,500 lines
    seen = []
    result = import_patients(path, progress=seen.append)
    assert seen == [10_000, 20_000, 25_500]
    assert result.summary["placed"] == 9 * 1500 and result.summary["rejected"] == 8 * 1500
    assert cli(["patients", "import", str(path), "--out", str(tmp_path / "c.csv")]) == 0
    assert "20 000 lignes traitées" in capsys.readouterr().err
