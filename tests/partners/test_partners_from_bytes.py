"""Partner readers take a path or bytes with the file's name (an upload): the same result either way.

Real-format files of ``data/`` (FINESS 2019 in Windows-1252 and 2024 in UTF-8, an Annuaire Santé
extract, a zone table, a filled template, the template as XLSX), read from disk and from memory.
"""
from __future__ import annotations

import io

import pytest
from partner_files import FINESS_2019, FINESS_2024, IMPORT_CASES, RPPS_2024, TEMPLATE, ZONES

from partners.io import as_source, read_partners, template_bytes

FILES = {"finess-2019": (FINESS_2019, "finess"), "finess-2024": (FINESS_2024, "finess"),
         "rpps": (RPPS_2024, "rpps"), "zones": (ZONES, "zones"), "csv": (TEMPLATE, "csv")}


class Upload:
    """What Streamlit's file uploader hands a page: ``name`` and ``getvalue()`` (a real BytesIO)."""

    def __init__(self, name: str, data: bytes):
        self.name, self._buffer = name, io.BytesIO(data)

    def getvalue(self) -> bytes:
        return self._buffer.getvalue()


def _facts(result) -> dict:
    return {"records": [(r.row, r.partner) for r in result.records], "zones": result.zones,
            "rejects": [(row, issue.code, issue.params) for row, issue in result.rejects],
            "skipped": result.skipped, "encoding": result.encoding, "source_date": result.source_date}


def _xlsx_of(csv_path) -> bytes:
    """The rows of a ``;`` CSV saved as an XLSX workbook (what a person does in Excel)."""
    from openpyxl import Workbook

    workbook = Workbook()
    for line in csv_path.read_text(encoding="utf-8-sig").splitlines():
        workbook.active.append(line.split(";"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("case", sorted(FILES))
def test_bytes_and_upload_read_like_the_path(case):
    path, fmt = FILES[case]
    from_path = _facts(read_partners(path, fmt))
    assert from_path["records"] or from_path["zones"]
    assert _facts(read_partners(path.read_bytes(), fmt, filename=path.name)) == from_path
    assert _facts(read_partners(Upload(path.name, path.read_bytes()), fmt)) == from_path


def test_the_file_name_still_gives_the_source_and_the_date():
    read = read_partners(RPPS_2024.read_bytes(), "rpps", filename=RPPS_2024.name)
    assert read.source_date == "2024-03-11"
    template = read_partners(TEMPLATE.read_bytes(), "csv", filename="mes_partenaires.csv")
    assert {r.partner.source for r in template.records} >= {"mes_partenaires.csv"}


def test_an_xlsx_upload_reads_like_the_xlsx_file(tmp_path):
    data = _xlsx_of(TEMPLATE)
    path = tmp_path / "partenaires_manuels.xlsx"
    path.write_bytes(data)
    from_path = _facts(read_partners(path, "csv"))
    assert len(from_path["records"]) == len(read_partners(TEMPLATE, "csv").records) > 0
    assert _facts(read_partners(data, "csv", filename=path.name)) == from_path


@pytest.mark.parametrize("fmt", sorted(IMPORT_CASES))
def test_import_from_bytes_gives_the_report_of_the_path(tmp_path, places, fmt):
    from geo.database import connect
    import partners.store  # noqa: F401  (registers the schema)
    from partners.importer import import_partners

    path = IMPORT_CASES[fmt][0]
    reports = []
    for name, source, options in (("path", path, {}), ("bytes", path.read_bytes(), {"filename": path.name})):
        conn = connect(tmp_path / f"{name}.sqlite")
        report = import_partners(conn, source, fmt, places=places, author="test", **options)
        reports.append((report.counts(), [(r.row, r.action, r.key, r.code) for r in report.rows],
                        [(r.row, r.code) for r in report.rejects]))
        conn.close()
    assert reports[0] == reports[1]
    assert reports[0][0] == {**reports[0][0], **IMPORT_CASES[fmt][1]}


def test_network_list_from_bytes(places):
    from partners.network import read_network

    listing = ("rpps;nom;prenom;commune;code_postal\n10001045367;;;;\n;DURAND;Jean-Paul;Grenoble;38000\n"
               "12345;;;;\n").encode("utf-8")
    network = read_network(listing, places=places, filename="reseau.csv")
    assert [m.row for m in network.members] == [2, 3] and [r for r, _ in network.rejects] == [4]
    assert network.path == "reseau.csv"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_template_bytes_read_back_as_an_empty_list(suffix):
    data = template_bytes(suffix)
    read = read_partners(data, "csv", filename=f"modele{suffix}")
    assert read.records == [] and read.rejects == []  # the CSV's example line is a comment


def test_inputs_are_checked_before_reading(tmp_path):
    from geo.errors import SecteursError
    from geo.reading import FileReadError

    with pytest.raises(TypeError, match="filename"):
        read_partners(b"type;nom\n", "csv")  # bytes need their name
    with pytest.raises(TypeError, match="int"):
        as_source(12)
    with pytest.raises(FileReadError) as missing:
        read_partners(tmp_path / "absent.csv", "csv")
    assert missing.value.code == "files.missing"
    with pytest.raises(SecteursError) as unknown:  # the format is checked before the file
        read_partners(tmp_path / "absent.csv", "shapefile")
    assert unknown.value.code == "partners.unknown_format"
    with pytest.raises(FileReadError) as binary:
        read_partners(b"\0\1\2PNG", "finess", filename="photo.csv")
    assert binary.value.code == "files.not_text"
