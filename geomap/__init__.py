"""geomap: map every place a pile of articles mentions.

Library use::

    from geomap import Pipeline, Settings, write_map
    with Pipeline(Settings()) as pipeline:
        run = pipeline.run(["seeds/"])
    write_map(run.articles, Path("out/map.html"))

The names below are imported on first use, so `import geomap` stays cheap (spaCy and folium load only when
a pipeline or a map needs them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "Pipeline": "geomap.pipeline",
    "Settings": "geomap.pipeline",
    "write_map": "geomap.render",
    "MapWriter": "geomap.render",
    "Gazetteer": "geomap.gazetteer",
    "OfflineGeocoder": "geomap.geocoders",
    "Article": "geomap.models",
    "Mention": "geomap.models",
    "Place": "geomap.models",
    "Resolution": "geomap.models",
    "ArticleResult": "geomap.models",
    "RunResult": "geomap.models",
    "GeomapError": "geomap.errors",
}
__all__ = [
    "Article", "ArticleResult", "Gazetteer", "GeomapError", "MapWriter", "Mention", "OfflineGeocoder", "Pipeline",
    "Place", "Resolution", "RunResult", "Settings", "write_map",
]  # fmt: skip

if TYPE_CHECKING:
    from geomap.errors import GeomapError
    from geomap.gazetteer import Gazetteer
    from geomap.geocoders import OfflineGeocoder
    from geomap.models import Article, ArticleResult, Mention, Place, Resolution, RunResult
    from geomap.pipeline import Pipeline, Settings
    from geomap.render import MapWriter, write_map


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'geomap' has no attribute {name!r}")
