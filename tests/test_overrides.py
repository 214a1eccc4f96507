"""--overrides: user rules applied on every run and reflected in the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap.cli import cli
from geomap.errors import UsageError
from geomap.gazetteer import Gazetteer
from geomap.models import Article
from geomap.overrides import load_overrides

TEXT = "Lima hosts the summit. Farmers from Ohio and Peru attended."


def parse(cache_dir: Path, text: str, *extra: str) -> dict[str, dict]:
    result = CliRunner().invoke(cli, ["parse", "-", "-q", "--cache-dir", str(cache_dir), *extra], input=text)
    assert result.exit_code == 0, result.output
    return {m["text"]: m for m in json.loads(result.stdout)["mentions"]}


def lima_ohio_id(cache_dir: Path) -> str:
    result = CliRunner().invoke(cli, ["geocode", "Lima, Ohio", "--cache-dir", str(cache_dir), "--format", "jsonl"])
    return json.loads(result.stdout.splitlines()[0])["id"]


def test_rules_force_a_place_in_context_and_drop_names(cache_dir: Path, tmp_path: Path) -> None:
    before = parse(cache_dir, TEXT)
    assert before["Lima"]["country_code"] == "PE" and "Peru" in before
    rules = tmp_path / "overrides.csv"
    rules.write_text(f"name,place,context\nLima,{lima_ohio_id(cache_dir)},Ohio\nPeru,-,\n", encoding="utf-8")
    after = parse(cache_dir, TEXT, "--overrides", str(rules))
    assert after["Lima"]["admin1"] == "Ohio" and "--overrides" in after["Lima"]["reason"]
    assert "Peru" not in after  # never mapped
    # the context decides: without "Ohio" in the article the rule does not apply
    elsewhere = parse(cache_dir, "Lima hosts the summit.", "--overrides", str(rules))
    assert elsewhere["Lima"]["country_code"] == "PE"


def test_changing_the_rules_invalidates_cached_articles(cache_dir: Path, tmp_path: Path) -> None:
    rules = tmp_path / "overrides.yaml"
    rules.write_text("- {name: Peru, place: '-'}\n", encoding="utf-8")
    assert "Peru" not in parse(cache_dir, TEXT, "--overrides", str(rules))
    rules.write_text("- {name: Ohio, place: '-'}\n", encoding="utf-8")
    again = parse(cache_dir, TEXT, "--overrides", str(rules))
    assert "Peru" in again and "Ohio" not in again


def test_unknown_place_id_is_a_clear_error(gazetteer: Gazetteer, tmp_path: Path) -> None:
    rules = tmp_path / "o.csv"
    rules.write_text("name,place\nLima,gn:0\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"o.csv:2: no place with id 'gn:0'"):
        load_overrides(rules, gazetteer.place)
    rules.write_text("nom,lieu\nLima,gn:0\n", encoding="utf-8")
    with pytest.raises(UsageError, match="header"):
        load_overrides(rules, gazetteer.place)


def test_a_rule_for_one_article_applies_there_only(gazetteer: Gazetteer, tmp_path: Path) -> None:
    rules = tmp_path / "o.csv"
    rules.write_text(
        "name,place,context,article\nParis,gn:4717560,,news/tx.txt   # Paris, Texas\n"
        'Lima,-,,"https://example.com/a#b"\nSvitan,-,,\n',
        encoding="utf-8",
    )
    overrides = load_overrides(rules, gazetteer.place)
    rule = overrides.rule_for("Paris", "Paris again.", "news/tx.txt")
    assert rule is not None and rule.place is not None and rule.place.admin1 == "Texas"
    assert overrides.rule_for("Paris", "Paris again.", "news/fr.txt") is None
    assert overrides.rule_for("Lima", "Lima.", "https://example.com/a#b") is not None  # "#" in an id is kept
    assert overrides.rule_for("Svitan", "Svitan.", "anything") is not None  # no article: every article
    # the cache key: the same text under two ids differs only where a rule names one of them
    texas, france = Article("news/tx.txt", "Paris again."), Article("news/fr.txt", "Paris again.")
    assert overrides.digest_for(texas) != overrides.digest_for(france) == ""
    svitan = (Article("x", "Svitan and Paris."), Article("y", "Svitan and Paris."))
    assert overrides.digest_for(svitan[0]) == overrides.digest_for(svitan[1]) != ""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_line_longer_than_its_header_is_an_error(gazetteer: Gazetteer, tmp_path: Path) -> None:
    """A line copied from the map into a file whose header lacks `article` would otherwise apply everywhere."""
    path = _write(tmp_path, "name,place,context\nParis,gn:4717560,,news/tx.txt\n")
    with pytest.raises(UsageError, match=r"rules.csv:2: more fields than the header names \(name,place,context\)"):
        load_overrides(path, gazetteer.place)


def test_comments_quotes_and_line_numbers(gazetteer: Gazetteer, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "# my rules\nname,place,context\nSvitan,-,   # never map, ever\nGeorgia,gn:4197000,,# the US state\n"
        'Lima,-,,\n\n"#Lima",gn:0,\n',
    )
    with pytest.raises(UsageError, match=r"rules.csv:7: no place with id 'gn:0'"):  # the file's own line number
        load_overrides(path, gazetteer.place)
    path = _write(tmp_path, 'name,place,context,article\nParis,-,,"news/Issue #5.txt"  # quoted: the id keeps its #\n')
    [rule] = load_overrides(path, gazetteer.place).rules
    assert rule.article == "news/Issue #5.txt" and rule.place is None


def test_the_same_text_under_another_id_is_not_served_another_articles_rule(cache_dir: Path, tmp_path: Path) -> None:
    text = "Flooding closed roads in Paris on Monday."
    rules = _write(tmp_path, "name,place,context,article\nParis,gn:4717560,,tx\n")
    for article_id, state in (("tx", "Texas"), ("fr", "Île-de-France"), ("tx", "Texas")):
        record = json.dumps({"id": article_id, "text": text})
        result = CliRunner().invoke(
            cli,
            ["parse", "-", "-q", "--format", "jsonl", "--cache-dir", str(cache_dir), "--overrides", str(rules)],
            input=record + "\n",
        )
        assert result.exit_code == 0, result.output
        [mention] = json.loads(result.stdout)["mentions"]
        assert mention["admin1"] == state, article_id


def test_a_new_rule_recomputes_only_the_articles_that_name_it(cache_dir: Path, tmp_path: Path) -> None:
    """The map's correction loop: one line more in the file must not recompute every article."""
    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(6):
        (folder / f"a{i}.txt").write_text(f"Storms hit Lima and Cusco on day {i}.\n", encoding="utf-8")
    (folder / "salisbury.txt").write_text("Police sealed off streets in Salisbury.\n", encoding="utf-8")
    (folder / "cairos.txt").write_text("Cairo's markets reopened; Salisbury's did not.\n", encoding="utf-8")
    rules = _write(tmp_path, "name,place,context,article\nSvitan,-,,\n")

    def run() -> str:
        result = CliRunner().invoke(
            cli, ["parse", str(folder), "-v", "--cache-dir", str(cache_dir), "--overrides", str(rules)]
        )
        assert result.exit_code == 0, result.output
        return result.stderr

    assert "8 articles processed, 0 reused" in run()
    rules.write_text("name,place,context,article\nSvitan,-,,\nSalisbury,gn:2638664,,\n", encoding="utf-8")
    assert "2 articles processed, 6 reused" in run()  # the two that name Salisbury (one as "Salisbury's")
    rules.write_text("name,place,context,article\nSvitan,-,,\nSalisbury,gn:2638664,,\nLima,-,,a3\n", encoding="utf-8")
    assert "1 articles processed, 7 reused" in run()  # a rule for one article: that article
