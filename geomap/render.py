"""The map page and the per-article reader views. The only module that imports folium/branca.

Design: folium builds the page skeleton (map, tile layer, MarkerCluster); the markers, popups and tables
are created in the browser (templates/map.js, tables.js) from one embedded JSON document: the points, each
with its popup's rows (`popup_data`), and one table of articles the rows point into, so a title is written
once however many popups list it. The only HTML in that document is each mention's sentence, escaped here
(`sentence_html`); the script puts everything else in with textContent. Why not one `folium.Marker` +
`folium.Popup` per place: folium's Popup pastes the HTML into a JS template literal (so a backtick or `${`
in a title would run as code), needs jQuery from a CDN, and costs ~1 KB of generated code per marker; the
map also needs an id -> marker table for `#place=<id>` links, which folium's random variable names do not
give.

Everything derived from an article is escaped with `html.escape`; URLs are kept only with an
http(s) scheme. Leaflet and MarkerCluster come from the XStatic packages and are inlined, so the page
makes no network request except for map tiles (`cdn=True` links them from a CDN instead).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import math
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path, PurePath
from urllib.parse import quote, urlsplit

import branca.element
import folium
import folium.plugins
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from folium.template import Template

from geomap.formats import write_mentions_csv
from geomap.models import Article, ArticleResult, Place, Resolution
from geomap.outputs import write_text_atomic

DEFAULT_ATTRIBUTION = "Contains data from GeoNames (CC BY 4.0), Natural Earth (public domain)"
MAX_POPUP_ARTICLES = 10
LOW_CONFIDENCE = 0.5  # below this a resolution is "uncertain" (reader views mark it)
# A resolution's score (the winner's share of a softmax over its candidates) as a word: the lowest score
# each word stands for, best first.
SCORE_WORDS = ((0.9, "sure"), (LOW_CONFIDENCE, "likely"), (0.0, "uncertain"))
MAX_LEFT_OUT_ARTICLES = 10  # articles listed per name in the map's "not placed" table
OUTLINES_FILE = "admin1.js"  # first-level region outlines, loaded by the map from its folder when zoomed in
SNIPPET_CONTEXT = 150  # characters kept either side of a mention when a sentence is long
KIND_GROUPS = ("country", "region", "city", "physical", "other")
MAX_ARTICLE_TOGGLES = 30  # up to this many articles the filter lists each article, else each source

_CDN_JS = (
    ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"),
    (
        "markercluster",
        "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.4.1/dist/leaflet.markercluster.js",
    ),
)
_CDN_CSS = (
    ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"),
    ("markercluster_css", "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.4.1/dist/MarkerCluster.css"),
    (
        "markercluster_default_css",
        "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.4.1/dist/MarkerCluster.Default.css",
    ),
)


@dataclass(frozen=True)
class ArticleRef:
    """One article's share of a place: the resolutions in it that point at the place, in text order."""

    article: Article
    resolutions: tuple[Resolution, ...]

    @property
    def mentions(self) -> int:
        return len(self.resolutions)


@dataclass(frozen=True)
class PlacePoint:
    """One map point: a place and the articles mentioning it, most mentions first."""

    place: Place
    articles: tuple[ArticleRef, ...]

    @property
    def mentions(self) -> int:
        return sum(ref.mentions for ref in self.articles)

    @property
    def weakest(self) -> Resolution:
        """The lowest-scoring resolution of any mention of this place."""
        return min((r for ref in self.articles for r in ref.resolutions), key=lambda r: r.score)


@dataclass(frozen=True)
class MapOutput:
    """What `write_map` wrote. `places`: distinct places aggregated; `points`: markers drawn (places
    with usable coordinates)."""

    map_path: Path
    article_paths: tuple[Path, ...]
    places: int
    points: int


# --- aggregation -------------------------------------------------------------------------------


def unique_results(results: Iterable[ArticleResult]) -> list[ArticleResult]:
    """Results with distinct article ids, first occurrence wins (each id gets one reader view)."""
    seen: set[str] = set()
    out = []
    for result in results:
        if result.article.id not in seen:
            seen.add(result.article.id)
            out.append(result)
    return out


