"""Routing referrals: plan + people + nearest partners, one referral, a list, ``secteurs route``."""
from __future__ import annotations

import doctest
import io

import pandas as pd
import pytest

from services import routing as routing_module
from geo.patients import PatientFileError, place_rows, read_table
from app.messages import render_code
from services.routing import (AMBIGUOUS_SECTORS, NOT_IN_PLAN, Routing, added_columns, nearest_partners,
                              read_plan_people, route_file, summary_text)
from geo.sectors.team import Team

#: A messy hub list: Windows-1252, ';', title line, French headers, an identifier column,
#: a user column named like an added one, a blank line and rows that cannot be placed.
MESSY = (
    "Liste des orientations du jour\n"
    "N° dossier;Nom;CP;Ville;code_insee\n"
    "A1;DUPONT;69003;LYON;\n"
    "A2;MARTIN;42100;ST ETIENNE;\n"
    "A3;DURAND;75013;PARIS;\n"
    ";;;;\n"
    "A4;PETIT;38;;\n"
    "A5;ROUX;01000;;\n"
    "A6;MOREAU;;Chambéry;\n"
    "A7;SIMON;;INCONNUEVILLE;\n"
).encode("cp1252")


@pytest.fixture(scope="module")
def plan(units):
    """One sector per department, named after a fictitious worker; Savoie (73) left out."""
    frame = pd.DataFrame({"code_insee": units["code_insee"], "sector": "AS " + units["departement"].astype(str)})
    return frame[units["departement"].astype(str) != "73"].reset_index(drop=True)


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    from geo.database import connect
    import partners

    conn = connect(tmp_path_factory.mktemp("routing") / "partners.sqlite")
    partners.ensure_demo_directory(conn)
    return conn


@pytest.fixture(scope="module")
def near(directory):
    return nearest_partners(directory)


@pytest.fixture(scope="module")
def routing(plan, near):
    return Routing.from_plan(plan, partners=near, explain=render_code)


