"""The region map every page shares: Leaflet in the page itself, no internet needed.

How it reaches the browser
--------------------------
The map is a Streamlit component (``st.components.v2``) drawn in the app's
own page, not in an iframe: a map in an iframe cost Chromium a new document,
Leaflet evaluated again, the GeoJSON parsed again and a major garbage
collection when the iframe went away, on every page view (about 0.3 CPU s;
with 12 people on the server's 2 cores, most of a page's cost). Now Leaflet
1.9.4 (the installed ``django-js-lib-leaflet`` package) and the map's code
(``app/static/map.js``) are loaded once per browser tab, the units' geometry
is fetched and prepared once per tab, and each page's map only draws.

Streamlit serves the files itself: a component declared with a ``path`` has
every file of that directory served at ``/component/<name>/<file>``, so
declaring one on Leaflet's static directory, one on ``app/static`` and one on
the per-user display cache serves Leaflet, the map's code and the GeoJSON
from the app's own server, with nothing copied. URLs start with
``server.baseUrlPath``.

What is sent on each rerun
--------------------------
The component keeps its element from one rerun to the next (its key is the
page's map key): the first call builds the map, the next ones restyle the
units already drawn with the new :class:`Paint` (fill colours, tooltips'
extra line, selection, legend, labels) and move the view when the page asks
(``view``). Panning and zooming never rerun the script; a click on a unit or
a partner's dot does, and returns its properties as
``st.session_state[key]["last_active_drawing"]`` (see :func:`clicked_feature`).

How the units are drawn
-----------------------
Not as 4,033 Leaflet polygons (the ~60,000 objects Leaflet made for them cost
Chromium about 0.5 CPU s per map view). One Leaflet canvas renderer
(``UnitCanvas`` in ``map.js``, in the units' own pane under the partners'
dots) keeps each unit's rings in Web Mercator pixels at zoom 0 and one
``Path2D``; a paint groups the units by fill and by outline, and a redraw is
a fill and a stroke per group, scaled to the zoom. Hovers and clicks are
answered by the map: the unit under the pointer is found by its box, then
even-odd over its rings; its tooltip is made then. Tests find the page's map
with ``window.secteurs`` (``map``, ``units.index``, ``units.styles``) and
click a unit at a point inside it.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from geo import display
from geo.sectors.palette import SECTOR_PALETTE as PALETTE_OF_SECTORS

#: Environment variable with an XYZ tile URL template for a background (none by default).
TILES_ENV = "SECTEURS_TILES"
#: Its attribution text (shown at the bottom right of the map).
TILES_ATTRIBUTION_ENV = "SECTEURS_TILES_ATTRIBUTION"
#: Sequential palette for choropleths (light to dark, colour-blind safe).
PALETTE = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")
#: One colour per partner type.
PARTNER_COLOURS = {"CPTS": "#1b9e77", "HAD": "#d95f02", "ERC": "#7570b3", "PSY": "#e7298a",
                   "DAC": "#66a61e", "SSIAD": "#e6ab02", "CCAS": "#a6761d", "AUTRE": "#666666"}
#: Categorical palette for sectors (sector i gets colour i mod 14): the shared one of the reports,
#: see geo.sectors.palette (sector_colours gives a colour per worker name).
SECTOR_PALETTE = PALETTE_OF_SECTORS
#: The region's bounds (south-west, north-east), lat/lon.
REGION_BOUNDS = [[44.11, 2.06], [46.81, 7.19]]


def _leaflet_dir() -> Path:
    import js_lib_leaflet

    return Path(js_lib_leaflet.__file__).resolve().parent / "static" / "js_lib_leaflet"


def _static_dir() -> Path:
    return Path(__file__).resolve().parent / "static"


def _served(component_name: str, file_name: str) -> str:
    """The URL of a file of a path-declared component, from the server's root (``server.baseUrlPath`` kept)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return ("/" + base if base else "") + f"/component/{component_name}/{file_name}"


