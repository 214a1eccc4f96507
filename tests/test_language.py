"""Other languages said plainly: an article in a language no model reads is skipped with one line naming it;
a model given for that language reads it, with countries' names in that language; the check can be turned
off; English text is never read with the other languages' names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geomap.gazetteer import Gazetteer
from geomap.language import detect, language_name, model_language
from tests.conftest import REPO

GERMAN = """Hochwasser in Bayern: Tausende Menschen evakuiert

Nach tagelangen Regenfällen sind in Bayern und Baden-Württemberg tausende Menschen aus ihren Häusern geholt
worden. Besonders betroffen war die Gegend um Passau, wo die Donau über die Ufer trat. Auch in Österreich und
Tschechien stiegen die Pegel. Die Bundesregierung in Berlin kündigte Hilfen an; Kunden der Versicherungen
warten auf Auszahlungen, und nach Meinung der Experten wird es Wochen dauern.
"""
SPANISH = """Inundaciones en el sur de España

Las fuertes lluvias han provocado inundaciones en Andalucía durante el fin de semana. En Sevilla y Málaga se
cortaron varias carreteras, y el gobierno de Madrid envió equipos de emergencia. En Portugal y Marruecos también
se registraron daños, según informaron las autoridades locales el lunes por la mañana.
"""
FRENCH = """Inondations dans le sud de la France

De fortes pluies ont provoqué des inondations dans le Gard et l'Hérault ce week-end. À Montpellier et à Nîmes,
plusieurs routes ont été coupées, et le gouvernement à Paris a envoyé des équipes de secours. En Espagne et en
Allemagne, les autorités ont également signalé des dégâts, selon des informations publiées lundi depuis Londres.
"""
ENGLISH = """Floods in southern Spain

Heavy rain flooded roads around Seville on Tuesday, and trains to Cordoba were cancelled, officials said.
Emergency teams were sent from Malaga and Cadiz, and more rain is expected across the south until the weekend.
"""


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("languages")
    for name, text in (("de", GERMAN), ("es", SPANISH), ("fr", FRENCH), ("en", ENGLISH)):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def _parse(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "geomap", "parse", *map(str, args), "-j", "1"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def _records(run: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, run.stdout.splitlines())}


def test_articles_in_other_languages_are_skipped_naming_their_language(articles: Path, cache_dir: Path) -> None:
    run = _parse(articles, "--cache-dir", cache_dir)
    assert run.returncode == 3, run.stderr
    skipped = sorted(line for line in run.stderr.splitlines() if line.startswith("skipped "))
    assert skipped == [
        f"skipped {articles / code}.txt: in {name} ({code}), which no model given reads (English (en)): give one "
        f"with --model {code}=PACKAGE, or map it anyway with --language-check off"
        for code, name in (("de", "German"), ("es", "Spanish"), ("fr", "French"))
    ]
    records = _records(run)
    assert set(records) == {"en"} and records["en"]["language"] == "en"
    assert {"Seville", "Cordoba", "Malaga"} <= {m["text"] for m in records["en"]["mentions"]}


def test_with_the_check_off_every_article_is_read_as_english(articles: Path, cache_dir: Path) -> None:
    run = _parse(articles, "--cache-dir", cache_dir, "--language-check", "off")
    assert run.returncode == 0, run.stderr
    records = _records(run)
    assert set(records) == {"de", "en", "es", "fr"}
    assert all("language" not in r for r in records.values())  # not detected, as before the check existed


def test_a_model_given_for_a_language_reads_its_articles_with_its_country_names(
    articles: Path, cache_dir: Path
) -> None:
    run = _parse(articles / "fr.txt", articles / "en.txt", "--cache-dir", cache_dir, "--model", "fr=fr_core_news_sm")
    assert run.returncode == 0, run.stderr
    records = _records(run)
    assert records["fr"]["language"] == "fr"
    places = {m["text"]: m.get("country_code") for m in records["fr"]["mentions"] if m.get("place_id")}
    # CLDR's French names of countries, and GeoNames' French names of cities
    assert places["Espagne"] == "ES" and places["Allemagne"] == "DE" and places["Londres"] == "GB"
    assert places["Montpellier"] == places["Nîmes"] == "FR"
    text = FRENCH
    for m in records["fr"]["mentions"]:
        assert text[m["start"] : m["end"]] == m["text"]
    assert {"Seville", "Cordoba"} <= {m["text"] for m in records["en"]["mentions"]}  # English read as before


def test_the_names_in_other_languages_are_matched_only_for_articles_in_them(gazetteer: Gazetteer) -> None:
    other = gazetteer.in_other_languages()
    for name, code in (("Deutschland", "DE"), ("Italien", "IT"), ("España", "ES"), ("Österreich", "AT")):
        assert other.candidates(name)[0].place.country_code == code, name
    for name in ("Deutschland", "Italien", "Allemagne", "Espagne"):  # English text is read as before
        assert not gazetteer.candidates(name) and not gazetteer.has_name(name), name


def test_detection_judges_the_whole_and_reads_a_bounded_sample() -> None:
    assert detect(GERMAN) == "de" and detect(SPANISH) == "es" and detect(FRENCH) == "fr" and detect(ENGLISH) == "en"
    assert detect("Flooding hit Lima, Ohio on Monday.") is None  # too short to judge
    quoting = (
        "Mikhaylovka (Russian: Миха́йловка) is a town in Volgograd Oblast, Russia, located on the Medveditsa River. "
        "Population: 59,000. It was founded in the eighteenth century and became a town in 1948. The town has a "
        "railway station on the line to Volgograd and a cement plant."
    )
    assert detect(quoting) == "en"
    long_text = GERMAN * 20_000  # 8 MB
    started = time.perf_counter()
    assert detect(long_text) == "de"
    assert time.perf_counter() - started < 1.0
    assert language_name("de") == "German" and model_language("fr_core_news_sm") == "fr"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fr=fr_core_news_xl", "no spaCy model 'fr_core_news_xl' is installed (pip install fr-core-news-xl)"),
        ("de=fr_core_news_sm", "fr_core_news_sm reads French (fr), not German"),
        ("french=fr_core_news_sm", "the language is an ISO 639-1 code, as in fr=fr_core_news_sm"),
    ],
)
def test_a_bad_model_is_a_usage_error(articles: Path, cache_dir: Path, value: str, message: str) -> None:
    run = _parse(articles, "--cache-dir", cache_dir, "--model", value)
    assert run.returncode == 2
    assert message in run.stderr
