"""What the map page carries besides its data: Leaflet and MarkerCluster from the XStatic packages (images as
data: URIs) or linked from CDNs, folium's Leaflet.heat, geomap's own scripts and styles (templates/), the
offline outlines, and the safe way to put JSON and literal markup into the page."""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

import branca.element
import folium
import folium.plugins
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster

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


class Raw(branca.element.Element):
    """Literal markup (not a Jinja template: inlined JS may contain `{{`)."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._markup = markup

    def render(self, **kwargs: object) -> str:
        return self._markup


def use_assets(
    fmap: folium.Map, cluster: folium.plugins.MarkerCluster, figure: branca.element.Figure, *, cdn: bool
) -> None:
    """Drop folium's default CDN assets (jQuery, Bootstrap, awesome-markers); inline or link ours."""
    fmap.default_js, fmap.default_css = ([*_CDN_JS], [*_CDN_CSS]) if cdn else ([], [])
    cluster.default_js, cluster.default_css = [], []
    if not cdn:
        figure.header.add_child(Raw(inline_leaflet()), name="geomap_leaflet")
    figure.header.add_child(Raw(f"<style>{asset_text('map.css')}</style>"), name="geomap_css")


def json_script(element_id: str, data: object) -> str:
    return f'<script type="application/json" id="{element_id}">{script_json(data)}</script>'


def script_json(data: object) -> str:
    """JSON safe inside <script>: no `</` (closes the element) and no `<!` (starts an escape state)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!", "<\\u0021")


@cache
def asset_text(name: str) -> str:
    return resources.files("geomap").joinpath("templates", name).read_text(encoding="utf-8")


@cache
def inline_leaflet() -> str:
    """Leaflet + MarkerCluster JS/CSS from the XStatic packages, images as data: URIs."""
    leaflet = Path(xstatic.pkg.leaflet.BASE_DIR)
    cluster = Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)
    css = _inline_images(_read(leaflet / "leaflet.css"), leaflet)
    css += _read(cluster / "MarkerCluster.css") + _read(cluster / "MarkerCluster.Default.css")
    js = _read(leaflet / "leaflet.js") + "\n" + _read(cluster / "leaflet.markercluster.js")
    return f"<style>{css}</style>\n<script>{js}</script>"


@cache
def basemap_script() -> str:
    return json_script("geomap-basemap", json.loads(asset_text("countries-110m.json")))


@cache
def outlines_script() -> str:
    """The first-level region outlines as a script the map loads from its folder when zoomed in (a script
    element, unlike fetch(), loads from a file: URL)."""
    return f"geomapOutlines({script_json(json.loads(asset_text('admin1-outlines.json')))});\n"


@cache
def folium_heat_js() -> str:
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