def aggregate(results: Sequence[ArticleResult]) -> list[PlacePoint]:
    """One point per `Place.id`, most-mentioned places first."""
    places: dict[str, Place] = {}
    by_place: dict[str, dict[str, list[Resolution]]] = {}
    articles: dict[str, Article] = {}
    for result in unique_results(results):
        articles[result.article.id] = result.article
        for res in result.resolved:
            assert res.place is not None
            places.setdefault(res.place.id, res.place)
            by_place.setdefault(res.place.id, {}).setdefault(result.article.id, []).append(res)
    points = [_point(places[pid], per_article, articles) for pid, per_article in by_place.items()]
    points.sort(key=lambda p: (-len(p.articles), -p.mentions, p.place.name, p.place.id))
    return points


def _point(place: Place, per_article: dict[str, list[Resolution]], articles: dict[str, Article]) -> PlacePoint:
    refs = [
        ArticleRef(articles[aid], tuple(sorted(res, key=lambda r: r.mention.start))) for aid, res in per_article.items()
    ]
    refs.sort(key=lambda ref: -ref.mentions)  # stable: ties keep input order
    return PlacePoint(place, tuple(refs))


# --- small pure helpers ------------------------------------------------------------------------


_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL without whitespace or control characters, else None."""
    if not url or _URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def reader_dir_name(map_path: Path | str) -> str:
    """The folder of a map's reader views and assets, named after the map: out/gaza.html -> gaza_files."""
    return f"{PurePath(map_path).stem}_files"


def score_word(score: float) -> str:
    """'sure', 'likely' or 'uncertain'."""
    return next(word for floor, word in SCORE_WORDS if score >= floor)


def reader_filename(article_id: str) -> str:
    """A file name for an article's reader view: readable, filesystem-safe and unique per id."""
    ascii_id = unicodedata.normalize("NFKD", article_id).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_id.lower()).strip("-")[-48:].strip("-") or "article"
    digest = hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.html"


def kind_group(place: Place) -> str:
    """Coarse kind for colouring: country, region, city, physical or other."""
    feature = place.feature.lower()
    for group, features in _KIND_FEATURES.items():
        if feature in features:
            return group
    code = place.feature_code.upper()
    for prefix, group in (("PCL", "country"), ("ADM", "region"), ("PPL", "city")):
        if code.startswith(prefix):
            return group
    return "other"


