"""The ARS report as PDF (private): see :meth:`services.reports.ars.ArsReport.pdf_bytes`."""
from __future__ import annotations

import pandas as pd

from geo.collation import french_key, french_sorted
from services.reports._pdf import Document

#: Section titles, in order (tests read them back).
SECTIONS = ("1. Synthèse", "2. Cartes", "3. Par département", "4. Par secteur",
            "5. Patients par département et par secteur", "6. Zones blanches", "7. Méthode",
            "8. Sources des données")


def fr_number(value, decimals: int = 0) -> str:
    """French formatting: narrow no-break space for thousands, decimal comma; text kept as is."""
    if isinstance(value, str) or value is None:
        return "" if value is None else value
    if pd.isna(value):
        return "—"
    text = f"{float(value):,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text


def _pick(frame: pd.DataFrame, columns: dict[str, tuple[str, int]]) -> pd.DataFrame:
    """Columns renamed to short headings and formatted: {source: (heading, decimals or -1 for text)}."""
    out = pd.DataFrame()
    for source, (heading, decimals) in columns.items():
        if source not in frame.columns:
            continue
        values = frame[source]
        if decimals < 0:
            out[heading] = [fr_number(int(v)) if heading == "Patients" and str(v).isdigit() else str(v)
                            for v in values]
        else:
            out[heading] = [fr_number(v, decimals) for v in values]
    return out


def _count(value) -> str:
    """A (masked) patient count as printed: digits in French format, symbols as they are."""
    text = str(value)
    return fr_number(int(text)) if text.isdigit() else text


