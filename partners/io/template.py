"""The hand-kept partner list: a documented CSV/XLSX template and its reader.

Columns (French headers; the English field names are accepted too), see
``partners/TEMPLATE.md``:

======================  ================================================================
type                    CPTS, HAD, ERC, PSY, DAC, SSIAD, CCAS or AUTRE (required)
nom                     name (required)
adresse                 street address
code_insee              INSEE code of the commune (or give code_postal + commune)
code_postal             5-digit postal code
commune                 commune name
lon, lat                WGS84 degrees (decimal point or comma); empty: the commune's point
precision               address, town_hall or commune (default: address when lon/lat given)
telephone               French number, any layout (+33 accepted)
email                   e-mail address
site_web                web site
finess                  FINESS establishment number (9 characters, checked)
rpps, adeli             a psychologist's RPPS (11 digits) or ADELI (9) number
communes_couvertes      INSEE codes of the communes covered, separated by spaces or commas
etiquettes              labels separated by commas (réseau psycho-oncologie, convention, contact privilégié...)
notes                   free text
source                  where the line comes from (default: the file name)
id                      directory id, to update an existing partner (leave empty for a new one)
======================  ================================================================

Lines whose first cell starts with ``#`` are comments.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from geo.errors import SecteursError
from geo.reading import write_bytes
from partners.io._common import ReadResult, as_source, error, pick_column, read_table
from partners.model import Partner, PartnerRecord, clean_labels

#: Template columns: (French header written in the template, field, accepted aliases, help text).
COLUMNS = (
    ("type", "type", (), "CPTS, HAD, ERC, PSY, DAC, SSIAD, CCAS ou AUTRE (obligatoire)"),
    ("nom", "name", ("name", "raison_sociale"), "nom du partenaire (obligatoire)"),
    ("adresse", "address", ("address",), "numéro et voie"),
    ("code_insee", "code_insee", ("insee", "code_commune"), "code INSEE de la commune (ou code postal + commune)"),
    ("code_postal", "postal_code", ("postal_code", "cp"), "code postal à 5 chiffres"),
    ("commune", "commune", ("ville",), "nom de la commune"),
    ("lon", "lon", ("longitude",), "longitude WGS84 en degrés (vide : point de la commune)"),
    ("lat", "lat", ("latitude",), "latitude WGS84 en degrés"),
    ("precision", "precision", ("précision",), "address, town_hall ou commune"),
    ("telephone", "phone", ("phone", "téléphone", "tel"), "numéro français, ex. 04 72 11 22 33"),
    ("email", "email", ("e-mail", "courriel", "mail"), "adresse e-mail"),
    ("site_web", "website", ("website", "site", "web"), "site internet"),
    ("finess", "finess", ("no_finess", "numero_finess"), "numéro FINESS (9 caractères)"),
    ("rpps", "rpps", (), "numéro RPPS d'un psychologue (11 chiffres)"),
    ("adeli", "adeli", (), "numéro ADELI (9 caractères)"),
    ("communes_couvertes", "communes", ("communes", "zone"), "codes INSEE couverts, séparés par des espaces"),
    ("etiquettes", "labels", ("labels", "étiquettes", "reseau"),
     "étiquettes séparées par des virgules, ex. réseau psycho-oncologie, convention"),
    ("notes", "notes", ("remarques",), "texte libre"),
    ("source", "source", (), "origine de la ligne"),
    ("id", "id", ("identifiant",), "identifiant dans l'annuaire (pour modifier une fiche existante)"),
)

#: A commented example line written in the CSV template (skipped on import).
EXAMPLE = {"type": "# CCAS", "nom": "CCAS de Lyon 3e (exemple, ligne ignorée)", "code_insee": "69383",
           "telephone": "04 65 71 00 00", "email": "ccas@example.org"}


#: Suffixes :func:`template_bytes` writes.
TEMPLATE_SUFFIXES = (".csv", ".xlsx")


def template_bytes(suffix: str) -> bytes:
    """An empty template as bytes (``.csv``: ``;`` separated, UTF-8 with BOM for Excel; ``.xlsx``: with a
    help sheet), for a download button or :func:`write_template`.

    Raises
    ------
    SecteursError
        ``partners.template_suffix``: a suffix other than ``.csv`` or ``.xlsx``.
    """
    headers = [c[0] for c in COLUMNS]
    if suffix.lower() == ".csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text, delimiter=";")
        writer.writerow(headers)
        writer.writerow([EXAMPLE.get(h, "") for h in headers])
        return text.getvalue().encode("utf-8-sig")
    if suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Partenaires"
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in ("code_insee", "code_postal", "telephone", "finess", "rpps", "adeli", "communes_couvertes"):
            letter = sheet.cell(row=1, column=headers.index(column) + 1).column_letter
            for row in range(2, 1001):
                sheet[f"{letter}{row}"].number_format = "@"  # keep leading zeros
        help_sheet = workbook.create_sheet("Aide")
        help_sheet.append(["colonne", "contenu"])
        for header, _, _, text in COLUMNS:
            help_sheet.append([header, text])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise SecteursError("partners.template_suffix", file=f"modele{suffix}")


def write_template(path: str | Path) -> Path:
    """Write an empty template (see :func:`template_bytes`) to ``path``, by its suffix.

    Raises
    ------
    SecteursError
        ``partners.template_suffix``: extension other than ``.csv`` or ``.xlsx``.
    """
    path = Path(path)
    if path.suffix.lower() not in TEMPLATE_SUFFIXES:
        raise SecteursError("partners.template_suffix", file=path.name)
    return write_bytes(path, template_bytes(path.suffix))


def read_template(source, *, filename: str | None = None) -> ReadResult:
    """Read a filled template.

    Raises
    ------
    SecteursError
        ``partners.template_missing_columns``: no ``type`` or ``nom`` column.
    """
    source = as_source(source, filename)
    header, rows = read_table(source)
    columns = {}
    for french, field, aliases, _ in COLUMNS:
        found = pick_column(header, (french, field) + aliases)
        if found:
            columns[field] = found
    missing = [name for name in ("type", "name") if name not in columns]
    if missing:
        raise SecteursError("partners.template_missing_columns", file=source.name, missing=missing,
                            expected=";".join(c[0] for c in COLUMNS))
    result = ReadResult(format="csv")
    default_source = source.name
    for number, row in rows:
        values = {field: row.get(column, "") for field, column in columns.items()}
        partner_id = values.pop("id", "")
        if partner_id and not partner_id.isdigit():
            result.rejects.append(error(number, f"id {partner_id!r}: expected the directory's number, or empty",
                                                    "partners.template_bad_id", id=partner_id))
            continue
        communes = values.pop("communes", "")
        labels = clean_labels(values.pop("labels", ""))
        # Spreadsheets drop leading zeros of numbers typed in cells: 472112233 was 04 72 11 22 33.
        if re.fullmatch(r"[1-9]\d{8}", values.get("phone", "")):
            values["phone"] = "0" + values["phone"]
        if re.fullmatch(r"\d{8}", values.get("finess", "")):
            values["finess"] = "0" + values["finess"]
        values["lon"] = values.get("lon") or None
        values["lat"] = values.get("lat") or None
        partner = Partner(
            id=int(partner_id) if partner_id else None,
            communes=tuple(c for c in re.split(r"[\s,;|]+", communes) if c) if communes else None,
            labels=labels,
            **{**values, "source": values.get("source") or default_source},
        )
        result.records.append(PartnerRecord(number, partner))
    return result