_KIND_FEATURES: dict[str, frozenset[str]] = {
    "country": frozenset("country nation dependency territory".split()),
    "region": frozenset(
        "admin1 admin2 admin3 admin4 region state province county district continent area division".split()
    ),
    "city": frozenset(
        "city capital town village ppl suburb neighbourhood neighborhood locality settlement hamlet".split()
    ),
    "physical": frozenset(
        "sea ocean river lake mountain mountains island islands bay gulf strait desert forest valley "
        "peninsula cape plain plateau volcano glacier channel canal coast beach physical water stream "
        "range hill reef basin delta lagoon waterfall".split()
    ),
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _source_label(article: Article) -> str:
    """Site name when known, else the file name of the source (never a full local path)."""
    if article.site:
        return article.site
    return PurePath(article.source).name or article.source if article.source else ""


def _title(article: Article) -> str:
    return article.title.strip() or _source_label(article) or article.id


def drawable(place: Place) -> bool:
    """Whether the place has coordinates Leaflet can draw."""
    return -90.0 <= place.lat <= 90.0 and -180.0 <= place.lon <= 180.0  # also False for NaN


# --- popup ------------------------------------------------------------------------------------


def popup_data(
    point: PlacePoint, position: dict[str, int], *, max_articles: int = MAX_POPUP_ARTICLES
) -> list[list[object]]:
    """What the map's script builds a point's popup from (map.js, `popupContent`): one row per article listed,
    most mentions first: [article index in the page's data, mentions in it, offset of the first mention, its
    score, its sentence as escaped HTML (`sentence_html`), the name as written when it is not the place's name
    ("" else), the runner-up places' ids]. The article's title, date, source and links come from the page's
    table of articles, so a popup costs only what is its own."""
    rows: list[list[object]] = []
    for ref in point.articles[:max_articles]:
        first = ref.resolutions[0]
        written = _squash(first.mention.text)
        rows.append(
            [
                position[ref.article.id],
                ref.mentions,
                first.mention.start,
                round(first.score, 2),
                sentence_html(first),
                "" if written.casefold() == point.place.name.casefold() else written,
                [p.id for p in first.alternatives if drawable(p)],
            ]
        )
    return rows


def sentence_html(res: Resolution, *, context: int = SNIPPET_CONTEXT) -> str:
    """The sentence containing the mention, escaped, the mention in <mark>, long sentences trimmed."""
    mention = res.mention
    sentence = mention.sentence
    at = mention.start - mention.sentence_start
    if sentence[at : at + len(mention.text)] != mention.text or not mention.text:
        at = sentence.find(mention.text) if mention.text else -1
    if at < 0:
        return _esc(_squash(sentence[: 2 * context]))
    end = at + len(mention.text)
    before, after = sentence[max(0, at - context) : at], sentence[end : end + context]
    lead = "…" if at > context else ""
    tail = "…" if end + context < len(sentence) else ""
    return f"{lead}{_esc(_squash(before))}<mark>{_esc(_squash(mention.text))}</mark>{_esc(_squash(after))}{tail}"


_WHITESPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WHITESPACE.sub(" ", text)


# --- reader view ------------------------------------------------------------------------------


def reader_html(result: ArticleResult, *, map_href: str, low_confidence: float = LOW_CONFIDENCE) -> str:
    """A standalone page with the article's text, every recognised place highlighted.

    Resolved mentions link to `<map_href>#place=<id>`; the page runs no script at all (and says so
    with a Content-Security-Policy), so nothing from the article can execute.
    """
    article = result.article
    title = _esc(_title(article))
    url = safe_url(article.url)
    original = (
        f'<a class="gm-original" href="{_esc(url)}" rel="noopener noreferrer">Original article ↗</a>' if url else ""
    )
    meta = " · ".join(_esc(p) for p in (article.date or "", article.author or "", _source_label(article)) if p)
    text = _highlighted(article.text, result.resolutions, map_href, low_confidence)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_asset_text('reader.css')}</style>\n</head>\n<body>\n"
        f'<nav class="gm-nav"><a class="gm-back" href="{_esc(map_href)}">← Back to the map</a>'
        f"{original}</nav>\n"
        f'<article>\n<header><h1>{title}</h1><p class="gm-meta">{meta}</p></header>\n'
        f"{_places_summary(result, map_href)}\n"
        f'<div class="gm-text">{text}</div>\n</article>\n'
        '<footer class="gm-legend"><span class="gm-place">place on the map</span> '
        '<span class="gm-place gm-uncertain">uncertain match</span> '
        '<span class="gm-unresolved">recognised, not resolved</span></footer>\n</body>\n</html>\n'
    )


def _place_href(map_href: str, place: Place) -> str:
    return f"{_esc(map_href)}#place={quote(place.id, safe='')}"


def _places_summary(result: ArticleResult, map_href: str) -> str:
    counts: dict[str, int] = {}
    places: dict[str, Place] = {}
    for res in sorted(result.resolved, key=lambda r: r.mention.start):
        assert res.place is not None
        places.setdefault(res.place.id, res.place)
        counts[res.place.id] = counts.get(res.place.id, 0) + 1
    links = "".join(
        f'<li><a href="{_place_href(map_href, places[pid])}">{_esc(places[pid].label)}</a>'
        f"{f' ×{n}' if n > 1 else ''}</li>"
        for pid, n in counts.items()
    )
    unresolved = len(result.unresolved)
    note = f'<p class="gm-note">{_plural(unresolved, "mention")} not resolved.</p>' if unresolved else ""
    heading = f"{_plural(len(places), 'place')} on the map"
    return f'<section class="gm-places"><h2>{heading}</h2><ul>{links}</ul>{note}</section>'


