"""The region map every page shares: folium drawn by streamlit-folium, no internet needed.

Offline Leaflet
---------------
streamlit-folium does not bundle Leaflet: its component loads every URL in
the map's ``default_js``/``default_css`` with ``<script src>``/``<link href>``
inside its iframe, and folium points those at CDNs (Leaflet, jQuery,
Bootstrap, Awesome Markers...). :class:`OfflineMap` keeps only Leaflet 1.9.4
and points it at the files of the installed ``django-js-lib-leaflet``
package. Streamlit serves them itself: a component declared with a ``path``
has every file of that directory served at ``/component/<name>/<file>``, so
declaring one on the package's static directory (and one on the per-user
display cache) serves Leaflet and the GeoJSON from the app's own server,
with nothing copied into the source tree. URLs are relative to the
streamlit-folium iframe (``/component/streamlit_folium.st_folium/``), so a
``server.baseUrlPath`` keeps working.

What is sent on each rerun
--------------------------
The 4,033 units and the department outlines are not in the map's script:
the browser fetches the cached GeoJSON files once per browser tab (gzip-compressed
by Streamlit; the text is kept by the app's window for the maps of the next
pages, and each unit's tooltip text is made when it opens). The map's script is a few kilobytes and stays the same from
one rerun to the next, so streamlit-folium keeps the map mounted; what
changes (fill colours, tooltips' extra line, selection, legend) goes in
``feature_group_to_add`` as one small :class:`Paint` that restyles the
units already drawn. ``returned_objects`` is ``["last_active_drawing"]``:
panning and zooming never rerun the script, a click on a unit does.

How the units are drawn
-----------------------
Not as 4,033 Leaflet polygons (SVG paths or canvas layers alike: the
~60,000 objects Leaflet made for them cost Chromium about 0.5 CPU s per map
view, the main part of a page's cost with 12 people at once). One Leaflet
canvas renderer (``UnitCanvas``, in the units' own pane under the partners'
dots) keeps each unit's rings in Web Mercator pixels at zoom 0 and one
``Path2D``; a paint groups the units by fill and by outline, and a redraw
is a fill and a stroke per group, scaled to the zoom. Hovers and clicks
are answered by the map: the unit under the pointer is found by its box,
then even-odd over its rings; its tooltip is made then, and a click is
fired as a click on the units layer with the unit's properties, which
streamlit-folium returns as ``last_active_drawing`` like a clicked polygon
(without its geometry). Tests find a unit with ``window.secteurs.units``
(``index``, ``styles``) and click it at a point inside it.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import streamlit as st
from branca.element import MacroElement
from jinja2 import Template
from streamlit_folium import st_folium

from geo import display
from geo.sectors.palette import SECTOR_PALETTE as PALETTE_OF_SECTORS

#: Environment variable with an XYZ tile URL template for a background (none by default).
TILES_ENV = "SECTEURS_TILES"
#: Its attribution text (shown at the bottom right of the map).
TILES_ATTRIBUTION_ENV = "SECTEURS_TILES_ATTRIBUTION"
#: What the map returns to Python: the clicked feature only (no rerun on pan/zoom).
RETURNED_OBJECTS = ["last_active_drawing"]
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


@functools.lru_cache(maxsize=1)
def served_urls() -> dict[str, str]:
    """URLs of Leaflet and the display GeoJSON, served by Streamlit (relative to the map iframe).

    Declares two file-serving components (their directories are served as is):
    the installed Leaflet package and the per-user display cache.
    """
    import streamlit.components.v1 as components

    units_file = display.units_geojson_path()
    outlines_file = display.departements_geojson_path()
    leaflet = components.declare_component("leaflet", path=str(_leaflet_dir()))
    data = components.declare_component("display_data", path=str(display.display_cache_dir()))
    base = "../{}/{}".format
    return {
        "leaflet_js": base(leaflet.name, "leaflet.js"),
        "leaflet_css": base(leaflet.name, "leaflet.css"),
        "units": base(data.name, units_file.name),
        "departements": base(data.name, outlines_file.name),
    }


class OfflineMap(folium.Map):
    """A folium map whose only scripts and styles are Leaflet's, served by the app."""

    def __init__(self, urls: dict[str, str], **kwargs):
        self.default_js = [("leaflet", urls["leaflet_js"])]
        self.default_css = [("leaflet_css", urls["leaflet_css"])]
        super().__init__(**kwargs)


