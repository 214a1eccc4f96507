"""The map page and the per-article reader views. The only module that imports folium/branca.

Design: folium builds the page skeleton (map, tile layer, MarkerCluster); the markers themselves are
created in the browser from one embedded JSON document, and each popup's HTML (built and escaped here,
by `popup_html`) is bound lazily. Why not one `folium.Marker` + `folium.Popup` per place: folium's Popup
pastes the HTML into a JS template literal (so a backtick or `${` in a title would run as code), needs
jQuery from a CDN, and costs ~1 KB of generated code per marker; the map also needs an id -> marker
table for `#place=<id>` links, which folium's random variable names do not give.

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
from dataclasses import dataclass, replace
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
ARTICLES_DIR = "articles"  # reader views go in this folder beside the map file
MAX_POPUP_ARTICLES = 10
LOW_CONFIDENCE = 0.5  # a resolution scoring below this shows its score and runner-up places
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


def popup_html(
    point: PlacePoint,
    *,
    reader_dir: str = ARTICLES_DIR,
    max_articles: int = MAX_POPUP_ARTICLES,
    low_confidence: float = LOW_CONFIDENCE,
) -> str:
    """The popup of one point; every string in it is escaped."""
    place = point.place
    where = " · ".join(_esc(part) for part in (place.feature, place.admin1, place.country) if part)
    items = "".join(_article_item(ref, reader_dir) for ref in point.articles[:max_articles])
    hidden = len(point.articles) - max_articles
    more = f'<p class="gm-more">and {hidden} more</p>' if hidden > 0 else ""
    return (
        f'<div class="gm-popup" data-place="{_esc(place.id)}">'
        f'<h3 class="gm-name">{_esc(place.name)}</h3>'
        f'<p class="gm-where">{where}</p>'
        f'<p class="gm-count">{_plural(len(point.articles), "article")}, '
        f"{_plural(point.mentions, 'mention')}</p>"
        f"{_uncertainty(point.weakest, low_confidence)}"
        f'<ol class="gm-articles">{items}</ol>{more}</div>'
    )


def _article_item(ref: ArticleRef, reader_dir: str) -> str:
    article, first = ref.article, ref.resolutions[0]
    reader = f"{quote(reader_dir)}/{quote(reader_filename(article.id))}#m-{first.mention.start}"
    url = safe_url(article.url)
    title_href = _esc(url) if url else reader
    external = ' target="_blank" rel="noopener noreferrer"' if url else ""
    meta = " · ".join(_esc(part) for part in (article.date or "", _source_label(article)) if part)
    count = f" ({ref.mentions} mentions)" if ref.mentions > 1 else ""
    return (
        f'<li><a class="gm-title" href="{title_href}"{external}>{_esc(_title(article))}</a>'
        f'<span class="gm-meta">{meta}{count}{" · " if meta or count else ""}'
        f'<a class="gm-reader" href="{reader}">reader view</a></span>'
        f'<q class="gm-sentence">{sentence_html(first)}</q></li>'
    )


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


def _uncertainty(res: Resolution, threshold: float) -> str:
    if res.score >= threshold:
        return ""
    others = "".join(f"<li>{_esc(p.label)} ({_esc(p.feature)})</li>" for p in res.alternatives[:3])
    listed = f' Other candidates:<ul class="gm-alternatives">{others}</ul>' if others else ""
    return f'<div class="gm-uncertain">Uncertain match (score {res.score:.2f}).{listed}</div>'


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
    css = "gm-place"
    if res.score < low:
        css += " gm-uncertain"
        hint += f" — uncertain, score {res.score:.2f}"
    href = _place_href(map_href, res.place)
    return f'<a class="{css}" {anchor} href="{href}" title="{_esc(hint)}">{_esc(span)}</a>'


# --- the map page -----------------------------------------------------------------------------


def map_html(
    points: Sequence[PlacePoint],
    *,
    title: str = "geomap",
    cdn: bool = False,
    attribution: str = DEFAULT_ATTRIBUTION,
    reader_dir: str = ARTICLES_DIR,
) -> str:
    """The map page as one HTML string (byte-stable for the same input)."""
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
    articles = _mapped_articles(points)
    position = {article.id: i for i, article in enumerate(articles)}
    mode, groups, group_of = _filter_groups(articles)
    data = {
        "title": title,
        "attribution": _esc(attribution),
        "points": [_point_data(p, reader_dir, position) for p in points],
        "articles": [{"g": g, "d": iso_date(a.date)} for a, g in zip(articles, group_of, strict=True)],
        "groups": groups,
        "groupMode": mode,
    }
    figure.html.add_child(_Raw(_json_script("geomap-data", data)))
    # Country outlines under the tiles, so the map still shows the world when tiles cannot load.
    figure.html.add_child(_Raw(_basemap_script()))
    scripts = [_asset_text("controls.js"), _asset_text("map.js")]
    if heat is not None:  # folium ships this plugin; inline it (in the body, after Leaflet in both modes)
        scripts.append(_folium_heat_js())
    figure.html.add_child(_Raw("<script>" + "\n".join(scripts) + "</script>"))
    fmap.add_child(_Init(fmap, cluster, heat))
    _fix_ids(figure)
    return figure.render()


def _mapped_articles(points: Sequence[PlacePoint]) -> list[Article]:
    """The articles behind the points, oldest first (undated last), then by title."""
    found: dict[str, Article] = {}
    for point in points:
        for ref in point.articles:
            found.setdefault(ref.article.id, ref.article)
    return sorted(found.values(), key=lambda a: (iso_date(a.date) or "9999", _title(a).casefold(), a.id))


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


def _point_data(point: PlacePoint, reader_dir: str, position: dict[str, int]) -> dict[str, object]:
    place = point.place
    return {
        "id": place.id,
        "name": place.name,
        "sub": ", ".join(part for part in (place.admin1, place.country) if part and part != place.name),
        "lat": round(place.lat, 6),
        "lon": round(place.lon, 6),
        "k": kind_group(place),
        "a": len(point.articles),
        "m": point.mentions,
        "html": popup_html(point, reader_dir=reader_dir),
        "arts": [position[ref.article.id] for ref in point.articles],
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
    """Write the map to `out_path` and one reader view per article into `articles/` beside it."""
    with MapWriter(out_path, title=title, cdn=cdn, attribution=attribution) as writer:
        for result in results:
            writer.add(result)
        return writer.finish()


class MapWriter:
    """The map, built as results arrive: each article's reader view is written at once (into a hidden folder,
    moved into `articles/` when the map is finished, so an interrupted run leaves no page of a map that was never
    written), and only what the map page and the exports need is kept: the article's metadata and resolutions,
    not its text. Use as a context manager: leaving it unfinished removes the hidden folder."""

    def __init__(
        self, out_path: Path, *, title: str = "geomap", cdn: bool = False, attribution: str = DEFAULT_ATTRIBUTION
    ) -> None:
        self.out_path = Path(out_path)
        self.title, self.cdn, self.attribution = title, cdn, attribution
        self.results: list[ArticleResult] = []  # as added, first of each id, without the article's text
        self._names: list[str] = []  # reader pages written, in order
        self._ids: set[str] = set()
        self._articles_dir = self.out_path.parent / ARTICLES_DIR
        self._staging = self.out_path.parent / f".{ARTICLES_DIR}-{os.getpid()}.partial"
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
        drawn = [p for p in points if drawable(p.place)]
        html = map_html(drawn, title=self.title, cdn=self.cdn, attribution=self.attribution)
        self._articles_dir.mkdir(parents=True, exist_ok=True)
        for name in self._names:
            os.replace(self._staging / name, self._articles_dir / name)
        atomic_write(self.out_path, html)
        paths = tuple(self._articles_dir / name for name in self._names)
        return MapOutput(self.out_path, paths, places=len(points), points=len(drawn))


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and `os.replace`, so readers never see half a file."""
    write_text_atomic(path, text)
