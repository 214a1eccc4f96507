/* geomap tables beside the map: places, articles and the names recognised but not placed, filtered by the
   map's filter, sortable, each exportable as CSV. Text goes in with textContent only; links are the
   relative reader-page paths and the http(s) URLs geomap.render already checked. */
(function () {
  "use strict";

  var PAGE_ROWS = 200;  // rows drawn at a time: a table of 10,000 articles stays quick to open

  function csvCell(value) { return window.geomapControls.csvField(value, true); }

  function csvText(columns, rows) {
    var lines = [columns.map(function (c) { return csvCell(c.key); }).join(",")];
    rows.forEach(function (row) {
      lines.push(columns.map(function (c) { return csvCell(c.csv(row)); }).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }

  function download(name, text) {
    var url = URL.createObjectURL(new Blob(["\ufeff" + text], { type: "text/csv;charset=utf-8" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  function link(el, parent, text, href, external) {
    var a = el("a", "", parent, text);
    a.href = href;
    if (external) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
    return a;
  }

  /* The three tables' columns: header, CSV column name, CSV value, sort key and how a cell is drawn. */
  function tableSpecs(state) {
    var el = window.geomapControls.el, kinds = window.geomapControls.KIND_LABELS;
    var data = state.data, points = data.points, articles = data.articles;
    var placesOf = articles.map(function () { return []; });
    points.forEach(function (p, i) { p.arts.forEach(function (a) { placesOf[a].push(i); }); });
    var shownIds = function () {
      var ids = Object.create(null);
      state.shown.forEach(function (m) { ids[m.gmPoint.id] = true; });
      return ids;
    };
    /* A place's articles and mentions among the articles passing the filter. */
    var placeRow = function (p) {
      var a = 0, m = 0;
      p.arts.forEach(function (i, n) { if (state.articleOk[i]) { a += 1; m += p.am[n]; } });
      return { p: p, a: a, m: m };
    };
    var places = {
      name: "places", title: "Places", noun: "place",
      empty: points.length ? "No place passes the filter." : "No place on this map.",
      rows: function () { return state.shown.map(function (m) { return placeRow(m.gmPoint); }); },
      sort: [3, -1],
      click: function (r) { state.open(r.p.id); },
      columns: [
        { head: "Place", key: "name", csv: function (r) { return r.p.name; }, sort: function (r) { return r.p.name; },
          cell: function (td, r) {
            el("strong", "", td, r.p.name);
            if (r.p.sub) { el("div", "gm-cell-sub", td, r.p.sub); }
          } },
        { head: "Kind", key: "kind", csv: function (r) { return r.p.k; }, sort: function (r) { return r.p.k; },
          cell: function (td, r) {
            el("span", "gm-swatch gm-kind-" + r.p.k, td);
            td.appendChild(document.createTextNode(" " + kinds[r.p.k]));
          } },
        { head: "Country", key: "country", csv: function (r) { return r.p.c; }, sort: function (r) { return r.p.c; } },
        { head: "Articles", key: "articles", num: true, csv: function (r) { return r.a; }, sort: function (r) { return r.a; } },
        { head: "Mentions", key: "mentions", num: true, csv: function (r) { return r.m; }, sort: function (r) { return r.m; } },
        { key: "id", csv: function (r) { return r.p.id; } },
        { key: "lat", csv: function (r) { return r.p.lat; } },
        { key: "lon", csv: function (r) { return r.p.lon; } }
      ]
    };
    var articleRows = function (only) {
      var ids = shownIds(), rows = [], naming = only ? new Set(only.arts) : null;
      articles.forEach(function (a, i) {
        if (!state.articleOk[i] || (naming && !naming.has(i))) { return; }
        var shown = placesOf[i].filter(function (p) { return ids[points[p].id]; });
        if (shown.length || !placesOf[i].length) { rows.push({ a: a, places: shown }); }
      });
      return rows;
    };
    var placeNames = function (row) {
      return row.places.map(function (p) { return points[p].name; });
    };
    var articleTable = {
      name: "articles", title: "Articles", noun: "article", empty: "No article passes the filter.",
      rows: articleRows,
      sort: [1, 1],
      click: function (row) {
        var latlngs = row.places.map(function (p) { return [points[p].lat, points[p].lon]; });
        if (latlngs.length) { state.map.fitBounds(L.latLngBounds(latlngs), { padding: [40, 40], maxZoom: 8 }); }
      },
      columns: [
        { head: "Title", key: "title", csv: function (r) { return r.a.t; }, sort: function (r) { return r.a.t; },
          cell: function (td, r) {
            link(el, td, r.a.t, r.a.r, false).className = "gm-reader-link";
            if (r.a.u) { td.appendChild(document.createTextNode(" ")); link(el, td, "↗", r.a.u, true).title = "Original article"; }
          } },
        { head: "Date", key: "date", csv: function (r) { return r.a.d; }, sort: function (r) { return r.a.d || "9999"; } },
        { head: "Source", key: "source", csv: function (r) { return r.a.s; }, sort: function (r) { return r.a.s; } },
        { head: "Places", key: "places", csv: function (r) { return placeNames(r).join("; "); },
          sort: function (r) { return r.places.length; },
          cell: function (td, r) {
            var names = placeNames(r);
            td.textContent = names.slice(0, 4).join(", ") + (names.length > 4 ? " +" + (names.length - 4) : "");
            td.title = names.join(", ");
          } },
        { key: "id", csv: function (r) { return r.a.i; } },
        { key: "url", csv: function (r) { return r.a.u; } }
      ]
    };
    /* A name's articles passing the filter ([index, first offset, mentions]) and its mentions in them. */
    var leftRows = function () {
      return data.left.map(function (n) {
        var arts = n.a.filter(function (a) { return state.articleOk[a[0]]; });
        var m = arts.reduce(function (sum, a) { return sum + a[2]; }, 0);
        return { n: n, arts: arts, m: m };
      }).filter(function (row) { return row.arts.length; });
    };
    var left = {
      name: "not-placed", title: "Not placed", noun: "name not placed", nouns: "names not placed",
      empty: data.left.length ? "No name left out passes the filter." : "Every name recognised was placed.",
      rows: leftRows,
      sort: [2, -1],
      columns: [
        { head: "Name", key: "name", csv: function (r) { return r.n.n; }, sort: function (r) { return r.n.n; } },
        { head: "Mentions", key: "mentions", num: true, csv: function (r) { return r.m; }, sort: function (r) { return r.m; } },
        { head: "Articles", key: "articles", csv: function (r) { return r.arts.length; }, sort: function (r) { return r.arts.length; },
          cell: function (td, r) {
            var list = el("ol", "gm-left-articles", td);
            r.arts.slice(0, data.leftShown).forEach(function (a) {
              link(el, el("li", "", list), articles[a[0]].t, articles[a[0]].r + "#m-" + a[1], false);
            });
            if (r.arts.length > data.leftShown) {
              el("div", "gm-cell-sub", td, "and " + (r.arts.length - data.leftShown) + " more");
            }
          } },
        { head: "Why", key: "reason", csv: function (r) { return r.n.r; }, sort: function (r) { return r.n.r; } },
        { key: "article_ids", csv: function (r) { return r.arts.map(function (p) { return articles[p[0]].i; }).join("; "); } }
      ]
    };
    return [places, articleTable, left];
  }

  function compare(column, direction) {
    return function (x, y) {
      var a = column.sort(x), b = column.sort(y);
      if (typeof a === "string") { return direction * a.localeCompare(b); }
      return direction * (a - b);
    };
  }

  /* The drawer: a tab per table; opened from the title box's buttons. */
  window.geomapTables = function (state) {
    var controls = window.geomapControls, el = controls.el;
    var specs = tableSpecs(state);
    var drawer = el("aside", "gm-drawer", document.body);
    drawer.hidden = true;
    var head = el("div", "gm-drawer-head", drawer);
    var tabs = el("div", "gm-tabs", head);
    var close = el("button", "gm-button gm-drawer-close", head, "×");
    close.type = "button";
    close.title = "Close the tables";
    var info = el("div", "gm-table-info", drawer);
    var count = el("span", "gm-table-count", info);
    var exporter = el("button", "gm-button gm-export", info, "Export CSV");
    exporter.type = "button";
    var body = el("div", "gm-table-wrap", drawer);
    var current = null, only = null, rows = [], drawn = 0, tbody = null;
    var tabButtons = specs.map(function (spec) {
      var b = el("button", "gm-tab", tabs, spec.title);
      b.type = "button";
      b.setAttribute("data-table", spec.name);
      L.DomEvent.on(b, "click", function () { show(spec); });
      return b;
    });

    var drawRows = function () {
      var upto = Math.min(rows.length, drawn + PAGE_ROWS);
      for (var i = drawn; i < upto; i += 1) {
        var row = rows[i], tr = el("tr", "", tbody);
        if (current.click) {
          tr.className = "gm-clickable";
          (function (r) {
            L.DomEvent.on(tr, "click", function (e) { if (!e.target.closest("a")) { current.click(r); } });
          }(row));
        }
        current.columns.forEach(function (column) {
          if (!column.head) { return; }
          var td = el("td", column.num ? "gm-num" : "", tr);
          if (column.cell) { column.cell(td, row); } else { td.textContent = String(column.csv(row)); }
        });
      }
      drawn = upto;
      var more = body.querySelector(".gm-more-rows");
      if (more) { more.remove(); }
      if (drawn < rows.length) {
        var button = el("button", "gm-button gm-more-rows", body, "Show " + Math.min(PAGE_ROWS, rows.length - drawn) +
          " more of " + rows.length);
        button.type = "button";
        L.DomEvent.on(button, "click", drawRows);
      }
    };

    var render = function () {
      var column = current.columns[current.sort[0]];
      rows = current.rows(only).sort(compare(column, current.sort[1]));
      count.textContent = controls.plural(rows.length, current.noun, current.nouns) +
        (controls.isDefault(state.filter) ? "" : " (filtered)");
      body.textContent = "";
      drawn = 0;
      if (only) {
        var naming = el("p", "gm-only", body, "Only the articles naming " + only.name + " · ");
        var all = el("button", "gm-link", naming, "show all");
        all.type = "button";
        L.DomEvent.on(all, "click", function () { only = null; render(); });
      }
      if (!rows.length) { el("p", "gm-hint", body, current.empty); return; }
      var table = el("table", "gm-table", body);
      table.setAttribute("data-table", current.name);
      var tr = el("tr", "", el("thead", "", table));
      current.columns.forEach(function (c, i) {
        if (!c.head) { return; }
        var th = el("th", c.num ? "gm-num" : "", tr, c.head);
        if (i === current.sort[0]) { th.className += current.sort[1] > 0 ? " gm-sorted-up" : " gm-sorted-down"; }
        L.DomEvent.on(th, "click", function () {
          current.sort = [i, i === current.sort[0] ? -current.sort[1] : (c.num ? -1 : 1)];
          render();
        });
      });
      tbody = el("tbody", "", table);
      drawRows();
    };

    var show = function (spec, place) {
      current = spec;
      only = place || null;
      if (drawer.hidden) {
        drawer.hidden = false;
        document.body.classList.add("gm-drawer-open");
        state.map.invalidateSize();
      }
      tabButtons.forEach(function (b) { b.classList.toggle("gm-tab-on", b.getAttribute("data-table") === spec.name); });
      render();
    };
    L.DomEvent.on(close, "click", function () {
      drawer.hidden = true;
      document.body.classList.remove("gm-drawer-open");
      state.map.invalidateSize();
      current = null;
    });
    L.DomEvent.on(exporter, "click", function () {
      if (current) { download(current.name + ".csv", csvText(current.columns, rows)); }
    });
    L.DomEvent.disableScrollPropagation(drawer);
    L.DomEvent.disableClickPropagation(drawer);
    return {
      /* `place`: for the articles table, only the articles naming that point */
      open: function (name, place) { show(specs.filter(function (s) { return s.name === name; })[0], place); },
      refresh: function () { if (current) { render(); } },
      csvCell: csvCell
    };
  };
}());