_UNIT_CANVAS_JS = """
{
  // A Leaflet canvas renderer that draws the units itself: no Leaflet layer per unit (4,033 polygons
  // made ~60,000 objects and cost Chromium about 0.5 CPU s per map). Leaflet's Canvas keeps placing,
  // sizing and zoom-animating the canvas; _draw fills and strokes one Path2D per style, in Web
  // Mercator pixels at zoom 0 scaled to the current zoom.
  _initContainer: function () {
    this._container = document.createElement("canvas");
    this._container.className = "secteurs-units";
    this._ctx = this._container.getContext("2d");
  },
  setData: function (collection) {
    var toWorld = function (c) {  // lon/lat -> Leaflet's EPSG:3857 pixels at zoom 0
      var s = Math.sin(c[1] * Math.PI / 180);
      return [(c[0] + 180) * 256 / 360, 128 - 64 * Math.log((1 + s) / (1 - s)) / Math.PI];
    };
    this.features = collection.features;
    this.rings = []; this.boxes = []; this.paths = [];
    this.index = {};
    for (var i = 0; i < this.features.length; i++) {
      var g = this.features[i].geometry, polys = g.type === "MultiPolygon" ? g.coordinates : [g.coordinates];
      var rings = [], box = [Infinity, Infinity, -Infinity, -Infinity], path = new Path2D();
      for (var p = 0; p < polys.length; p++) {
        for (var r = 0; r < polys[p].length; r++) {
          var ring = polys[p][r], xy = new Float64Array(ring.length * 2);
          for (var k = 0; k < ring.length; k++) {
            var w = toWorld(ring[k]);
            xy[2 * k] = w[0]; xy[2 * k + 1] = w[1];
            if (k) { path.lineTo(w[0], w[1]); } else { path.moveTo(w[0], w[1]); }
            if (w[0] < box[0]) { box[0] = w[0]; } if (w[0] > box[2]) { box[2] = w[0]; }
            if (w[1] < box[1]) { box[1] = w[1]; } if (w[1] > box[3]) { box[3] = w[1]; }
          }
          path.closePath();
          rings.push(xy);
        }
      }
      this.features[i].geometry = null;  // the rings are kept in world pixels only
      this.rings.push(rings); this.boxes.push(box); this.paths.push(path);
      this.index[this.features[i].properties.code_insee] = i;
    }
    this.restyle();
  },
  // Group the units by fill and by outline (in drawing order: plain, class outline, outlined,
  // selected last, so a selection is never hidden by a neighbour's outline).
  restyle: function () {
    if (!this.features) { return; }
    var S = window.secteurs, fills = {}, strokes = {}, paint = S.paint || {};
    var outlined = {}, selected = {};
    (paint.outlined || []).forEach(function (c) { outlined[c] = true; });
    (paint.selected || []).forEach(function (c) { selected[c] = true; });
    this.styles = [];
    for (var i = 0; i < this.features.length; i++) {
      var code = this.features[i].properties.code_insee, st = S.style(this.features[i]);
      this.styles.push(st);
      if (st.fill !== false && st.fillOpacity > 0) {
        var fk = st.fillColor + "|" + st.fillOpacity;
        (fills[fk] = fills[fk] || {style: st, path: new Path2D()}).path.addPath(this.paths[i]);
      }
      if (st.stroke !== false && st.weight > 0 && st.opacity > 0) {
        var rank = selected[code] ? 3 : outlined[code] ? 2 : st.color !== S.baseStyle.color ? 1 : 0;
        var sk = rank + "|" + st.color + "|" + st.weight + "|" + st.opacity + "|" + (st.dashArray || "");
        (strokes[sk] = strokes[sk] || {rank: rank, style: st, path: new Path2D()}).path.addPath(this.paths[i]);
      }
    }
    this.fills = Object.keys(fills).map(function (k) { return fills[k]; });
    this.strokes = Object.keys(strokes).map(function (k) { return strokes[k]; })
      .sort(function (a, b) { return a.rank - b.rank; });
    if (this._map) { this._redrawBounds = null; this._redraw(); }
  },
  _draw: function () {
    if (!this.fills || !this._map) { return; }
    var ctx = this._ctx, scale = Math.pow(2, this._map.getZoom()), origin = this._map.getPixelOrigin();
    ctx.save();
    ctx.transform(scale, 0, 0, scale, -origin.x, -origin.y);
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    this.fills.forEach(function (g) {
      ctx.globalAlpha = g.style.fillOpacity; ctx.fillStyle = g.style.fillColor;
      ctx.fill(g.path, "evenodd");
    });
    this.strokes.forEach(function (g) {
      var st = g.style;
      ctx.globalAlpha = st.opacity; ctx.strokeStyle = st.color; ctx.lineWidth = st.weight / scale;
      ctx.setLineDash(st.dashArray ? String(st.dashArray).split(/[ ,]+/).map(function (d) { return d / scale; }) : []);
      ctx.stroke(g.path);
    });
    ctx.restore();
    this.drawn = (this.drawn || 0) + 1;
  },
  // The unit under a point (index into features), or -1: boxes first, then even-odd over its rings.
  unitAt: function (latlng) {
    if (!this.features) { return -1; }
    var s = Math.sin(latlng.lat * Math.PI / 180);
    var x = (latlng.lng + 180) * 256 / 360, y = 128 - 64 * Math.log((1 + s) / (1 - s)) / Math.PI;
    for (var i = 0; i < this.boxes.length; i++) {
      var b = this.boxes[i];
      if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) { continue; }
      var inside = false;
      this.rings[i].forEach(function (xy) {
        for (var k = 0, j = xy.length - 2; k < xy.length; j = k, k += 2) {
          if ((xy[k + 1] > y) !== (xy[j + 1] > y)
              && x < (xy[j] - xy[k]) * (y - xy[k + 1]) / (xy[j + 1] - xy[k + 1]) + xy[k]) { inside = !inside; }
        }
      });
      if (inside) { return i; }
    }
    return -1;
  }
}
"""