@functools.lru_cache(maxsize=1)
def served_urls() -> dict[str, str]:
    """URLs of Leaflet, the map's code and the display GeoJSON, served by Streamlit.

    Declares three file-serving components (their directories are served as
    is): the installed Leaflet package, ``app/static`` and the per-user
    display cache.
    """
    import streamlit.components.v1 as components

    units_file = display.units_geojson_path()
    outlines_file = display.departements_geojson_path()
    leaflet = components.declare_component("leaflet", path=str(_leaflet_dir()))
    static = components.declare_component("static", path=str(_static_dir()))
    data = components.declare_component("display_data", path=str(display.display_cache_dir()))
    return {
        "leaflet_js": _served(leaflet.name, "leaflet.js"),
        "leaflet_css": _served(leaflet.name, "leaflet.css"),
        "map_js": _served(static.name, "map.js"),
        "units": _served(data.name, units_file.name),
        "departements": _served(data.name, outlines_file.name),
    }


#: The component's module: loads Leaflet and map.js once per browser tab, then hands each call to
#: ``window.secteursMap.render`` (which returns the map's clean-up for when the element goes away).
_LOADER_JS = """
function load(tag, url) {
  var found = document.querySelector(tag + '[data-secteurs="' + url + '"]');
  if (found) { return found.secteursLoaded; }
  var el = document.createElement(tag);
  el.setAttribute("data-secteurs", url);
  if (tag === "link") { el.rel = "stylesheet"; el.href = url; } else { el.src = url; el.async = false; }
  el.secteursLoaded = new Promise(function (resolve, reject) {
    el.onload = resolve;
    el.onerror = function () { el.remove(); reject(new Error(url)); };
  });
  document.head.appendChild(el);
  return el.secteursLoaded;
}

export default function (component) {
  if (window.secteursMap) { return window.secteursMap.render(component); }
  var urls = component.data.urls, cleanup = null, gone = false;
  Promise.all([load("link", urls.leaflet_css), load("script", urls.leaflet_js)])
    .then(function () { return load("script", urls.map_js); })
    .then(function () { if (!gone) { cleanup = window.secteursMap.render(component); } })
    .catch(function (e) {
      console.error("secteurs: map", e);
      var note = document.createElement("p");
      note.textContent = "Carte indisponible : un fichier n'a pas pu être chargé depuis le serveur "
        + "(rechargez la page ; si cela persiste, signalez-le à l'administrateur).";
      component.parentElement.appendChild(note);
    });
  return function () { gone = true; if (cleanup) { cleanup(); } };
}
"""


@functools.lru_cache(maxsize=1)
def _map_component():
    """The registered component (in the page's DOM: Leaflet's styles must reach it, so no shadow root)."""
    return st.components.v2.component("secteurs_map", js=_LOADER_JS, isolate_styles=False)


#: How the units and the departments' outlines are drawn when no paint applies.
UNIT_STYLE = {"color": "#9a9a9a", "weight": 0.4, "opacity": 0.8, "fillColor": "#ffffff", "fillOpacity": 0.0}
OUTLINE_STYLE = {"color": "#333333", "weight": 1.6, "fill": False}
#: The map's background where no tile layer is set.
BACKGROUND = "#f4f2ee"


def partner_rows(partners: pd.DataFrame | None) -> list[list]:
    """Located partners as compact rows ``[id, lat, lon, type, name]`` (one JS loop draws them)."""
    if partners is None or not len(partners):
        return []
    located = partners.dropna(subset=["lon", "lat"])
    return [[int(i), round(float(lat), 5), round(float(lon), 5), str(t), str(n)]
            for i, lat, lon, t, n in located[["id", "lat", "lon", "type", "name"]].itertuples(index=False)]


