"""The sector sheet: what a new social worker keeps about her or his sector (PDF and printable HTML).

Page 1 is the wall version: the referent and group, the hub's contact, the
key partners (covering CPTS and HAD, nearest ERC and DAC, nearest
psychologists) with phone and e-mail on one line each, the map of the sector
and its neighbours (the worker's colour from
:func:`geo.sectors.palette.sector_colours`, the main towns named, partners by
type with a legend) and the neighbouring sectors with their referents. Then
the CPTS and HAD whose territories cover it (and the communes none covers),
the partners located in it and around it with their contacts, and its
communes (population, patients) in columns.

The sheet is for the team, not for the ARS: patient counts are shown as
they are (when given). Demo partners and demo patients are labelled
"fictif". A :class:`services.partner_filter.PartnerFilter` (labels,
psychologists of the psycho-oncology network only) narrows every partner
of the sheet, and page 1 says which filter was used.

Public names
------------
build_sheet -> SectorSheet (``pdf_bytes()``, ``html()``)
key_partners, sheet_map
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

from geo.access import require_acting
from geo.collation import french_key, french_sorted
from geo.errors import SecteursError
from geo.sectors.palette import SECTOR_PALETTE, sector_colours
from services.partner_filter import NO_FILTER, PartnerFilter

__all__ = ["build_sheet", "SectorSheet", "hub_contact", "neighbour_sectors", "key_partners", "sheet_map",
           "HUB_CONTACT_ENV", "DEFAULT_HUB_CONTACT", "AROUND_KM", "SHEET_SECTIONS"]

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
#: Under the title of the sheet.
SUBTITLE = "Service social — fiche à afficher et à conserver par la référente ou le référent du secteur"
#: Columns of :attr:`SectorSheet.key_partners`.
KEY_COLUMNS = ["type", "name", "why", "phone", "email"]
#: Psychologists listed among the key partners (the nearest ones).
KEY_PSYCHOLOGISTS = 3
#: Town names tried on the map (largest population first; those that would overlap are left out).
MAP_TOWNS = 40
_PHONE_COLUMNS = ("Téléphone", "E-mail")
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
    key_partners : DataFrame
        ``type, name, why, phone, email``: covering CPTS and HAD, nearest ERC and DAC, nearest psychologists.
    demo_partners, demo_patients : bool
    partner_filter : str
        The filter the partners were chosen with, in French ("" for every partner).
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
    key_partners: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=KEY_COLUMNS))
    demo_partners: bool = False
    demo_patients: bool = False
    around_km: float = AROUND_KM
    partner_filter: str = ""
    map_png: bytes = field(default=b"", repr=False)

    @property
    def demo(self) -> bool:
        return self.demo_partners or self.demo_patients

    @property
    def title(self) -> str:
        return f"Fiche du secteur {self.sector}"

    def _people_lines(self) -> list[str]:
        """Who: referent, group, hub (page 1, left)."""
        return [f"Référent·e : {self.referent or '—'}",
                f"Groupe : {self.groupe or '—'}",
                f"Poste flux/pivot : {self.hub}"]

    def _figure_lines(self) -> list[str]:
        """What: communes, population, patients, plan and date (page 1, right)."""
        population = int(self.communes["population"].sum())
        lines = [f"{_fr(len(self.communes))} communes, {_fr(population)} habitants"]
        if "patients" in self.communes:
            lines.append(f"{_fr(int(self.communes['patients'].sum()))} patients"
                         + (" (fictifs)" if self.demo_patients else ""))
        lines.append(f"Plan : {self.plan_label or 'non nommé'} — fiche du {self.date.strftime('%d/%m/%Y')}")
        lines.append(f"Partenaires filtrés : {self.partner_filter}" if self.partner_filter
                     else "Partenaires : tout l'annuaire (aucun filtre)")
        return lines

    def _notices(self) -> list[str]:
        out = []
        if self.demo_partners:
            out.append(f"{_FICTIF} : l'annuaire des partenaires est inventé (fictif) ; ne pas orienter de "
                       "patient vers ces partenaires.")
        if self.demo_patients:
            out.append(f"{_FICTIF} : les patients par commune sont tirés au hasard (fictifs).")
        return out

    def neighbour_lines(self) -> list[str]:
        """One line per neighbouring sector: name, referent (when another name), group, shared borders."""
        lines = []
        for row in self.neighbours.itertuples(index=False):
            who = row.secteur if row.referent in ("", row.secteur) else f"{row.secteur} — {row.referent}"
            lines.append(who + (f" (groupe {row.groupe})" if row.groupe else "")
                         + f" : {_fr(int(row.frontieres))} communes limitrophes")
        return lines

    def key_table(self) -> pd.DataFrame:
        """The key partners with French headers (page 1)."""
        return self.key_partners.reindex(columns=KEY_COLUMNS).fillna("").rename(
            columns={"type": "Type", "name": "Nom", "why": "Pourquoi", "phone": "Téléphone", "email": "E-mail"})

    def communes_table(self) -> pd.DataFrame:
        """The communes in French alphabetical order: name, department, population, patients."""
        communes = self.communes.iloc[sorted(range(len(self.communes)),
                                             key=lambda i: french_key(self.communes["nom"].iloc[i]))]
        out = pd.DataFrame({"Commune": communes["nom"].to_numpy(), "Dép.": communes["departement"].to_numpy(),
                            "Population": [_fr(v) for v in communes["population"]]})
        if "patients" in communes:
            out["Patients" + (" (fictifs)" if self.demo_patients else "")] = [_fr(v) for v in communes["patients"]]
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """The sheet's tables with French headers and formatted values, by section title."""
        neighbours = self.neighbours.assign(frontieres=[_fr(v) for v in self.neighbours["frontieres"]]).rename(
            columns={"secteur": "Secteur", "referent": "Référent·e", "groupe": "Groupe",
                     "frontieres": "Communes limitrophes"})
        zones = self.zones.rename(columns={"type": "Type", "name": "Nom", "communes": "Communes couvertes",
                                           "part": "Part du secteur (%)", "phone": "Téléphone",
                                           "email": "E-mail"})
        return {
            SHEET_SECTIONS[2]: neighbours,
            SHEET_SECTIONS[3]: zones,
            SHEET_SECTIONS[4]: _partners(self.partners_in, distance=False),
            SHEET_SECTIONS[5]: _partners(self.partners_around, distance=True),
            SHEET_SECTIONS[6]: self.communes_table(),
        }

    def uncovered_text(self) -> list[str]:
        out = []
        for type_, names in self.uncovered.items():
            if names:
                names = french_sorted(names)
                shown = ", ".join(names[:40]) + (f" … (+{len(names) - 40})" if len(names) > 40 else "")
                out.append(f"Communes couvertes par aucune {type_} ({len(names)}) : {shown}.")
            else:
                out.append(f"Toutes les communes du secteur sont couvertes par au moins une {type_}.")
        return out

    def _around_note(self) -> str:
        return (f"Partenaires situés hors du secteur à moins de {_fr(self.around_km)} km d'une de ses communes, "
                "et le plus proche de chaque type absent (distance à vol d'oiseau).")

    def pdf_bytes(self) -> bytes:
        """The sheet as an A4 PDF; page 1 is the wall version (see the module docstring)."""
        from services.reports._pdf import FONT, Document, french_spaces

        doc = Document(self.title, footer_note=f"Fiche du {self.date.strftime('%d/%m/%Y')}"
                       + (" — DONNÉES FICTIVES" if self.demo else ""))
        doc.add_page()
        doc.title_block(self.title, SUBTITLE)
        notices = self._notices()
        if notices:
            doc.warning("\n".join(notices))

        # 1. who and the key partners
        doc.section(SHEET_SECTIONS[0])
        half = (doc.epw - 4) / 2
        top = doc.get_y()
        doc.set_font(FONT, "", 9)
        for column, lines in enumerate((self._people_lines(), self._figure_lines())):
            doc.set_xy(doc.l_margin + column * (half + 4), top)
            for line in lines:
                doc.multi_cell(half, 4.6, french_spaces(line), new_x="LEFT", new_y="NEXT", align="L")
            bottom = doc.get_y() if column == 0 else max(bottom, doc.get_y())
        doc.set_xy(doc.l_margin, bottom + 1.5)
        doc.set_font(FONT, "B", 9)
        doc.cell(0, 5, "Partenaires clés", new_x="LMARGIN", new_y="NEXT")
        key = self.key_table()
        doc.frame_table(key, size=7, nowrap=_PHONE_COLUMNS)

        # 2. the map, with 3. the neighbours on its right
        doc.section(SHEET_SECTIONS[1])
        side = 58.0
        width = doc.epw - side - 4
        top = doc.get_y()
        if self.map_png:
            w_px, h_px = _png_size(self.map_png)
            room = doc.h - doc.b_margin - top - 1
            width = min(width, room * w_px / h_px)
            doc.png(self.map_png, width=width, x=doc.l_margin, y=top)
            map_bottom = top + width * h_px / w_px
        else:
            map_bottom = top
        x = doc.l_margin + doc.epw - side
        doc.set_xy(x, top)
        doc.set_font(FONT, "B", 11)
        doc.multi_cell(side, 6, SHEET_SECTIONS[2], new_x="LEFT", new_y="NEXT")
        doc.set_font(FONT, "", 8)
        for line in self.neighbour_lines() or ["(aucun secteur voisin)"]:
            doc.multi_cell(side, 4, french_spaces("• " + line), new_x="LEFT", new_y="NEXT", align="L")
            doc.set_y(doc.get_y() + 0.8)
            doc.set_x(x)
        doc.set_xy(doc.l_margin, max(map_bottom, doc.get_y()) + 2)

        # 4-7: the reference pages
        tables = self.tables()
        doc.section(SHEET_SECTIONS[3], new_page=True)
        doc.bullets(self.uncovered_text(), size=8)
        doc.frame_table(tables[SHEET_SECTIONS[3]], size=7, nowrap=(*_PHONE_COLUMNS, "Communes couvertes"),
                        align_right=["Communes couvertes", "Part du secteur (%)"])
        for title in SHEET_SECTIONS[4:6]:
            doc.section(title)
            if title == SHEET_SECTIONS[5]:
                doc.paragraph(self._around_note(), size=8)
            doc.frame_table(tables[title], size=6.5, nowrap=(*_PHONE_COLUMNS, "Distance (km)"),
                            align_right=["Distance (km)"])
        communes = tables[SHEET_SECTIONS[6]]
        first_rows = min(-(-len(communes) // 2), 12)      # the heading stays with the start of the list
        doc.section(SHEET_SECTIONS[6], new_page=doc.will_page_break(14 + (first_rows + 2) * 5.1))
        numbers = [c for c in communes.columns if c != "Commune" and c != "Dép."]
        for blocks in (3, 2, 1):
            try:
                doc.columns_table(communes, blocks, size=7, min_size=6, align_right=numbers,
                                  nowrap=["Commune", "Dép.", *numbers])
                break
            except SecteursError:
                if blocks == 1:
                    raise
        return doc.to_bytes()

    def html(self) -> str:
        """The sheet as one self-contained, print-friendly HTML page (map embedded); every text escaped."""
        esc = html_lib.escape
        parts = [f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>{esc(self.title)}</title>",
                 f"<style>{_CSS}</style></head><body>", "<section class='wall'>", f"<h1>{esc(self.title)}</h1>",
                 f"<p class='sub'>{esc(SUBTITLE)}</p>"]
        parts += [f"<p class='notice'>{esc(n)}</p>" for n in self._notices()]
        parts.append(f"<h2>{esc(SHEET_SECTIONS[0])}</h2><div class='two'>"
                     + "".join("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>"
                               for lines in (self._people_lines(), self._figure_lines())) + "</div>")
        parts.append("<h3>Partenaires clés</h3>" + _html_table(self.key_table(), nowrap=_PHONE_COLUMNS))
        parts.append(f"<div class='mapline'><div><h2>{esc(SHEET_SECTIONS[1])}</h2>")
        if self.map_png:
            data = base64.b64encode(self.map_png).decode("ascii")
            parts.append(f"<img class='map' alt='Carte du secteur {esc(self.sector)}' "
                         f"src='data:image/png;base64,{data}'>")
        parts.append(f"</div><div class='side'><h2>{esc(SHEET_SECTIONS[2])}</h2><ul>"
                     + "".join(f"<li>{esc(line)}</li>" for line in self.neighbour_lines() or ["(aucun)"])
                     + "</ul></div></div></section>")
        tables = self.tables()
        parts.append(f"<section class='next'><h2>{esc(SHEET_SECTIONS[3])}</h2><ul>"
                     + "".join(f"<li>{esc(t)}</li>" for t in self.uncovered_text()) + "</ul>"
                     + _html_table(tables[SHEET_SECTIONS[3]], nowrap=_PHONE_COLUMNS) + "</section>")
        for title in SHEET_SECTIONS[4:6]:
            note = f"<p>{esc(self._around_note())}</p>" if title == SHEET_SECTIONS[5] else ""
            parts.append(f"<section><h2>{esc(title)}</h2>{note}"
                         + _html_table(tables[title], nowrap=(*_PHONE_COLUMNS, "Distance (km)")) + "</section>")
        communes = tables[SHEET_SECTIONS[6]]
        blocks = 2                    # two blocks side by side fit an A4 page in print (as in the PDF)
        per_block = -(-len(communes) // blocks) if len(communes) else 0
        numbers = [c for c in communes.columns if c not in ("Commune", "Dép.")]
        parts.append(f"<section><h2>{esc(SHEET_SECTIONS[6])}</h2><div class='columns'>"
                     + "".join(_html_table(communes.iloc[b * per_block:(b + 1) * per_block],
                                           nowrap=numbers, right=numbers)
                               for b in range(blocks) if per_block and b * per_block < len(communes))
                     + "</div></section>")
        parts.append("</body></html>")
        return "\n".join(parts)


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11px; margin: 1.5em; color: #111; }
h1 { font-size: 20px; margin-bottom: 0.1em; } p.sub { margin-top: 0; font-size: 12px; } h2 { font-size: 15px; margin: 1em 0 0.4em; }
h3 { font-size: 12px; margin: 0.8em 0 0.3em; }
table.t { border-collapse: collapse; } table.t th, table.t td { border: 1px solid #bbb;
padding: 2px 4px; text-align: left; vertical-align: top; } table.t th { background: #eee; }
table.t td.nowrap { white-space: nowrap; } table.t td.num { text-align: right; }
.notice { border: 1px solid #c90; background: #fff3d0; padding: 4px 8px; font-weight: bold; }
.two { display: flex; gap: 2em; } .two ul { margin: 0; padding-left: 1.2em; }
.mapline { display: flex; gap: 1.5em; align-items: flex-start; } .side { min-width: 14em; max-width: 22em; }
img.map { max-width: 13cm; width: 100%; }
.columns { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1.5em; align-items: start; }
.columns table.t { width: 100%; font-size: 0.92em; }
@page { size: A4; margin: 1cm; }
@media print { body { margin: 0; font-size: 9pt; } img.map { width: auto; max-width: 100%; max-height: 10.5cm; }
  table.t { font-size: 8pt; } table.t th, table.t td { padding: 1px 3px; } h2 { margin: 0.6em 0 0.3em; }
  h1 { margin-top: 0; } section.wall { break-after: page; }
  section { break-inside: auto; } h2 { break-after: avoid; } tr { break-inside: avoid; }
  .notice { background: none; } }
"""


def _html_table(frame: pd.DataFrame, nowrap=(), right=()) -> str:
    """A table with every heading and cell escaped; ``nowrap`` columns stay on one line, ``right`` ones align right."""
    if frame.empty:
        return "<p><em>(aucune ligne)</em></p>"
    esc = html_lib.escape
    classes = [" ".join(n for n, on in (("nowrap", c in set(nowrap)), ("num", c in set(right))) if on)
               for c in frame.columns]
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for value, kind in zip(values, classes):
            text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
            cells.append(f"<td class='{kind}'>{esc(text)}</td>" if kind else f"<td>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='t'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG header."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _fr(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
    return f"{int(value):,}".replace(",", "\u202f")


def _km(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _partners(frame: pd.DataFrame, distance: bool) -> pd.DataFrame:
    columns = ["type", "name", "commune", *(["distance_km"] if distance else []), "phone", "email", "address"]
    out = frame.reindex(columns=columns).copy()
    if distance:
        out["distance_km"] = [_km(d) for d in out["distance_km"]]
    return out.fillna("").rename(columns=_PARTNER_HEADERS)


def _people(plan, team) -> tuple[dict, dict]:
    from geo.sectors.record import PlanRecord

    record = plan if isinstance(plan, PlanRecord) else PlanRecord(plan)
    if team is not None:
        record = record.replace(team=team)
    return record.referents, record.groups


def _french_order(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    """Rows sorted by ``keys`` in French alphabetical order (numbers as numbers)."""
    if frame.empty:
        return frame
    order = sorted(range(len(frame)), key=lambda i: tuple(french_key(frame[k].iloc[i]) if frame[k].dtype == object
                                                          else (frame[k].iloc[i],) for k in keys))
    return frame.iloc[order]


def key_partners(zones: pd.DataFrame, located: pd.DataFrame, in_sector: pd.Series,
                 psychologists: int = KEY_PSYCHOLOGISTS, partner_filter: PartnerFilter = NO_FILTER) -> pd.DataFrame:
    """The partners a new referent calls first, one line each.

    Parameters
    ----------
    zones : DataFrame
        CPTS and HAD covering the sector (:attr:`SectorSheet.zones`), most communes covered first.
    located : DataFrame
        Every located partner with ``distance_km`` to the nearest commune of the sector.
    in_sector : Series of bool
        Whether each row of ``located`` lies in the sector.
    partner_filter : PartnerFilter, optional
        The filter ``zones`` and ``located`` were chosen with: the reason of a
        filtered type names it (e.g. "réseau psycho-oncologie" for psychologists).

    Returns
    -------
    DataFrame ``type, name, why, phone, email``: the covering CPTS and HAD (at most 3 and 2), the
    nearest ERC and DAC, the ``psychologists`` nearest psychologists.
    """
    rows = []
    for type_, most in (("CPTS", 3), ("HAD", 2)):
        chosen = zones[zones["type"] == type_].head(most)
        for row in chosen.itertuples(index=False):
            rows.append({"type": type_, "name": row.name,
                         "why": f"couvre {row.part}\u00a0% du secteur" + _note(partner_filter, type_),
                         "phone": row.phone, "email": row.email})
    for type_, most in (("ERC", 1), ("DAC", 1), ("PSY", psychologists)):
        candidates = located[located["type"] == type_].assign(inside=in_sector[located["type"] == type_])
        for row in candidates.sort_values(["distance_km", "name"]).head(most).itertuples(index=False):
            where = "dans le secteur" if row.inside else f"à {_km(row.distance_km)}\u00a0km du secteur"
            why = (("le plus proche, " if most == 1 else "") + where + (f" ({row.commune})" if row.commune else "")
                   + _note(partner_filter, type_))
            rows.append({"type": type_, "name": row.name, "why": why, "phone": row.phone, "email": row.email})
    return pd.DataFrame(rows, columns=KEY_COLUMNS).fillna("")


def _note(partner_filter: PartnerFilter, type_: str) -> str:
    note = partner_filter.type_note(type_)
    return f" — {note}" if note else ""


def build_sheet(conn: sqlite3.Connection, plan, sector: str, *, patients=None, team=None,
                plan_label: str = "", demo_patients: bool = False, around_km: float = AROUND_KM,
                date: dt.date | None = None, with_map: bool = True, territory=None,
                partner_filter: PartnerFilter = NO_FILTER) -> SectorSheet:
    """Everything on one sector's sheet.

    Parameters
    ----------
    conn : sqlite3.Connection
        The database with the partner directory.
    plan : PlanRecord or DataFrame
        A record (its team gives the groups), or ``code_insee, sector`` and
        optional ``referent``, ``groupe`` (:func:`services.routing.read_plan_people`).
    sector : str
        One of the plan's sectors.
    patients : DataFrame, optional
        ``code_insee, patients``; without it the communes table has no patients.
    team : geo.sectors.team.Team, optional
        Gives groups by referent name (default: the record's team).
    plan_label : str
    demo_patients : bool
        The counts are the FICTITIOUS demo counts (labelled on the sheet).
    around_km : float
        Radius of the "around the sector" partners.
    date : date, optional
    with_map : bool
        Draw the map (False: faster, e.g. for a preview).
    territory : geo.territory.Territory, optional
        The territory (default: the process-wide committed one).
    partner_filter : PartnerFilter, optional
        Keep only the partners with these labels / the network's psychologists
        (every partner by default); said on page 1.

    Returns
    -------
    SectorSheet

    Raises
    ------
    SecteursError
        ``reports.unknown_sector``: ``sector`` is not in the plan (``sectors`` lists them).
    """
    require_acting("fiche.view")

    import partners as directory
    from partners.demo import DEMO_SOURCE
    from scipy.spatial import cKDTree

    from geo.adjacency import unit_edges
    from services.coverage._common import lonlat_to_lambert93
    from services.reports.coverage_data import _plan_series
    from geo.territory import as_territory

    from geo.sectors.record import PlanRecord

    record = plan if isinstance(plan, PlanRecord) else PlanRecord(plan)
    plan = record.frame
    sectors_list = french_sorted(plan["sector"].unique())
    if sector not in sectors_list:
        raise SecteursError("reports.unknown_sector", sector=sector, sectors=sectors_list)
    territory = as_territory(territory)
    units = territory.units
    sectors = _plan_series(plan[["code_insee", "sector"]], units)
    sectors = sectors.where(sectors != "(hors plan)")
    inside = (sectors == sector).to_numpy()
    members = units.loc[inside, ["code_insee", "nom", "departement", "population"]].reset_index(drop=True)
    codes = members["code_insee"].tolist()
    if patients is not None:
        counts = patients.groupby(patients["code_insee"].astype(str))["patients"].sum()
        members["patients"] = counts.reindex(members["code_insee"]).fillna(0).astype("int64").to_numpy()
    referents, groups = _people(record, team)

    near = neighbour_sectors(sectors.reset_index(drop=True), unit_edges(territory), sector)
    neighbours = pd.DataFrame({"secteur": near.index.astype(str),
                               "referent": [referents.get(s, s) for s in near.index],
                               "groupe": [groups.get(s, "") for s in near.index],
                               "frontieres": near.to_numpy()})

    table = partner_filter.keep(directory.list_partners(conn))
    demo_partners = bool(len(table)) and bool((table["source"] == DEMO_SOURCE).any())
    located = table.dropna(subset=["lon", "lat"]).reset_index(drop=True)
    points = territory.reference_xy[inside]
    if len(located):
        xy = lonlat_to_lambert93(located["lon"], located["lat"])
        distance, _ = cKDTree(points).query(xy, k=1)
        located["distance_km"] = distance / 1000.0
    else:
        located["distance_km"] = pd.Series(dtype=float)
    in_sector = located["code_insee"].astype(str).isin(codes)
    partners_in = _french_order(located[in_sector], "type", "name")
    outside = located[~in_sector]
    around = outside[outside["distance_km"] <= around_km]
    missing = [t for t in outside["type"].unique() if t not in set(partners_in["type"]) | set(around["type"])]
    nearest = outside[outside["type"].isin(missing)].sort_values("distance_km").groupby("type").head(1)
    partners_around = pd.concat([around, nearest]).sort_values(["type", "distance_km"], kind="stable")

    covered_by = directory.covering_counts(conn, codes)
    zone_rows = table[table["id"].isin(covered_by) & table["type"].isin(["CPTS", "HAD"])].copy()
    zone_rows["communes"] = zone_rows["id"].map(covered_by).astype(int)
    zone_rows["part"] = [f"{100 * n / max(len(codes), 1):.1f}".replace(".", ",") for n in zone_rows["communes"]]
    zones = zone_rows.sort_values(["type", "communes"], ascending=[True, False], kind="stable")[
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
                        communes=_french_order(members, "departement", "nom").reset_index(drop=True),
                        neighbours=neighbours, zones=zones, uncovered=uncovered,
                        partners_in=partners_in.reset_index(drop=True),
                        partners_around=partners_around.reset_index(drop=True),
                        key_partners=key_partners(zones, located, in_sector, partner_filter=partner_filter),
                        demo_partners=demo_partners, demo_patients=demo_patients, around_km=around_km,
                        partner_filter=partner_filter.describe())
    if with_map:
        sheet.map_png = sheet_map(units, sectors, sector, neighbours, pd.concat([partners_in, partners_around]),
                                  referents=referents, demo=sheet.demo).png
    return sheet


#: Kept for the app page: the sheet's sector and neighbour colours when no plan is known (first palette colours).
SECTOR_COLOUR = SECTOR_PALETTE[0]
NEIGHBOUR_COLOURS = tuple(SECTOR_PALETTE[1:9])


def sheet_map(units, sectors: pd.Series, sector: str, neighbours: pd.DataFrame, partners: pd.DataFrame,
              referents: dict | None = None, demo: bool = False, size: tuple[float, float] = (5.2, 4.9),
              dpi: int = 200):
    """The sheet's map: sectors in their workers' colours (this one outlined), main towns, partners by type.

    Returns
    -------
    services.reports._maps.MapImage
    """
    from services.reports import _maps

    referents = referents or {}
    codes = units["code_insee"].astype(str).to_numpy()
    labels = sectors.to_numpy(dtype=object)
    palette = sector_colours([s for s in pd.unique(labels) if isinstance(s, str)])
    colours = pd.Series(None, index=codes, dtype=object)
    colours[labels == sector] = palette[sector]
    names = neighbours["secteur"].tolist()
    for name in names:
        colours[labels == name] = palette[name]

    def who(name):
        referent = referents.get(name, name)
        return name if referent in ("", name) else f"{name} ({referent})"

    legend = [(palette[sector], f"{who(sector)} : ce secteur")]
    legend += [(palette[n], who(n)) for n in french_sorted(names)]
    lon, lat = units["mairie_lon"].to_numpy(float), units["mairie_lat"].to_numpy(float)
    own = (labels == sector) & np.isfinite(lon)      # every unit has a town hall point (territory check)
    text = []
    # neighbour names first (highest priority): at the town hall nearest the middle of their part in
    # view (the first candidate that fits without covering another name)
    pad = 0.1
    view = (np.isfinite(lon) & (lon >= lon[own].min() - pad) & (lon <= lon[own].max() + pad)
            & (lat >= lat[own].min() - pad) & (lat <= lat[own].max() + pad))
    for name in names:
        mask = (labels == name) & view
        if mask.any():
            middle = np.median(lon[mask]), np.median(lat[mask])
            order = np.argsort(np.hypot(lon[mask] - middle[0], (lat[mask] - middle[1]) * 1.4))
            text.append((lon[mask][order], lat[mask][order], name, 1e12))
    population = units["population"].to_numpy(float)
    towns = np.flatnonzero(own)
    towns = towns[np.argsort(-population[towns], kind="stable")][:MAP_TOWNS]
    text += [(float(lon[i]), float(lat[i]), str(units["nom"].iloc[i]), float(population[i])) for i in towns]
    focus = codes[labels == sector]
    located = partners.dropna(subset=["lon", "lat"]) if len(partners) else partners
    return _maps.render(colours, legend=legend, focus=focus, outline=focus,
                        points=located[["lon", "lat", "type"]] if len(located) else None, labels=text,
                        strong_labels=names, size=size, dpi=dpi, legend_columns=3, label_size=6,
                        marker_scale=1.6, legend_size=6, outline_width=1.1, empty_label="autre secteur",
                        outline_label=f"communes du secteur {sector}",
                        note="Partenaires fictifs" if demo else "")
