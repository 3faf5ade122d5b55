"""The ARS report's maps (private): sectors, masked patients, zone coverage, white zones, accessibility, distances.

Each map is keyed by its title; the PDF prints the title as text above the
image (wrapped to the column), the image carries the map and its legend.
Sectors take their worker's colour from :func:`geo.sectors.palette.sector_colours`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from services.reports import _maps

#: Distance classes (km) of the nearest-partner maps.
DISTANCE_BOUNDS = [0, 5, 10, 20, 30, 45]
#: Patient classes of the masked map: every label is a range a masked table could show.
PATIENT_CLASSES = (("< 11", "#fdd0a2"), ("11 à 19", "#fdae6b"), ("20 à 49", "#e6550d"), ("50 et plus", "#a63603"),
                   ("s (secret secondaire)", "#9e9ac8"))


def masked_patient_colours(display: pd.Series) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Colours of the units from their MASKED display ("0", "< 11", "s", or a count of 11 or more)."""
    from services.coverage import PRIMARY_SYMBOL, SECONDARY_SYMBOL

    def colour(text):
        if text == PRIMARY_SYMBOL:
            return PATIENT_CLASSES[0][1]
        if text == SECONDARY_SYMBOL:
            return PATIENT_CLASSES[4][1]
        value = int(text)
        if value == 0:
            return None
        return PATIENT_CLASSES[1][1] if value < 20 else PATIENT_CLASSES[2][1] if value < 50 else PATIENT_CLASSES[3][1]

    colours = display.map(colour)
    return colours, [(c, label) for label, c in PATIENT_CLASSES]


def sector_map(sectors: pd.Series, note: str = "") -> _maps.MapImage:
    """The sectors of the plan in their workers' colours, with a legend of the names (French order)."""
    from geo.collation import french_sorted
    from geo.sectors.palette import sector_colours
    from services.reports.coverage_data import NO_SECTOR

    names = [s for s in pd.unique(sectors.astype(str)) if s != NO_SECTOR]
    palette = sector_colours(names)
    legend = [(palette[name], name) for name in french_sorted(names)]
    return _maps.render(sectors.astype(str).map(palette), legend=legend, note=note, legend_columns=4,
                        empty_label="hors plan")


def _quantile_bounds(values: pd.Series) -> list[float]:
    positive = values[values > 0]
    if positive.empty:
        return [0.0]
    qs = np.unique(np.round(np.quantile(positive, [0, 0.25, 0.5, 0.75, 0.9]), 1))
    return [0.0, *[float(q) for q in qs if q > 0]][:6]


def coverage_maps(report) -> dict[str, bytes]:
    """Title -> PNG for every map of the report (see the module docstring)."""
    return {title: image.png for title, image in coverage_map_images(report).items()}


def coverage_map_images(report) -> dict[str, _maps.MapImage]:
    """Title -> :class:`services.reports._maps.MapImage` (PNG and layout facts) for every map of the report."""
    from services.coverage import ANY_LABEL

    coverage = report.coverage
    table = coverage.units.set_index("code_insee")
    note = "Données fictives" if report.demo else ""
    maps = {}
    maps["Secteurs et référent·es"] = sector_map(table["secteur"], note=note)
    # communes are too small: each is coloured by its department x sector cell (as published)
    colours, legend = masked_patient_colours(coverage.patient_map_layers()["Patients par département et secteur"])
    maps["Patients par département et secteur (effectifs masqués : secret statistique)"] = _maps.render(
        colours, legend=legend, note=note, empty_label="0")
    for zone in ("CPTS", "HAD"):
        covered = table[f"covered_{zone}"].map({True: _maps.YES_NO[0], False: _maps.YES_NO[1]})
        maps[f"Couverture {zone} : commune dans le territoire d'une {zone}"] = _maps.render(
            covered, legend=[(_maps.YES_NO[0], "couverte"), (_maps.YES_NO[1], "non couverte")], note=note)
    white = coverage.flags.set_index("code_insee")
    criteria = white.attrs.get("criteria", {})
    colours = pd.Series(np.where(white["white"], "#d73027", "#d9f0d3"), index=white.index)
    maps["Zones blanches (" + " ; ".join(criteria.values()) + ")"] = _maps.render(
        colours, legend=[("#d73027", f"zone blanche ({ANY_LABEL})"), ("#d9f0d3", "hors zone blanche")], note=note)
    for type_ in ("PSY", "ERC"):
        values = table[f"accessibility_{type_}"]
        colours, legend = _maps.classes(values, _quantile_bounds(values), _maps.SEQUENTIAL, decimals=1)
        maps[f"Accessibilité {type_} (E2SFCA, pour 100\u202f000 habitants)"] = _maps.render(
            colours, legend=legend, note=note)
    for type_ in coverage.types:
        column = f"distance_km_{type_}"
        if column not in table.columns or table[column].isna().all():
            continue
        colours, legend = _maps.classes(table[column], DISTANCE_BOUNDS, _maps.DIVERGING, unit=" km")
        maps[f"Distance au plus proche {type_} (vol d'oiseau)"] = _maps.render(colours, legend=legend, note=note)
    return maps