def tiles() -> dict[str, str] | None:
    """The optional background from ``$SECTEURS_TILES`` (an XYZ URL template) and its attribution."""
    url = os.environ.get(TILES_ENV, "").strip()
    if not url:
        return None
    attribution = os.environ.get(TILES_ATTRIBUTION_ENV) or "Fond de carte : voir " + url.split("/")[2]
    return {"url": url, "attribution": attribution}


def map_data(paint: Paint | None = None, *, partners: pd.DataFrame | None = None, height: int = 620,
             view: tuple[tuple[float, float], int] | None = None) -> dict:
    """What the browser's map is given on a rerun (JSON): files, styles, partners, paint and view."""
    return {"urls": served_urls(), "labels": display.departement_labels(), "background": BACKGROUND,
            "unit_style": UNIT_STYLE, "outline_style": OUTLINE_STYLE,
            "partners": partner_rows(partners), "colours": PARTNER_COLOURS, "bounds": REGION_BOUNDS,
            "tiles": tiles(), "height": int(height), "paint": (paint or Paint()).to_json(),
            "view": [[float(view[0][0]), float(view[0][1])], int(view[1])] if view is not None else None}


@dataclass
class Paint:
    """What changes on the units from one rerun to the next.

    Attributes
    ----------
    fill
        ``{code_insee: class index}`` into ``palette``; units absent stay unfilled.
    palette
        Fill colours.
    tips
        ``{code_insee: text}``: an extra line in the unit's tooltip.
    selected
        Units drawn with ``selected_style`` (e.g. the clicked commune).
    legend
        ``(title, [(colour, label), ...])`` drawn at the bottom left, or ``None``.
    labels
        ``[(lat, lon, text), ...]`` drawn on the map (e.g. sector names).
    outlined
        Units drawn with ``outlined_style`` (e.g. locked units).
    class_names
        A name per fill class, shown in the tooltip after ``class_title``
        (e.g. the sector; cheaper than one tip per unit).
    class_strokes
        An outline colour per fill class, or ``None`` (e.g. the group of each
        sector), drawn ``stroke_weight`` wide.
    department_names
        ``True``: department names always shown; ``False``: never; ``None``:
        shown unless ``labels`` are drawn, then only at low zoom (7 or less).
    legend
        Items are ``(fill, label)`` or ``(fill, label, outline)``; a
        ``(None, text)`` item is a sub-heading. The legend folds on a click
        on its title.
    """

    fill: dict[str, int] = field(default_factory=dict)
    palette: tuple[str, ...] = PALETTE
    tips: dict[str, str] = field(default_factory=dict)
    selected: list[str] = field(default_factory=list)
    legend: tuple[str, list[tuple[str, str]]] | None = None
    fill_opacity: float = 0.75
    selected_style: dict = field(default_factory=lambda: {"color": "#08306b", "weight": 3, "opacity": 1})
    labels: list[tuple[float, float, str]] = field(default_factory=list)
    outlined: list[str] = field(default_factory=list)
    outlined_style: dict = field(default_factory=lambda: {"color": "#000000", "weight": 2, "opacity": 1,
                                                          "dashArray": "4 3"})
    class_names: tuple[str, ...] | None = None
    class_title: str = ""
    class_strokes: tuple[str | None, ...] | None = None
    stroke_weight: float = 1.2
    department_names: bool | None = None

    def to_json(self) -> dict:
        legend = None
        if self.legend:
            legend = {"title": self.legend[0], "items": [list(item) for item in self.legend[1]]}
        return {"fill": self.fill, "palette": list(self.palette), "tips": self.tips,
                "selected": list(self.selected), "legend": legend, "fill_opacity": self.fill_opacity,
                "selected_style": self.selected_style,
                "labels": [[round(float(a), 4), round(float(b), 4), str(t)] for a, b, t in self.labels],
                "outlined": list(self.outlined), "outlined_style": self.outlined_style,
                "class_names": list(self.class_names) if self.class_names is not None else None,
                "class_title": self.class_title,
                "class_strokes": list(self.class_strokes) if self.class_strokes is not None else None,
                "stroke_weight": self.stroke_weight, "department_names": self.department_names}


