/* geomap map controls: legend, place search, full screen. Text goes in with textContent only. */
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
    var counts = {};
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

  /* Filter panel: one checkbox per group (article or source) and, when articles have dates, a date
     range. Calls onChange({groups: [bool], from: "YYYY-MM-DD" | "", to: ...}). */
  function filterPanel(data, onChange) {
    var groups = data.groups, articles = data.articles;
    var counts = groups.map(function () { return 0; });
    var dates = [];
    articles.forEach(function (a) { counts[a.g] += 1; if (a.d) { dates.push(a.d); } });
    dates.sort();
    var boxes = [], from = null, to = null;
    var fire = function () {
      onChange({
        groups: boxes.map(function (b) { return b.checked; }),
        from: from ? from.value : "", to: to ? to.value : ""
      });
    };
    var control = boxControl("topright", function (box) {
      box.className += " gm-filter";
      var details = el("details", "", box);
      el("summary", "", details, "Filter articles");
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
          var row = el("label", "gm-group", list);
          var box_ = el("input", "", row);
          box_.type = "checkbox"; box_.checked = true; box_.value = String(i);
          var count = data.groupMode === "article" ? "" : " (" + counts[i] + ")";
          el("span", "", row, " " + label + count);
          row.title = label;
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
      if (!dates.length && groups.length <= 1) { box.style.display = "none"; }
    });
    control.reset = function () {
      boxes.forEach(function (b) { b.checked = true; });
      if (from) { from.value = ""; to.value = ""; }
      fire();
    };
    return control;
  }

  window.geomapControls = {
    filterPanel: filterPanel,
    legend: legend, search: search, fullscreen: fullscreen, searchMatches: searchMatches, el: el,
    boxControl: boxControl
  };
}());