def marked_resolutions(text: str, resolutions: Iterable[Resolution]) -> list[Resolution]:
    """Resolutions whose spans can be highlighted: inside the text, not overlapping, in text order.

    Of overlapping spans the earliest, then the longest, then a resolved one wins."""
    ordered = sorted(resolutions, key=lambda r: (r.mention.start, r.mention.start - r.mention.end, r.place is None))
    kept: list[Resolution] = []
    last_end = 0
    for res in ordered:
        start, end = res.mention.start, res.mention.end
        if last_end <= start < end <= len(text):
            kept.append(res)
            last_end = end
    return kept


def _highlighted(text: str, resolutions: Iterable[Resolution], map_href: str, low: float) -> str:
    out: list[str] = []
    pos = 0
    for res in marked_resolutions(text, resolutions):
        start, end = res.mention.start, res.mention.end
        out.append(_esc(text[pos:start]))
        out.append(_mention_html(res, text[start:end], map_href, low))
        pos = end
    out.append(_esc(text[pos:]))
    return "".join(out)


def _mention_html(res: Resolution, span: str, map_href: str, low: float) -> str:
    anchor = f'id="m-{res.mention.start}"'
    if res.place is None:
        why = f": {res.reason}" if res.reason else ""
        return f'<span class="gm-unresolved" {anchor} title="{_esc("unresolved" + why)}">{_esc(span)}</span>'
    hint = f"{res.place.label} ({res.place.feature})" if res.place.feature else res.place.label
    hint += f" — {score_word(res.score)}, score {res.score:.2f}"
    css = "gm-place"
    if res.score < low:
        css += " gm-uncertain"
    href = _place_href(map_href, res.place)
    return f'<a class="{css}" {anchor} href="{href}" title="{_esc(hint)}">{_esc(span)}</a>'


# --- the map page -----------------------------------------------------------------------------


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
    figure.title = _esc(title)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    folium.FeatureGroup(name="Plain background (no tiles)", overlay=False, show=False).add_to(fmap)
    cluster = folium.plugins.MarkerCluster(name="Places", chunked_loading=True)
    cluster.add_to(fmap)
    heat = _heat_layer(points)
    if heat is not None:
        heat.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    _use_assets(fmap, cluster, figure, cdn=cdn)
    articles = _ordered_articles(results)
    position = {article.id: i for i, article in enumerate(articles)}
    mode, groups, group_of = _filter_groups(articles)
    data = {
        "title": title,
        "attribution": _esc(attribution),
        "points": [_point_data(p, position) for p in points],
        "articles": [_article_data(a, g, reader_dir) for a, g in zip(articles, group_of, strict=True)],
        "groups": groups,
        "groupMode": mode,
        "alts": _alternatives_data(points),
        "left": _left_out_data(results, position),
        "outlines": f"{quote(reader_dir)}/{OUTLINES_FILE}",
        "scoreWords": SCORE_WORDS,
    }
    figure.html.add_child(_Raw(_json_script("geomap-data", data)))
    # Country outlines under the tiles, so the map still shows the world when tiles cannot load.
    figure.html.add_child(_Raw(_basemap_script()))
    scripts = [_asset_text("controls.js"), _asset_text("tables.js"), _asset_text("map.js")]
    if heat is not None:  # folium ships this plugin; inline it (in the body, after Leaflet in both modes)
        scripts.append(_folium_heat_js())
    figure.html.add_child(_Raw("<script>" + "\n".join(scripts) + "</script>"))
    fmap.add_child(_Init(fmap, cluster, heat))
    _fix_ids(figure)
    return figure.render()


def _ordered_articles(results: Sequence[ArticleResult]) -> list[Article]:
    """Every article of the map, oldest first (undated last), then by title."""
    return sorted((r.article for r in results), key=lambda a: (iso_date(a.date) or "9999", _title(a).casefold(), a.id))


def _article_data(article: Article, group: int, reader_dir: str) -> dict[str, object]:
    """An article's row in the map's data: filter group, date, title, source, id, reader page, original URL."""
    return {
        "g": group,
        "d": iso_date(article.date),
        "t": _title(article),
        "s": _source_label(article),
        "i": article.id,
        "r": f"{quote(reader_dir)}/{quote(reader_filename(article.id))}",
        "u": safe_url(article.url) or "",
    }