def classify(values: pd.Series, bounds: list[float], unit: str = "") -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Put positive values in classes ``[bounds[i], bounds[i+1])`` (last class open-ended).

    Parameters
    ----------
    values
        Indexed by ``code_insee``; zeros and NaN stay unfilled.
    bounds
        Increasing lower bounds of the classes (at most ``len(PALETTE)``).
    unit
        Appended to the legend labels.

    Returns
    -------
    (dict, list)
        ``{code_insee: class}`` and the legend items ``[(colour, label), ...]``.
    """
    if not 0 < len(bounds) <= len(PALETTE):
        raise ValueError(f"bounds has {len(bounds)} classes; allowed 1 to {len(PALETTE)}")
    values = values[values.fillna(0) > 0]
    classes = np.searchsorted(np.asarray(bounds, dtype=float), values.to_numpy(dtype=float), side="right") - 1
    classes = np.clip(classes, 0, len(bounds) - 1)
    palette = PALETTE[len(PALETTE) - len(bounds):]
    labels = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else None
        text = f"{low:g}" if high == low else (f"{low:g} à {high:g}" if high is not None else f"{low:g} et plus")
        labels.append((palette[i], f"{text}{unit}"))
    shift = len(PALETTE) - len(bounds)
    return {str(code): int(c) + shift for code, c in zip(values.index, classes)}, labels


def show_map(paint: Paint | None = None, *, key: str, partners: pd.DataFrame | None = None,
             height: int = 620, view: tuple[tuple[float, float], int] | None = None) -> dict | None:
    """Draw the region map; returns the last clicked feature (``{"properties": {...}}``) or ``None``.

    ``view`` is ``((lat, lon), zoom)`` (see :func:`view_of`): the mounted map pans
    there without being redrawn. The returned feature is also kept in
    ``st.session_state[key]``.
    """
    _map_component()(key=key, data=map_data(paint, partners=partners, height=height, view=view),
                     default={"last_active_drawing": None}, on_last_active_drawing_change=_ignore)
    return clicked_feature(key)


def _ignore() -> None:
    """The click is read from the session state by the rerun it causes (see :func:`clicked_feature`)."""


def view_of(units: pd.DataFrame, codes, width_px: int = 800, height_px: int = 620) -> tuple[tuple[float, float], int]:
    """``((lat, lon), zoom)`` framing the units ``codes`` on a map of about ``width_px`` x ``height_px``.

    The zoom is the largest Web-Mercator level at which the units' bounding box
    fits, kept between the region's level (7) and a street-free close-up (12).
    """
    chosen = units[units["code_insee"].isin(list(codes))]
    if chosen.empty:
        raise ValueError("view_of: none of the codes is a unit of the territory")
    west, south, east, north = chosen.total_bounds
    # Mercator stretches latitudes: measure the height in projected units.
    merc = lambda lat: np.degrees(np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)))  # noqa: E731
    span_x = max(east - west, 1e-6)
    span_y = max(merc(north) - merc(south), 1e-6)
    zoom = int(np.floor(np.log2(min(360.0 * width_px / (256.0 * span_x), 360.0 * height_px / (256.0 * span_y)))))
    return ((south + north) / 2.0, (west + east) / 2.0), int(np.clip(zoom, 7, 12))


def clicked_feature(key: str) -> dict | None:
    """The feature last clicked on the map drawn with ``key`` (a unit or a partner), or ``None``."""
    value = st.session_state.get(key) or {}
    feature = value.get("last_active_drawing") if isinstance(value, Mapping) else None
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        return None
    return feature


def clicked_unit(key: str) -> str | None:
    """INSEE code of the unit last clicked on the map ``key``, or ``None``."""
    feature = clicked_feature(key)
    return feature["properties"].get("code_insee") if feature else None