def _french_rows(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows in French alphabetical order of ``key``; the total row (and rows without a sector) stay last."""
    from services.coverage import TOTAL_LABEL

    last = frame[key].astype(str).isin([TOTAL_LABEL, "(hors plan)"])
    body = frame[~last]
    body = body.iloc[sorted(range(len(body)), key=lambda i: french_key(body[key].iloc[i]))]
    return pd.concat([body, frame[last]], ignore_index=True)


#: Printed width of a map (mm): the figure's own width (3.1 in), so its legend prints at 5.5 pt; three rows a page.
MAP_WIDTH = 78.0


def _map_grid(doc: Document, maps: dict[str, bytes], gap: float = 4.0) -> None:
    """Maps two by two, each under its title; a new page when the next row does not fit."""
    column = (doc.epw - gap) / 2
    width = min(MAP_WIDTH, column)
    items = list(maps.items())
    for start in range(0, len(items), 2):
        row = items[start:start + 2]
        sizes = [_png_size(png) for _, png in row]
        heights = [width * h / w for w, h in sizes]
        caption = max(doc.caption_height(title, column) for title, _ in row)
        if doc.will_page_break(caption + max(heights) + 2):
            doc.add_page()
        top = doc.get_y()
        for col, ((title, png), height) in enumerate(zip(row, heights)):
            x = doc.l_margin + col * (column + gap)
            doc.caption(title, column, x, top)
            doc.png(png, width=width, x=x + (column - width) / 2, y=top + caption + 0.5)
        doc.set_y(top + caption + max(heights) + 3)


def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG header."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _summary_columns(key_heading: str, key: str, types) -> dict:
    columns = {key: (key_heading, -1), "Nom": ("Nom", -1), "Communes": ("Communes", 0),
               "Population": ("Population", 0), "Patients": ("Patients", -1),
               "Part de la population couverte par une zone CPTS (%)": ("CPTS % pop.", 1),
               "Part de la population couverte par une zone HAD (%)": ("HAD % pop.", 1)}
    for type_ in types:
        columns[f"Distance moyenne au plus proche {type_} (km, pondérée par la population)"] = (f"{type_} km", 1)
    for type_ in ("PSY", "ERC"):
        columns[f"Accessibilité {type_} (E2SFCA, pour 100 000 habitants)"] = (f"Acc. {type_}", 2)
    return columns


def render(report, *, title: str, demo_warning: str, method_notes) -> bytes:
    """The PDF of ``report``; ``method_notes(coverage)`` gives the method section (passed in, no import cycle)."""
    from services.coverage import TOTAL_LABEL

    coverage = report.coverage
    date = report.date.strftime("%d/%m/%Y")
    doc = Document("Couverture territoriale — rapport pour l'ARS",
                   footer_note=f"Rapport du {date}" + (" — DONNÉES FICTIVES" if report.demo else ""))
    doc.add_page()
    doc.title_block(title, f"Date : {date} — Plan de secteurs : {report.plan_label or 'non nommé'}")
    if report.demo:
        doc.warning(demo_warning)
    doc.paragraph("Tous les effectifs de patients de ce document sont soumis au secret statistique : "
                  "« < 11 » pour 1 à 10 patients, « s » pour un effectif masqué afin qu'aucun autre ne puisse "
                  "être retrouvé par différence (voir 7. Méthode).", style="I")

    # 1. summary
    doc.section(SECTIONS[0])
    protection = coverage.protection()
    units = coverage.units
    total = protection.display("total").iloc[0]
    partners = coverage.partners["type"].value_counts()
    white = report.tables["zones_blanches"]
    doc.bullets([
        f"Territoire : {fr_number(len(units))} communes et arrondissements de 12 départements, "
        f"{fr_number(units['population'].sum())} habitants.",
        f"Patients suivis : {fr_number(int(total)) if total.isdigit() else total}.",
        f"Secteurs : {units['secteur'].nunique()} (un·e référent·e par secteur).",
        "Partenaires positionnés : " + ", ".join(f"{t} {fr_number(n)}" for t, n in partners.items()) + ".",
        *[f"Zone blanche — {row['Critère']} : {fr_number(row['Communes'])} communes, "
          f"{fr_number(row['Population'])} habitants, patients : {row['Patients']}."
          for _, row in white.iterrows()],
    ])

    # 2. maps, four per page, each with its title printed above it (wrapped, never cut)
    doc.section(SECTIONS[1], new_page=True)
    _map_grid(doc, report.maps())

    types = [t for t in coverage.types if f"distance_km_{t}" in units.columns]
    doc.section(SECTIONS[2])
    deps = _pick(report.tables["departements"], _summary_columns("Dép.", "Département", types))
    doc.frame_table(deps, size=6, align_right=[c for c in deps.columns if c not in ("Dép.", "Nom")])
    doc.paragraph("Distances : moyenne pondérée par la population, en km à vol d'oiseau, au plus proche partenaire "
                  "du type. Accessibilité : moyenne pondérée de l'indice E2SFCA pour 100\u202f000 habitants.", size=7)

    doc.section(SECTIONS[3])
    secs = _pick(_french_rows(report.tables["secteurs"], "Secteur"), _summary_columns("Secteur", "Secteur", types))
    doc.frame_table(secs, size=6, align_right=[c for c in secs.columns if c != "Secteur"])

    doc.section(SECTIONS[4])
    cross = report.tables["departements_secteurs"]
    grid = cross.pivot(index="Département", columns="Secteur", values="Patients").fillna("0")
    order = french_sorted(c for c in grid.columns if c != TOTAL_LABEL) + [TOTAL_LABEL]
    grid = grid[order].reset_index()
    grid = grid.assign(**{c: [_count(v) for v in grid[c]] for c in order})
    if grid.shape[1] <= 16:
        doc.frame_table(grid, size=6, align_right=order, nowrap=order)
    else:
        long = _french_rows(cross, "Secteur").assign(Patients=lambda f: [_count(v) for v in f["Patients"]])
        doc.frame_table(long, size=6, align_right=["Patients"], nowrap=["Patients"])

    doc.section(SECTIONS[5])
    doc.subsection("Synthèse régionale")
    doc.frame_table(_pick(white, {"Critère": ("Critère", -1), "Communes": ("Communes", 0),
                                  "Population": ("Population", 0),
                                  "Part de la population (%)": ("% population", 1), "Patients": ("Patients", -1)}),
                    size=7, align_right=["Communes", "Population", "% population", "Patients"])
    doc.subsection("Par département : communes (habitants)")
    by_dep = report.tables["zones_blanches_departements"]
    cells = by_dep.assign(cell=[f"{fr_number(n)}\u00a0({fr_number(p)}\u00a0hab.)"
                                for n, p in zip(by_dep["Communes"], by_dep["Population"])])
    grid = cells.pivot(index=["Département", "Nom"], columns="Critère", values="cell")
    grid = grid[list(dict.fromkeys(by_dep["Critère"]))].reset_index()
    doc.frame_table(grid, size=6)
    doc.paragraph(f"La liste des {fr_number(len(report.tables['zones_blanches_communes']))} communes en zone blanche "
                  "(avec leur population, leurs patients masqués et les distances) est dans les fichiers "
                  "CSV et XLSX joints.", size=8)

    doc.section(SECTIONS[6], new_page=True)
    for heading, paragraphs in method_notes(coverage):
        doc.subsection(heading)
        for text in paragraphs:
            doc.paragraph(text, size=8.5)

    doc.section(SECTIONS[7])
    doc.bullets(report.sources, size=8.5)
    return doc.to_bytes()
