"""Static maps (PNG) of the units for the PDF reports (private).

Drawn with matplotlib's object API (``Figure`` + Agg canvas, no pyplot
state, so it is safe in the app's threads) on the simplified display units
(:func:`geo.display.display_units`). The polygons are turned into
matplotlib vertices once per process; a map is then one ``PolyCollection``
with a colour per polygon, which takes a fraction of a second.

Every symbol drawn has a legend entry: fill classes (patches) and partner
types (their marker). Partners are dark markers of distinct shapes with a
white edge, so they read on every sector fill of
:data:`geo.sectors.palette.SECTOR_PALETTE`. Town names are placed by
priority (largest population first) and a name that would overlap another,
a marker of the legend or the frame is left out. :func:`render` returns the
PNG with these layout facts (:class:`MapImage`) so tests can check them.
Titles are not drawn in the image: the documents print them as text above
it, wrapped to the column (so they are never cut).
"""
from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from geo.errors import SecteursError

#: Colour of units without a value.
EMPTY = "#f2f2f2"
#: Sequential palette (light to dark).
SEQUENTIAL = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")
#: Reversed-meaning palette for distances and accessibility (good = green, bad = red).
DIVERGING = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")
#: Covered / not covered.
YES_NO = ("#74c476", "#fb6a4a")
#: Marker and colour per partner type: distinct shapes, dark colours (contrast >= 2 with every sector fill).
PARTNER_STYLES = {"CPTS": ("s", "#004488"), "HAD": ("^", "#8E0152"), "ERC": ("*", "#000000"),
                  "PSY": ("o", "#762A83"), "DAC": ("D", "#00441B"), "SSIAD": ("p", "#543005"),
                  "CCAS": ("v", "#005A5A"), "AUTRE": ("X", "#4D4D4D")}
#: Marker colour per partner type (kept for callers that only need a colour).
PARTNER_COLOURS = {t: colour for t, (_, colour) in PARTNER_STYLES.items()}
#: What the partner types are called in legends.
PARTNER_LABELS = {"CPTS": "CPTS", "HAD": "HAD", "ERC": "ERC (espace ressources cancer)",
                  "PSY": "Psychologue", "DAC": "DAC", "SSIAD": "SSIAD", "CCAS": "CCAS", "AUTRE": "Autre"}
_ASPECT = 1 / math.cos(math.radians(45.5))


@dataclass
class MapImage:
    """A drawn map and the layout facts tests check.

    Attributes
    ----------
    png : bytes
    legend : list of str
        Every legend label, in order (fill classes, then partner types).
    symbols : list of str
        What was drawn that needs a legend: fills used (grey "no value" included), lines
        (department limits, outline) and partner types.
    labels : list of (text, (x0, y0, x1, y1))
        Town names kept, with their box in pixels.
    dropped : list of str
        Town names left out (overlap or outside the frame).
    size_px : (width, height)
    outside : list of str
        Texts (legend, note) whose box leaves the image or overlaps another (should be empty).
    """

    png: bytes
    legend: list = field(default_factory=list)
    symbols: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    size_px: tuple = (0, 0)
    outside: list = field(default_factory=list)


def _unit_polygons(territory=None) -> tuple[tuple[str, ...], list[np.ndarray], np.ndarray]:
    """(codes, exterior rings, owner unit of each ring) of the display units (a view of the territory)."""
    from geo.territory import as_territory

    t = as_territory(territory)
    return t.view("report_unit_polygons", lambda: _polygons_of(t))


def _polygons_of(territory) -> tuple[tuple[str, ...], list[np.ndarray], np.ndarray]:
    from geo.display import display_units

    frame = display_units(territory)
    rings, owner = [], []
    for i, geom in enumerate(frame.geometry):
        for part in shapely.get_parts(geom):
            rings.append(np.asarray(part.exterior.coords)[:, :2])
            owner.append(i)
    return tuple(frame["code_insee"].astype(str)), rings, np.asarray(owner)


