"""What a gazetteer file holds: its tables, the figures derived from them, its indexes, the kinds of name.

One place for the file's layout, since the build writes it, a GeoNames import adds to it and the queries read
it. `SCHEMA_VERSION` is checked on open (a file of another schema is rebuilt); this module is part of the
gazetteer's rebuild key (`build.BUILD_CODE`) too, so any edit here rebuilds.
"""

from __future__ import annotations

import math

DEFAULT_FILENAME = "gazetteer.sqlite"
SCHEMA_VERSION = "1"

# name kinds as stored
NAME, ALT, ABBR, DEMONYM, POSTAL, FOREIGN = 0, 1, 2, 3, 4, 5
# POSTAL: a region's postal code ("OH", "WA", "ON"), never written with periods: "L.A." is not Louisiana.
# FOREIGN: a country's name in another language ("Deutschland", "Allemagne"), matched only for articles in
# another language (`Gazetteer.in_other_languages`): in English text "Maurice" is a man, not Mauritius.


def grid_cell(lat: float, lon: float) -> int:
    """A 1-degree grid cell number, used to find nearby populated places."""
    return (math.floor(lat) + 90) * 360 + (math.floor(lon) + 180) % 360


def ring_cells(lat: float, lon: float, ring: int) -> list[int]:
    """The grid cells exactly `ring` steps away from the cell holding (lat, lon)."""
    cells = set()
    for dlat in range(-ring, ring + 1):
        for dlon in range(-ring, ring + 1):
            if max(abs(dlat), abs(dlon)) == ring and -90 <= lat + dlat < 90:
                cells.add(grid_cell(lat + dlat, lon + dlon))
    return sorted(cells)


SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE places(
    pid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    asciiname TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    feature TEXT NOT NULL,
    feature_class TEXT NOT NULL,
    feature_code TEXT NOT NULL,
    country_code TEXT NOT NULL,
    country_codes TEXT NOT NULL,      -- ',AM,AZ,' for features spanning countries
    country TEXT NOT NULL,
    admin1 TEXT NOT NULL,
    admin1_code TEXT NOT NULL,
    population INTEGER NOT NULL,
    source TEXT NOT NULL,
    cell INTEGER                      -- grid cell, populated places only (reverse look-ups)
);
CREATE TABLE names(
    key TEXT NOT NULL,
    pid INTEGER NOT NULL,
    kind INTEGER NOT NULL,            -- 0 name, 1 alt, 2 abbr, 3 demonym
    name TEXT NOT NULL,
    PRIMARY KEY (key, pid, kind, name)
) WITHOUT ROWID;
CREATE TABLE admin1_names(
    country_code TEXT, admin1_code TEXT, name TEXT, PRIMARY KEY (country_code, admin1_code)
);
CREATE TABLE country_names(country_code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE members(pid INTEGER NOT NULL, member_id TEXT NOT NULL);
CREATE TABLE imports(at TEXT NOT NULL, what TEXT NOT NULL, rows INTEGER NOT NULL, path TEXT NOT NULL);
"""
# Figures derived from the places and names, counted once when the gazetteer is written (and again after an
# import), not per query: how many distinct names (main and alternate, in any language) each place is known
# by, a sign of prominence beside population and the one regions and features without a population have;
# and the summed population of the towns in each first-level region, that region's size.
DERIVED = f"""
DROP TABLE IF EXISTS name_counts;
CREATE TABLE name_counts(pid INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO name_counts SELECT pid, count(DISTINCT key) FROM names WHERE kind IN ({NAME}, {ALT}) GROUP BY pid;
DROP TABLE IF EXISTS town_totals;
CREATE TABLE town_totals(
    country_code TEXT NOT NULL, admin1_code TEXT NOT NULL, population INTEGER NOT NULL,
    PRIMARY KEY (country_code, admin1_code)
) WITHOUT ROWID;
INSERT INTO town_totals SELECT country_code, admin1_code, sum(population) FROM places
    WHERE feature IN ('city', 'capital') GROUP BY country_code, admin1_code;
"""
INDEXES = """
CREATE INDEX places_cell ON places(cell) WHERE cell IS NOT NULL;
CREATE INDEX places_admin ON places(country_code, admin1_code, feature);
"""
