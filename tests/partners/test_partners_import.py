"""Importers on real-format files: counts, reject reports, idempotence, newer files, zones."""
from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from partner_files import FINESS_2019, FINESS_2024, RPPS_2024, TEMPLATE, ZONES

from partners.importer import import_partners
from partners.io import read_partners, write_template
from partners.io.finess import insee_code, parse_coordinate_source
from partners.store import find_partner, list_partners, partner_history


def counts(report):
    return {k: getattr(report, k) for k in ("created", "updated", "unchanged", "rejected")}


def test_each_importer_counts_rejects_and_is_idempotent(import_case, conn, places, tmp_path):
    fmt, path, expected, reasons = import_case
    report_path = tmp_path / "rejects.csv"
    first = import_partners(conn, path, fmt, author="test", places=places, report=report_path)
    assert counts(first) == expected
    with report_path.open(encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter=";") if r["level"] == "error"]
    assert {int(r["row"]) for r in rows} == set(reasons)
    for row in rows:
        assert reasons[int(row["row"])] in row["reason"]
    history_size = len(partner_history(conn))
    second = import_partners(conn, path, fmt, author="test", places=places)
    assert (second.created, second.updated, second.unchanged) == (0, 0, expected["created"])
    assert len(partner_history(conn)) == history_size


def test_finess_both_encodings_spellings_and_newer_file(conn, places):
    old = read_partners(FINESS_2019, "finess")
    new = read_partners(FINESS_2024, "finess")
    assert (old.encoding, new.encoding) == ("cp1252", "utf-8")
    by_finess = {r.partner.finess: r.partner for r in new.records}
    assert by_finess["690001128"].name == "HAD SOINS ET SANTÉ RHÔNE (TEST)"  # accents survive both encodings
    assert old.records[0].partner.name == by_finess["690001128"].name
    assert by_finess["630001154"].precision == "commune" and by_finess["690001128"].precision == "address"
    old_by_finess = {r.partner.finess: r.partner for r in reversed(old.records)}
    for finess in ("690001128", "690001177", "630001154", "2A0001202"):
        a, b = old_by_finess[finess], by_finess[finess]
        assert (a.lon, a.lat, a.precision) == (b.lon, b.lat, b.precision)

    import_partners(conn, FINESS_2019, "finess", author="a", places=places, outside="flag")
    newer = import_partners(conn, FINESS_2024, "finess", author="b", places=places, outside="flag")
    assert counts(newer) == dict(created=1, updated=1, unchanged=5, rejected=0)
    had = find_partner(conn, "FINESS:690001128")
    assert had.phone == "04 72 99 88 77" and had.source_date == "2024-02-20"
    older = import_partners(conn, FINESS_2019, "finess", author="c", places=places, outside="flag")
    assert older.updated == 0 and find_partner(conn, "FINESS:690001128").phone == "04 72 99 88 77"
    assert any(r.code == "partners.older_record" for r in older.rejects)


def test_finess_categories_and_outside_territory(conn, places):
    report = import_partners(conn, FINESS_2019, "finess", author="a", places=places, categories="127,604,606,354,355",
                             include_far=["FINESS:750001166", "FINESS:2A0001202"])
    assert report.created == 7 and "other_category" not in report.skipped and report.set_aside == 0
    frame = list_partners(conn).set_index("finess")
    assert frame.loc["690001185", "type"] == "AUTRE"
    assert frame.loc["750001166", "outside_territory"] and frame.loc["2A0001202", "outside_territory"]
    assert frame.loc["2A0001202", "code_insee"] == "2A004"
    assert not frame.loc["690001128", "outside_territory"]
    assert report.outside_territory == 2 and report.neighbours == 0
    assert not frame.loc["750001166", "neighbour"] and frame.loc["750001166", "border_km"] > 200


def test_far_partners_are_set_aside_unless_ticked(conn, places):
    report = import_partners(conn, FINESS_2019, "finess", author="a", places=places)
    assert report.set_aside == 2 and sorted(report.far_keys) == ["FINESS:2A0001202", "FINESS:750001166"]
    aside = report.frame().query("action == 'set_aside'")
    assert set(aside["key"]) == set(report.far_keys) and set(aside["flags"]) == {"far"}
    assert set(aside["code"]) == {"partners.import.far"} and (aside["border_km"] > 60).all()
    assert "750001166" not in set(list_partners(conn)["finess"])
    again = import_partners(conn, FINESS_2019, "finess", author="a", places=places, include_far=["FINESS:750001166"])
    assert again.created == 1 and again.set_aside == 1
    assert find_partner(conn, "FINESS:750001166").outside_territory


def test_finess_outside_territory_can_be_skipped(conn, places):
    report = import_partners(conn, FINESS_2024, "finess", author="a", places=places, outside="skip")
    assert report.skipped["outside_territory"] == 2 and report.created == 5
    assert "skipped (outside_territory) 2" in report.summary()


def test_coordinate_source_spellings():
    assert parse_coordinate_source("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93") == ("address", "EPSG:2154")
    assert parse_coordinate_source("1|atlasante|100|ign|bd_adresse|v3.0|LAMBERT-93") == ("address", "EPSG:2154")
    assert parse_coordinate_source("3 ATLASANTE 40 INSEE CHEF-LIEU 2024 EPSG:2154") == ("commune", "EPSG:2154")
    assert parse_coordinate_source("2,ATLASANTE,80,IGN,BD_ADRESSE,V2.2,Lambert 93") == ("address", "EPSG:2154")
    assert parse_coordinate_source("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_S40") == ("address", "EPSG:2975")
    assert parse_coordinate_source("") == ("address", None)


