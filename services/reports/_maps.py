"""Static maps (PNG) of the units for the PDF reports (private).

Drawn with matplotlib's object API (``Figure`` + Agg canvas, no pyplot
state, so it is safe in the app's threads) on the simplified display units
(:func:`geo.display.display_units`). The polygons are turned into
matplotlib vertices once per process; a map is then one ``PolyCollection``
with a colour per polygon, which takes a fraction of a second.
"""
from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely

#: Colour of units without a value.
EMPTY = "#f2f2f2"
#: Sequential palette (light to dark).
SEQUENTIAL = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")
#: Reversed-meaning palette for distances and accessibility (good = green, bad = red).
DIVERGING = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")
#: Covered / not covered.
YES_NO = ("#74c476", "#fb6a4a")
#: Categorical palette (sectors).
CATEGORICAL = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
               "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#393b79")
#: Marker colour per partner type (same as the app's map).
PARTNER_COLOURS = {"CPTS": "#1b9e77", "HAD": "#d95f02", "ERC": "#7570b3", "PSY": "#e7298a",
                   "DAC": "#66a61e", "SSIAD": "#e6ab02", "CCAS": "#a6761d", "AUTRE": "#666666"}
_ASPECT = 1 / math.cos(math.radians(45.5))


@functools.lru_cache(maxsize=2)
def _unit_polygons() -> tuple[tuple[str, ...], list[np.ndarray], np.ndarray]:
    """(codes, exterior rings, owner unit of each ring) of the display units."""
    from geo.display import display_units

    frame = display_units()
    rings, owner = [], []
    for i, geom in enumerate(frame.geometry):
        for part in shapely.get_parts(geom):
            rings.append(np.asarray(part.exterior.coords)[:, :2])
            owner.append(i)
    return tuple(frame["code_insee"].astype(str)), rings, np.asarray(owner)


@functools.lru_cache(maxsize=2)
def _department_lines() -> list[np.ndarray]:
    import json

    from geo.display import departements_geojson

    lines = []
    for feature in json.loads(departements_geojson())["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        for part in shapely.get_parts(geom):
            lines.append(np.asarray(part.exterior.coords)[:, :2])
    return lines


def unit_codes() -> tuple[str, ...]:
    """The display units' codes, in :func:`geo.territory.load_units` order."""
    return _unit_polygons()[0]


def classes(values: pd.Series, bounds: Sequence[float], palette: Sequence[str], unit: str = "",
            decimals: int = 0) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Colours for numeric values in classes ``[bounds[i], bounds[i+1])``; NaN stays empty.

    Returns
    -------
    (Series of colours, legend items [(colour, label)])
    """
    palette = list(palette)[-len(bounds):] if len(bounds) <= len(palette) else None
    if palette is None:
        raise ValueError(f"bounds: {len(bounds)} classes for a palette of {len(palette or [])} colours")
    numbers = pd.to_numeric(values, errors="coerce")
    index = np.clip(np.searchsorted(np.asarray(bounds, float), numbers.to_numpy(float), side="right") - 1,
                    0, len(bounds) - 1)
    colours = pd.Series(np.asarray(palette, dtype=object)[index], index=values.index)
    colours[numbers.isna()] = None
    fmt = f"{{:.{decimals}f}}".format
    legend = []
    for i, low in enumerate(bounds):
        if i + 1 < len(bounds):
            legend.append((palette[i], f"{fmt(low)} à {fmt(bounds[i + 1])}{unit}"))
        else:
            legend.append((palette[i], f"{fmt(low)}{unit} et plus"))
    return colours, legend


def draw(colours: pd.Series | dict, *, title: str = "", legend: Sequence[tuple[str, str]] = (),
         focus: Sequence[str] | None = None, outline: Sequence[str] | None = None,
         points: pd.DataFrame | None = None, labels: Sequence[tuple[float, float, str]] = (),
         size: tuple[float, float] = (4.2, 4.2), dpi: int = 110, note: str = "") -> bytes:
    """A PNG of the units filled with ``colours`` (``code_insee -> colour``; others light grey).

    Parameters
    ----------
    colours : Series or dict
        Fill colour per unit code; missing or None: :data:`EMPTY`.
    title : str
        Drawn above the map.
    legend : sequence of (colour, label)
    focus : codes, optional
        Zoom on these units (with a margin); default the whole region.
    outline : codes, optional
        Units drawn with a thick dark outline (e.g. the sector of a sheet).
    points : DataFrame, optional
        ``lon``, ``lat``, ``type``: partners drawn as dots coloured by type.
    labels : sequence of (lon, lat, text)
    note : str
        Small text under the map (e.g. "données fictives").
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    codes, rings, owner = _unit_polygons()
    colours = pd.Series(colours, dtype=object) if not isinstance(colours, pd.Series) else colours
    per_unit = colours.reindex(list(codes)).to_numpy(dtype=object)
    per_unit = np.where(pd.isna(per_unit), EMPTY, per_unit)
    face = per_unit[owner]

    figure = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(figure)
    has_legend = bool(legend) or (points is not None and len(points) > 0)
    axes = figure.add_axes((0.01, 0.12 if has_legend else 0.02, 0.98, 0.8 if has_legend else 0.9))
    axes.add_collection(PolyCollection(rings, facecolors=list(face), edgecolors="#ffffff", linewidths=0.1))
    axes.add_collection(LineCollection(_department_lines(), colors="#404040", linewidths=0.5))
    if outline is not None and len(outline):
        wanted = set(outline)
        chosen = [rings[k] for k in range(len(rings)) if codes[owner[k]] in wanted]
        axes.add_collection(LineCollection(chosen, colors="#08306b", linewidths=0.6))
    if points is not None and len(points):
        for type_, group in points.groupby("type"):
            axes.scatter(group["lon"], group["lat"], s=9, c=PARTNER_COLOURS.get(type_, "#666666"),
                         edgecolors="black", linewidths=0.3, zorder=5, label=type_)
    for lon, lat, text in labels:
        axes.annotate(text, (lon, lat), fontsize=5.5, ha="center", va="center", zorder=6,
                      bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    if focus is not None and len(focus):
        wanted = set(focus)
        chosen = np.concatenate([rings[k] for k in range(len(rings)) if codes[owner[k]] in wanted])
        (x0, y0), (x1, y1) = chosen.min(axis=0), chosen.max(axis=0)
        margin = max(x1 - x0, (y1 - y0) * _ASPECT, 0.05) * 0.08
        axes.set_xlim(x0 - margin, x1 + margin)
        axes.set_ylim(y0 - margin / _ASPECT, y1 + margin / _ASPECT)
    else:
        axes.set_xlim(2.0, 7.25)
        axes.set_ylim(44.05, 46.85)
    axes.set_aspect(_ASPECT)
    axes.set_axis_off()
    if title:
        figure.suptitle(title, fontsize=8, y=0.99)
    handles = [Patch(facecolor=c, edgecolor="#999999", label=t) for c, t in legend]
    if points is not None and len(points):
        handles += [Patch(facecolor=PARTNER_COLOURS.get(t, "#666666"), label=t)
                    for t in sorted(points["type"].unique())]
    if handles:
        figure.legend(handles=handles, loc="lower center", ncol=min(3, len(handles)), fontsize=5.5,
                      frameon=False, handlelength=1.2, columnspacing=0.8)
    if note:
        figure.text(0.99, 0.005, note, fontsize=5, ha="right", va="bottom", color="#666666")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