def _alternatives_data(points: Sequence[PlacePoint]) -> dict[str, list[object]]:
    """id -> [label, feature, lat, lon] of every runner-up a popup offers (popups name them by id)."""
    table: dict[str, list[object]] = {}
    for point in points:
        for ref in point.articles[:MAX_POPUP_ARTICLES]:  # the articles a popup lists (popup_data)
            for place in ref.resolutions[0].alternatives:
                if place.id not in table and drawable(place):
                    table[place.id] = [place.label, place.feature, round(place.lat, 4), round(place.lon, 4)]
    return table


@dataclass
class _LeftOut:
    name: str  # as first written
    reason: str
    mentions: int = 0
    articles: dict[int, int] = field(default_factory=dict)  # article index -> offset of its first mention


def _left_out_data(results: Sequence[ArticleResult], position: dict[str, int]) -> list[dict[str, object]]:
    """Names recognised but not placed: one row per name, in most articles first, with the articles (index
    into the page's articles and the offset of the first mention, at most MAX_LEFT_OUT_ARTICLES) and why."""
    names: dict[str, _LeftOut] = {}
    for result in results:
        for res in result.unresolved:
            written = _squash(res.mention.text)
            row = names.setdefault(written.casefold(), _LeftOut(written, res.reason))
            row.mentions += 1
            row.articles.setdefault(position[result.article.id], res.mention.start)
    rows = sorted(names.values(), key=lambda r: (-len(r.articles), -r.mentions, r.name.casefold(), r.name))
    return [
        {
            "n": r.name,
            "r": r.reason,
            "m": r.mentions,
            "c": len(r.articles),
            "a": list(r.articles.items())[:MAX_LEFT_OUT_ARTICLES],
        }
        for r in rows
    ]


def _filter_groups(articles: Sequence[Article]) -> tuple[str, list[str], list[int]]:
    """Filter toggles: one per article when few, else one per source. Returns (mode, labels, index)."""
    if len(articles) <= MAX_ARTICLE_TOGGLES:
        return "article", [_title(a) for a in articles], list(range(len(articles)))
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


_ISO_DATE_PREFIX = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?![\d])")


def iso_date(value: str | None) -> str:
    """'YYYY-MM-DD' from an ISO date or date-time ('2024-03', '2024' are padded), else ''."""
    match = _ISO_DATE_PREFIX.match((value or "").strip())
    if not match:
        return ""
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    if not ("01" <= month <= "12" and "01" <= day <= "31"):
        return ""
    return f"{year}-{month}-{day}"


def _point_data(point: PlacePoint, position: dict[str, int]) -> dict[str, object]:
    place = point.place
    return {
        "id": place.id,
        "name": place.name,
        "sub": ", ".join(part for part in (place.admin1, place.country) if part and part != place.name),
        "c": place.country,
        "lat": round(place.lat, 6),
        "lon": round(place.lon, 6),
        "f": place.feature,
        "k": kind_group(place),
        "a": len(point.articles),
        "m": point.mentions,
        "arts": [position[ref.article.id] for ref in point.articles],
        "refs": popup_data(point, position),
    }


def _heat_layer(points: Sequence[PlacePoint]) -> folium.plugins.HeatMap | None:
    """A heat map of mentions (log-weighted, so one huge story does not hide the rest); off at first."""
    if not points:
        return None
    data = [[p.place.lat, p.place.lon, round(math.log1p(p.mentions), 3)] for p in points]
    heat = folium.plugins.HeatMap(data, name="Heat map (mentions)", show=False, radius=22, blur=18)
    heat.default_js = []
    return heat


def _json_script(element_id: str, data: object) -> str:
    return f'<script type="application/json" id="{element_id}">{_script_json(data)}</script>'


def _script_json(data: object) -> str:
    """JSON safe inside <script>: no `</` (closes the element) and no `<!` (starts an escape state)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!", "<\\u0021")


class _Raw(branca.element.Element):
    """Literal markup (not a Jinja template: inlined JS may contain `{{`)."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._markup = markup

    def render(self, **kwargs: object) -> str:
        return self._markup


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


