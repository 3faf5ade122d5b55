"""Make the FICTITIOUS demo patient data in ``data/demo/``.

No real patient is behind these files. Referrals are drawn at random from a
simple recruitment model of a regional cancer centre in Lyon:

    weight(unit) = population(unit) * (FLOOR + exp(-distance_km / DECAY_KM))

where the distance runs from the unit's town hall to the centre (Lyon 8e).
The exponential term is the local recruitment that fades with distance, the
floor the regional recruitment (rare cancers, second opinions, paediatrics)
that keeps every department represented.

Outputs (both start with ``# DONNÉES FICTIVES`` comment lines):

``patients_demo.csv``
    ``code_insee,patients``: one year of referrals (``REFERRALS`` in all),
    a multinomial draw over the units with the weights above.
``export_hopital_demo.csv``
    What a hospital export looks like (``CP;Ville;Service;Année``, UTF-8 with
    BOM, ``;``): one line per referral for 2025 (exactly the referrals of
    ``patients_demo.csv``) and 2024 (another draw), with the usual mess: names
    in capitals without accents, "ST"/"STE", old commune names, a postal code
    that lost its leading zero, "LYON" with an arrondissement postal code,
    towns left empty, and a few lines that cannot be placed. No name, date of
    birth or any other identifying column.

Run ``python scripts/make_demo_patients.py`` (same seed, same files).
"""
from __future__ import annotations

import argparse
import csv
import sys
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.patients import write_counts  # noqa: E402
from geo.projections import LAMBERT93, WGS84  # noqa: E402
from geo.territory import load_units, reference_points  # noqa: E402

SEED = 20260601
REFERRALS = 1350          # 2025, the year of patients_demo.csv
REFERRALS_PREVIOUS = 1310  # 2024, only in the export
DECAY_KM = 60.0
FLOOR = 0.10
#: The cancer centre (Lyon 8e), WGS84 lon/lat.
CENTRE = (4.8826, 45.7436)
SERVICES = {
    "Oncologie médicale": 0.40, "Radiothérapie": 0.20, "Chirurgie oncologique": 0.15,
    "Hématologie": 0.12, "Soins de support": 0.08, "Pédiatrie (IHOPe)": 0.05,
}
#: Lines of the export that cannot be placed (postal code, town): outside the
#: territory, unknown or malformed codes, no location at all.
UNPLACEABLE = [
    ("75013", "PARIS"), ("71000", "MACON"), ("13008", "MARSEILLE"), ("6000", "NICE"),
    ("42999", ""), ("38", ""), ("", ""), ("", "INCONNUE"), ("39000", "LONS LE SAUNIER"),
]

FICTITIOUS = [
    "DONNÉES FICTIVES : échantillon de démonstration, aucun patient réel.",
    f"Tirage aléatoire (graine {SEED}) par scripts/make_demo_patients.py : population de la commune "
    f"x ({FLOOR} + exp(-distance au centre / {DECAY_KM:g} km)).",
]


def weights(units: pd.DataFrame) -> np.ndarray:
    """Recruitment weight of each unit (population with a decay from the centre)."""
    xy = reference_points(units)
    centre = gpd.GeoSeries(gpd.points_from_xy([CENTRE[0]], [CENTRE[1]]), crs=WGS84)
    cx, cy = centre.to_crs(LAMBERT93).get_coordinates().to_numpy()[0]
    distance_km = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) / 1000
    w = units["population"].to_numpy(float) * (FLOOR + np.exp(-distance_km / DECAY_KM))
    return w / w.sum()


def draw(units: pd.DataFrame, total: int, rng: np.random.Generator) -> pd.DataFrame:
    counts = rng.multinomial(total, weights(units))
    frame = pd.DataFrame({"code_insee": units["code_insee"].to_numpy(), "patients": counts})
    return frame[frame["patients"] > 0].reset_index(drop=True)


def _ascii_upper(name: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return text.upper().replace("-", " ").replace("'", " ")


def _messy_town(row, rng: np.random.Generator) -> str:
    """The town as a hospital system might have typed it."""
    name = row["nom"]
    if row["type"] == "ARM":  # Lyon's arrondissements
        number = int(row["code_insee"][-1])
        return str(rng.choice(["LYON", "LYON", "LYON", "Lyon", f"LYON {number:02d}", f"Lyon {number}e"]))
    old = [part.split(":")[1] for part in row["anciennes_communes"].split("|") if part]
    if old and rng.random() < 0.25:
        name = str(rng.choice(old))
    style = rng.random()
    if style < 0.05:
        return ""  # town left empty: postal code only
    if style < 0.55:
        text = _ascii_upper(name)
    elif style < 0.80:
        text = name
    elif style < 0.90:
        text = name.lower()
    else:
        text = _ascii_upper(name)
    if rng.random() < 0.6:
        text = (text.replace("SAINTE ", "STE ").replace("SAINT ", "ST ")
                .replace("Sainte-", "Ste-").replace("Saint-", "St-"))
    return text


def _messy_postal_code(codes: str, rng: np.random.Generator) -> str:
    cp = str(rng.choice(codes.split(",")))
    if cp.startswith("0") and rng.random() < 0.3:
        cp = cp[1:]  # leading zero lost by a spreadsheet
    return cp


def export_rows(units: pd.DataFrame, counts: pd.DataFrame, year: int, rng) -> list[tuple]:
    by_code = units.set_index("code_insee")
    services = list(SERVICES)
    probabilities = np.array(list(SERVICES.values()))
    rows = []
    for code, patients in zip(counts["code_insee"], counts["patients"]):
        row = by_code.loc[code].to_dict() | {"code_insee": code}
        for _ in range(int(patients)):
            service = services[rng.choice(len(services), p=probabilities / probabilities.sum())]
            rows.append((_messy_postal_code(row["codes_postaux"], rng), _messy_town(row, rng), service, year))
    for cp, town in UNPLACEABLE:
        rows.append((cp, town, services[0], year))
    return rows


def write_export(rows: list[tuple], path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        for line in FICTITIOUS:
            handle.write(f"# {line}\r\n")
        handle.write("# Export simulé d'un logiciel hospitalier (CP, Ville, Service, Année), "
                     "sans aucune donnée identifiante.\r\n")
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["CP", "Ville", "Service", "Année"])
        writer.writerows(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "demo", help="output directory")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    units = load_units().drop(columns="geometry")
    rng = np.random.default_rng(args.seed)
    current = draw(units, REFERRALS, rng)
    previous = draw(units, REFERRALS_PREVIOUS, rng)
    args.out.mkdir(parents=True, exist_ok=True)
    write_counts(current, args.out / "patients_demo.csv",
                 comments=FICTITIOUS + [f"Année 2025 : {REFERRALS} orientations fictives."])

    rows = export_rows(units, previous, 2024, rng) + export_rows(units, current, 2025, rng)
    order = rng.permutation(len(rows))
    write_export([rows[i] for i in order], args.out / "export_hopital_demo.csv")

    per_dept = current.assign(dep=current["code_insee"].str[:2]).groupby("dep")["patients"].sum()
    print(f"patients_demo.csv: {int(current['patients'].sum())} referrals in {len(current)} units; "
          f"by department: {per_dept.to_dict()}")
    print(f"export_hopital_demo.csv: {len(rows)} lines ({len(UNPLACEABLE)} unplaceable a year)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