def test_insee_codes_from_finess():
    assert insee_code("01", "451") == "01451"
    assert insee_code("1", "53") == "01053"
    assert insee_code("2A", "004") == "2A004"
    assert insee_code("9A", "101") == "97101"
    assert insee_code("9D", "411") == "97411"


def test_rpps_identifiers_and_positions(conn, places):
    import_partners(conn, RPPS_2024, "rpps", author="a", places=places)
    frame = list_partners(conn, type="PSY")
    assert set(frame["rpps"]) == {"10000000017", "10000000033", ""}
    assert set(frame["adeli"]) == {"389312345", ""}
    assert (frame["precision"] == "commune").all()
    by_key = frame.set_index("key")
    assert by_key.loc["RPPS:10000000033:69008", "code_insee"] == "69388"   # no INSEE code: postal code + name
    assert by_key.loc["RPPS:10000000017:42218", "code_insee"] == "42218"   # same person, second practice


def test_rpps_outside_territory_skipped_by_default(conn, places):
    report = import_partners(conn, RPPS_2024, "rpps", author="a", places=places)
    assert report.skipped == {"other_profession": 1, "outside_territory": 1}
    flagged = import_partners(conn, RPPS_2024, "rpps", author="a", places=places, outside="flag")
    assert flagged.created == 1 and flagged.outside_territory == 1
    paris = list_partners(conn).set_index("adeli").loc["759300015"]
    assert paris["outside_territory"] and paris["code_insee"] == "75115"


def test_zones_set_the_communes_covered(conn, places):
    import_partners(conn, FINESS_2019, "finess", author="a", places=places)
    report = import_partners(conn, ZONES, "zones", author="a", places=places)
    assert counts(report) == dict(created=0, updated=2, unchanged=0, rejected=2)
    reasons = {r.row: r.reason for r in report.rejects if r.level == "error"}
    assert reasons == {7: "unknown commune: INSEE code '69999' is not a commune of the territory",
                       8: "no CPTS partner named 'CPTS INCONNUE'"}
    had = find_partner(conn, "FINESS:690001128")
    assert had.communes == tuple(sorted([f"6938{i}" for i in range(1, 10)] + ["69266"]))
    assert find_partner(conn, "FINESS:690001177").communes == ("69256", "69259", "69266")
    again = import_partners(conn, ZONES, "zones", author="a", places=places)
    assert (again.updated, again.unchanged) == (0, 2)


def test_zones_in_xlsx_with_ids(conn, places, tmp_path):
    from openpyxl import Workbook

    import_partners(conn, FINESS_2019, "finess", author="a", places=places)
    cpts = find_partner(conn, "FINESS:690001177")
    workbook = Workbook()
    workbook.active.append(["Type", "Partenaire", "Code INSEE"])
    workbook.active.append(["CPTS", cpts.id, 69266])
    workbook.active.append(["CPTS", cpts.id, "1451"])  # leading zero lost by the spreadsheet
    workbook.save(tmp_path / "zones.xlsx")
    report = import_partners(conn, tmp_path / "zones.xlsx", "zones", author="a", places=places)
    assert report.updated == 1
    assert find_partner(conn, "FINESS:690001177").communes == ("01451", "69266")


def test_template_round_trip(tmp_path, conn, places):
    for name in ("modele.csv", "modele.xlsx"):
        path = write_template(tmp_path / name)
        assert read_partners(path, "csv").records == []
    with pytest.raises(ValueError) as info:
        write_template(tmp_path / "modele.ods")
    assert info.value.code == "partners.template_suffix"
    report = import_partners(conn, TEMPLATE, "csv", author="a", places=places)
    frame = list_partners(conn).set_index("name")
    ccas = frame.loc["CCAS de Villeurbanne (test)"]
    assert ccas["precision"] == "town_hall" and ccas["phone"] == "04 78 00 00 00"
    erc = frame.loc["Espace ressources cancer de test Lyon 8e"]
    assert erc["code_insee"] == "69388" and erc["website"] == "https://www.example.org/erc"
    assert report.created == 3


def test_format_checks(tmp_path):
    from app.messages import render

    for call, code in [(lambda: read_partners(TEMPLATE, "pdf"), "partners.unknown_format"),
                       (lambda: read_partners(TEMPLATE, "finess"), "partners.not_finess"),
                       (lambda: read_partners(TEMPLATE, "rpps"), "partners.not_rpps"),
                       (lambda: read_partners(tmp_path / "absent.csv", "csv"), "files.missing"),
                       (lambda: read_partners(tmp_path, "csv"), "files.is_directory")]:
        with pytest.raises(ValueError) as info:
            call()
        assert info.value.code == code
        assert "{" not in render(info.value)
    with pytest.raises(ValueError) as info:
        read_partners(TEMPLATE, "rpps")
    assert "Type d'identifiant PP" in render(info.value)


def test_importing_never_pulls_streamlit():
    code = "import sys, geo, partners, partners.importer, partners.query, partners.demo; " \
           "print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("separator", [";", "|", ","])
def test_zone_tables_in_every_separator(separator, conn, places, tmp_path):
    import_partners(conn, FINESS_2019, "finess", author="a", places=places)
    path = tmp_path / f"zones{ord(separator)}.csv"
    lines = ["type;partner;code_insee", "CPTS;690001177;69266", "CPTS;690001177;69259"]
    path.write_text("\n".join(line.replace(";", separator) for line in lines) + "\n", encoding="utf-8")
    report = import_partners(conn, path, "zones", author="a", places=places)
    assert (report.updated, report.rejected) == (1, 0)
    assert find_partner(conn, "FINESS:690001177").communes == ("69259", "69266")
