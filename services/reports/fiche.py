"""The sector sheet: what a new social worker keeps about her or his sector (PDF and printable HTML).

For one sector of a plan: the referent and group, the hub's contact, a map
of the sector and its neighbours, the neighbouring sectors and their
referents, the CPTS and HAD whose territories cover it (and the communes
none covers), the partners located in it and around it with their
contacts, and its communes with population and patients.

The sheet is for the team, not for the ARS: patient counts are shown as
they are (when given). Demo partners and demo patients are labelled
"fictif".

Public names
------------
build_sheet -> SectorSheet (``pdf_bytes()``, ``html()``)
hub_contact, HUB_CONTACT_ENV, DEFAULT_HUB_CONTACT, AROUND_KM, SHEET_SECTIONS
neighbour_sectors
"""
from __future__ import annotations

import base64
import datetime as dt
import html as html_lib
import os
import sqlite3
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["build_sheet", "SectorSheet", "hub_contact", "neighbour_sectors", "HUB_CONTACT_ENV",
           "DEFAULT_HUB_CONTACT", "AROUND_KM", "SHEET_SECTIONS"]

#: Environment variable holding the hub's contact (name of the post, phone, e-mail), shown on every sheet.
HUB_CONTACT_ENV = "SECTEURS_HUB_CONTACT"
#: Shown until the variable is set: no phone number is invented.
DEFAULT_HUB_CONTACT = "Poste flux/pivot — service social (à compléter)"
#: Partners outside the sector but within this distance (km, straight line) of one of its communes are listed.
AROUND_KM = 10.0
#: Section titles of the sheet, in order (PDF and HTML).
SHEET_SECTIONS = ("1. Référent·e et contacts", "2. Carte du secteur", "3. Secteurs voisins",
                  "4. CPTS et HAD qui couvrent le secteur", "5. Partenaires dans le secteur",
                  "6. Partenaires autour du secteur", "7. Communes du secteur")
_FICTIF = "Données de démonstration fictives"
_PARTNER_HEADERS = {"type": "Type", "name": "Nom", "commune": "Commune", "distance_km": "Distance (km)",
                    "phone": "Téléphone", "email": "E-mail", "address": "Adresse"}


def hub_contact() -> str:
    """The hub's contact: ``$SECTEURS_HUB_CONTACT``, else :data:`DEFAULT_HUB_CONTACT`."""
    return os.environ.get(HUB_CONTACT_ENV, "").strip() or DEFAULT_HUB_CONTACT


def neighbour_sectors(sectors: pd.Series, edges: np.ndarray, sector: str) -> pd.Series:
    """Sectors sharing a border with ``sector`` and the number of unit borders they share.

    Parameters
    ----------
    sectors : Series
        Sector of each unit, in :func:`geo.territory.load_units` order (NaN: no sector).
    edges : array (m, 2)
        :func:`geo.adjacency.unit_edges` (positions of adjacent units).
    sector : str

    Returns
    -------
    Series sector -> shared unit borders, most shared first.
    """
    labels = sectors.to_numpy(dtype=object)
    a, b = labels[edges[:, 0]], labels[edges[:, 1]]
    other = np.concatenate([b[a == sector], a[b == sector]])
    other = [o for o in other if isinstance(o, str) and o != sector]
    counts = pd.Series(other, dtype=object).value_counts()
    return counts.rename("frontieres")


