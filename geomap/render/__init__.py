"""The map page and the per-article reader views; the only package that imports folium/branca.

    text.py    article-derived strings made ready for HTML (escaping, URLs, snippets, file names)
    reader.py  the reader view of one article
    page.py    the map page and the JSON its scripts (geomap/templates/*.js) draw from
    assets.py  Leaflet, plugins, templates and outlines, inlined or linked
    writer.py  writing a map and its reader views (MapWriter, write_map)

Everything derived from an article is escaped with `html.escape`; URLs are kept only with an http(s)
scheme. Leaflet and MarkerCluster come from the XStatic packages and are inlined, so the page makes no
network request except for map tiles (`cdn=True` links them from a CDN instead).
"""

from geomap.render.writer import MapOutput, MapWriter, write_map

__all__ = ["MapOutput", "MapWriter", "write_map"]
