"""The real-format partner files of the tests (in ``data/``) and what importing them gives.

Imported by name from the tests (``from partner_files import ...``): a module
name of its own, since several test folders have a ``conftest``.
"""
from __future__ import annotations

from pathlib import Path


DATA = Path(__file__).parent / "data"
FINESS_2019 = DATA / "etalab-cs1100507-stock-20190630-0345.csv"   # Windows-1252, "LAMBERT_93" spelling
FINESS_2024 = DATA / "etalab-cs1100507-stock-20240311-0339.csv"   # UTF-8, "LAMBERT-93"/"EPSG:2154" spelling
RPPS_2024 = DATA / "PS_LibreAcces_Personne_activite_202403110839.txt"
ZONES = DATA / "zones_cpts_had.csv"
TEMPLATE = DATA / "partenaires_manuels.csv"

#: format -> (file, expected counts of a first import into an empty directory, rejected rows and reasons)
IMPORT_CASES = {
    # the Paris HAD and the Corsican CPTS lie far outside the territory: set aside, not created
    "finess": (FINESS_2019, dict(created=4, updated=0, unchanged=0, rejected=6), {
        9: "FINESS '690001194': wrong check digit 4 (Luhn key of 69000119 is 3)",
        10: "phone '04 72 11': expected a French number",
        11: "unknown commune: INSEE code 69999 is not a commune of departement 69",
        12: "position (lon -4.09924, lat 40.8604) is outside France",
        13: "duplicate of row 2 (same FINESS 690001128)",
        14: "structureet line has 7 fields, expected 32",
    }),
    "rpps": (RPPS_2024, dict(created=4, updated=0, unchanged=0, rejected=3), {
        7: "phone '04 72 01'",
        8: "unknown commune: INSEE code 01999",
        9: "duplicate of row 2 (same practitioner and commune, RPPS:10000000017:69383)",
    }),
    "csv": (TEMPLATE, dict(created=3, updated=0, unchanged=0, rejected=3), {
        6: "position (lon -3.5, lat 40.2) is outside France",
        7: "e-mail 'ccas@'",
        8: "duplicate of row 3 (same type, commune and name",
    }),
}


