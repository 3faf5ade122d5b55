"""Couverture: maps by unit, white zones, tables by department and sector, the ARS report (masked)."""
from __future__ import annotations

import io
import zipfile

import pandas as pd
import streamlit as st

from app import resources
from services import audit
from app.auth import can
from app.map import Paint, classify, show_map
from app.ui import counts_picker, fictitious_notice, fr_int, plain_md, plan_record_picker, french
from services.coverage import PRIMARY_SYMBOL, SECONDARY_SYMBOL, TOTAL_LABEL
from services.reports import DEFAULT_MAX_KM, FILE_STEM, TABLE_TITLES, method_notes
from services.reports.unmasked import true_patients, true_tables

MAP_KEY = "couverture_map"
#: Indicators on the map (French label -> kind, column).
PATIENTS = "Patients par commune"
WHITE = "Zones blanches"
DISTANCE_BOUNDS = [0, 5, 10, 20, 30, 45]
PATIENT_BOUNDS = [1, 2, 3, 5, 10, 20]
#: Masked classes in ARS mode: (label, colour).
MASKED_CLASSES = (("0", None), (PRIMARY_SYMBOL, "#fdd0a2"), ("11 à 19", "#fdae6b"), ("20 à 49", "#e6550d"),
                  ("50 et plus", "#a63603"), (f"{SECONDARY_SYMBOL} (secret secondaire)", "#9e9ac8"))
YES, NO = "#74c476", "#fb6a4a"
DISTANCE_PALETTE = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")
ACCESS_PALETTE = ("#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c")


def _ranges(values: pd.Series, bounds: list[float], palette: tuple, title: str, unit: str) -> Paint:
    """Units coloured by class ``[bounds[i], bounds[i+1])`` (NaN unfilled), with a legend."""
    import numpy as np

    palette = palette[:len(bounds)]
    ok = values.dropna()
    index = np.clip(np.searchsorted(np.asarray(bounds, float), ok.to_numpy(float), side="right") - 1, 0,
                    len(bounds) - 1)
    fmt = lambda v: f"{v:g}".replace(".", ",")  # noqa: E731
    legend = [(palette[i], f"{fmt(low)} à {fmt(bounds[i + 1])}{unit}" if i + 1 < len(bounds)
               else f"{fmt(low)}{unit} et plus") for i, low in enumerate(bounds)]
    return Paint(fill={str(c): int(k) for c, k in zip(ok.index, index)}, palette=palette, legend=(title, legend))


st.title("Couverture")
st.caption("Couverture du territoire par les partenaires, accessibilité (E2SFCA), zones blanches, et le rapport "
           "pour l'ARS avec les effectifs de patients masqués.")

with st.expander("Plan de secteurs et patients", expanded=not resources.saved_plans()):
    record = plan_record_picker("couverture", workers=False)
    counts, counts_label, counts_are_demo = counts_picker("couverture")
if record is None or counts is None:
    st.info("Aucun plan de secteurs : enregistrez-en un sur la page Secteurs, importez un fichier plan.csv "
            "ou proposez un plan de démonstration (ci-dessus).")
    st.stop()

plan, plan_label, plan_is_demo = record.assignment, record.label, record.demo
directory = resources.partner_table()
demo_partners = resources.partners_are_demo(directory)
st.caption(f"Plan : {plain_md(plan_label)} — Patients : {plain_md(counts_label)}")
if counts_are_demo or plan_is_demo:
    fictitious_notice(("patients tirés au hasard" if counts_are_demo else "plan proposé sur des patients tirés "
                       "au hasard") + (" et plan proposé sur ces patients" if plan_is_demo and counts_are_demo
                                       else "") + " (aucun patient réel).")
if demo_partners:
    fictitious_notice("l'annuaire des partenaires est un annuaire de démonstration inventé (fictif).")

controls = st.columns([1, 1, 2])
max_km = {t: controls[i].number_input(f"Zone blanche : {t} à plus de (km)", min_value=1.0, max_value=200.0,
                                      value=float(km), step=5.0, key=f"couverture_km_{t}")
          for i, (t, km) in enumerate(DEFAULT_MAX_KM.items())}
ars_forced = not can("coverage.unmasked")  # the ARS role: masked figures only, no way to switch it off
ars = controls[2].toggle("Mode ARS (effectifs masqués)", key="couverture_ars", value=ars_forced, disabled=ars_forced,
                         help="N'affiche que les effectifs tels qu'ils sortent pour l'ARS : 1 à 10 patients "
                              f"« {PRIMARY_SYMBOL} », secret secondaire « {SECONDARY_SYMBOL} ».") or ars_forced
