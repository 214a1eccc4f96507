/* geomap: markers, lazy popups and #place=<id> links, built from the JSON in #geomap-data.
   Popup HTML is escaped by geomap.render before it is embedded; this script never builds HTML
   from article text itself (it uses textContent). */
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

  function makeMarker(point) {
    var marker = L.marker([point.lat, point.lon], {
      icon: pinIcon(point), title: point.name, alt: point.name, riseOnHover: true
    });
    marker.bindPopup(function () { return point.html; }, {
      maxWidth: 380, minWidth: 260, maxHeight: 360, autoPanPadding: [40, 40], className: "gm-leaflet-popup"
    });
    marker.gmPoint = point;
    return marker;
  }

  function placeFromHash() {
    var match = /^#place=(.+)$/.exec(window.location.hash);
    if (!match) { return null; }
    try { return decodeURIComponent(match[1]); } catch (e) { return null; }
  }

  function setHash(id) {
    var base = window.location.pathname + window.location.search;
    window.history.replaceState(null, "", id === null ? base : base + "#place=" + encodeURIComponent(id));
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
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.setShown = function (shown) { sub.textContent = placesText(shown, count); };
    return control;
  }

  function heatData(markers) {
    return markers.map(function (m) {
      return [m.gmPoint.lat, m.gmPoint.lon, Math.log1p(m.gmPoint.m)];
    });
  }

  /* Which markers pass the filter: a place stays when any of its articles passes. */
  function visibleMarkers(markers, articles, filter) {
    var ok = articles.map(function (a) {
      if (!filter.groups[a.g] && filter.groups.length) { return false; }
      if (!a.d) { return true; }
      return (!filter.from || a.d >= filter.from) && (!filter.to || a.d <= filter.to);
    });
    return markers.filter(function (m) {
      return m.gmPoint.arts.some(function (i) { return ok[i]; });
    });
  }

  /* Natural Earth country outlines in a pane below the tiles: visible only where tiles fail. */
  function drawBasemap(map) {
    var node = document.getElementById("geomap-basemap");
    if (!node) { return null; }
    var pane = map.createPane("gm-basemap");
    pane.style.zIndex = 150;
    var renderer = L.canvas({ pane: "gm-basemap", padding: 0.5 });
    var polygons = JSON.parse(node.textContent).polygons.map(function (rings) {
      return rings.map(function (flat) {
        var latlngs = [];
        for (var i = 0; i < flat.length; i += 2) { latlngs.push([flat[i + 1], flat[i]]); }
        return latlngs;
      });
    });
    return L.polygon(polygons, {
      pane: "gm-basemap", renderer: renderer, interactive: false,
      color: "#b5b1a6", weight: 0.7, fillColor: "#f7f5ef", fillOpacity: 1
    }).addTo(map);
  }

  window.geomapInit = function (map, cluster, heat) {
    drawBasemap(map);
    var data = JSON.parse(document.getElementById("geomap-data").textContent);
    var markers = data.points.map(makeMarker);
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
    state.applyFilter = function (filter) {
      state.shown = visibleMarkers(markers, data.articles, filter);
      cluster.clearLayers();
      cluster.addLayers(state.shown);
      if (heat) { heat.setLatLngs(heatData(state.shown)); }
      title.setShown(state.shown.length);
    };
    var filterPanel = controls.filterPanel(data, state.applyFilter).addTo(map);
    state.open = function (id) {
      var marker = byId[id];
      if (!marker) { return false; }
      if (!cluster.hasLayer(marker)) { filterPanel.reset(); }
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
    map.on("popupopen", function (e) {
      var src = e.popup._source;
      if (src && src.gmPoint) { setHash(src.gmPoint.id); }
    });
    map.on("popupclose", function () { if (placeFromHash() !== null) { setHash(null); } });
    window.addEventListener("hashchange", function () {
      var id = placeFromHash();
      if (id !== null) { state.open(id); }
    });

    var wanted = placeFromHash();
    if (wanted !== null) { state.open(wanted); }
    state.ready = true;
    state.readyAt = window.performance.now();
    window.geomap = state;
    document.body.setAttribute("data-geomap-ready", "1");
  };
}());
