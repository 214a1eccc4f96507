"""The command line: exit codes, stdout/stderr discipline, JSON Lines contract, help that teaches."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import SEEDS
from tests.helpers import invoke

MENTION_FIELDS = {"start", "end", "text", "name", "lat", "lon", "country_code", "feature", "score"}


def test_parse_jsonl_contract(cache_dir: Path) -> None:
    result = invoke("parse", str(SEEDS / "003_0a6289fc04a75e43.txt"), "--cache-dir", str(cache_dir), "-q")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.strip().splitlines()
    record = json.loads(line)
    assert {"id", "title", "source", "mentions"} <= record.keys()
    assert record["mentions"]
    for m in record["mentions"]:
        assert MENTION_FIELDS <= m.keys()
    assert any(m["text"] == "Peru" and m["country_code"] == "PE" for m in record["mentions"])


def test_parse_reads_jsonl_records(cache_dir: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    rows = [{"id": "a1", "text": "Floods hit Stockholm."}, {"id": "a2", "text": "Snow fell on Tehran."}]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = invoke("parse", str(gold), "--cache-dir", str(cache_dir), "-q")
    assert result.exit_code == 0, result.output
    records = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a1", "a2"]
    assert records[0]["mentions"][0]["country_code"] == "SE"


def test_parse_stdin_and_csv(cache_dir: Path) -> None:
    result = invoke("parse", "-", "--format", "csv", "--cache-dir", str(cache_dir), "-q", input="Rain in Baku today.\n")
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()[:2]
    assert header.startswith("article_id,")
    assert "Baku" in row and ",AZ," in row


def test_parse_geojson(cache_dir: Path) -> None:
    result = invoke(
        "parse", "-", "--format", "geojson", "--cache-dir", str(cache_dir), "-q",
        input="Rain in Baku. More rain in Baku.",
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert data["type"] == "FeatureCollection"
    [baku] = data["features"]  # one Point per place, as `map --geojson` writes
    lon, lat = baku["geometry"]["coordinates"]
    assert 40 < lat < 41 and 49 < lon < 50.5
    assert baku["properties"]["mentions"] == 2 and len(baku["properties"]["article_list"][0]["mention_list"]) == 2


def test_geocode_ranks_and_qualifies(cache_dir: Path) -> None:
    result = invoke("geocode", "Lima", "--cache-dir", str(cache_dir), "--format", "jsonl")
    assert result.exit_code == 0
    first = json.loads(result.stdout.splitlines()[0])
    assert first["country_code"] == "PE"
    assert {"name", "lat", "lon", "feature", "country_code", "admin1", "population", "id"} <= first.keys()
    us = json.loads(
        invoke(
            "geocode", "Lima", "--country", "US", "--cache-dir", str(cache_dir), "--format", "jsonl"
        ).stdout.splitlines()[0]
    )
    assert us["country_code"] == "US" and us["admin1"] == "Ohio"
    text = invoke("geocode", "Lima, Ohio", "--cache-dir", str(cache_dir)).stdout
    assert text.startswith("1. Lima, Ohio, United States")


def test_unknown_name_is_one_line_error(cache_dir: Path) -> None:
    result = invoke("geocode", "Qxzvtplk", "--cache-dir", str(cache_dir))
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("Error:")


def test_misuse_exits_2() -> None:
    assert invoke("parse", "--format", "xml", "x").exit_code == 2
    assert invoke("no-such-command").exit_code == 2


def test_missing_input_only_is_error(cache_dir: Path, tmp_path: Path) -> None:
    result = invoke("parse", str(tmp_path / "nope.txt"), "--cache-dir", str(cache_dir))
    assert result.exit_code == 1
    assert "nope.txt" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_model_is_clear_error(cache_dir: Path) -> None:
    result = invoke("parse", str(SEEDS), "--model", "xx_no_such_model", "--cache-dir", str(cache_dir), "--no-reuse")
    assert result.exit_code == 2  # a bad option value, found before any work
    assert "no spaCy model 'xx_no_such_model' is installed" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["map"],
        ["parse"],
        ["geocode"],
        ["cache"],
        ["cache", "info"],
        ["cache", "clear"],
        ["gazetteer"],
        ["gazetteer", "info"],
    ],
)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout or "geomap " in result.stdout


def test_cache_info_and_clear(cache_dir: Path) -> None:
    invoke("parse", "-", "--cache-dir", str(cache_dir), "-q", input="Rain in Baku.")
    info = invoke("cache", "info", "--cache-dir", str(cache_dir)).stdout
    assert "lookups" in info and "articles   1" in info.replace("articles  ", "articles   ")
    assert invoke("cache", "clear", "--cache-dir", str(cache_dir)).exit_code == 0
    info = invoke("cache", "info", "--cache-dir", str(cache_dir)).stdout
    assert [line.split() for line in info.splitlines() if line.startswith("articles")] == [["articles", "0"]]


def test_parse_csv_defuses_spreadsheet_formulas(cache_dir: Path, tmp_path: Path) -> None:
    # article text is untrusted: a title a spreadsheet would run as a formula is written as text, as map --csv does
    path = tmp_path / "post.json"
    path.write_text(json.dumps({"title": '=HYPERLINK("http://evil.example","x")', "text": "Rain in Baku."}))
    result = invoke("parse", str(path), "--format", "csv", "--cache-dir", str(cache_dir), "-q")
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["text"] == "Baku" and float(row["lon"]) > 0


@pytest.mark.parametrize("command", [["parse", "-"], ["geocode", "Lima"], ["eval", str(SEEDS / "missing.jsonl")]])
@pytest.mark.parametrize("code", ["usa", "ZZ"])
def test_a_bad_country_code_is_a_usage_error_naming_the_valid_form(command: list[str], code: str) -> None:
    result = invoke(*command, "--country", code, input="Lima")
    assert result.exit_code == 2
    assert "ISO 3166-1 alpha-2" in result.output and repr(code) in result.output


def test_a_country_code_is_accepted_in_lower_case(cache_dir: Path) -> None:
    result = invoke("geocode", "Lima", "--country", "us", "--cache-dir", str(cache_dir))
    assert result.exit_code == 0, result.output
    assert "Ohio" in result.stdout.splitlines()[0]


def test_cache_info_creates_nothing(tmp_path: Path) -> None:
    where = tmp_path / "not-yet"
    result = invoke("cache", "info", "--cache-dir", str(where))
    assert result.exit_code == 0, result.output
    assert "articles  0" in result.stdout and "no cache in" in result.stderr
    assert not where.exists()