_REGION_JS = """
{% macro script(this, kwargs) %}
(function (map) {
  var UNIT_CANVAS = """ + _UNIT_CANVAS_JS + """;
  var S = window.secteurs = window.secteurs || {};
  S.paint = S.paint || {};
  S.map = map;
  S.UnitCanvas = L.Canvas.extend(UNIT_CANVAS);
  var esc = function (s) { return String(s).replace(/[&<>"]/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); };
  map.getContainer().style.background = {{ this.background|tojson }};
  var outlinePane = map.createPane("secteursOutlines");
  outlinePane.style.zIndex = 450;
  outlinePane.style.pointerEvents = "none";
  var base = S.baseStyle = {{ this.unit_style|tojson }};
  S.style = function (feature) {
    var p = S.paint, code = feature.properties.code_insee, s = Object.assign({}, base);
    if (p.fill && p.fill[code] !== undefined) {
      s.fillColor = p.palette[p.fill[code]]; s.fillOpacity = p.fill_opacity;
      var stroke = p.class_strokes && p.class_strokes[p.fill[code]];
      if (stroke) { s.color = stroke; s.weight = p.stroke_weight; s.opacity = 1; }  // e.g. the sector's group
    }
    if (p.outlined && p.outlined.indexOf(code) >= 0) { Object.assign(s, p.outlined_style); }
    if (p.selected && p.selected.indexOf(code) >= 0) { Object.assign(s, p.selected_style); }
    return s;
  };
  S.tip = function (feature) {
    var p = S.paint, pr = feature.properties, extra = p.tips && p.tips[pr.code_insee];
    var cls = p.class_names && p.fill && p.fill[pr.code_insee] !== undefined
      ? p.class_names[p.fill[pr.code_insee]] : null;
    return "<b>" + esc(pr.nom) + "</b> (" + pr.code_insee + ")<br>"
      + pr.population.toLocaleString("fr-FR") + " hab."
      + (cls ? "<br>" + esc(p.class_title || "") + esc(cls) : "") + (extra ? "<br>" + esc(extra) : "");
  };
  // bottom left: the region's south-west corner is outside the territory; the legend folds on a click
  S.legend = L.control({position: "bottomleft"});
  S.legend.onAdd = function () {
    var div = L.DomUtil.create("div", "secteurs-legend");
    div.style.cssText = "background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;max-height:60%;"
      + "overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.5 sans-serif;";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  S.legend.addTo(map);
  S.legendFolded = S.legendFolded || false;
  S.drawLegend = function () {
    var lg = S.paint.legend, div = S.legend.getContainer();
    div.style.display = lg ? "block" : "none";
    if (!lg) { return; }
    var swatch = function (it) {
      return '<i style="display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px;'
        + 'border:' + (it[2] ? '2px solid ' + it[2] : '1px solid #999') + ';background:' + it[0] + '"></i>';
    };
    var body = S.legendFolded ? "" : '<div class="secteurs-legend-items">' + lg.items.map(function (it) {
      return it[0] === null ? "<b>" + esc(it[1]) + "</b>" : swatch(it) + esc(it[1]);
    }).join("<br>") + "</div>";
    div.innerHTML = '<a href="#" class="secteurs-legend-toggle" title="Replier ou déplier la légende" '
      + 'style="color:#111;text-decoration:none;font-weight:bold">' + esc(lg.title) + " "
      + (S.legendFolded ? "▸" : "▾") + "</a>" + body;
    div.querySelector(".secteurs-legend-toggle").onclick = function (e) {
      e.preventDefault(); S.legendFolded = !S.legendFolded; S.drawLegend();
    };
  };
  // Sector names at a point inside each sector; a name that would overlap one already placed moves down
  // until it does not (placed again after each zoom). Department names show at low zoom only when
  // sector names are drawn, or when the user asks for them (paint.department_names).
  S.placeLabels = function () {
    // boxes in map pixels (text measured on a canvas): right even while the iframe is still being laid out
    var ctx = (S.measure = S.measure || document.createElement("canvas").getContext("2d"));
    ctx.font = "bold 12px sans-serif";
    var placed = [], height = 16;
    (S.labelMarkers || []).forEach(function (m) {
      var el = m.getElement(), span = el && el.firstChild;
      if (!span) { return; }
      var p = map.latLngToContainerPoint(m.getLatLng()), w = ctx.measureText(span.textContent).width + 8;
      var box = {left: p.x - w / 2, right: p.x + w / 2, top: p.y, bottom: p.y + height}, shift = 0;
      var hit = function (q) { return box.left < q.right && q.left < box.right && box.top + shift < q.bottom
                                      && q.top < box.bottom + shift; };
      for (var tries = 0; tries < 8 && placed.some(hit); tries++) { shift += height + 1; }
      span.style.top = shift + "px";
      placed.push({left: box.left, right: box.right, top: box.top + shift, bottom: box.bottom + shift});
    });
    var named = (S.paint.labels || []).length > 0, z = map.getZoom();
    var showDeps = S.paint.department_names === true
      || (S.paint.department_names !== false && (!named || z <= 7));
    (S.depMarkers || []).forEach(function (m) {
      var el = m.getElement();
      if (el) { el.style.display = showDeps ? "" : "none"; }
    });
  };
  S.drawLabels = function () {
    if (S.labelLayer) { S.labelLayer.remove(); }
    S.labelMarkers = (S.paint.labels || []).map(function (d) {
      return L.marker([d[0], d[1]], {interactive: false, keyboard: false, icon: L.divIcon({
        className: "secteurs-label", iconSize: null,
        html: '<span style="font:bold 12px sans-serif;color:#111;white-space:nowrap;'
          + 'background:rgba(255,255,255,.85);padding:0 3px;border-radius:3px;position:relative;left:-50%;">'
          + esc(d[2]) + "</span>"})});
    });
    S.labelLayer = L.layerGroup(S.labelMarkers).addTo(map);
    S.placeLabels();
    setTimeout(S.placeLabels, 50);  // again once the iframe has its final size and zoom
  };
  if (!S.zoomHooked || S.zoomHooked !== map) {
    S.zoomHooked = map;
    map.on("zoomend viewreset resize", function () { S.placeLabels(); });
  }
  S.apply = function () {
    S.drawLegend();
    S.drawLabels();
    S.units.restyle();
  };
  // The units: one canvas drawn from their rings (see UnitCanvas), under the partners' dots (overlay
  // pane, 400); the map answers hovers and clicks by finding the unit under the pointer.
  var unitPane = map.createPane("secteursUnits");
  unitPane.style.zIndex = 390;
  unitPane.style.pointerEvents = "none";
  var units = S.units = new S.UnitCanvas({pane: "secteursUnits"}).addTo(map);
  S.tooltip = L.tooltip({sticky: true, direction: "auto"});
  S.hover = -1;
  // Leaflet also fires the map's events for those on a layer (a partner's dot) and for some on a
  // control (the legend's toggle redraws itself, so it is no longer in the page when Leaflet looks
  // for its control): those are not for the unit under them.
  var offUnits = function (e) {
    var t = e.originalEvent && e.originalEvent.target;
    return !!t && (!map.getContainer().contains(t) || !!t.closest(".leaflet-control")
                   || (t.classList && t.classList.contains("leaflet-interactive")));
  };
  map.on("mousemove", function (e) {
    var i = offUnits(e) ? -1 : units.unitAt(e.latlng);
    if (i !== S.hover) {
      S.hover = i;
      map.getContainer().style.cursor = i < 0 ? "" : "pointer";
      if (i < 0) { map.closeTooltip(S.tooltip); return; }
      S.tooltip.setContent(S.tip(units.features[i]));  // made on hover, for the current paint
    }
    if (i >= 0) {
      S.tooltip.setLatLng(e.latlng);
      if (!map.hasLayer(S.tooltip)) { map.openTooltip(S.tooltip); }
    }
  });
  map.on("mouseout", function () { S.hover = -1; map.closeTooltip(S.tooltip); });
  // A click on a unit is a click on the units layer (streamlit-folium listens to each layer's clicks and
  // returns e.layer.toGeoJSON() as last_active_drawing): the unit's properties, without its rings.
  map.on("click", function (e) {
    var i = offUnits(e) ? -1 : units.unitAt(e.latlng);
    if (i < 0) { return; }
    var feature = {type: "Feature", properties: units.features[i].properties, geometry: null};
    units.fire("click", {latlng: e.latlng, layer: {toGeoJSON: function () { return feature; }}});
  });
  var outlines = L.geoJSON(null, {pane: "secteursOutlines", interactive: false,
                                  style: {{ this.outline_style|tojson }}}).addTo(map);
  // The GeoJSON texts stay with the app's page (the parent window, same origin) for the next maps of this
  // tab: each page mounts a new map, which then needs no request (nor the server's compression) again.
  // Their file names carry the territory's key, so a new territory is fetched afresh.
  var kept = (function () {
    try { return (window.parent.secteursGeoJSON = window.parent.secteursGeoJSON || {}); }
    catch (e) { return {}; }
  })();
  var load = function (url) {
    if (typeof kept[url] === "string") { return Promise.resolve(JSON.parse(kept[url])); }
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.text();
    }).then(function (text) { kept[url] = text; return JSON.parse(text); });
  };
  load({{ this.units_url|tojson }}).then(function (data) {
    performance.mark("secteurs-units-fetched");
    units.setData(data);  // drawn with the current paint
    S.drawLegend();
    map.getContainer().setAttribute("data-units", String(units.features.length));
    performance.mark("secteurs-units-drawn");
  }).catch(function (e) { console.error("secteurs: units", e); });
  load({{ this.outlines_url|tojson }}).then(function (data) { outlines.addData(data); })
    .catch(function (e) { console.error("secteurs: departements", e); });
  S.depMarkers = {{ this.labels|tojson }}.map(function (d) {
    return L.marker([d.lat, d.lon], {interactive: false, keyboard: false, icon: L.divIcon({
      className: "secteurs-dep-label", iconSize: null,
      html: '<span style="font:bold 13px sans-serif;color:#333;white-space:nowrap;'
        + 'text-shadow:0 0 3px #fff,0 0 3px #fff;position:relative;left:-50%;">'
        + esc(d.nom) + "</span>"})}).addTo(map);
  });
  S.placeLabels();
})({{ this._parent.get_name() }});
{% endmacro %}
"""


