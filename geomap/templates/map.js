/* geomap: markers, lazy popups, the "wrong place?" control, filters kept in the URL hash and offline
   region outlines, built from the JSON in #geomap-data. Popup HTML is escaped by geomap.render before it
   is embedded; this script never builds HTML from article text itself (it uses textContent). */
(function () {
  "use strict";

  function pinSize(point) {
    return Math.round(Math.min(34, 10 + 5 * Math.log2(1 + point.a)));
  }

  function pinIcon(point) {
    var size = pinSize(point);
    return L.divIcon({
      className: "gm-pin gm-kind-" + point.k,
      iconSize: [size, size],
      popupAnchor: [0, -size / 2],
      html: ""
    });
  }

  function plural(n, word) { return window.geomapControls.plural(n, word); }

  function scoreWord(score, words) {
    for (var i = 0; i < words.length; i += 1) { if (score >= words[i][0]) { return words[i][1]; } }
    return words[words.length - 1][1];
  }

  /* One article of a popup: title (to the original when known, else the reader view), date, source, the
     first mention's sentence, how sure the place is and the controls to check it. Row layout: see
     geomap.render.popup_data. */
  function popupItem(list, ref, data) {
    var el = window.geomapControls.el;
    var a = data.articles[ref[0]], reader = a.r + "#m-" + ref[2];
    var alts = ref[6].filter(function (id) { return data.alts[id]; });
    var li = el("li", "", list);
    li.setAttribute("data-art", a.i);
    li.setAttribute("data-n", ref[5] || li.parentNode.getAttribute("data-name"));
    li.setAttribute("data-alt", alts.join(" "));
    var title = el("a", "gm-title", li, a.t);
    title.href = a.u || reader;
    if (a.u) { title.target = "_blank"; title.rel = "noopener noreferrer"; }
    var meta = el("span", "gm-meta", li, [a.d, a.s].filter(Boolean).join(" · "));
    if (ref[1] > 1) { meta.appendChild(document.createTextNode(" (" + ref[1] + " mentions)")); }
    if (meta.textContent) { meta.appendChild(document.createTextNode(" · ")); }
    el("a", "gm-reader", meta, "reader view").href = reader;
    el("q", "gm-sentence", li).innerHTML = ref[4];  // escaped by geomap.render.sentence_html
    var line = el("span", "gm-score-line", li);
    var word = scoreWord(ref[3], data.scoreWords);
    var score = el("span", "gm-score gm-score-" + word, line, word);
    score.title = "score " + ref[3].toFixed(2);
    if (ref[5]) { line.appendChild(document.createTextNode(" · as written “" + ref[5] + "”")); }
    var button = function (text, className) {
      line.appendChild(document.createTextNode(" · "));
      el("button", "gm-link " + className, line, text).type = "button";
    };
    if (alts.length) { button(plural(alts.length, "other candidate"), "gm-alts-toggle"); }
    button("wrong place?", "gm-wrong");
  }

  function popupContent(point, data) {
    var el = window.geomapControls.el;
    var box = el("div", "gm-popup");
    box.setAttribute("data-place", point.id);
    el("h3", "gm-name", box, point.name);
    el("p", "gm-where", box, [point.f, point.sub].filter(Boolean).join(" · "));
    el("p", "gm-count", box, plural(point.a, "article") + ", " + plural(point.m, "mention"));
    var list = el("ol", "gm-articles", box);
    list.setAttribute("data-name", point.name);
    point.refs.forEach(function (ref) { popupItem(list, ref, data); });
    if (point.a > point.refs.length) {
      var more = el("button", "gm-link gm-more", el("p", "", box), "and " + (point.a - point.refs.length) +
        " more: all " + point.a + " in the articles table");
      more.type = "button";
      L.DomEvent.on(more, "click", function () { window.geomap.tables.open("articles", point); });
    }
    return box;
  }

  /* Under a filter, the popup says how many of the place's articles pass it (the list stays the place's own). */
  function filteredCount(popup, point, state) {
    var count = popup && popup.querySelector(".gm-count");
    if (!count) { return; }
    var note = count.querySelector(".gm-filtered") || L.DomUtil.create("span", "gm-filtered", count);
    var passing = point.arts.filter(function (i) { return state.articleOk[i]; }).length;
    note.textContent = passing === point.arts.length ? "" : " · " + passing + " pass the filter";
  }

  function makeMarker(point, data) {
    var marker = L.marker([point.lat, point.lon], {
      icon: pinIcon(point), title: point.name, alt: point.name, riseOnHover: true
    });
    var content = null;  // built on the first opening, then kept (with any box the user opened in it)
    marker.bindPopup(function () { return content || (content = popupContent(point, data)); }, {
      maxWidth: 380, minWidth: 260, maxHeight: 360, autoPanPadding: [40, 40], className: "gm-leaflet-popup"
    });
    marker.gmPoint = point;
    return marker;
  }

  function writeHash(filter, place) {
    var base = window.location.pathname + window.location.search;
    window.history.replaceState(null, "", base + window.geomapControls.filterToHash(filter, place));
  }

  function fitAll(map, markers) {
    if (markers.length === 0) { map.setView([20, 0], 2); return; }
    var bounds = L.latLngBounds(markers.map(function (m) { return m.getLatLng(); }));
    map.fitBounds(bounds, { padding: [40, 40], maxZoom: 6, animate: false });
  }

  function placesText(shown, total) {
    var noun = total === 1 ? " place" : " places";
    return shown === total ? total + noun : shown + " of " + total + noun;
  }

  function titleControl(data, count) {
    var control = L.control({ position: "topright" });
    var sub = null;
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "gm-box gm-title");
      var heading = L.DomUtil.create("strong", "", box);
      heading.textContent = data.title;
      sub = L.DomUtil.create("div", "gm-sub", box);
      sub.textContent = placesText(count, count);
      var buttons = L.DomUtil.create("div", "gm-title-buttons", box);
      var button = function (text, table, className) {
        var b = L.DomUtil.create("button", "gm-button " + className, buttons);
        b.type = "button";
        b.textContent = text;
        L.DomEvent.on(b, "click", function () { window.geomap.tables.open(table); });
      };
      button("Tables", "places", "gm-open-tables");
      if (data.left.length) {
        button(plural(data.left.length, "name") + " not placed", "not-placed",
          "gm-open-left");
      }
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.setShown = function (shown) { sub.textContent = placesText(shown, count); };
    /* A line that says what the map just did on its own (cleared the filter to show a place). */
    control.notice = function (text) {
      var box = sub.parentNode, note = box.querySelector(".gm-notice") || L.DomUtil.create("div", "gm-notice", box);
      note.textContent = text;
      window.clearTimeout(control.noticeTimer);
      control.noticeTimer = window.setTimeout(function () { note.remove(); }, 6000);
    };
    return control;
  }

  function heatData(markers) {
    return markers.map(function (m) {
      return [m.gmPoint.lat, m.gmPoint.lon, Math.log1p(m.gmPoint.m)];
    });
  }

  /* Which articles pass the filter's article part (group, dates; undated articles always do). */
  function articlesPassing(articles, filter) {
    return articles.map(function (a) {
      if (filter.groups.length && !filter.groups[a.g]) { return false; }
      if (!a.d) { return true; }
      return (!filter.from || a.d >= filter.from) && (!filter.to || a.d <= filter.to);
    });
  }

  /* Which markers pass: the place's kind and country, and at least `min` of its articles passing. */
  function visibleMarkers(markers, ok, filter) {
    var need = Math.max(1, filter.min || 1);
    return markers.filter(function (m) {
      var p = m.gmPoint;
      if (filter.kinds[p.k] === false || (filter.country && p.c !== filter.country)) { return false; }
      var n = 0;
      for (var i = 0; i < p.arts.length && n < need; i += 1) { if (ok[p.arts[i]]) { n += 1; } }
      return n >= need;
    });
  }

  function km(lat1, lon1, lat2, lon2) {
    var r = Math.PI / 180, dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
    var h = Math.pow(Math.sin(dlat / 2), 2) +
      Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.pow(Math.sin(dlon / 2), 2);
    return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  /* One --overrides CSV line (name,place,context,article). */
  function overrideLine(fields) {
    return fields.map(function (f) { return window.geomapControls.csvField(f, false); }).join(",");
  }

  /* A shell word: single-quoted, so nothing in an article's name runs when the command is pasted. */
  function shellWord(text) { return "'" + text.replace(/'/g, "'\\''") + "'"; }

  function copyText(text, code, button) {
    var done = function () {
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
    };
    var select = function () {
      var range = document.createRange();
      range.selectNodeContents(code);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      if (ok) { done(); } else { button.textContent = "Selected: copy it"; }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, select);
    } else {
      select();
    }
  }

  /* The runner-up places of a popup item: name, kind and distance from the place chosen. */
  function runnerUps(item, point, data) {
    var box = item.querySelector(".gm-alts");
    if (box) { box.remove(); return; }
    var el = window.geomapControls.el;
    box = el("ul", "gm-alts");
    (item.getAttribute("data-alt") || "").split(" ").forEach(function (id) {
      var alt = data.alts[id];
      if (!alt) { return; }
      var d = Math.round(km(point.lat, point.lon, alt[2], alt[3]));
      el("li", "", box, alt[0] + " (" + alt[1] + ") · " + d.toLocaleString("en") + " km away");
    });
    item.appendChild(box);
  }

  /* The "wrong place?" box: ready-made --overrides lines for this name in this article, each copyable. */
  function overrideBox(item, point, data) {
    var box = item.querySelector(".gm-fix");
    if (box) { box.remove(); return; }
    var el = window.geomapControls.el;
    var name = item.getAttribute("data-n"), article = item.getAttribute("data-art");
    box = el("div", "gm-fix");
    el("p", "", box, "Not " + point.name + "? Add a line to your overrides file and run geomap map again " +
      "with --overrides FILE:");
    var row = function (label, fields) {
      var line = overrideLine(fields);
      var r = el("div", "gm-fix-row", box);
      el("div", "gm-fix-label", r, label);
      var code = el("code", "gm-fix-line", r, line);
      var button = el("button", "gm-button gm-copy", r, "Copy");
      button.type = "button";
      L.DomEvent.on(button, "click", function () { copyText(line, code, button); });
    };
    (item.getAttribute("data-alt") || "").split(" ").forEach(function (id) {
      if (data.alts[id]) { row("It is " + data.alts[id][0] + ":", [name, id, "", article]); }
    });
    row("“" + name + "” is no place in this article:", [name, "-", "", article]);
    row("Never map “" + name + "”:", [name, "-", "", ""]);
    el("p", "gm-hint", box, "The file's first line is name,place,context,article. Another place? " +
      "Find its id with: geomap geocode " + shellWord(name + ", COUNTRY OR REGION") + " --format jsonl");
    item.appendChild(box);
  }

  /* Clicks inside popups (Leaflet stops them bubbling, so listen in the capture phase). */
  function popupClicks(state) {
    document.addEventListener("click", function (e) {
      var target = e.target;
      if (!target.closest) { return; }
      var button = target.closest(".gm-popup .gm-alts-toggle, .gm-popup .gm-wrong");
      if (!button) { return; }
      var item = button.closest("li[data-art]");
      var marker = state.byId[button.closest(".gm-popup").getAttribute("data-place")];
      if (!item || !marker) { return; }
      if (button.classList.contains("gm-wrong")) {
        overrideBox(item, marker.gmPoint, state.data);
      } else {
        runnerUps(item, marker.gmPoint, state.data);
      }
      marker.getPopup().update();  // lay out again and pan the grown popup into view
    }, true);
  }

  /* First-level region outlines, from a script in the map's folder, under the tiles like the country
     outlines and only from zoom 5: loaded on the first zoom that far. */
  var OUTLINE_ZOOM = 5;
  function regionOutlines(map, src) {
    var layer = null, asked = false;
    window.geomapOutlines = function (outlines) {
      var rings = [].concat.apply([], outlines.polygons || []);  // a polygon's rings, drawn as lines too
      var lines = (outlines.lines || []).concat(rings);
      layer = L.polyline(lines.map(window.geomapControls.latLngs), {
        pane: "gm-basemap", renderer: L.canvas({ pane: "gm-basemap", padding: 0.5 }), interactive: false,
        color: "#a8a294", weight: 0.6, dashArray: "3 2"
      });
      show();
    };
    var show = function () {
      if (map.getZoom() >= OUTLINE_ZOOM && !asked && src) {
        asked = true;
        var script = document.createElement("script");
        script.src = src;
        script.onerror = function () { script.remove(); };
        document.head.appendChild(script);
      }
      if (layer) {
        if (map.getZoom() >= OUTLINE_ZOOM) { layer.addTo(map); } else { layer.remove(); }
      }
    };
    map.on("zoomend", show);
    show();
    return { loaded: function () { return layer !== null; }, layer: function () { return layer; } };
  }

  /* Natural Earth country outlines in a pane below the tiles: visible only where tiles fail. */
  function drawBasemap(map) {
    var node = document.getElementById("geomap-basemap");
    if (!node) { return null; }
    var pane = map.createPane("gm-basemap");
    pane.style.zIndex = 150;
    var renderer = L.canvas({ pane: "gm-basemap", padding: 0.5 });
    var polygons = JSON.parse(node.textContent).polygons.map(function (rings) {
      return rings.map(window.geomapControls.latLngs);
    });
    return L.polygon(polygons, {
      pane: "gm-basemap", renderer: renderer, interactive: false,
      color: "#b5b1a6", weight: 0.7, fillColor: "#f7f5ef", fillOpacity: 1
    }).addTo(map);
  }

  window.geomapInit = function (map, cluster, heat) {
    drawBasemap(map);
    var data = JSON.parse(document.getElementById("geomap-data").textContent);
    var markers = data.points.map(function (point) { return makeMarker(point, data); });
    var byId = Object.create(null);
    markers.forEach(function (m) { byId[m.gmPoint.id] = m; });
    // Fit first and cluster afterwards: a fit while the cluster is on the map starts a cluster
    // animation that swallows the events zoomToShowLayer waits for.
    map.removeLayer(cluster);
    fitAll(map, markers);
    cluster.addLayers(markers);
    map.addLayer(cluster);
    map.attributionControl.addAttribution(data.attribution);
    var title = titleControl(data, markers.length).addTo(map);
    var controls = window.geomapControls;

    var state = { map: map, cluster: cluster, heat: heat, markers: markers, byId: byId, data: data, ready: false };
    state.shown = markers;
    state.articleOk = data.articles.map(function () { return true; });
    state.place = null;  // the id of the place whose popup is open
    state.filter = null;
    state.applyFilter = function (filter) {
      state.filter = filter;
      state.articleOk = articlesPassing(data.articles, filter);
      var shown = visibleMarkers(markers, state.articleOk, filter);
      var same = shown.length === state.shown.length &&
        shown.every(function (m, i) { return m === state.shown[i]; });
      state.shown = shown;
      if (!same) {
        cluster.clearLayers();
        cluster.addLayers(shown);
      }
      if (heat) { heat.setLatLngs(heatData(state.shown)); }
      title.setShown(state.shown.length);
      if (state.tables) { state.tables.refresh(); }
      if (state.ready) { writeHash(filter, state.place); }
    };
    var filterPanel = controls.filterPanel(data, state.applyFilter).addTo(map);
    state.filterPanel = filterPanel;
    state.open = function (id) {
      var marker = byId[id];
      if (!marker) { return false; }
      if (!cluster.hasLayer(marker)) {
        filterPanel.reset();
        title.notice("Filter cleared to show " + marker.gmPoint.name + ".");
      }
      if (cluster._inZoomAnimation) {
        // zoomToShowLayer misses its moveend while the cluster is still animating a zoom
        cluster.once("animationend", function () { state.open(id); });
        return true;
      }
      cluster.zoomToShowLayer(marker, function () { marker.openPopup(); });
      return true;
    };
    controls.fullscreen().addTo(map);
    controls.search(data.points, state.open).addTo(map);
    controls.legend(data.points).addTo(map);
    state.tables = window.geomapTables(state);
    state.outlines = regionOutlines(map, data.outlines);
    popupClicks(state);
    map.on("popupopen", function (e) {
      var src = e.popup._source;
      if (src && src.gmPoint) {
        state.place = src.gmPoint.id;
        writeHash(state.filter, state.place);
        filteredCount(e.popup.getElement(), src.gmPoint, state);
      }
    });
    map.on("popupclose", function () {
      if (state.place !== null) { state.place = null; writeHash(state.filter, null); }
    });
    var fromHash = function () {
      var wanted = controls.hashToFilter(window.location.hash, data);
      filterPanel.set(wanted.filter);
      if (wanted.place !== null) { state.open(wanted.place); }
    };
    window.addEventListener("hashchange", fromHash);
    fromHash();
    state.ready = true;
    state.readyAt = window.performance.now();
    window.geomap = state;
    document.body.setAttribute("data-geomap-ready", "1");
  };
}());
