/* The situation map's one renderer: the dashboard's map component and the
 * exported HTML page both draw a map "spec" (layers/map.py) with this file.
 *
 * Layers are updated in place: a layer whose hash has not changed is kept as
 * drawn (with the user's pan, zoom, open popup and layer toggles), so a filter
 * change redraws only what changed. Every text in a spec was escaped on the
 * server (layers/html.py); labels and values are inserted as given.
 *
 * Drawing order is fixed by panes (documented in the README): filled areas at
 * the bottom (a fill over a raster would hide it), rivers over the fills, then
 * rasters (a flooded river shows its flood), lines, points, hotspots and alerts
 * on top; tooltips and popups above all.
 */
(function (global) {
  "use strict";

  var PANES = {fills: 300, water: 320, rasters: 350, lines: 420, points: 440, hotspots: 460,
               labels: 470, alerts: 480, drawing: 500};
  // Panes of many small shapes (incident markers, hotspot cells), drawn on one
  // canvas each instead of an SVG element per shape: redrawing a thousand SVG
  // elements was most of a filter change's time in the browser.
  var CANVAS_PANES = {points: true, hotspots: true};

  function rows(fields, props) {
    var out = "";
    for (var i = 0; i < fields.length; i++) {
      var value = props[fields[i][0]];
      if (value === null || value === undefined || value === "") continue;
      out += "<tr><th>" + fields[i][1] + "</th><td>" + value + "</td></tr>";
    }
    return '<table class="samon-fields">' + out + "</table>";
  }

  function featureStyle(part, feature) {
    var style = {pane: "samon-" + part.pane};
    var base = part.style || {}, from = part.style_from || {};
    for (var k in base) style[k] = base[k];
    for (var f in from) {
      var v = feature.properties[from[f]];
      if (v !== null && v !== undefined) style[f] = v;
    }
    return style;
  }

  /* Positions sent as integer steps (layers/builders.py: packed) back to GeoJSON. */
  function positions(steps, scale) {
    if (steps.length && typeof steps[0] !== "number") {
      return steps.map(function (s) { return positions(s, scale); });
    }
    var out = [], x = 0, y = 0;
    for (var i = 0; i < steps.length; i += 2) {
      x += steps[i];
      y += steps[i + 1];
      out.push([x / scale, y / scale]);
    }
    return out;
  }

  function geometry(g) {
    if (g && g.steps) return {type: g.type, coordinates: positions(g.steps, g.scale)};
    if (g && g.geometries) return {type: g.type, geometries: g.geometries.map(geometry)};
    return g;
  }

  function unpack(data) {
    data.features.forEach(function (f) { f.geometry = geometry(f.geometry); });
    return data;
  }

  /* ``renderer(pane)``: the map's canvas for a canvas pane, else undefined (SVG). */
  function buildPart(part, renderer) {
    var pane = "samon-" + part.pane;
    if (part.kind === "image") {
      return L.imageOverlay(part.url, part.bounds, {opacity: part.opacity, pane: pane,
                                                    interactive: false});
    }
    if (part.kind === "labels") return labelsLayer(part);
    if (part.kind === "heat") {
      return L.heatLayer(part.points, {radius: part.radius, blur: part.blur,
                                       minOpacity: part.min_opacity});
    }
    var canvas = renderer(part.pane);
    return L.geoJSON(unpack(part.data), {
      // Features with nothing to say on hover or click let the pointer through
      // to the layers under them (rivers over a country, an area's outline).
      interactive: Boolean(part.tooltip || part.popup),
      renderer: canvas,
      style: function (f) { return featureStyle(part, f); },
      pointToLayer: function (f, latlng) {
        var style = featureStyle(part, f);
        if (canvas) style.renderer = canvas;
        return L.circleMarker(latlng, style);
      },
      onEachFeature: function (f, layer) {
        if (part.tooltip) {
          layer.bindTooltip(function () { return rows(part.tooltip, f.properties); },
                            {sticky: f.geometry.type !== "Point"});
        }
        if (part.popup) {
          layer.bindPopup(function () { return rows(part.popup, f.properties); },
                          {maxWidth: 320});
        }
      }
    });
  }

  /* Names as text on the map, each from its zoom on (re-checked on every zoom). */
  function labelsLayer(part) {
    var group = L.layerGroup();
    var markers = part.labels.map(function (l) {
      return {min: l.min_zoom, marker: L.marker([l.lat, l.lon], {
        pane: "samon-" + part.pane, interactive: false, keyboard: false,
        icon: L.divIcon({className: "samon-label samon-label-" + l.kind,
                         html: "<span>" + l.text + "</span>", iconSize: null})})};
    });
    var attached = null;
    function show() {
      var zoom = attached ? attached.getZoom() : 0;
      markers.forEach(function (m) {
        var on = zoom >= m.min;
        if (on && !group.hasLayer(m.marker)) group.addLayer(m.marker);
        if (!on && group.hasLayer(m.marker)) group.removeLayer(m.marker);
      });
    }
    group.on("add", function () { attached = group._map; attached.on("zoomend", show); show(); });
    group.on("remove", function () {
      if (attached) attached.off("zoomend", show);
      attached = null;
    });
    return group;
  }

  /* A layer's parts as drawn: ``old`` ({digests, drawn}) keeps the parts it
   * shares with ``digests`` when they come in the same order and every new
   * part comes after them (drawn later, as the spec orders them); else the
   * layer is built again. Returns {digests, drawn: [Leaflet layer per part]}. */
  function setParts(group, old, digests, parts, renderer) {
    var wanted = {}, i;
    for (i = 0; i < digests.length; i++) wanted[digests[i]] = true;
    var kept = old ? old.digests.filter(function (d) { return wanted[d]; }) : [];
    var inOrder = kept.every(function (d, k) { return digests[k] === d; });
    var drawn = {};
    if (old) {
      for (i = 0; i < old.digests.length; i++) {
        if (inOrder && wanted[old.digests[i]]) drawn[old.digests[i]] = old.drawn[i];
        else group.removeLayer(old.drawn[i]);
      }
    }
    var out = [];
    for (i = 0; i < digests.length; i++) {
      var part = drawn[digests[i]];
      if (!part) {
        part = buildPart(parts[digests[i]], renderer);
        group.addLayer(part);
      }
      out.push(part);
    }
    return {digests: digests.slice(), drawn: out};
  }

  function box(map, position, cssClass) {
    var div = L.DomUtil.create("div", "samon-box " + cssClass);
    var control = L.control({position: position});
    control.onAdd = function () { return div; };
    control.addTo(map);
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }

  /* The hatching of disputed areas (CSS .samon-disputed fills with it). */
  function hatchPattern(doc) {
    if (doc.getElementById("samon-hatch")) return;
    var ns = "http://www.w3.org/2000/svg";
    var svg = doc.createElementNS(ns, "svg");
    svg.setAttribute("width", "0"); svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    svg.innerHTML = '<defs><pattern id="samon-hatch" width="8" height="8" ' +
      'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="8" height="8" fill="#f2efe9"/>' +
      '<line x1="0" y1="0" x2="0" y2="8" stroke="#8c6d46" stroke-width="3"/></pattern></defs>';
    doc.body.appendChild(svg);
  }

  function create(element, options) {
    options = options || {};
    hatchPattern(element.ownerDocument);
    var map = L.map(element, {zoomSnap: 0.25});
    L.control.scale().addTo(map);
    for (var name in PANES) map.createPane("samon-" + name).style.zIndex = PANES[name];
    var state = {map: map, drawn: {}, parts: {}, order: [], control: null, tiles: null,
                 tilesUrl: null, boundsKey: null, focusKey: "null", renders: 0,
                 legendTitle: "Legend"};
    var banner = box(map, "topleft", "samon-disclaimer");
    var legends = box(map, "bottomright", "samon-legends");
    var sources = box(map, "bottomleft", "samon-sources");
    state.control = L.control.layers(null, {}, {collapsed: false, position: "topright"}).addTo(map);
    var canvases = {};
    function renderer(pane) {
      if (!CANVAS_PANES[pane]) return undefined;
      return canvases[pane] || (canvases[pane] = L.canvas({pane: "samon-" + pane}));
    }

    function renderLegend() {
      var html = "";
      for (var i = 0; i < state.order.length; i++) {
        var entry = state.drawn[state.order[i]];
        if (entry && entry.legend && map.hasLayer(entry.layer)) html += entry.legend;
      }
      var title = document.createElement("summary");
      title.textContent = state.legendTitle;  // text, never markup
      legends.innerHTML = html ? "<details open>" + title.outerHTML + html + "</details>" : "";
      legends.style.display = html ? "" : "none";
    }
    map.on("overlayadd overlayremove", renderLegend);

    function setTiles(frame) {
      var url = frame.basemap_url || null;
      if (url === state.tilesUrl) return;
      if (state.tiles) map.removeLayer(state.tiles);
      state.tiles = url ? L.tileLayer(url, {attribution: frame.basemap_attribution || ""})
                          .addTo(map) : null;
      state.tilesUrl = url;
    }

    /* Draw ``layers`` (in order; each {id, name, hash, legend, parts: [part
     * hashes]}) with the parts sent now (``parts``: {hash: part}) and those
     * held from the updates before. Returns the part hashes neither sent nor
     * held here. */
    function update(frame, layers, parts) {
      var started = performance.now();
      var missing = [], keep = {}, held = {};
      setTiles(frame);
      var boundsKey = JSON.stringify(frame.bounds);
      if (boundsKey !== state.boundsKey) {
        var b = frame.bounds;
        map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
        state.boundsKey = boundsKey;
      }
      // An item chosen in a list beside the map (an alert): shown, once per choice.
      var focusKey = JSON.stringify(frame.focus || null);
      if (frame.focus && focusKey !== state.focusKey) {
        var f = frame.focus;
        map.fitBounds([[f[1], f[0]], [f[3], f[2]]], {maxZoom: 8, padding: [40, 40]});
      }
      state.focusKey = focusKey;
      banner.innerHTML = frame.banner;
      sources.innerHTML = frame.sources;
      sources.style.display = frame.sources ? "" : "none";  // no empty box (the warnings' map)
      // The boxes read in the page's language and direction (right to left for Urdu ...).
      var dir = frame.dir || "ltr";
      banner.dir = legends.dir = sources.dir = state.control.getContainer().dir = dir;
      map.getContainer().lang = frame.lang || "en";
      state.legendTitle = frame.legend_title || "Legend";
      for (var i = 0; i < layers.length; i++) {
        var item = layers[i], lacking = false;
        for (var p = 0; p < item.parts.length; p++) {
          var digest = item.parts[p];
          var spec = parts[digest] || state.parts[digest];
          if (spec) held[digest] = spec;
          else { missing.push(digest); lacking = true; }
        }
        if (lacking) continue;
        keep[item.id] = true;
        var old = state.drawn[item.id];
        if (old && old.hash === item.hash) { old.legend = item.legend; old.name = item.name; continue; }
        var entry = old || {layer: L.featureGroup(), built: null};
        if (!old) entry.layer.addTo(map);  // a layer the user switched off stays off
        entry.built = setParts(entry.layer, entry.built, item.parts, held, renderer);
        entry.hash = item.hash;
        entry.legend = item.legend;
        entry.name = item.name;
        state.drawn[item.id] = entry;
      }
      for (var id in state.drawn) {
        if (!keep[id]) {
          map.removeLayer(state.drawn[id].layer);
          state.control.removeLayer(state.drawn[id].layer);
          delete state.drawn[id];
        }
      }
      state.parts = held;
      state.order = layers.map(function (l) { return l.id; }).filter(function (id) {
        return state.drawn[id];
      });
      // The control lists the layers in drawing order, whatever changed.
      for (var j = 0; j < state.order.length; j++) state.control.removeLayer(state.drawn[state.order[j]].layer);
      for (var k = 0; k < state.order.length; k++) {
        var e = state.drawn[state.order[k]];
        state.control.addOverlay(e.layer, e.name);
      }
      renderLegend();
      state.renders += 1;
      element.setAttribute("data-samon-renders", String(state.renders));
      element.setAttribute("data-samon-layers", state.order.join(" "));
      // How long this update took in the browser (the benchmark reports it).
      element.setAttribute("data-samon-update-ms", String(Math.round(performance.now() - started)));
      return missing;
    }

    return {map: map, update: update};
  }

  global.SamonMap = {create: create, PANES: PANES};
})(window);
