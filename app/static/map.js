// The region map of every page (app/map.py mounts it as a Streamlit component, in the page itself).
//
// window.secteursMap.render(component) is called on every script run with the component's
// arguments: the first call for a component element builds the Leaflet map, the next ones only
// restyle its units (fill colours, tooltips' extra line, selection, legend, labels) and move the
// view when the page asks. Leaflet is loaded once per browser tab, and the units' geometry is
// fetched and prepared once per tab: a new page's map only draws.
(function () {
  "use strict";
  if (window.secteursMap) { return; }

  // A Leaflet canvas renderer that draws the units itself: no Leaflet layer per unit (4,033 polygons
  // made ~60,000 objects and cost Chromium about 0.5 CPU s per map). Leaflet's Canvas keeps placing,
  // sizing and zoom-animating the canvas; _draw fills and strokes one Path2D per style, in Web
  // Mercator pixels at zoom 0 scaled to the current zoom.
  var UnitCanvas = L.Canvas.extend({
    _initContainer: function () {
      this._container = document.createElement("canvas");
      this._container.className = "secteurs-units";
      this._ctx = this._container.getContext("2d");
    },
    setPrepared: function (prepared) {
      this.features = prepared.features; this.rings = prepared.rings;
      this.boxes = prepared.boxes; this.paths = prepared.paths; this.index = prepared.index;
      this.restyle();
    },
    // Group the units by fill and by outline (in drawing order: plain, class outline, outlined,
    // selected last, so a selection is never hidden by a neighbour's outline).
    restyle: function () {
      if (!this.features) { return; }
      var S = this.S, fills = {}, strokes = {}, paint = S.paint || {};
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
  });

  // Text from the data (names typed by people) goes into tooltips, labels and the legend as HTML: escaped.
  var esc = function (s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  };

  // The units' rings in Web Mercator pixels at zoom 0, their boxes and one Path2D each.
  var prepare = function (collection) {
    var toWorld = function (c) {  // lon/lat -> Leaflet's EPSG:3857 pixels at zoom 0
      var s = Math.sin(c[1] * Math.PI / 180);
      return [(c[0] + 180) * 256 / 360, 128 - 64 * Math.log((1 + s) / (1 - s)) / Math.PI];
    };
    var out = {features: [], rings: [], boxes: [], paths: [], index: {}};
    collection.features.forEach(function (f, i) {
      var g = f.geometry, polys = g.type === "MultiPolygon" ? g.coordinates : [g.coordinates];
      var rings = [], box = [Infinity, Infinity, -Infinity, -Infinity], path = new Path2D();
      polys.forEach(function (poly) {
        poly.forEach(function (ring) {
          var xy = new Float64Array(ring.length * 2);
          for (var k = 0; k < ring.length; k++) {
            var w = toWorld(ring[k]);
            xy[2 * k] = w[0]; xy[2 * k + 1] = w[1];
            if (k) { path.lineTo(w[0], w[1]); } else { path.moveTo(w[0], w[1]); }
            if (w[0] < box[0]) { box[0] = w[0]; } if (w[0] > box[2]) { box[2] = w[0]; }
            if (w[1] < box[1]) { box[1] = w[1]; } if (w[1] > box[3]) { box[3] = w[1]; }
          }
          path.closePath();
          rings.push(xy);
        });
      });
      out.features.push({type: "Feature", properties: f.properties});  // the rings are kept in pixels only
      out.rings.push(rings); out.boxes.push(box); out.paths.push(path);
      out.index[f.properties.code_insee] = i;
    });
    return out;
  };
  var fetched = {}, preparedUnits = {};
  var geojson = function (url) {
    if (!fetched[url]) {
      fetched[url] = fetch(url).then(function (r) {
        if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
        return r.json();
      });
      fetched[url].catch(function () { delete fetched[url]; });  // a failed fetch is tried again by the next map
    }
    return fetched[url];
  };
  var prepared = function (url) {
    if (!preparedUnits[url]) {
      preparedUnits[url] = geojson(url).then(prepare);
      preparedUnits[url].catch(function () { delete preparedUnits[url]; });
    }
    return preparedUnits[url];
  };

  // The units, the departments' outlines and names, the legend, the labels, tooltips and clicks.
  var region = function (map, cfg) {
    var S = {paint: cfg.paint, map: map};
    map.getContainer().style.background = cfg.background;
    var outlinePane = map.createPane("secteursOutlines");
    outlinePane.style.zIndex = 450;
    outlinePane.style.pointerEvents = "none";
    var base = S.baseStyle = cfg.unit_style;
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
    S.drawLegend = function () {
      var lg = S.paint.legend, div = S.legend.getContainer();
      div.style.display = lg ? "block" : "none";
      if (!lg) { return; }
      var swatch = function (it) {
        return '<i style="display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px;'
          + 'border:' + (it[2] ? '2px solid ' + it[2] : '1px solid #999') + ';background:' + it[0] + '"></i>';
      };
      var body = window.secteursLegendFolded ? "" : '<div class="secteurs-legend-items">' + lg.items.map(function (it) {
        return it[0] === null ? "<b>" + esc(it[1]) + "</b>" : swatch(it) + esc(it[1]);
      }).join("<br>") + "</div>";
      div.innerHTML = '<a href="#" class="secteurs-legend-toggle" title="Replier ou déplier la légende" '
        + 'style="color:#111;text-decoration:none;font-weight:bold">' + esc(lg.title) + " "
        + (window.secteursLegendFolded ? "▸" : "▾") + "</a>" + body;
      div.querySelector(".secteurs-legend-toggle").onclick = function (e) {
        e.preventDefault(); window.secteursLegendFolded = !window.secteursLegendFolded; S.drawLegend();
      };
    };
    // Sector names at a point inside each sector; a name that would overlap one already placed moves down
    // until it does not (placed again after each zoom). Department names show at low zoom only when
    // sector names are drawn, or when the user asks for them (paint.department_names).
    S.placeLabels = function () {
      // boxes in map pixels (text measured on a canvas): right even while the page is still being laid out
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
      setTimeout(S.placeLabels, 50);  // again once the map has its final size and zoom
    };
    map.on("zoomend viewreset resize", function () { S.placeLabels(); });
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
    var units = S.units = new UnitCanvas({pane: "secteursUnits"});
    units.S = S;
    units.addTo(map);
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
    // A click on a unit returns its properties to Python, without its rings.
    map.on("click", function (e) {
      var i = offUnits(e) ? -1 : units.unitAt(e.latlng);
      if (i < 0) { return; }
      var feature = {type: "Feature", properties: units.features[i].properties, geometry: null};
      if (S.onClick) { S.onClick(feature); }
    });
    var outlines = L.geoJSON(null, {pane: "secteursOutlines", interactive: false,
                                    style: cfg.outline_style}).addTo(map);
    // The geometry is fetched and prepared once per browser tab and shared by the maps of every page
    // (each page mounts its own map). The file names carry the territory's key: a new territory is
    // fetched afresh.
    prepared(cfg.urls.units).then(function (p) {
      if (!units._map) { return; }  // the map was removed meanwhile
      units.setPrepared(p);  // drawn with the current paint
      S.drawLegend();
      map.getContainer().setAttribute("data-units", String(units.features.length));
    }).catch(function (e) { console.error("secteurs: units", e); });
    geojson(cfg.urls.departements).then(function (data) { if (outlines._map) { outlines.addData(data); } })
      .catch(function (e) { console.error("secteurs: departements", e); });
    S.depMarkers = cfg.labels.map(function (d) {
      return L.marker([d.lat, d.lon], {interactive: false, keyboard: false, icon: L.divIcon({
        className: "secteurs-dep-label", iconSize: null,
        html: '<span style="font:bold 13px sans-serif;color:#333;white-space:nowrap;'
          + 'text-shadow:0 0 3px #fff,0 0 3px #fff;position:relative;left:-50%;">'
          + esc(d.nom) + "</span>"})}).addTo(map);
    });
    S.placeLabels();
    return S;
  };

  // Partners as small coloured dots; a click returns the partner as a unit's click does.
  var partnerDots = function (map, cfg, S) {
    var group = L.featureGroup().addTo(map);
    cfg.partners.forEach(function (r) {
      var marker = L.circleMarker([r[1], r[2]], {radius: 4, weight: 1, color: "#ffffff",
        fillColor: cfg.colours[r[3]] || "#666666", fillOpacity: 0.95});
      marker.feature = {type: "Feature", properties: {partner_id: r[0], type: r[3], name: r[4]}};
      marker.bindTooltip(esc(r[3]) + " : " + esc(r[4]));
      group.addLayer(marker);
    });
    group.on("mouseover", function () {  // the partner's tooltip replaces the unit's
      S.hover = -1; map.closeTooltip(S.tooltip);
    });
    group.on("click", function (e) {
      if (S.onClick) { S.onClick({type: "Feature", properties: e.layer.feature.properties, geometry: null}); }
    });
    return group;
  };

  var update = function (state, component) {
    var cfg = component.data, S = state.S;
    S.paint = cfg.paint;
    S.onClick = function (feature) { component.setStateValue("last_active_drawing", feature); };
    S.apply();
    // the partners shown change with the page's filters (types, labels): their dots are drawn again
    var partners = JSON.stringify(cfg.partners);
    if (partners !== state.partners) {
      if (state.dots) { state.dots.remove(); }
      state.dots = cfg.partners.length ? partnerDots(state.map, cfg, S) : null;
      state.partners = partners;
    }
    var view = cfg.view ? JSON.stringify(cfg.view) : null;
    if (view !== state.view && view && state.sized) { state.map.setView(cfg.view[0], cfg.view[1]); }
    if (state.sized) { state.view = view; }
    window.secteurs = S;
  };

  var build = function (root, component) {
    var cfg = component.data;
    var div = document.createElement("div");
    div.className = "secteurs-map";
    div.style.height = cfg.height + "px";
    div.style.width = "100%";
    root.appendChild(div);
    var map = L.map(div, {minZoom: 6, maxZoom: 14, zoomSnap: 0.25, zoomDelta: 0.5});
    if (cfg.tiles) { L.tileLayer(cfg.tiles.url, {attribution: cfg.tiles.attribution}).addTo(map); }
    L.control.scale({imperial: false}).addTo(map);
    var state = {map: map, div: div, sized: false, view: null, partners: null, dots: null};
    state.S = region(map, cfg);
    // Leaflet needs its size: fit the region (then the page's view) once the element has one
    // (a map drawn in a tab that is not shown has none yet), and follow its changes.
    var sized = function () {
      if (!div.clientWidth || !div.clientHeight) { return; }
      map.invalidateSize({animate: false});
      if (!state.sized) {
        state.sized = true;
        map.fitBounds(cfg.bounds, {animate: false});
        update(state, state.component);
      }
    };
    state.observer = new ResizeObserver(sized);
    state.observer.observe(div);
    map.setView([45.5, 4.6], 8, {animate: false});  // until it has a size
    return state;
  };

  var destroy = function (root, state) {
    state.observer.disconnect();
    state.map.remove();
    state.div.remove();
    root.secteursMapState = null;
    if (window.secteurs === state.S) { window.secteurs = null; }
  };

  window.secteursMap = {
    render: function (component) {
      var root = component.parentElement;
      var state = root.secteursMapState;
      // another territory (its files carry its key): a new map, not a restyle of the old units
      if (state && state.unitsUrl !== component.data.urls.units) { destroy(root, state); state = null; }
      if (!state) {
        state = root.secteursMapState = build(root, component);
        state.unitsUrl = component.data.urls.units;
      }
      state.component = component;
      update(state, component);
      return function () { if (root.secteursMapState === state) { destroy(root, state); } };
    }
  };
})();
