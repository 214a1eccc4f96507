"""`geomap eval` end to end with the real model and gazetteer, on small gold files written by the tests."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from geomap.cli import cli

# "Paris" alone is the French capital; the county and state this text names put it in Texas. Only Paris is
# annotated, as in WikToR: the other names are context, found by reading the text.
TEXT = "Paris is a city in Lamar County, Texas, about 100 miles northeast of Dallas. Paris had 25,000 people."
PARIS_TEXAS = (33.66094, -95.55551)


def _gold(tmp_path: Path) -> Path:
    starts = [i for i in range(len(TEXT)) if TEXT.startswith("Paris", i)]
    toponyms = [
        {"start": s, "end": s + 5, "name": "Paris", "lat": PARIS_TEXAS[0], "lon": PARIS_TEXAS[1]} for s in starts
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "p", "text": TEXT, "toponyms": toponyms}) + "\n", encoding="utf-8")
    return path


def test_given_spans_resolve_the_gold_spans_with_the_text_as_context(cache_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["eval", str(_gold(tmp_path)), "--given-spans", "--format", "json", "-q", "--cache-dir", str(cache_dir)]
    )
    assert result.exit_code == 0, result.output
    score = json.loads(result.stdout)["gold"]
    assert score["predicted"] == score["gold"] == 2  # the given spans only, not Lamar County, Texas, Dallas
    assert score["acc161_resolved"] == 1.0
    assert score["overlap_f1"] is None