def _use_assets(
    fmap: folium.Map, cluster: folium.plugins.MarkerCluster, figure: branca.element.Figure, *, cdn: bool
) -> None:
    """Drop folium's default CDN assets (jQuery, Bootstrap, awesome-markers); inline or link ours."""
    fmap.default_js, fmap.default_css = ([*_CDN_JS], [*_CDN_CSS]) if cdn else ([], [])
    cluster.default_js, cluster.default_css = [], []
    if not cdn:
        figure.header.add_child(_Raw(_inline_leaflet()), name="geomap_leaflet")
    figure.header.add_child(_Raw(f"<style>{_asset_text('map.css')}</style>"), name="geomap_css")


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


# --- assets -----------------------------------------------------------------------------------


@cache
def _asset_text(name: str) -> str:
    return resources.files("geomap").joinpath("templates", name).read_text(encoding="utf-8")


@cache
def _inline_leaflet() -> str:
    """Leaflet + MarkerCluster JS/CSS from the XStatic packages, images as data: URIs."""
    leaflet = Path(xstatic.pkg.leaflet.BASE_DIR)
    cluster = Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)
    css = _inline_images(_read(leaflet / "leaflet.css"), leaflet)
    css += _read(cluster / "MarkerCluster.css") + _read(cluster / "MarkerCluster.Default.css")
    js = _read(leaflet / "leaflet.js") + "\n" + _read(cluster / "leaflet.markercluster.js")
    return f"<style>{css}</style>\n<script>{js}</script>"


@cache
def _basemap_script() -> str:
    return _json_script("geomap-basemap", json.loads(_asset_text("countries-110m.json")))


@cache
def _outlines_script() -> str:
    """The first-level region outlines as a script the map loads from its folder when zoomed in (a script
    element, unlike fetch(), loads from a file: URL)."""
    return f"geomapOutlines({_script_json(json.loads(_asset_text('admin1-outlines.json')))});\n"


@cache
def _folium_heat_js() -> str:
    """Leaflet.heat as shipped inside the folium package (folium links it from a CDN by default)."""
    return _read(Path(str(resources.files("folium").joinpath("templates", "leaflet_heat.min.js"))))


_SOURCE_MAP = re.compile(r"^[/][/*]# sourceMappingURL=.*$", re.MULTILINE)
_CSS_IMAGE = re.compile(r"url\((images/[\w.-]+\.png)\)")


