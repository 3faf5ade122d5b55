"""Bounded reading and safe writing (geo.reading), and the CLI's answers to broken outputs and databases."""
from __future__ import annotations

import os
import sqlite3
import stat
import zipfile

import openpyxl
import pytest

from app.cli import main as cli
from app.messages import render
from geo.reading import (FileReadError, atomic_write, capped_lines, check_workbook, csv_rows, read_bytes,
                         write_bytes)

DEMO_EXPORT = "data/demo/export_hopital_demo.csv"


def test_read_bytes_limits_and_names(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2000)
    assert read_bytes(path, limit=2000)[0] == b"x" * 2000
    with pytest.raises(FileReadError) as info:
        read_bytes(path, limit=1999)
    assert info.value.code == "files.too_large" and "big.csv" in render(info.value)
    with pytest.raises(FileReadError) as info:
        read_bytes(tmp_path)
    assert info.value.code == "files.is_directory"
    with pytest.raises(FileReadError) as info:
        read_bytes(tmp_path / "absent.csv")
    assert info.value.code == "files.missing"
    assert str(tmp_path) not in render(info.value)  # the base name only


def test_zip_bomb_is_refused_before_opening(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 << 20))
    data = bomb.read_bytes()
    assert len(data) < 200_000
    with pytest.raises(FileReadError) as info:
        check_workbook(data, "bomb.xlsx")
    assert info.value.code == "files.xlsx_too_large"
    real = tmp_path / "real.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Code INSEE", "Ville"])
    book.save(real)
    check_workbook(real.read_bytes(), "real.xlsx")  # a real workbook passes


def test_capped_lines_name_the_long_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("a|b\n" + "c" * 5000 + "\nd|e\n", encoding="utf-8")
    with open(path, encoding="utf-8") as handle:
        lines = capped_lines(handle, "t.txt", max_chars=1000)
        assert next(lines) == "a|b\n"
        with pytest.raises(FileReadError) as info:
            next(lines)
    assert info.value.code == "files.line_too_long" and info.value.params["row"] == 2


def test_csv_rows_number_records_and_refuse_huge_fields():
    lines = ['a;b\n', '"multi\n', 'line";x\n', 'c;d\n']
    assert [n for n, _ in csv_rows(lines, "f.csv", delimiter=";")] == [1, 2, 4]
    with pytest.raises(FileReadError) as info:
        list(csv_rows(['a;b\n', '"' + "x" * (2 << 20) + '";y\n'], "f.csv", delimiter=";"))
    assert info.value.code == "files.line_too_long" and info.value.params["row"] == 2


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "out.csv"
    path.write_bytes(b"old content")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as handle:
            handle.write(b"half of the new")
            raise RuntimeError("disk full, say")
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left
    write_bytes(path, b"new")
    assert path.read_bytes() == b"new"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_atomic_write_in_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(FileReadError) as info:
            write_bytes(folder / "x.csv", b"x")
        assert info.value.code == "files.cannot_write"
    finally:
        folder.chmod(stat.S_IRWXU)


def test_full_disk_gives_a_french_error_and_no_empty_file(tmp_path, capsys):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    # /dev/full is the kernel's full disk: every write fails with ENOSPC.
    with pytest.raises(FileReadError) as info:
        with atomic_write(tmp_path / "out.csv") as handle:
            handle.write(b"x")
            with open("/dev/full", "wb") as full:
                full.write(b"x" * 10)
                full.flush()
    assert info.value.code == "files.cannot_write" and "disque plein" in render(info.value)
    assert not (tmp_path / "out.csv").exists()


def test_control_characters_in_a_referral_list_go_to_xlsx(tmp_path, capsys):
    plan = tmp_path / "plan.csv"
    from geo.territory import load_units

    plan.write_text("code_insee,sector\n" + "".join(f"{c},A\n" for c in sorted(load_units()["code_insee"])),
                    encoding="utf-8")
    referrals = tmp_path / "liste.csv"
    referrals.write_text("Ville;CP;Note\nLyon 3e;69003;appel\x01\x07 du\x1bjour\n", encoding="utf-8")
    out = tmp_path / "routed.xlsx"
    assert cli(["route", str(referrals), "--plan", str(plan), "--out", str(out),
                "--db", str(tmp_path / "d.sqlite")]) == 0
    sheet = openpyxl.load_workbook(out).active
    values = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert "appel\ufffd\ufffd du\ufffdjour" in values


def test_shifted_patient_row_puts_no_identifier_in_rejects(tmp_path, capsys):
    export = tmp_path / "export.csv"
    # An unquoted ';' in the name shifts the row: the phone number lands in the postal code column.
    export.write_text("Nom;CP;Ville\nDURAND; Zorglub;0478123456;Pénélopeville\n", encoding="utf-8")
    rejects = tmp_path / "rejets.csv"
    code = cli(["patients", "import", str(export), "--out", str(tmp_path / "c.csv"), "--rejects", str(rejects)])
    assert code == 0
    text = rejects.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "row,reason"
    for identifier in ("Zorglub", "0478123456", "Pénélopeville", "DURAND"):
        assert identifier not in text


def test_corrupt_and_read_only_databases(tmp_path, capsys):
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database" * 100)
    assert cli(["team", "show", "--db", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert "abîmée" in err and "Traceback" not in err

    good = tmp_path / "good.sqlite"
    workers = tmp_path / "workers.csv"
    workers.write_text("nom,etp,groupe\nA,1,G1\n", encoding="utf-8")
    assert cli(["team", "set", str(workers), "--db", str(good)]) == 0
    connection = sqlite3.connect(good)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    before = good.read_bytes()
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only files")
    good.chmod(stat.S_IRUSR)
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code = cli(["team", "set", str(workers), "--db", str(good)])
    finally:
        tmp_path.chmod(stat.S_IRWXU)
        good.chmod(stat.S_IRUSR | stat.S_IWUSR)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "erreur :" in err
    assert good.read_bytes() == before


def test_partners_import_fails_when_every_row_is_rejected(tmp_path, capsys):
    path = tmp_path / "partenaires.csv"
    path.write_text("type;nom;code_insee\nXYZ;;99999\nXYZ;;abc\n", encoding="utf-8")
    code = cli(["partners", "import", str(path), "--format", "csv", "--author", "t",
                "--db", str(tmp_path / "d.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and "aucune ligne importée" in err


def test_read_only_database_error_is_named(tmp_path):
    from geo.database import database_error

    path = tmp_path / "d.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # what a read-only file gives, even as root
    with pytest.raises(sqlite3.OperationalError) as info:
        read_only.execute("INSERT INTO t VALUES (1)")
    error = database_error(info.value, path)
    assert error.code == "database.read_only"
    assert "lecture seule" in render(error) and str(tmp_path) not in render(error)