key = (plan, counts, tuple(sorted(max_km.items())), resources.directory_version())
try:
    coverage = resources.coverage(*key)
    from services.coverage.releases import counts_fingerprint, release_count

    releases = release_count(resources.connection(), counts_fingerprint(counts))
    report = resources.ars_report(*key, plan_label, counts_are_demo, counts_label, releases)
except ValueError as exc:             # e.g. a plan file with codes that are not units of the territory
    st.error(f"Couverture impossible à calculer : {french(exc)}")
    st.stop()
table = coverage.units.set_index("code_insee")

# -- map ------------------------------------------------------------------------------------------
types = [t for t in coverage.types if table[f"distance_km_{t}"].notna().any()]
indicators = [PATIENTS, "Couverture CPTS", "Couverture HAD", WHITE, "Accessibilité PSY (E2SFCA)",
              "Accessibilité ERC (E2SFCA)", *[f"Distance au plus proche {t}" for t in types]]
choice = st.selectbox("Carte", indicators, key="couverture_indicator")
paint = Paint()
if choice == PATIENTS and ars:
    # communes are too small for counts: each is coloured by its published department x sector cell
    display = coverage.patient_map_layers()["Patients par département et secteur"]
    labels = [label for label, _ in MASKED_CLASSES]
    palette = tuple(c or "#ffffff" for _, c in MASKED_CLASSES)

    def _class(text: str) -> int | None:
        if text == PRIMARY_SYMBOL:
            return 1
        if text == SECONDARY_SYMBOL:
            return 5
        value = int(text)
        return None if value == 0 else 2 if value < 20 else 3 if value < 50 else 4

    fill = {code: _class(text) for code, text in display.items()}
    paint = Paint(fill={c: k for c, k in fill.items() if k is not None}, palette=palette,
                  tips={code: f"{text} patient(s) dans son croisement département × secteur (masqué)"
                        for code, text in display.items()},
                  legend=("Patients (mode ARS)", [(palette[i], labels[i]) for i in range(1, 6)]))
elif choice == PATIENTS:
    patients = true_patients(coverage)  # refused to the ARS role by the service itself
    paint.fill, items = classify(patients, PATIENT_BOUNDS)
    paint.tips = {code: f"{n} patient(s)" for code, n in patients.items() if n}
    paint.legend = ("Patients (effectifs réels)", items)
elif choice.startswith("Couverture"):
    zone = choice.split()[-1]
    covered = table[f"covered_{zone}"]
    paint = Paint(fill={c: (0 if v else 1) for c, v in covered.items()}, palette=(YES, NO),
                  legend=(f"Territoire d'une {zone}", [(YES, "couverte"), (NO, "non couverte")]))
elif choice == WHITE:
    flags = coverage.flags.set_index("code_insee")
    paint = Paint(fill={c: 0 for c in flags.index[flags["white"]]}, palette=("#d73027",),
                  tips={c: r for c, r in flags.loc[flags["white"], "reasons"].items()},
                  legend=("Zones blanches", [("#d73027", "au moins un critère")]))
elif choice.startswith("Accessibilité"):
    type_ = choice.split()[1]
    values = table[f"accessibility_{type_}"]
    positive = values[values > 0]
    bounds = sorted({round(float(q), 2) for q in positive.quantile([0.25, 0.5, 0.75, 0.9])} - {0.0})
    paint = _ranges(values.where(values > 0), [0.0, *bounds], ACCESS_PALETTE, f"Accessibilité {type_} "
                    "(pour 100 000 hab., 0 : aucun partenaire à portée)", "")
    paint.tips = {c: f"{v:.2f} pour 100 000 hab.".replace(".", ",") for c, v in values.items()}
else:
    type_ = choice.split()[-1]
    values = table[f"distance_km_{type_}"]
    paint = _ranges(values, DISTANCE_BOUNDS, DISTANCE_PALETTE, f"Distance au plus proche {type_}", " km")
    paint.tips = {c: f"{v:.1f} km du plus proche {type_}".replace(".", ",") for c, v in values.items()}
show_map(paint, key=MAP_KEY, partners=directory)
st.caption("Distances à vol d'oiseau depuis la mairie de chaque commune ; en montagne, la route est plus longue.")