def _read(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if "</script" in text.lower() or "<!--" in text:
        raise RuntimeError(f"{path} cannot be inlined in a <script> element")
    return _SOURCE_MAP.sub("", text)


def _inline_images(css: str, base: Path) -> str:
    def data_uri(match: re.Match[str]) -> str:
        image = base / match.group(1)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f'url("data:image/png;base64,{encoded}")'

    return _CSS_IMAGE.sub(data_uri, css)


# --- data exports -----------------------------------------------------------------------------


def write_geojson(results: Sequence[ArticleResult], path: Path) -> int:
    """A GeoJSON FeatureCollection, one Point per place (as on the map). Returns the feature count."""
    features = [_feature(p) for p in aggregate(results) if drawable(p.place)]
    collection = {"type": "FeatureCollection", "attribution": DEFAULT_ATTRIBUTION, "features": features}
    text = json.dumps(collection, ensure_ascii=False, indent=1, allow_nan=False)
    atomic_write(Path(path), text + "\n")
    return len(features)


def _feature(point: PlacePoint) -> dict[str, object]:
    place = point.place
    articles = [
        {
            "id": ref.article.id,
            "title": ref.article.title,
            "url": ref.article.url,
            "date": ref.article.date,
            "mentions": ref.mentions,
            "mention_list": [
                {
                    "text": r.mention.text,
                    "start": r.mention.start,
                    "end": r.mention.end,
                    "sentence": r.mention.sentence,
                    "score": r.score,
                }
                for r in ref.resolutions
            ],
        }
        for ref in point.articles
    ]
    return {
        "type": "Feature",
        "id": place.id,
        "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
        "properties": {
            "id": place.id,
            "name": place.name,
            "feature": place.feature,
            "feature_code": place.feature_code,
            "country": place.country,
            "country_code": place.country_code,
            "admin1": place.admin1,
            "source": place.source,
            "articles": len(point.articles),
            "mentions": point.mentions,
            "min_score": round(point.weakest.score, 4),
            "article_list": articles,
        },
    }


def write_csv(results: Sequence[ArticleResult], path: Path) -> int:
    """One row per mention, resolved or not, in the layout of `geomap parse --format csv`
    (`formats.CSV_FIELDS`, formulas defused). Returns the row count."""
    buffer = io.StringIO()
    rows = write_mentions_csv(unique_results(results), buffer)
    atomic_write(Path(path), buffer.getvalue())
    return rows


# --- writing ----------------------------------------------------------------------------------


def write_map(
    results: Sequence[ArticleResult],
    out_path: Path,
    *,
    title: str = "geomap",
    cdn: bool = False,
    attribution: str = DEFAULT_ATTRIBUTION,
) -> MapOutput:
    """Write the map to `out_path` and one reader view per article into the folder beside it named after it
    (`out/gaza.html` -> `out/gaza_files/`)."""
    with MapWriter(out_path, title=title, cdn=cdn, attribution=attribution) as writer:
        for result in results:
            writer.add(result)
        return writer.finish()


class MapWriter:
    """The map, built as results arrive: each article's reader view is written at once (into a hidden folder
    that replaces the map's folder, `<map name>_files/`, when the map is finished: an interrupted run leaves no
    page of a map that was never written, and a finished one no page of an earlier run), and only what the map
    page and the exports need is kept: the article's metadata and resolutions, not its text. Use as a context
    manager: leaving it unfinished removes the hidden folder."""

    def __init__(
        self, out_path: Path, *, title: str = "geomap", cdn: bool = False, attribution: str = DEFAULT_ATTRIBUTION
    ) -> None:
        self.out_path = Path(out_path)
        self.title, self.cdn, self.attribution = title, cdn, attribution
        self.results: list[ArticleResult] = []  # as added, first of each id, without the article's text
        self._names: list[str] = []  # reader pages written, in order
        self._ids: set[str] = set()
        self.reader_dir = reader_dir_name(self.out_path)
        self._articles_dir = self.out_path.parent / self.reader_dir
        self._staging = self.out_path.parent / f".{self.reader_dir}-{os.getpid()}.partial"
        self._map_href = "../" + quote(self.out_path.name)

    def __enter__(self) -> MapWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)

    def add(self, result: ArticleResult) -> None:
        if result.article.id in self._ids:
            return  # one reader view per id: the first occurrence wins
        self._ids.add(result.article.id)
        if not self._names:
            self._staging.mkdir(parents=True, exist_ok=True)
        name = reader_filename(result.article.id)
        atomic_write(self._staging / name, reader_html(result, map_href=self._map_href))
        self._names.append(name)
        self.results.append(ArticleResult(replace(result.article, text=""), result.resolutions))

    def finish(self) -> MapOutput:
        points = aggregate(self.results)
        drawn = sum(1 for p in points if drawable(p.place))
        html = map_html(
            self.results,
            title=self.title,
            cdn=self.cdn,
            attribution=self.attribution,
            reader_dir=self.reader_dir,
            points=points,
        )
        self._staging.mkdir(parents=True, exist_ok=True)
        atomic_write(self._staging / OUTLINES_FILE, _outlines_script())
        self._replace_folder()
        atomic_write(self.out_path, html)
        paths = tuple(self._articles_dir / name for name in self._names)
        return MapOutput(self.out_path, paths, places=len(points), points=drawn)

    def _replace_folder(self) -> None:
        """The staged folder becomes the map's folder; the previous one (an earlier run's pages) goes."""
        old = self._staging.with_suffix(".old")
        if self._articles_dir.is_dir():
            os.replace(self._articles_dir, old)
        try:
            os.replace(self._staging, self._articles_dir)
        except OSError:
            if old.exists():
                os.replace(old, self._articles_dir)  # put the previous pages back
            raise
        shutil.rmtree(old, ignore_errors=True)


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and `os.replace`, so readers never see half a file."""
    write_text_atomic(path, text)