@dataclass
class SectorSheet:
    """One sector's sheet; see the module docstring.

    Attributes
    ----------
    sector, referent, groupe, plan_label, hub : str
    date : datetime.date
    communes : DataFrame
        ``code_insee, nom, departement, population[, patients]``.
    neighbours : DataFrame
        ``secteur, referent, groupe, frontieres``.
    zones : DataFrame
        CPTS and HAD covering at least one commune: ``type, name, communes, part, phone, email``.
    uncovered : dict
        ``{"CPTS": [commune names], "HAD": [...]}``: communes of the sector no zone covers.
    partners_in, partners_around : DataFrame
        ``type, name, commune, distance_km, phone, email, address``.
    demo_partners, demo_patients : bool
    map_png : bytes
    """

    sector: str
    referent: str
    groupe: str
    plan_label: str
    hub: str
    date: dt.date
    communes: pd.DataFrame
    neighbours: pd.DataFrame
    zones: pd.DataFrame
    uncovered: dict
    partners_in: pd.DataFrame
    partners_around: pd.DataFrame
    demo_partners: bool = False
    demo_patients: bool = False
    around_km: float = AROUND_KM
    map_png: bytes = field(default=b"", repr=False)

    @property
    def demo(self) -> bool:
        return self.demo_partners or self.demo_patients

    @property
    def title(self) -> str:
        return f"Fiche du secteur {self.sector}"

    def _summary(self) -> list[str]:
        population = int(self.communes["population"].sum())
        lines = [f"Référent·e : {self.referent or '—'}" + (f" — groupe : {self.groupe}" if self.groupe else ""),
                 f"Poste flux/pivot : {self.hub}",
                 f"{len(self.communes)} communes, {_fr(population)} habitants"
                 + (f", {_fr(int(self.communes['patients'].sum()))} patients"
                    + (" (fictifs)" if self.demo_patients else "") if "patients" in self.communes else "") + ".",
                 f"Plan : {self.plan_label or 'non nommé'} — fiche du {self.date.strftime('%d/%m/%Y')}."]
        return lines

    def _notices(self) -> list[str]:
        out = []
        if self.demo_partners:
            out.append(f"{_FICTIF} : l'annuaire des partenaires est inventé (fictif) ; ne pas orienter de "
                       "patient vers ces partenaires.")
        if self.demo_patients:
            out.append(f"{_FICTIF} : les patients par commune sont tirés au hasard (fictifs).")
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """The sheet's tables with French headers and formatted values, by section title."""
        neighbours = self.neighbours.rename(columns={"secteur": "Secteur", "referent": "Référent·e",
                                                     "groupe": "Groupe", "frontieres": "Communes limitrophes"})
        zones = self.zones.rename(columns={"type": "Type", "name": "Nom", "communes": "Communes couvertes",
                                           "part": "Part du secteur (%)", "phone": "Téléphone",
                                           "email": "E-mail"})
        communes = self.communes.assign(population=[_fr(v) for v in self.communes["population"]])
        communes = communes.rename(columns={"code_insee": "Code INSEE", "nom": "Commune",
                                                 "departement": "Dép.", "population": "Population",
                                                 "patients": "Patients" + (" (fictifs)" if self.demo_patients
                                                                           else "")})
        return {
            SHEET_SECTIONS[2]: neighbours,
            SHEET_SECTIONS[3]: zones,
            SHEET_SECTIONS[4]: _partners(self.partners_in, distance=False),
            SHEET_SECTIONS[5]: _partners(self.partners_around, distance=True),
            SHEET_SECTIONS[6]: communes,
        }

    def uncovered_text(self) -> list[str]:
        out = []
        for type_, names in self.uncovered.items():
            if names:
                shown = ", ".join(names[:40]) + (f" … (+{len(names) - 40})" if len(names) > 40 else "")
                out.append(f"Communes couvertes par aucune {type_} ({len(names)}) : {shown}.")
            else:
                out.append(f"Toutes les communes du secteur sont couvertes par au moins une {type_}.")
        return out

    def pdf_bytes(self) -> bytes:
        """The sheet as an A4 PDF."""
        from services.reports._pdf import Document

        doc = Document(self.title, footer_note=f"Fiche du {self.date.strftime('%d/%m/%Y')}"
                       + (" — DONNÉES FICTIVES" if self.demo else ""))
        doc.add_page()
        doc.title_block(self.title, "Service social — fiche à conserver par la référente ou le référent du secteur")
        for notice in self._notices():
            doc.warning(notice)
        doc.section(SHEET_SECTIONS[0])
        doc.bullets(self._summary())
        doc.section(SHEET_SECTIONS[1])
        if self.map_png:
            doc.png(self.map_png, width=min(doc.epw, 150))
        tables = self.tables()
        for title, table in tables.items():
            doc.section(title)
            if title == SHEET_SECTIONS[3]:
                doc.bullets(self.uncovered_text(), size=8)
            if title == SHEET_SECTIONS[5]:
                doc.paragraph(f"Partenaires situés hors du secteur à moins de {_fr(self.around_km)} km d'une de ses "
                              "communes, et le plus proche de chaque type absent (distance à vol d'oiseau).",
                              size=8)
            doc.frame_table(table, size=6.5,
                            align_right=[c for c in table.columns if c in ("Population", "Distance (km)",
                                                                            "Communes couvertes",
                                                                            "Part du secteur (%)",
                                                                            "Communes limitrophes")
                                         or str(c).startswith("Patients")])
        return doc.to_bytes()

    def html(self) -> str:
        """The sheet as one self-contained, print-friendly HTML page (map embedded)."""
        esc = html_lib.escape
        parts = [f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>{esc(self.title)}</title>",
                 f"<style>{_CSS}</style></head><body>", f"<h1>{esc(self.title)}</h1>"]
        parts += [f"<p class='notice'>{esc(n)}</p>" for n in self._notices()]
        parts.append(f"<h2>{esc(SHEET_SECTIONS[0])}</h2><ul>"
                     + "".join(f"<li>{esc(line)}</li>" for line in self._summary()) + "</ul>")
        parts.append(f"<h2>{esc(SHEET_SECTIONS[1])}</h2>")
        if self.map_png:
            data = base64.b64encode(self.map_png).decode("ascii")
            parts.append(f"<img class='map' alt='Carte du secteur {esc(self.sector)}' src='data:image/png;base64,{data}'>")
        for title, table in self.tables().items():
            parts.append(f"<section><h2>{esc(title)}</h2>")
            if title == SHEET_SECTIONS[3]:
                parts.append("<ul>" + "".join(f"<li>{esc(t)}</li>" for t in self.uncovered_text()) + "</ul>")
            if table.empty:
                parts.append("<p><em>(aucune ligne)</em></p>")
            else:
                parts.append(table.to_html(index=False, escape=True, na_rep="", border=0, classes="t"))
            parts.append("</section>")
        parts.append("</body></html>")
        return "\n".join(parts)


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11px; margin: 1.5em; color: #111; }
h1 { font-size: 20px; margin-bottom: 0.3em; } h2 { font-size: 15px; margin: 1.2em 0 0.4em; }
table.t { border-collapse: collapse; width: 100%; } table.t th, table.t td { border: 1px solid #bbb;
padding: 2px 4px; text-align: left; } table.t th { background: #eee; }
.notice { border: 1px solid #c90; background: #fff3d0; padding: 4px 8px; font-weight: bold; }
img.map { max-width: 16cm; width: 100%; }
@media print { body { margin: 0; font-size: 9.5pt; } section { break-inside: auto; }
  h2 { break-after: avoid; } tr { break-inside: avoid; } .notice { background: none; } }
"""


def _fr(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
    return f"{int(value):,}".replace(",", "\u202f")


def _partners(frame: pd.DataFrame, distance: bool) -> pd.DataFrame:
    columns = ["type", "name", "commune", *(["distance_km"] if distance else []), "phone", "email", "address"]
    out = frame.reindex(columns=columns).copy()
    if distance:
        out["distance_km"] = [f"{d:.1f}".replace(".", ",") for d in out["distance_km"]]
    return out.fillna("").rename(columns=_PARTNER_HEADERS)


def _people(plan: pd.DataFrame, team) -> tuple[dict, dict]:
    from services.routing import Routing

    routing = Routing.from_plan(plan, team=team, types=())
    return routing.referents, routing.groups


def build_sheet(conn: sqlite3.Connection, plan: pd.DataFrame, sector: str, *, patients=None, team=None,
                plan_label: str = "", demo_patients: bool = False, around_km: float = AROUND_KM,
                date: dt.date | None = None, with_map: bool = True) -> SectorSheet:
    """Everything on one sector's sheet.

    Parameters
    ----------
    conn : sqlite3.Connection
        The database with the partner directory.
    plan : DataFrame
        ``code_insee, sector`` and optional ``referent``, ``groupe``
        (:func:`services.routing.read_plan_people`).
    sector : str
        One of the plan's sectors.
    patients : DataFrame, optional
        ``code_insee, patients``; without it the communes table has no patients.
    team : geo.sectors.team.Team, optional
        Gives groups by referent name.
    plan_label : str
    demo_patients : bool
        The counts are the FICTITIOUS demo counts (labelled on the sheet).
    around_km : float
        Radius of the "around the sector" partners.
    date : date, optional
    with_map : bool
        Draw the map (False: faster, e.g. for a preview).

    Returns
    -------
    SectorSheet

    Raises
    ------
    ValueError
        ``sector`` is not in the plan (the message lists the sectors).
    """
    import partners as directory
    from partners.demo import DEMO_SOURCE
    from scipy.spatial import cKDTree

    from geo.adjacency import unit_edges
    from services.coverage._common import lonlat_to_lambert93
    from services.reports.coverage_data import _plan_series
    from geo.territory import load_units, reference_points

    if "sector" not in plan.columns and "secteur" in plan.columns:
        plan = plan.rename(columns={"secteur": "sector"})
    plan = plan.assign(code_insee=plan["code_insee"].astype(str), sector=plan["sector"].astype(str))
    sectors_list = sorted(plan["sector"].unique())
    if sector not in sectors_list:
        raise ValueError(f"sector: {sector!r} is not a sector of the plan; sectors are "
                         f"{', '.join(sectors_list[:20])}{' ...' if len(sectors_list) > 20 else ''}")
    units = load_units()
    sectors = _plan_series(plan[["code_insee", "sector"]], units)
    sectors = sectors.where(sectors != "(hors plan)")
    inside = (sectors == sector).to_numpy()
    members = units.loc[inside, ["code_insee", "nom", "departement", "population"]].reset_index(drop=True)
    codes = members["code_insee"].tolist()
    if patients is not None:
        counts = patients.groupby(patients["code_insee"].astype(str))["patients"].sum()
        members["patients"] = counts.reindex(members["code_insee"]).fillna(0).astype("int64").to_numpy()
    referents, groups = _people(plan, team)

    near = neighbour_sectors(sectors.reset_index(drop=True), unit_edges(), sector)
    neighbours = pd.DataFrame({"secteur": near.index.astype(str),
                               "referent": [referents.get(s, s) for s in near.index],
                               "groupe": [groups.get(s, "") for s in near.index],
                               "frontieres": near.to_numpy()})

    table = directory.list_partners(conn)
    demo_partners = bool(len(table)) and bool((table["source"] == DEMO_SOURCE).any())
    located = table.dropna(subset=["lon", "lat"]).reset_index(drop=True)
    points = reference_points(units)[inside]
    if len(located):
        xy = lonlat_to_lambert93(located["lon"], located["lat"])
        distance, _ = cKDTree(points).query(xy, k=1)
        located["distance_km"] = distance / 1000.0
    else:
        located["distance_km"] = pd.Series(dtype=float)
    in_sector = located["code_insee"].astype(str).isin(codes)
    partners_in = located[in_sector].sort_values(["type", "name"])
    outside = located[~in_sector]
    around = outside[outside["distance_km"] <= around_km]
    missing = [t for t in outside["type"].unique() if t not in set(partners_in["type"]) | set(around["type"])]
    nearest = outside[outside["type"].isin(missing)].sort_values("distance_km").groupby("type").head(1)
    partners_around = pd.concat([around, nearest]).sort_values(["type", "distance_km"])

    covered_by = directory.covering_counts(conn, codes)
    zone_rows = table[table["id"].isin(covered_by) & table["type"].isin(["CPTS", "HAD"])].copy()
    zone_rows["communes"] = zone_rows["id"].map(covered_by).astype(int)
    zone_rows["part"] = [f"{100 * n / max(len(codes), 1):.1f}".replace(".", ",") for n in zone_rows["communes"]]
    zones = zone_rows.sort_values(["type", "communes"], ascending=[True, False])[
        ["type", "name", "communes", "part", "phone", "email"]].fillna("").reset_index(drop=True)
    uncovered = {}
    names = dict(zip(members["code_insee"], members["nom"]))
    for type_ in ("CPTS", "HAD"):
        ids = table.loc[table["type"] == type_, "id"].tolist()
        covered = set()
        if ids:
            memberships = directory.zone_memberships(conn, types=[type_])
            covered = set(memberships.loc[memberships["partner_id"].isin(ids), "code_insee"])
        uncovered[type_] = [names[c] for c in codes if c not in covered]

    sheet = SectorSheet(sector=sector, referent=referents.get(sector, sector), groupe=groups.get(sector, ""),
                        plan_label=plan_label, hub=hub_contact(), date=date or dt.date.today(),
                        communes=members.sort_values(["departement", "nom"], ignore_index=True),
                        neighbours=neighbours, zones=zones, uncovered=uncovered,
                        partners_in=partners_in.reset_index(drop=True),
                        partners_around=partners_around.reset_index(drop=True),
                        demo_partners=demo_partners, demo_patients=demo_patients, around_km=around_km)
    if with_map:
        sheet.map_png = _sheet_map(units, sectors, sector, neighbours["secteur"].tolist(),
                                   pd.concat([partners_in, partners_around]), demo=sheet.demo)
    return sheet


#: The sector's fill on its sheet's map, and its neighbours' (pastels without orange).
SECTOR_COLOUR = "#fd8d3c"
NEIGHBOUR_COLOURS = ("#aec7e8", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#c7c7c7")


def _sheet_map(units, sectors: pd.Series, sector: str, neighbours: list[str], partners: pd.DataFrame,
               demo: bool) -> bytes:
    from services.reports import _maps

    codes = units["code_insee"].astype(str).to_numpy()
    labels = sectors.to_numpy(dtype=object)
    colours = pd.Series(None, index=codes, dtype=object)
    colours[labels == sector] = SECTOR_COLOUR
    for i, name in enumerate(neighbours):
        colours[labels == name] = NEIGHBOUR_COLOURS[i % len(NEIGHBOUR_COLOURS)]
    text = []
    lon, lat = units["mairie_lon"].to_numpy(float), units["mairie_lat"].to_numpy(float)
    own = (labels == sector) & np.isfinite(lon)
    pad = 0.15
    view = (np.isfinite(lon) & (lon >= lon[own].min() - pad) & (lon <= lon[own].max() + pad)
            & (lat >= lat[own].min() - pad) & (lat <= lat[own].max() + pad))
    for name in [sector, *neighbours]:
        mask = (labels == name) & view
        if mask.any():
            text.append((float(np.median(lon[mask])), float(np.median(lat[mask])), name))
    focus = codes[labels == sector]
    return _maps.draw(colours, title=f"Secteur {sector} et secteurs voisins", focus=focus, outline=focus,
                      points=partners[["lon", "lat", "type"]] if len(partners) else None, labels=text,
                      size=(6.0, 5.0), dpi=130, note="Partenaires fictifs" if demo else "")
