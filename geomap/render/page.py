"""The map page: folium builds its skeleton (map, tile layer, MarkerCluster, heat map, layer control); the
markers, popups and tables are created in the browser (templates/map.js, tables.js) from one embedded JSON
document: the points, each with its popup's rows (`popup_data`), and one table of articles the rows point into,
so a title is written once however many popups list it. The only HTML in that document is each mention's
sentence, escaped by `text.sentence_html`; the scripts put everything else in with textContent.

Why not one `folium.Marker` + `folium.Popup` per place: folium's Popup pastes the HTML into a JS template
literal (so a backtick or `${` in a title would run as code), needs jQuery from a CDN, and costs ~1 KB of
generated code per marker; the map also needs an id -> marker table for `#place=<id>` links, which folium's
random variable names do not give."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from urllib.parse import quote

import branca.element
import folium
import folium.plugins
from folium.template import Template

from geomap.export import DEFAULT_ATTRIBUTION
from geomap.models import Article, ArticleResult, kind_of
from geomap.places import PlacePoint, aggregate, drawable, unique_results
from geomap.render.assets import Raw, asset_text, basemap_script, folium_heat_js, json_script, use_assets
from geomap.render.text import (
    SCORE_WORDS,
    article_title,
    esc,
    iso_date,
    reader_dir_name,
    reader_filename,
    safe_url,
    sentence_html,
    source_label,
    squash,
)

MAX_POPUP_ARTICLES = 10


MAX_LEFT_OUT_ARTICLES = 10  # articles listed per name in the map's "not placed" table


OUTLINES_FILE = "admin1.js"  # first-level region outlines, loaded by the map from its folder when zoomed in


MAX_ARTICLE_TOGGLES = 30  # up to this many articles the filter lists each article, else each source


def map_html(
    results: Sequence[ArticleResult],
    *,
    title: str = "geomap",
    cdn: bool = False,
    attribution: str = DEFAULT_ATTRIBUTION,
    reader_dir: str = reader_dir_name("map.html"),
    points: Sequence[PlacePoint] | None = None,
) -> str:
    """The map page as one HTML string (byte-stable for the same input): a point per drawable place, and
    the tables of places, articles and names not placed beside it. `points`: `aggregate(results)` when the
    caller has it already."""
    results = unique_results(results)
    points = [p for p in (aggregate(results) if points is None else points) if drawable(p.place)]
    fmap = folium.Map(location=None, tiles=None, control_scale=True, world_copy_jump=True, font_size="0.875rem")
    figure = fmap.get_root()
    assert isinstance(figure, branca.element.Figure)
    figure.title = esc(title)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    folium.FeatureGroup(name="Plain background (no tiles)", overlay=False, show=False).add_to(fmap)
    cluster = folium.plugins.MarkerCluster(name="Places", chunked_loading=True)
    cluster.add_to(fmap)
    heat = _heat_layer(points)
    if heat is not None:
        heat.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    use_assets(fmap, cluster, figure, cdn=cdn)
    articles = _ordered_articles(results)
    position = {article.id: i for i, article in enumerate(articles)}
    mode, groups, group_of = _filter_groups(articles)
    alternatives: dict[str, list[object]] = {}  # filled by the points' popup rows
    data = {
        "title": title,
        "attribution": esc(attribution),
        "points": [_point_data(p, position, alternatives) for p in points],
        "articles": [_article_data(a, g, reader_dir) for a, g in zip(articles, group_of, strict=True)],
        "groups": groups,
        "groupMode": mode,
        "alts": alternatives,
        "left": _left_out_data(results, position),
        "outlines": f"{quote(reader_dir)}/{OUTLINES_FILE}",
        "scoreWords": SCORE_WORDS,
        "leftShown": MAX_LEFT_OUT_ARTICLES,
    }
    figure.html.add_child(Raw(json_script("geomap-data", data)))
    # Country outlines under the tiles, so the map still shows the world when tiles cannot load.
    figure.html.add_child(Raw(basemap_script()))
    scripts = [asset_text("controls.js"), asset_text("tables.js"), asset_text("map.js")]
    if heat is not None:  # folium ships this plugin; inline it (in the body, after Leaflet in both modes)
        scripts.append(folium_heat_js())
    figure.html.add_child(Raw("<script>" + "\n".join(scripts) + "</script>"))
    fmap.add_child(_Init(fmap, cluster, heat))
    _fix_ids(figure)
    return figure.render()


def popup_data(
    point: PlacePoint,
    position: dict[str, int],
    alternatives: dict[str, list[object]] | None = None,
    *,
    max_articles: int = MAX_POPUP_ARTICLES,
) -> list[list[object]]:
    """What the map's script builds a point's popup from (map.js, `popupContent`): one row per article listed,
    most mentions first: [article index in the page's data, mentions in it, offset of the first mention, its
    score, its sentence as escaped HTML (`sentence_html`), the name as written when it is not the place's name
    ("" else), the runner-up places' ids]. The article's title, date, source and links come from the page's
    table of articles, so a popup costs only what is its own. The runner-ups go into `alternatives` (id ->
    [label, feature, lat, lon]), the page's one table of them."""
    rows: list[list[object]] = []
    for ref in point.articles[:max_articles]:
        first = ref.resolutions[0]
        written = squash(first.mention.text)
        runner_ups = [p for p in first.alternatives if drawable(p)]
        if alternatives is not None:
            for p in runner_ups:
                alternatives.setdefault(p.id, [p.label, p.feature, round(p.lat, 4), round(p.lon, 4)])
        rows.append(
            [
                position[ref.article.id],
                ref.mentions,
                first.mention.start,
                round(first.score, 2),
                sentence_html(first),
                "" if written.casefold() == point.place.name.casefold() else written,
                [p.id for p in runner_ups],
            ]
        )
    return rows


def _ordered_articles(results: Sequence[ArticleResult]) -> list[Article]:
    """Every article of the map, oldest first (undated last), then by title."""
    return sorted(
        (r.article for r in results), key=lambda a: (iso_date(a.date) or "9999", article_title(a).casefold(), a.id)
    )


def _article_data(article: Article, group: int, reader_dir: str) -> dict[str, object]:
    """An article's row in the map's data: filter group, date, title, source, id, reader page, original URL."""
    return {
        "g": group,
        "d": iso_date(article.date),
        "t": article_title(article),
        "s": source_label(article),
        "i": article.id,
        "r": f"{quote(reader_dir)}/{quote(reader_filename(article.id))}",
        "u": safe_url(article.url) or "",
    }


@dataclass
class _LeftOut:
    name: str  # as first written
    reason: str
    mentions: int = 0
    articles: dict[int, list[int]] = field(default_factory=dict)  # article index -> [first offset, mentions]


def _left_out_data(results: Sequence[ArticleResult], position: dict[str, int]) -> list[dict[str, object]]:
    """Names recognised but not placed: one row per name, in most articles first, with why and each article:
    [index into the page's articles, offset of the first mention, mentions] (the table draws at most
    MAX_LEFT_OUT_ARTICLES of those passing the filter)."""
    names: dict[str, _LeftOut] = {}
    for result in results:
        for res in result.unresolved:
            written = squash(res.mention.text)
            row = names.setdefault(written.casefold(), _LeftOut(written, res.reason))
            row.mentions += 1
            row.articles.setdefault(position[result.article.id], [res.mention.start, 0])[1] += 1
    rows = sorted(names.values(), key=lambda r: (-len(r.articles), -r.mentions, r.name.casefold(), r.name))
    return [
        {"n": r.name, "r": r.reason, "m": r.mentions, "a": [[i, *seen] for i, seen in r.articles.items()]}
        for r in rows
    ]


def _filter_groups(articles: Sequence[Article]) -> tuple[str, list[str], list[int]]:
    """Filter toggles: one per article when few, else one per source. Returns (mode, labels, index)."""
    if len(articles) <= MAX_ARTICLE_TOGGLES:
        return "article", [article_title(a) for a in articles], list(range(len(articles)))
    names = [_source_name(a) for a in articles]
    labels = sorted(set(names), key=lambda name: (name.casefold(), name))
    index = {label: i for i, label in enumerate(labels)}
    return "source", labels, [index[name] for name in names]


_LINE_SUFFIX = re.compile(r":\d+$")


def _source_name(article: Article) -> str:
    """The site, else the source file's name without a ':line' suffix."""
    if article.site:
        return article.site
    name = _LINE_SUFFIX.sub("", PurePath(article.source).name) if article.source else ""
    return name or "unknown source"


def _point_data(
    point: PlacePoint, position: dict[str, int], alternatives: dict[str, list[object]]
) -> dict[str, object]:
    place = point.place
    return {
        "id": place.id,
        "name": place.name,
        "sub": ", ".join(part for part in (place.admin1, place.country) if part and part != place.name),
        "c": place.country,
        "lat": round(place.lat, 6),
        "lon": round(place.lon, 6),
        "f": place.feature,
        "k": kind_of(place),
        "a": len(point.articles),
        "m": point.mentions,
        "arts": [position[ref.article.id] for ref in point.articles],
        "am": [ref.mentions for ref in point.articles],  # mentions in each of `arts`: counts under a filter
        "refs": popup_data(point, position, alternatives),
    }


def _heat_layer(points: Sequence[PlacePoint]) -> folium.plugins.HeatMap | None:
    """A heat map of mentions (log-weighted, so one huge story does not hide the rest); off at first."""
    if not points:
        return None
    data = [[p.place.lat, p.place.lon, round(math.log1p(p.mentions), 3)] for p in points]
    heat = folium.plugins.HeatMap(data, name="Heat map (mentions)", show=False, radius=22, blur=18)
    heat.default_js = []
    return heat


class _Init(branca.element.MacroElement):
    """Calls geomap's map script once folium has created the map and the cluster layer."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "geomapInit({{ this.map.get_name() }}, {{ this.cluster.get_name() }}, "
        "{{ this.heat.get_name() if this.heat else 'null' }});"
        "{% endmacro %}"
    )

    def __init__(
        self, fmap: folium.Map, cluster: folium.plugins.MarkerCluster, heat: folium.plugins.HeatMap | None
    ) -> None:
        super().__init__()
        self._name = "GeomapInit"
        self.map = fmap
        self.cluster = cluster
        self.heat = heat


def _fix_ids(root: branca.element.Element) -> None:
    """Replace branca's random element ids with a counter so the same input gives the same bytes."""
    counter = 0
    stack = [root]
    while stack:
        element = stack.pop()
        counter += 1
        element._id = str(counter)
        children = list(element._children.values())
        if isinstance(element, branca.element.Figure):
            children += [element.header, element.html, element.script]
        stack.extend(reversed(children))