class RegionLayers(MacroElement):
    """Units (fetched GeoJSON, styled by the current :class:`Paint`), outlines and department names."""

    _template = Template(_REGION_JS)

    def __init__(self, urls: dict[str, str]):
        super().__init__()
        self._name = "RegionLayers"
        self.units_url = urls["units"]
        self.outlines_url = urls["departements"]
        self.labels = display.departement_labels()
        self.background = "#f4f2ee"
        self.unit_style = {"color": "#9a9a9a", "weight": 0.4, "opacity": 0.8,
                           "fillColor": "#ffffff", "fillOpacity": 0.0}
        self.outline_style = {"color": "#333333", "weight": 1.6, "fill": False}


_PARTNERS_JS = """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function (map) {
  var group = L.featureGroup().addTo(map);
  var colours = {{ this.colours|tojson }};
  {{ this.rows|tojson }}.forEach(function (r) {
    var marker = L.circleMarker([r[1], r[2]], {radius: 4, weight: 1, color: "#ffffff",
      fillColor: colours[r[3]] || "#666666", fillOpacity: 0.95});
    marker.feature = {type: "Feature", properties: {partner_id: r[0], type: r[3], name: r[4]}};
    marker.bindTooltip(r[3] + " : " + r[4].replace(/</g, "&lt;"));
    group.addLayer(marker);
  });
  group.on("mouseover", function () {  // the partner's tooltip replaces the unit's
    var S = window.secteurs || {};
    if (S.tooltip) { S.hover = -1; map.closeTooltip(S.tooltip); }
  });
  return group;
})({{ this._parent.get_name() }});
{% endmacro %}
"""


