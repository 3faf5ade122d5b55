"""Reader of the Annuaire Santé extract ``PS_LibreAcces_Personne_activite_*.txt``.

``|`` separated, one header row, UTF-8; one line per practitioner and place of
practice. The columns used:

``Type d'identifiant PP``
    8 = RPPS (11 digits), 0 = ADELI (9 characters).
``Identifiant PP``
    The RPPS or ADELI number.
``Nom d'exercice``, ``Prénom d'exercice``, ``Code profession`` (93 = psychologue)
``Raison sociale site``, ``Numéro Voie (coord. structure)``, ``Indice répétition voie (coord. structure)``,
``Libellé type de voie (coord. structure)``, ``Libellé Voie (coord. structure)``,
``Mention distribution (coord. structure)``
    The address.
``Code postal (coord. structure)``, ``Code commune (coord. structure)``, ``Libellé commune (coord. structure)``
    The commune: the position is the commune's reference point (precision ``commune``).
``Téléphone (coord. structure)``, ``Adresse e-mail (coord. structure)``

A practitioner working in two communes gives two partners (key
``RPPS:<number>:<commune>``).
"""
from __future__ import annotations

import csv
import io
import re

from geo.errors import SecteursError
from geo.reading import capped_lines, csv_rows
from partners.io._common import ReadResult, as_source, detect_encoding, error, iso_date
from partners.model import Partner, PartnerRecord

#: ``source`` of the partners read.
SOURCE = "Annuaire Santé (RPPS/ADELI)"

#: Profession codes imported by default and the partner type of each (93: psychologue).
DEFAULT_PROFESSIONS = {"93": "PSY"}

COL_ID_TYPE = "Type d'identifiant PP"
COL_ID = "Identifiant PP"
COL_PROFESSION = "Code profession"
#: Every column read.
USED = frozenset((COL_ID_TYPE, COL_ID, COL_PROFESSION, "Nom d'exercice", "Prénom d'exercice", "Libellé savoir-faire",
                  "Raison sociale site", "Numéro Voie (coord. structure)", "Indice répétition voie (coord. structure)",
                  "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
                  "Mention distribution (coord. structure)", "Code postal (coord. structure)",
                  "Code commune (coord. structure)", "Libellé commune (coord. structure)",
                  "Téléphone (coord. structure)", "Adresse e-mail (coord. structure)"))
REQUIRED = (COL_ID_TYPE, COL_ID, COL_PROFESSION, "Nom d'exercice", "Prénom d'exercice",
            "Code postal (coord. structure)", "Code commune (coord. structure)")


def read_rpps(source, professions=None, *, filename: str | None = None) -> ReadResult:
    """Read psychologists (or other professions) from an Annuaire Santé extract.

    Parameters
    ----------
    source
        ``PS_LibreAcces_Personne_activite_<yyyymmddhhmm>.txt``: a path, bytes with ``filename`` or an upload
        (a path is streamed, never read whole).
    professions
        Profession codes to keep (iterable) or mapping code -> partner type;
        default :data:`DEFAULT_PROFESSIONS` (93 -> PSY).

    Returns
    -------
    ReadResult

    Raises
    ------
    SecteursError
        ``partners.not_rpps``: a required column is missing (the message lists them).
    """
    source = as_source(source, filename)
    mapping = dict(DEFAULT_PROFESSIONS) if professions is None else (
        {str(k): v for k, v in professions.items()} if isinstance(professions, dict)
        else {str(c): DEFAULT_PROFESSIONS.get(str(c), "AUTRE") for c in professions})
    encoding = detect_encoding(source)
    result = ReadResult(format="rpps", encoding=encoding)
    if m := re.search(r"_(\d{8})\d*\.\w+$", source.name):
        result.source_date = iso_date(m.group(1))
    # The national extract has ~2 million lines: stream it, keep only the wanted professions.
    with io.TextIOWrapper(source.open(), encoding=encoding, errors="replace", newline="") as handle:
        # Each line is read with a length cap: a 200 MB file without line ends costs the cap, not 200 MB.
        reader = csv_rows(capped_lines(handle, source.name), source.name, delimiter="|",
                          quoting=csv.QUOTE_NONE)
        header = [h.strip().lstrip("\ufeff") for h in next(reader, (1, []))[1]]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise SecteursError("partners.not_rpps", file=source.name, missing=missing)
        profession_at = header.index(COL_PROFESSION)
        wanted = [(i, h) for i, h in enumerate(header) if h in USED]
        for number, cells in reader:
            if len(cells) <= profession_at or not any(cells):
                continue
            profession = cells[profession_at].strip()
            if profession not in mapping:
                result.skip("other_profession")
                continue
            row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in wanted}
            _add_row(result, number, row, mapping[profession], profession)
    return result


def _add_row(result: ReadResult, number: int, row: dict, type_: str, profession: str) -> None:
    """Turn one wanted line into a partner record (or a reject)."""
    id_type, identifier = row.get(COL_ID_TYPE, ""), row.get(COL_ID, "")
    if id_type == "8":
        ids = {"rpps": identifier}
    elif id_type == "0":
        ids = {"adeli": identifier}
    else:
        result.rejects.append(error(number, f"{COL_ID_TYPE} {id_type!r}: expected 8 (RPPS) or 0 (ADELI)",
                                     "partners.rpps_id_type", value=id_type))
        return
    code = row.get("Code commune (coord. structure)", "")
    postal_code = row.get("Code postal (coord. structure)", "")
    place = code or postal_code
    name = " ".join(v for v in (row.get("Prénom d'exercice", "").title(), row.get("Nom d'exercice", "")) if v)
    address = " ".join(v for v in (row.get("Numéro Voie (coord. structure)", ""),
                                   row.get("Indice répétition voie (coord. structure)", ""),
                                   row.get("Libellé type de voie (coord. structure)", ""),
                                   row.get("Libellé Voie (coord. structure)", "")) if v)
    extra = [v for v in (row.get("Raison sociale site", ""), row.get("Mention distribution (coord. structure)", ""))
             if v]
    partner = Partner(
        type=type_,
        name=name,
        key=f"{'RPPS' if 'rpps' in ids else 'ADELI'}:{identifier}:{place}" if identifier else "",
        address=", ".join([address] + extra if address else extra),
        code_insee=code,
        postal_code=postal_code,
        commune=row.get("Libellé commune (coord. structure)", ""),
        precision="commune",
        phone=row.get("Téléphone (coord. structure)", ""),
        email=row.get("Adresse e-mail (coord. structure)", ""),
        category=profession,
        notes=row.get("Libellé savoir-faire", ""),
        source=SOURCE,
        source_date=result.source_date,
        **ids,
    )
    result.records.append(PartnerRecord(number, partner))
