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

import re
from pathlib import Path

from partners.io._common import ReadResult, error, iso_date, read_table
from partners.model import Partner, PartnerRecord

#: ``source`` of the partners read.
SOURCE = "Annuaire Santé (RPPS/ADELI)"

#: Profession codes imported by default and the partner type of each (93: psychologue).
DEFAULT_PROFESSIONS = {"93": "PSY"}

COL_ID_TYPE = "Type d'identifiant PP"
COL_ID = "Identifiant PP"
COL_PROFESSION = "Code profession"
REQUIRED = (COL_ID_TYPE, COL_ID, COL_PROFESSION, "Nom d'exercice", "Prénom d'exercice",
            "Code postal (coord. structure)", "Code commune (coord. structure)")


def read_rpps(path: str | Path, professions=None) -> ReadResult:
    """Read psychologists (or other professions) from an Annuaire Santé extract.

    Parameters
    ----------
    path
        ``PS_LibreAcces_Personne_activite_<yyyymmddhhmm>.txt``.
    professions
        Profession codes to keep (iterable) or mapping code -> partner type;
        default :data:`DEFAULT_PROFESSIONS` (93 -> PSY).

    Returns
    -------
    ReadResult

    Raises
    ------
    ValueError
        A required column is missing (the message lists them).
    """
    mapping = dict(DEFAULT_PROFESSIONS) if professions is None else (
        {str(k): v for k, v in professions.items()} if isinstance(professions, dict)
        else {str(c): DEFAULT_PROFESSIONS.get(str(c), "AUTRE") for c in professions})
    header, rows = read_table(path, delimiters="|")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"{path}: not an Annuaire Santé 'Personne activité' extract; missing columns: "
                         f"{', '.join(missing)}")
    result = ReadResult(format="rpps", encoding="utf-8")
    if m := re.search(r"_(\d{8})\d*\.\w+$", Path(path).name):
        result.source_date = iso_date(m.group(1))
    for number, row in rows:
        profession = row.get(COL_PROFESSION, "")
        if profession not in mapping:
            result.skip("other profession")
            continue
        id_type, identifier = row.get(COL_ID_TYPE, ""), row.get(COL_ID, "")
        if id_type == "8":
            ids = {"rpps": identifier}
        elif id_type == "0":
            ids = {"adeli": identifier}
        else:
            result.rejects.append(error(number, f"{COL_ID_TYPE} {id_type!r}: expected 8 (RPPS) or 0 (ADELI)"))
            continue
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
            type=mapping[profession],
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
    return result
