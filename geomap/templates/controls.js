/* geomap map controls: legend, place search, full screen, filters and their URL hash. Text goes in with textContent only. */
(function () {
  "use strict";

  var KIND_LABELS = {
    country: "Country", region: "Region", city: "City or town", physical: "Physical feature", other: "Other"
  };

  function el(tag, className, parent, text) {
    var node = L.DomUtil.create(tag, className || "", parent);
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function boxControl(position, build) {
    var control = L.control({ position: position });
    control.onAdd = function (map) {
      var box = el("div", "gm-box leaflet-control");
      build(box, map);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    return control;
  }

  function legend(points) {
    var counts = Object.create(null);
    points.forEach(function (p) { counts[p.k] = (counts[p.k] || 0) + 1; });
    return boxControl("bottomleft", function (box) {
      box.className += " gm-legend";
      Object.keys(KIND_LABELS).forEach(function (kind) {
        if (!counts[kind]) { return; }
        var row = el("div", "gm-legend-row", box);
        row.setAttribute("data-kind", kind);
        el("span", "gm-swatch gm-kind-" + kind, row);
        el("span", "", row, KIND_LABELS[kind] + " (" + counts[kind] + ")");
      });
      el("div", "gm-legend-note", box, "Larger dot: more articles");
    });
  }

  /* One CSV field, quoted where a CSV reader needs it (and where a `#` would start an --overrides comment).
     `defuse`: text a spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading apostrophe,
     the rule of geomap's own CSV files (geomap.export.csv_cell). */
  function csvField(value, defuse) {
    if (typeof value === "number") { return String(value); }
    var text = String(value === null || value === undefined ? "" : value);
    if (defuse && /^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    return /[",\r\n#]|^\s|\s$/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function plural(n, word, words) { return n + " " + (n === 1 ? word : (words || word + "s")); }

  /* [lon, lat, lon, lat, ...] as Leaflet's [[lat, lon], ...]. */
  function latLngs(flat) {
    var out = [];
    for (var i = 0; i < flat.length; i += 2) { out.push([flat[i + 1], flat[i]]); }
    return out;
  }

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function searchMatches(points, query, limit) {
    var q = fold(query.trim());
    if (!q) { return []; }
    var starts = [], contains = [];
    points.forEach(function (p) {
      var name = p.folded || (p.folded = fold(p.name));
      if (name.indexOf(q) === 0) { starts.push(p); } else if (name.indexOf(q) > 0) { contains.push(p); }
    });
    var byWeight = function (a, b) { return b.a - a.a || a.name.localeCompare(b.name); };
    return starts.sort(byWeight).concat(contains.sort(byWeight)).slice(0, limit);
  }

  function search(points, open) {
    return boxControl("topleft", function (box) {
      box.className += " gm-search";
      var input = el("input", "gm-search-input", box);
      input.type = "search";
      input.placeholder = "Search places…";
      input.setAttribute("aria-label", "Search places");
      var list = el("ul", "gm-search-results", box);
      var shown = [];
      var choose = function (p) {
        list.textContent = "";
        input.value = p.name;
        open(p.id);
      };
      var render = function () {
        shown = searchMatches(points, input.value, 8);
        list.textContent = "";
        shown.forEach(function (p) {
          var item = el("li", "gm-search-item", list);
          item.setAttribute("data-place", p.id);
          el("strong", "", item, p.name);
          if (p.sub) { el("span", "gm-search-sub", item, " " + p.sub); }
          L.DomEvent.on(item, "click", function () { choose(p); });
        });
        if (input.value.trim() && shown.length === 0) { el("li", "gm-search-none", list, "No place found"); }
      };
      L.DomEvent.on(input, "input", render);
      L.DomEvent.on(input, "keydown", function (e) {
        if (e.key === "Enter" && shown.length) { choose(shown[0]); }
        if (e.key === "Escape") { input.value = ""; render(); }
      });
    });
  }

  function fullscreen() {
    return boxControl("topleft", function (box) {
      box.className = "leaflet-bar leaflet-control gm-fullscreen";
      var button = el("a", "gm-fullscreen-button", box);
      button.href = "#";
      button.title = "Full screen";
      button.setAttribute("role", "button");
      L.DomEvent.on(button, "click", function (e) {
        L.DomEvent.preventDefault(e);
        if (document.fullscreenElement) {
          document.exitFullscreen();
        } else {
          document.documentElement.requestFullscreen();
        }
      });
      if (!document.fullscreenEnabled) { box.style.display = "none"; }
    });
  }

  /* Filter panel: places by country, kind and minimum number of articles; articles by date range and
     by group (one checkbox per article, or per source when there are many). get() returns the filter
     {groups: [bool], from, to: "YYYY-MM-DD" | "", country: "" | name, kinds: {kind: bool}, min: int};
     set(filter) shows one (from the URL hash); every change calls onChange(filter). */
  function filterPanel(data, onChange) {
    var groups = data.groups, articles = data.articles;
    var counts = groups.map(function () { return 0; });
    var dates = [];
    articles.forEach(function (a) { counts[a.g] += 1; if (a.d) { dates.push(a.d); } });
    dates.sort();
    var countries = Object.create(null), kinds = Object.create(null);  // any name, "__proto__" too
    data.points.forEach(function (p) {
      if (p.c) { countries[p.c] = (countries[p.c] || 0) + 1; }
      kinds[p.k] = (kinds[p.k] || 0) + 1;
    });
    var boxes = [], kindBoxes = {}, from = null, to = null, country = null, min = null, summary = null;
    var get = function () {
      var k = {};
      Object.keys(kindBoxes).forEach(function (kind) { k[kind] = kindBoxes[kind].checked; });
      return {
        groups: boxes.map(function (b) { return b.checked; }),
        from: from ? from.value : "", to: to ? to.value : "",
        country: country ? country.value : "", kinds: k,
        min: min ? Math.max(1, parseInt(min.value, 10) || 1) : 1
      };
    };
    var fire = function () {
      var f = get();
      summary.textContent = isDefault(f) ? "Filter" : "Filter (on)";
      onChange(f);
    };
    var control = boxControl("topright", function (box) {
      box.className += " gm-filter";
      var details = el("details", "", box);
      summary = el("summary", "", details, "Filter");
      var places = el("div", "gm-filter-places", details);
      var names = Object.keys(countries).sort(function (a, b) { return a.localeCompare(b); });
      if (names.length > 1) {
        var row = el("label", "gm-filter-row", places, "Country ");
        country = el("select", "gm-country", row);
        el("option", "", country, "All countries").value = "";
        names.forEach(function (name) {
          el("option", "", country, name + " (" + countries[name] + ")").value = name;
        });
        L.DomEvent.on(country, "change", fire);
      }
      var present = Object.keys(KIND_LABELS).filter(function (kind) { return kinds[kind]; });
      if (present.length > 1) {
        var kindRow = el("div", "gm-kinds", places);
        present.forEach(function (kind) {
          var label = el("label", "gm-kind", kindRow);
          var input = el("input", "", label);
          input.type = "checkbox"; input.checked = true; input.value = kind;
          el("span", "gm-swatch gm-kind-" + kind, label);
          el("span", "", label, " " + KIND_LABELS[kind]);
          L.DomEvent.on(input, "change", fire);
          kindBoxes[kind] = input;
        });
      }
      var minRow = el("label", "gm-filter-row", places, "In at least ");
      min = el("input", "gm-min", minRow);
      min.type = "number"; min.min = "1"; min.step = "1"; min.value = "1";
      el("span", "", minRow, " article(s)");
      L.DomEvent.on(min, "change", fire);
      if (dates.length) {
        var range = el("div", "gm-dates", details);
        el("span", "", range, "From ");
        from = el("input", "gm-date-from", range);
        el("span", "", range, " to ");
        to = el("input", "gm-date-to", range);
        [from, to].forEach(function (input) {
          input.type = "date"; input.min = dates[0]; input.max = dates[dates.length - 1];
          L.DomEvent.on(input, "change", fire);
        });
        el("div", "gm-hint", range, "Undated articles are always shown.");
      }
      if (groups.length > 1) {
        el("div", "gm-hint", details, data.groupMode === "article" ? "Articles" : "Sources");
        var buttons = el("div", "gm-all-none", details);
        var list = el("div", "gm-groups", details);
        groups.forEach(function (label, i) {
          var row_ = el("label", "gm-group", list);
          var box_ = el("input", "", row_);
          box_.type = "checkbox"; box_.checked = true; box_.value = String(i);
          var count = data.groupMode === "article" ? "" : " (" + counts[i] + ")";
          el("span", "", row_, " " + label + count);
          row_.title = label;
          L.DomEvent.on(box_, "change", fire);
          boxes.push(box_);
        });
        [["All", true], ["None", false]].forEach(function (pair) {
          var b = el("button", "gm-button", buttons, pair[0]);
          b.type = "button";
          L.DomEvent.on(b, "click", function () {
            boxes.forEach(function (x) { x.checked = pair[1]; });
            fire();
          });
        });
      }
      var everything = el("button", "gm-button gm-filter-reset", details, "Show everything");
      everything.type = "button";
      L.DomEvent.on(everything, "click", function () { control.reset(); });
    });
    control.get = get;
    control.set = function (f) {
      boxes.forEach(function (b, i) { b.checked = f.groups[i] !== false; });
      Object.keys(kindBoxes).forEach(function (kind) { kindBoxes[kind].checked = f.kinds[kind] !== false; });
      if (from) { from.value = f.from || ""; to.value = f.to || ""; }
      if (country) { country.value = countries[f.country] ? f.country : ""; }
      min.value = String(f.min || 1);
      fire();
    };
    control.reset = function () { control.set(emptyFilter()); };
    return control;
  }

  function emptyFilter() { return { groups: [], from: "", to: "", country: "", kinds: {}, min: 1 }; }

  function isDefault(f) {
    var allKinds = Object.keys(f.kinds).every(function (k) { return f.kinds[k]; });
    var allGroups = f.groups.every(function (g) { return g; });
    return allKinds && allGroups && !f.from && !f.to && !f.country && f.min <= 1;
  }

  /* The filter and the open place in the URL hash, so a view can be shared as a link:
     #place=<id>&country=<name>&kind=city,region&min=2&from=<date>&to=<date>&hide=<group indices> (or
     &show=<group indices>, whichever is shorter: one source ticked of 10,000 is a short link). */
  function filterToHash(f, place) {
    var parts = [];
    var add = function (key, value) { parts.push(key + "=" + encodeURIComponent(value)); };
    if (place !== null) { add("place", place); }
    if (f.country) { add("country", f.country); }
    var kinds = Object.keys(f.kinds);
    if (kinds.some(function (k) { return !f.kinds[k]; })) {
      add("kind", kinds.filter(function (k) { return f.kinds[k]; }).join(","));
    }
    if (f.min > 1) { add("min", String(f.min)); }
    if (f.from) { add("from", f.from); }
    if (f.to) { add("to", f.to); }
    var hidden = [], shown = [];
    f.groups.forEach(function (on, i) { (on ? shown : hidden).push(i); });
    if (hidden.length) {
      if (shown.length < hidden.length) { add("show", shown.join(",")); } else { add("hide", hidden.join(",")); }
    }
    return parts.length ? "#" + parts.join("&") : "";
  }

  function hashToFilter(hash, data) {
    var f = emptyFilter(), place = null;
    hash.replace(/^#/, "").split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at < 0) { return; }
      var key = part.slice(0, at), value;
      try { value = decodeURIComponent(part.slice(at + 1)); } catch (e) { return; }
      if (key === "place") { place = value; }
      if (key === "country") { f.country = value; }
      if (key === "min") { f.min = Math.max(1, parseInt(value, 10) || 1); }
      if (key === "from" || key === "to") { f[key] = /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : ""; }
      if (key === "kind") {
        var on = value.split(",");
        Object.keys(KIND_LABELS).forEach(function (k) { f.kinds[k] = on.indexOf(k) >= 0; });
      }
      if (key === "hide" || key === "show") {
        var listed = new Set(value.split(","));
        f.groups = data.groups.map(function (_, n) { return listed.has(String(n)) === (key === "show"); });
      }
    });
    return { filter: f, place: place };
  }

  window.geomapControls = {
    filterPanel: filterPanel, filterToHash: filterToHash, hashToFilter: hashToFilter, isDefault: isDefault,
    KIND_LABELS: KIND_LABELS, csvField: csvField, plural: plural, latLngs: latLngs,
    legend: legend, search: search, fullscreen: fullscreen, searchMatches: searchMatches, el: el,
    boxControl: boxControl
  };
}());