def _department_lines(territory=None) -> list[np.ndarray]:
    """Department outlines of the display geometry (a view of the territory)."""
    from geo.territory import as_territory

    t = as_territory(territory)
    return t.view("report_department_lines", lambda: _lines_of(t))


def _lines_of(territory) -> list[np.ndarray]:
    import json

    from geo.display import departements_geojson

    lines = []
    for feature in json.loads(departements_geojson(territory))["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        for part in shapely.get_parts(geom):
            lines.append(np.asarray(part.exterior.coords)[:, :2])
    return lines


def unit_codes() -> tuple[str, ...]:
    """The display units' codes, in :func:`geo.territory.load_units` order."""
    return _unit_polygons()[0]


def _fr(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def classes(values: pd.Series, bounds: Sequence[float], palette: Sequence[str], unit: str = "",
            decimals: int = 0) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Colours for numeric values in classes ``[bounds[i], bounds[i+1])``; NaN stays empty.

    Returns
    -------
    (Series of colours, legend items [(colour, label)]), labels in French number format.

    Raises
    ------
    SecteursError
        ``reports.map_classes``: more classes than colours.
    """
    if len(bounds) > len(palette):
        raise SecteursError("reports.map_classes", classes=len(bounds), colours=len(palette))
    palette = list(palette)[-len(bounds):]
    numbers = pd.to_numeric(values, errors="coerce")
    index = np.clip(np.searchsorted(np.asarray(bounds, float), numbers.to_numpy(float), side="right") - 1,
                    0, len(bounds) - 1)
    colours = pd.Series(np.asarray(palette, dtype=object)[index], index=values.index)
    colours[numbers.isna()] = None
    legend = []
    for i, low in enumerate(bounds):
        if i + 1 < len(bounds):
            legend.append((palette[i], f"{_fr(low, decimals)} à {_fr(bounds[i + 1], decimals)}{unit}"))
        else:
            legend.append((palette[i], f"{_fr(low, decimals)}{unit} et plus"))
    return colours, legend


def _boxes_overlap(a, b, gap: float = 3.0) -> bool:
    return not (a[2] + gap < b[0] or b[2] + gap < a[0] or a[3] + gap < b[1] or b[3] + gap < a[1])


def _legend_layout(handles, columns: int, fontsize: float, width_in: float, dpi: int) -> tuple[int, float]:
    """(columns, height in inches) of the widest legend that fits ``width_in``, measured on a scratch figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not handles:
        return 1, 0.0
    for ncol in range(min(columns, len(handles)), 0, -1):
        figure = Figure(figsize=(width_in, 3), dpi=dpi)
        canvas = FigureCanvasAgg(figure)
        legend = figure.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=fontsize, frameon=False,
                               handlelength=1.2, columnspacing=0.8, borderaxespad=0.2)
        box = legend.get_window_extent(canvas.get_renderer())
        if box.width <= width_in * dpi * 0.98 or ncol == 1:
            return ncol, box.height / dpi
    return 1, 0.0


def render(colours: pd.Series | dict, *, legend: Sequence[tuple[str, str]] = (),
           focus: Sequence[str] | None = None, outline: Sequence[str] | None = None,
           points: pd.DataFrame | None = None, labels: Sequence[tuple] = (),
           size: tuple[float, float] = (3.1, 3.1), dpi: int = 150, note: str = "",
           legend_columns: int = 3, label_size: float = 5.5, strong_labels: Sequence[str] = (),
           marker_scale: float = 1.0, legend_size: float = 5.5, outline_width: float = 0.6,
           empty_label: str = "sans donnée", outline_label: str = "") -> MapImage:
    """A map of the units filled with ``colours`` (``code_insee -> colour``; others light grey).

    Parameters
    ----------
    colours : Series or dict
        Fill colour per unit code; missing or None: :data:`EMPTY`.
    legend : sequence of (colour, label)
        Fill classes; entries whose colour is not drawn are still listed (a class with no unit).
    focus : codes, optional
        Zoom on these units (with a margin); default the whole region.
    outline : codes, optional
        Units drawn with a thick dark outline (e.g. the sector of a sheet).
    points : DataFrame, optional
        ``lon``, ``lat``, ``type``: partners drawn with :data:`PARTNER_STYLES`.
    labels : sequence of (lon, lat, text[, priority])
        Names placed by decreasing priority (default: the given order); one that would overlap
        a placed name or leave the frame is dropped. ``lon`` and ``lat`` may be sequences of
        candidate positions, tried in order (e.g. the town halls of a neighbouring sector).
    strong_labels : sequence of str
        Label texts drawn larger and bold (e.g. sector names).
    note : str
        Small text under the map (e.g. "données fictives").
    marker_scale, legend_size, outline_width : float
        Partner marker size factor, legend font size (pt), outline width (pt).
    empty_label : str
        Legend of the units without a colour (light grey), listed when there are some.
    outline_label : str
        Legend of the outline (default: "contour").

    Returns
    -------
    MapImage
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    codes, rings, owner = _unit_polygons()
    colours = pd.Series(colours, dtype=object) if not isinstance(colours, pd.Series) else colours
    per_unit = colours.reindex(list(codes)).to_numpy(dtype=object)
    per_unit = np.where(pd.isna(per_unit), EMPTY, per_unit)
    face = per_unit[owner]
    lines = [("line", "#404040", 0.5, "limite de département")]
    if outline is not None and len(outline):
        lines.append(("line", "#08306b", outline_width, outline_label or "contour"))
    if (per_unit == EMPTY).any():
        legend = [*legend, (EMPTY, empty_label)]

    types = [] if points is None or not len(points) else sorted(points["type"].astype(str).unique(),
                                                                 key=lambda t: list(PARTNER_STYLES).index(t)
                                                                 if t in PARTNER_STYLES else 99)
    if focus is not None and len(focus):
        wanted = set(focus)
        chosen = np.concatenate([rings[k] for k in range(len(rings)) if codes[owner[k]] in wanted])
        (x0, y0), (x1, y1) = chosen.min(axis=0), chosen.max(axis=0)
        margin = max(x1 - x0, (y1 - y0) * _ASPECT, 0.05) * 0.08
        xlim, ylim = (x0 - margin, x1 + margin), (y0 - margin / _ASPECT, y1 + margin / _ASPECT)
    else:
        xlim, ylim = (2.0, 7.25), (44.05, 46.85)
    handles = [Patch(facecolor=c, edgecolor="#999999", label=t) for c, t in legend]
    handles += [Line2D([], [], color=colour, linewidth=max(width, 0.8), label=label)
                for _, colour, width, label in lines]
    handles += [Line2D([], [], linestyle="", marker=PARTNER_STYLES.get(t, PARTNER_STYLES["AUTRE"])[0],
                       markersize=(5.5 if PARTNER_STYLES.get(t, ("",))[0] == "*" else 4) * legend_size / 5.5,
                       markerfacecolor=PARTNER_STYLES.get(t, PARTNER_STYLES["AUTRE"])[1],
                       markeredgecolor="white", markeredgewidth=0.4, label=PARTNER_LABELS.get(t, t))
                for t in types]
    # the legend under the map, in as many columns as fit the width; the figure is as tall as the map needs
    columns, legend_height = _legend_layout(handles, legend_columns, legend_size, size[0], dpi)
    note_in = 0.09 if note else 0.0
    legend_in = note_in + (legend_height + 0.03 if handles else 0.02)
    map_in = size[0] * 0.98 * (ylim[1] - ylim[0]) * _ASPECT / (xlim[1] - xlim[0])
    height = min(size[1], map_in + legend_in + 0.03)
    bottom = legend_in / height

    figure = Figure(figsize=(size[0], height), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_axes((0.01, bottom, 0.98, 1 - bottom - 0.01))
    axes.add_collection(PolyCollection(rings, facecolors=list(face), edgecolors="#ffffff", linewidths=0.1))
    axes.add_collection(LineCollection(_department_lines(), colors="#404040", linewidths=0.5))
    if outline is not None and len(outline):
        wanted = set(outline)
        chosen = [rings[k] for k in range(len(rings)) if codes[owner[k]] in wanted]
        axes.add_collection(LineCollection(chosen, colors="#08306b", linewidths=outline_width, zorder=3))
    for type_ in types:
        group = points[points["type"].astype(str) == type_]
        marker, colour = PARTNER_STYLES.get(type_, PARTNER_STYLES["AUTRE"])
        axes.scatter(group["lon"], group["lat"], s=(30 if marker == "*" else 16) * marker_scale, marker=marker, c=colour,
                     edgecolors="white", linewidths=0.5, zorder=5)
    axes.set_xlim(*xlim)
    axes.set_ylim(*ylim)
    axes.set_aspect(_ASPECT, adjustable="datalim")
    axes.set_axis_off()

    legend_artist = None
    if handles:
        legend_artist = figure.legend(handles=handles, loc="lower center", ncol=columns,
                                      fontsize=legend_size, frameon=False, handlelength=1.2, columnspacing=0.8,
                                      borderaxespad=0.2, bbox_to_anchor=(0.5, note_in / height))
    note_artist = figure.text(0.99, 0.003, note, fontsize=5, ha="right", va="bottom", color="#555555") \
        if note else None

    canvas.draw()
    renderer = canvas.get_renderer()
    width_px, height_px = canvas.get_width_height()
    frame = axes.get_window_extent(renderer)
    taken = [legend_artist.get_window_extent(renderer).extents] if legend_artist is not None else []
    placed, dropped = [], []
    ordered = sorted(enumerate(labels), key=lambda item: (-(item[1][3] if len(item[1]) > 3 else 0), item[0]))
    strong = set(strong_labels)
    for _, label in ordered:
        text = str(label[2])
        bold = text in strong
        candidates = list(zip(np.atleast_1d(label[0]), np.atleast_1d(label[1])))[:60]
        for lon, lat in candidates:
            artist = axes.annotate(text, (float(lon), float(lat)), fontsize=label_size * (1.25 if bold else 1),
                                   fontweight="bold" if bold else "normal", ha="center", va="center", zorder=6,
                                   bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
            box = artist.get_window_extent(renderer).extents
            inside = box[0] >= frame.x0 and box[2] <= frame.x1 and box[1] >= frame.y0 and box[3] <= frame.y1
            if inside and not any(_boxes_overlap(box, other) for other in taken):
                taken.append(box)
                placed.append((text, tuple(float(v) for v in box)))
                break
            artist.remove()
        else:
            dropped.append(text)

    outside = []
    if legend_artist is not None and note_artist is not None and _boxes_overlap(
            legend_artist.get_window_extent(renderer).extents, note_artist.get_window_extent(renderer).extents, 0):
        outside.append("note over legend")
    for name, artist in (("legend", legend_artist), ("note", note_artist)):
        if artist is None:
            continue
        x0, y0, x1, y1 = artist.get_window_extent(renderer).extents
        if x0 < -0.5 or y0 < -0.5 or x1 > width_px + 0.5 or y1 > height_px + 0.5:
            outside.append(name)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    used_fills = set(pd.unique(face))
    symbols = ([t for c, t in legend if c in used_fills] + [label for *_, label in lines]
               + [PARTNER_LABELS.get(t, t) for t in types])
    return MapImage(png=buffer.getvalue(), legend=[h.get_label() for h in handles], symbols=symbols,
                    labels=placed, dropped=dropped, size_px=(width_px, height_px), outside=outside)


def draw(colours: pd.Series | dict, **options) -> bytes:
    """The PNG of :func:`render` (same parameters)."""
    return render(colours, **options).png