class PartnerMarkers(MacroElement):
    """Partners as small coloured dots (compact rows, one JS loop; no folium marker per partner)."""

    _template = Template(_PARTNERS_JS)

    def __init__(self, partners: pd.DataFrame):
        super().__init__()
        self._name = "PartnerMarkers"
        located = partners.dropna(subset=["lon", "lat"])
        self.rows = [[int(i), round(float(lat), 5), round(float(lon), 5), str(t), str(n)]
                     for i, lat, lon, t, n in located[["id", "lat", "lon", "type", "name"]].itertuples(index=False)]
        self.colours = PARTNER_COLOURS


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


_PAINT_JS = """
{% macro script(this, kwargs) %}
(function () {
  var S = window.secteurs = window.secteurs || {};
  S.paint = {{ this.paint|tojson }};
  if (S.apply) { S.apply(); }
})();
{% endmacro %}
"""


class _PaintElement(MacroElement):
    _template = Template(_PAINT_JS)

    def __init__(self, paint: Paint):
        super().__init__()
        self._name = "Paint"
        self.paint = paint.to_json()


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


def tile_layer() -> folium.TileLayer | None:
    """The optional background from ``$SECTEURS_TILES`` (an XYZ URL template)."""
    url = os.environ.get(TILES_ENV, "").strip()
    if not url:
        return None
    attribution = os.environ.get(TILES_ATTRIBUTION_ENV) or "Fond de carte : voir " + url.split("/")[2]
    return folium.TileLayer(tiles=url, attr=attribution, name="fond", overlay=False, control=False)