# -- tables ----------------------------------------------------------------------------------------
if ars:
    st.info("Mode ARS : les effectifs affichés sont ceux des fichiers pour l'ARS "
            f"(« {PRIMARY_SYMBOL} » pour 1 à 10 patients, « {SECONDARY_SYMBOL} » pour le secret secondaire).")
    shown = report.tables
else:
    st.warning("Effectifs réels : à ne pas diffuser. Le mode ARS montre ce qui sort de l'application.",
               icon="🔒")
    # built once per shared coverage (a few tenths of a second per run otherwise); refused to the ARS role
    shown = true_tables(coverage)

summary = st.columns(4)
summary[0].metric("Communes", fr_int(len(table)))
summary[1].metric("Population", fr_int(table["population"].sum()))
total = shown["departements"].set_index("Département").loc[TOTAL_LABEL, "Patients"]
summary[2].metric("Patients", fr_int(total) if str(total).isdigit() else total)
white_row = shown["zones_blanches"].iloc[-1]
summary[3].metric("Communes en zone blanche", fr_int(white_row["Communes"]),
                  help=f"{white_row['Critère']} ; patients : {white_row['Patients']}")

tabs = st.tabs(["Par département", "Par secteur", "Département × secteur", "Zones blanches", "Méthode"])
with tabs[0]:
    st.dataframe(shown["departements"], hide_index=True)
with tabs[1]:
    st.dataframe(shown["secteurs"], hide_index=True)
with tabs[2]:
    cross = shown["departements_secteurs"]
    grid = cross.pivot(index="Département", columns="Secteur", values="Patients")
    st.dataframe(grid.fillna("0").astype(str) if ars else grid.fillna(0).astype("int64"))
with tabs[3]:
    st.dataframe(shown["zones_blanches"], hide_index=True)
    st.caption("Communes en zone blanche (au moins un critère) :")
    st.dataframe(shown["zones_blanches_communes"], hide_index=True)
with tabs[4]:
    for heading, paragraphs in method_notes(coverage):
        st.markdown(f"**{heading}**")
        for text in paragraphs:
            st.write(text)

# -- the ARS report ----------------------------------------------------------------------------------
st.subheader("Rapport pour l'ARS")
st.write("Le PDF (cartes, tableaux, méthode, date, sources) et les tableaux en CSV et XLSX ; tous les effectifs "
         "y sont masqués et le masquage est vérifié avant l'export.")
buttons = st.columns(3)
cells = report.cell_counts()


def _audited(event: str, filename: str, release):
    """On click: the release register, then the audit trail (who downloaded which ARS file)."""
    return audit.recorder(resources.connection, event, target=filename,
                          then=lambda: resources.record_release(release))



st.caption(f"Masquage : {fr_int(cells['published'])} effectifs publiés, {fr_int(cells['masked'])} masqués "
           f"« {PRIMARY_SYMBOL} », {fr_int(cells['suppressed'])} supprimés « {SECONDARY_SYMBOL} », "
           f"{fr_int(cells['classes'])} communes par classe ; vérifié avec {fr_int(releases)} rapport(s) déjà "
           "publié(s) sur les mêmes effectifs. Chaque téléchargement est inscrit au registre des publications.")


def _csv_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in report.csv_files().items():
            bundle.writestr(name, data)
    return archive.getvalue()


# the workbook is made once per report (kept by the shared report; its export check shows here), the CSV
# archive when clicked (deferred data: formatting every table as text took ~0.2 s of every run)
buttons[1].download_button("Tableaux (XLSX)", report.xlsx_bytes(), f"{FILE_STEM}.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="couverture_xlsx",
                           on_click=_audited("export.ars_xlsx", f"{FILE_STEM}.xlsx", report))
buttons[2].download_button("Tableaux (CSV, zip)", _csv_zip, f"{FILE_STEM}_csv.zip", "application/zip",
                           key="couverture_csv", on_click=_audited("export.ars_csv", f"{FILE_STEM}_csv.zip", report))
if not report.pdf_ready and buttons[0].button("Préparer le PDF", key="couverture_pdf_prepare",
                                              help="Quelques secondes (cartes)."):
    with st.spinner("Cartes et mise en page du rapport…"):
        report.pdf_bytes()
if report.pdf_ready:
    buttons[0].download_button("Rapport ARS (PDF)", report.pdf_bytes(), f"{FILE_STEM}.pdf", "application/pdf",
                               key="couverture_pdf_download",
                               on_click=_audited("export.ars_pdf", f"{FILE_STEM}.pdf", report))
st.caption("Tableaux : " + ", ".join(TABLE_TITLES.values()) + ".")