def test_doctests():
    failures, _ = doctest.testmod(routing_module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_read_table_and_place_rows_are_the_importers_steps():
    table = read_table(io.BytesIO(MESSY), "liste.csv")
    assert table.header_row == 2 and table.info["delimiter"] == ";" and table.info["encoding"] == "cp1252"
    assert set(table.columns) == {"code_insee", "code_postal", "commune"}
    placed = list(place_rows(table))
    assert [p.row for p in placed] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert placed[3].given is None  # the blank line
    assert placed[0].result.code == "69383" and placed[0].result.status == "found"
    assert placed[2].result.status == "not_found" and placed[2].result.reason == "places.outside_territory"


def test_one_referral_accents_abbreviations_and_old_names(routing):
    lyon = routing.route(postal_code="69003", name="lyon")
    assert (lyon.code_insee, lyon.sector, lyon.referent, lyon.groupe) == ("69383", "AS 69", "AS 69", "")
    assert lyon.routed and set(lyon.partners) == set(routing.types)
    assert routing.route(postal_code="42100", name="ST ETIENNE").code_insee == "42218"
    assert routing.route(name="Saint-Étienne").code_insee == "42218"
    assert routing.route(code_insee="69123", postal_code="69008").code_insee == "69388"


def test_unroutable_referrals_say_why(routing):
    paris = routing.route(postal_code="75013", name="Paris")
    assert not paris.routed and paris.reason == "places.outside_territory"
    assert "hors territoire" in routing.remark(paris)
    savoie = routing.route(name="Chambéry")
    assert savoie.code_insee == "73065" and savoie.reason == NOT_IN_PLAN
    assert summary_text(paris, explain=render_code).startswith("Orientation impossible : commune hors territoire")


def test_ambiguous_place_in_one_sector_is_routed_without_a_commune(routing):
    """01000 is Bourg-en-Bresse's and Saint-Denis-lès-Bourg's: both in AS 01, so the referent is certain."""
    referral = routing.route(postal_code="01000")
    assert referral.status == "ambiguous" and referral.routed
    assert (referral.code_insee, referral.sector) == ("", "AS 01")
    assert "partagé par 2 communes" in routing.remark(referral) and "secteur AS 01" in routing.remark(referral)


def test_ambiguous_place_across_sectors_is_not_routed(routing):
    """'St Priest' is a commune of the Rhône and one of the Ardèche: no referent is guessed."""
    referral = routing.route("St Priest")
    assert referral.status == "ambiguous" and not referral.routed and referral.reason == AMBIGUOUS_SECTORS
    assert set(referral.resolution.codes) == {"69290", "07288"}
    assert summary_text(referral, explain=render_code).startswith("Orientation impossible")


def test_single_entry_and_list_give_the_same_answer(routing):
    for text in ("69290", "Anecy", "Le Puy", "69800", "74000", "69123", "Lyon 8e", "St Genis les Ollieres"):
        batch = route_file(io.BytesIO(f"Ville\n{text}\n".encode()), routing, "l.csv")
        single = routing.route(text)
        row = batch.frame.iloc[0]
        assert row["statut"] == routing.status_text(single), text
        assert row["code_insee"] == single.code_insee and row["sector"] == single.sector, text


def test_summary_text_with_local_services(routing, directory):
    import partners

    referral = routing.route(postal_code="69003", name="Lyon")
    services = partners.local_services(directory, referral.code_insee, k=2)
    text = summary_text(referral, services, partners.PARTNER_TYPES)
    assert "Référent·e : AS 69" in text and "Lyon 3e" in text
    assert "zone couvrant la commune" in text and "Hospitalisation à domicile (HAD)" in text


def test_zone_partner_covering_the_unit_comes_first(directory, near):
    import partners

    for code in ("69383", "42218", "38185", "01053"):
        services = partners.local_services(directory, code, k=1, types=["HAD", "CPTS"])
        for type_ in ("HAD", "CPTS"):
            first = services[services["type"] == type_].iloc[0]
            assert near[type_][code][0] == first["name"]
            assert near[type_][code][1] == pytest.approx(first["distance_km"], abs=0.02)


def test_route_file_keeps_user_columns_and_lists_unplaced(routing):
    batch = route_file(io.BytesIO(MESSY), routing, "liste.csv")
    frame = batch.frame
    assert list(frame.columns) == (["N° dossier", "Nom", "CP", "Ville", "code_insee (fichier)"]
                                   + added_columns(routing.types))
    assert len(frame) == 7 and batch.summary["blank_rows"] == 1
    assert frame["Nom"].tolist()[:2] == ["DUPONT", "MARTIN"]  # the user's own columns, as uploaded
    assert frame["statut"].tolist() == ["trouvée", "trouvée", "introuvable", "introuvable", "ambiguë", "trouvée",
                                        "introuvable"]
    assert frame["code_insee"].tolist() == ["69383", "42218", "", "", "", "73065", ""]
    assert frame["sector"].tolist() == ["AS 69", "AS 42", "", "", "AS 01", "", ""]
    assert frame["had_km"].dtype == float and frame["had_km"].isna().tolist() == [False, False, True, True,
                                                                                  True, False, True]
    assert frame.loc[4, "candidats"] == "01053 Bourg-en-Bresse ; 01344 Saint-Denis-lès-Bourg"
    assert "partagé par 2 communes" in frame.loc[4, "remarque"]
    unplaced = batch.unplaced
    assert unplaced["row"].tolist() == [5, 7, 9, 10]
    assert list(unplaced.columns) == ["row", "reason"]  # never the cells: a shifted row can hold identifiers
    assert "hors territoire" in unplaced.loc[0, "reason"]
    assert unplaced.loc[2, "reason"] == render_code(NOT_IN_PLAN, {})
    assert "DUPONT" not in unplaced.to_csv() and "A3" not in unplaced.to_csv()  # no identifier in the list
    assert batch.summary == {**batch.summary, "rows": 7, "routed": 3, "unplaced": 4, "ambiguous": 1}
    report = batch.report()
    assert "ligne 5 :" in report and "non placées : 4" in report


def test_route_file_outputs_csv_and_xlsx(routing, tmp_path):
    batch = route_file(io.BytesIO(MESSY), routing, "liste.csv")
    text = batch.to_csv_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("N° dossier;Nom;CP;Ville;code_insee (fichier);statut;code_insee;sector")
    header, first = text.splitlines()[0].split(";"), text.splitlines()[1].split(";")
    assert "," in first[header.index("had_km")]  # decimal comma with ';'
    path = batch.write(tmp_path / "routed.xlsx")
    back = pd.read_excel(path, sheet_name=None, dtype=str)
    assert set(back) == {"orientation", "non placées"} and len(back["orientation"]) == 7
    # an XLSX list routes the same
    source = tmp_path / "liste.xlsx"
    frame = pd.DataFrame({"Code postal": ["69003", "75013"], "Commune": ["Lyon", "Paris"]})
    frame.to_excel(source, index=False)
    again = route_file(source, routing)
    assert again.frame["code_insee"].tolist() == ["69383", ""] and len(again.unplaced) == 1


def test_route_file_without_location_column(routing):
    with pytest.raises(PatientFileError) as info:
        route_file(io.BytesIO(b"Nom;Prenom\nA;B\n"), routing, "x.csv")
    assert info.value.code == "patients.no_location_column"


def test_people_from_plan_columns_or_workers(tmp_path, units):
    path = tmp_path / "plan.csv"
    path.write_text("# plan\ncode_insee;secteur;Référente;Groupe\n69383;S1;Alice Martin;Nord\n"
                    "42218;S2;Bea Roux;\n01053;S3;;\n", encoding="utf-8")
    frame = read_plan_people(path)
    assert list(frame.columns) == ["code_insee", "sector", "referent", "groupe"]
    team = Team(("Bea Roux", "S3", "Alice Martin"), (1.0, 1.0, 1.0), ("Sud", "Est", "Ouest"))
    routing = Routing.from_plan(frame, team=team, types=())
    assert routing.referents == {"S1": "Alice Martin", "S2": "Bea Roux"}
    assert routing.groups == {"S1": "Nord", "S2": "Sud", "S3": "Est"}  # the plan's column wins over the team
    referral = routing.route(postal_code="42100", name="Saint-Etienne")
    assert (referral.sector, referral.referent, referral.groupe) == ("S2", "Bea Roux", "Sud")
    assert any("n'ont pas de secteur" in w for w in routing.warnings)
    with pytest.raises(ValueError) as error:
        Routing.from_plan(pd.DataFrame({"code_insee": ["69383", "69383"], "sector": ["A", "B"]}))
    assert error.value.code == "plans.unit_in_two_sectors" and error.value.params["codes"] == ["69383"]


def test_cli_route(tmp_path, plan, capsys):
    from app.cli import main
    from geo.database import connect
    import partners

    db = tmp_path / "cli.sqlite"
    partners.ensure_demo_directory(connect(db))
    plan_path = tmp_path / "plan.csv"
    plan.to_csv(plan_path, index=False)
    workers = tmp_path / "workers.csv"
    workers.write_text("nom;etp;groupe\n" + "".join(f"{s};1;{'Lyon' if s == 'AS 69' else 'Région'}\n"
                                                     for s in sorted(plan["sector"].unique())), encoding="utf-8")
    source = tmp_path / "liste.csv"
    source.write_bytes(MESSY)
    out, rejects = tmp_path / "routed.csv", tmp_path / "non_placees.csv"
    code = main(["route", str(source), "--plan", str(plan_path), "--out", str(out), "--workers", str(workers),
                 "--rejects", str(rejects), "--db", str(db)])
    captured = capsys.readouterr()
    assert code == 0
    routed = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert routed.columns[:5].tolist() == ["N° dossier", "Nom", "CP", "Ville", "code_insee (fichier)"]
    assert routed.columns[5:].tolist() == added_columns()
    assert routed["groupe"].tolist()[:2] == ["Lyon", "Région"]
    assert routed.loc[0, "had"].startswith("HAD (fictive)") and "," in routed.loc[0, "had_km"]
    assert "ligne 10 : commune introuvable" in captured.out and "DÉMONSTRATION (fictifs)" in captured.err
    assert pd.read_csv(rejects)["row"].tolist() == [5, 7, 9, 10]
    # errors are one line, no traceback
    assert main(["route", str(tmp_path / "absent.csv"), "--plan", str(plan_path), "--out", str(out)]) == 2
    assert "absent.csv : fichier introuvable" in capsys.readouterr().err


def test_cli_route_help_documents_columns_and_people(capsys):
    from app.cli import main

    with pytest.raises(SystemExit):
        main(["route", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "statut, code_insee, sector, referent, groupe, cpts, cpts_km, had, had_km" in text
    assert "candidats" in text and "ambiguë" in text
    assert "la référente est le nom du secteur" in text and "--workers" in text and "Rien n'est enregistré" in text