def build_map(partners: pd.DataFrame | None = None) -> OfflineMap:
    """The base map: outlines, names, units and partners; the same from one rerun to the next."""
    urls = served_urls()
    fmap = OfflineMap(urls, location=[45.5, 4.6], zoom_start=8, tiles=None, min_zoom=6,
                      max_zoom=14, control_scale=True, zoom_snap=0.25, zoom_delta=0.5)
    tiles = tile_layer()
    if tiles is not None:
        tiles.add_to(fmap)
    RegionLayers(urls).add_to(fmap)
    if partners is not None and len(partners):
        PartnerMarkers(partners).add_to(fmap)
    fmap.fit_bounds(REGION_BOUNDS)
    return fmap


def show_map(paint: Paint | None = None, *, key: str, partners: pd.DataFrame | None = None,
             height: int = 620, view: tuple[tuple[float, float], int] | None = None) -> dict | None:
    """Draw the region map; returns the last clicked feature (``{"properties": {...}}``) or ``None``.

    ``view`` is ``((lat, lon), zoom)`` (see :func:`view_of`): the mounted map pans
    there without being redrawn. The returned feature is also kept in
    ``st.session_state[key]``.
    """
    fmap = build_map(partners)
    group = folium.FeatureGroup(name="paint", control=False)
    _PaintElement(paint or Paint()).add_to(group)
    center, zoom = view if view is not None else (None, None)
    st_folium(fmap, key=key, height=height, use_container_width=True, center=center, zoom=zoom,
              returned_objects=RETURNED_OBJECTS, feature_group_to_add=group)
    return clicked_feature(key)


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
    feature = value.get("last_active_drawing") if isinstance(value, dict) else None
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        return None
    return feature


def clicked_unit(key: str) -> str | None:
    """INSEE code of the unit last clicked on the map ``key``, or ``None``."""
    feature = clicked_feature(key)
    return feature["properties"].get("code_insee") if feature else None

