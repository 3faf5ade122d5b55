"""A SYNTHETIC Annuaire Santé extract, in the real file format, for tests and benchmarks.

Nothing in it is real: identifiers are generated numbers (with valid RPPS check digits), names
are ``SYNTHNOM-<n>`` / ``SYNTHPRENOM``, e-mails use ``example.org``, phones the range kept for
fiction. The layout is the one of ``PS_LibreAcces_Personne_activite_<date>.txt`` (``|``
separated, the 52 columns of the national file, UTF-8): what :mod:`partners.io.rpps` reads.

Psychologists (profession 93) make about 4.5 % of the lines, like in the national file; a
share of them practise in the territory (at communes drawn by population), the others across
France. :func:`write_network_list` writes the members' list of a network drawn among the
territory's psychologists (half by RPPS number, half by name and commune).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

#: The columns of the national extract, in order.
HEADER = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|"
    "Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|"
    "Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"
    "Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|"
    "Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|"
    "Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|"
    "Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|"
    "Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|"
    "Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|"
    "Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"
    "Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|"
    "Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|"
    "Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens"
).split("|")

#: Other professions of the file (code, label) and their weights.
_OTHERS = (("10", "Médecin"), ("60", "Infirmier"), ("21", "Pharmacien"), ("70", "Masseur-Kinésithérapeute"),
           ("40", "Chirurgien-Dentiste"), ("50", "Sage-Femme"), ("91", "Orthophoniste"))
#: Communes outside the territory (INSEE, postal code, name) where the other psychologists practise.
_ELSEWHERE = (("75115", "75015", "Paris 15e Arrondissement"), ("13055", "13001", "Marseille"),
              ("31555", "31000", "Toulouse"), ("33063", "33000", "Bordeaux"), ("59350", "59000", "Lille"),
              ("71270", "71000", "Mâcon"), ("58194", "58000", "Nevers"), ("21231", "21000", "Dijon"))


def _rpps(n: int) -> str:
    from partners.validation import luhn_check_digit

    stem = f"1{n:09d}"
    return stem + luhn_check_digit(stem)


def write_extract(path: str | Path, lines: int, territory_psychologists: int, units=None,
                  seed: int = 0) -> dict:
    """Write a SYNTHETIC extract.

    Parameters
    ----------
    path
        The file (name it ``PS_LibreAcces_Personne_activite_<yyyymmddhhmm>.txt``).
    lines
        Data lines (the national file has about 2 million).
    territory_psychologists
        Psychologists practising in the territory (about 9,000 in the region's real file).
    units
        The territory's units (``geo.territory.load_units()`` by default).
    seed
        Random seed.

    Returns
    -------
    dict
        ``psychologists`` (all), ``territory`` (list of ``(rpps, nom, prenom, code_insee,
        postal_code, commune)`` of those in the territory).
    """
    if units is None:
        from geo.territory import load_units

        units = load_units()
    rng = np.random.default_rng(seed)
    psy_total = max(int(lines * 0.045), territory_psychologists)
    codes = units["code_insee"].to_numpy()
    names = units["nom"].to_numpy()
    postal = units["codes_postaux"].astype(str).str.split(",").str[0].str.strip().to_numpy()
    weights = units["population"].to_numpy(dtype=float)
    weights = weights / weights.sum()
    where = rng.choice(len(codes), size=territory_psychologists, p=weights)
    psy_rows = set(rng.choice(lines, size=psy_total, replace=False).tolist())
    width = len(HEADER)
    territory, psy_seen = [], 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("|".join(HEADER) + "|\n")
        row = [""] * width
        other_middle = "|" * (35 - 10)
        other_tail = "|99000|France" + "|" * (width - 40) + "\n"
        for n in range(lines):
            if n in psy_rows:
                row[:] = [""] * width
                rpps = _rpps(n)
                row[9], row[10] = "93", "Psychologue"
                if psy_seen < territory_psychologists:
                    u = where[psy_seen]
                    code, cp, commune = str(codes[u]), str(postal[u]), str(names[u])
                else:
                    code, cp, commune = _ELSEWHERE[n % len(_ELSEWHERE)]
                nom, prenom = f"SYNTHNOM-{n}", "SYNTHPRENOM"
                if psy_seen < territory_psychologists:
                    territory.append((rpps, nom, prenom, code, cp, commune))
                psy_seen += 1
                row[35], row[36], row[37] = cp, code, commune
                row[40] = f"0465{n % 1_000_000:06d}"[:10]
                row[43] = f"psy{n}@example.org"
            else:  # the other professions, most of the file: one formatted line
                code_, label = _OTHERS[n % len(_OTHERS)]
                handle.write(f"8|1{n:010d}|81{n:010d}|||||SYNTHNOM-{n}|SYNTHPRENOM|{code_}|{label}"
                             f"{other_middle}|75001|75101|Paris 1er Arrondissement{other_tail}")
                continue
            row[0], row[1], row[2] = "8", rpps, "8" + rpps
            row[7], row[8] = nom, prenom
            row[18], row[28], row[31], row[32] = "Libéral", str(1 + n % 90), "Rue", "DE LA SYNTHÈSE"
            row[38], row[39] = "99000", "France"
            handle.write("|".join(row) + "|\n")
    return {"psychologists": psy_seen, "territory": territory}


def write_network_list(path: str | Path, territory: list, members: int, seed: int = 1) -> list:
    """Write a SYNTHETIC members' list of a network drawn among ``territory`` (from :func:`write_extract`).

    Half the members are given by RPPS number, half by ``nom``, ``prenom`` and ``code_insee``.

    Returns
    -------
    list
        The members written (tuples as in ``territory``).
    """
    rng = np.random.default_rng(seed)
    chosen = [territory[i] for i in sorted(rng.choice(len(territory), size=members, replace=False))]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["rpps", "nom", "prenom", "code_insee", "commune"])
        writer.writerow(["# liste SYNTHÉTIQUE de test : aucune personne réelle", "", "", "", ""])
        for i, (rpps, nom, prenom, code, _, commune) in enumerate(chosen):
            if i % 2:
                writer.writerow(["", nom, prenom, code, commune])
            else:
                writer.writerow([rpps, "", "", "", ""])
    return chosen
