"""The resolver's learned weights: the shipped file, loading others, the fit that learns them, and that the
weights a run is given are the ones it resolves with."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from geomap.errors import UsageError
from geomap.models import Article
from geomap.pipeline import Pipeline, Settings
from geomap.weights import FEATURES, SHIPPED, Model

REPO = Path(__file__).resolve().parent.parent


def _train_module():  # scripts/ is not a package: load the training script as a module
    spec = importlib.util.spec_from_file_location("train_resolver", REPO / "scripts" / "train_resolver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_shipped_weights_are_learned_and_cover_every_feature() -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert set(data["weights"]) == set(FEATURES)
    assert data["trained_on"], "the shipped file says what it was trained on"
    model = Model.shipped()
    assert model.scale == 1.0 and model.source == str(SHIPPED)
    assert model.weights["prior"] > 0 and model.weights["alt_name"] < 0


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "cannot read"), ('{"weights": {"prior": 1, "shoe_size": 2}}', "unknown features: shoe_size")],
)
def test_a_bad_weights_file_is_a_usage_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "w.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        Model.load(path)


def test_the_cli_rejects_a_bad_weights_file_before_any_work(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text('{"weights": {"shoe_size": 2}}', encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "geomap", "parse", "-", "--weights", str(path), "--cache-dir", str(tmp_path)],
        input="Lima", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert "unknown features: shoe_size" in run.stderr


def test_the_fit_recovers_the_weights_that_made_the_choices() -> None:
    """Choices drawn from a known conditional logit: the fit finds weights close to the true ones."""
    train = _train_module()
    rng = np.random.default_rng(7)
    true = np.zeros(len(FEATURES))
    true[FEATURES.index("prior")], true[FEATURES.index("proximity")] = 0.8, 3.0
    sets = []
    for corpus in ("a", "b"):
        rows, right, starts = [], [], [0]
        for _ in range(1500):
            x = np.zeros((4, len(FEATURES)))
            x[:, FEATURES.index("prior")] = rng.uniform(3, 7, 4)
            x[:, FEATURES.index("proximity")] = rng.uniform(0, 1, 4)
            p = np.exp(x @ true)
            chosen = rng.choice(4, p=p / p.sum())
            rows.append(x)
            right += [i == chosen for i in range(4)]
            starts.append(starts[-1] + 4)
        sets.append(train.ChoiceSets(corpus, np.vstack(rows), np.array(right), np.array(starts), 0))
    w = train.fit(sets, l2=0.01)
    assert w[FEATURES.index("prior")] == pytest.approx(0.8, abs=0.15)
    assert w[FEATURES.index("proximity")] == pytest.approx(3.0, abs=0.4)
    assert train.accuracy(sets[0], w) > 0.4  # better than a guess among four


def test_the_weights_given_are_the_weights_used(cache_dir: Path, tmp_path: Path) -> None:
    """Same text, two weights files: prominence alone, or nearness alone, decide between the two Parises."""
    text = "The storm hit Dallas and Tyler on Monday, and Paris lost power."
    chosen = {}
    for name, weight in (("prior", 1.0), ("proximity", 10.0)):
        path = tmp_path / f"{name}.json"
        path.write_text(Model({name: weight}, scale=1.0).to_json(), encoding="utf-8")
        with Pipeline(Settings(cache_dir=cache_dir, weights=path, reuse_articles=False)) as pipeline:
            [result] = pipeline.process([Article(id="t", text=text)])
        [paris] = [r for r in result.resolutions if r.mention.text == "Paris"]
        assert paris.place is not None
        chosen[name] = paris.place.country_code
    assert chosen == {"prior": "FR", "proximity": "US"}


def test_confidence_is_the_softmax_share_of_the_winner() -> None:
    from geomap.models import Place
    from geomap.resolve import _confidence, _Scored

    def scored(score: float) -> _Scored:
        return _Scored(Place(id=str(score), name="x", lat=0, lon=0, feature="city"), score, "")

    assert _confidence([scored(2.0), scored(0.0)], 1.0) == round(1 / (1 + math.exp(-2.0)), 3)
    assert _confidence([scored(1.0)], 1.0) == 1.0


def test_training_reads_gold_into_choice_sets_and_writes_a_loadable_model(cache_dir: Path, tmp_path: Path) -> None:
    """The script's whole path on a tiny gold file: recognise, build choice sets with the resolver's own
    features, fit, write, load."""
    train = _train_module()
    text = "The storm hit Dallas and Tyler on Monday. Paris lost power, and so did Athens."
    spans = [(text.index(name), text.index(name) + len(name)) for name in ("Paris", "Athens")]
    gold = {"id": "g1", "text": text, "toponyms": [
        {"start": spans[0][0], "end": spans[0][1], "lat": 33.66, "lon": -95.56},  # Paris, Texas
        {"start": spans[1][0], "end": spans[1][1], "lat": 32.20, "lon": -95.85},  # Athens, Texas
    ]}  # fmt: skip
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(gold) + "\n", encoding="utf-8")
    with Pipeline(Settings(cache_dir=cache_dir)) as pipeline:
        items = train.recognised(pipeline, path, tmp_path / "work")
        assert list((tmp_path / "work").glob("gold-*.pickle")), "recognition is kept for the next run"
        sets = train.choice_sets(pipeline, "gold", items, Model())
    assert sets.sets == 2 and sets.missed == 0
    assert sets.x.shape[1] == len(FEATURES) and sets.right.sum() >= 2
    proximity = sets.x[:, FEATURES.index("proximity")]
    assert proximity[sets.right].min() > proximity[~sets.right].max()  # the Texan readings are the near ones
    model = train.as_model(train.fit([sets]), "test")
    out = tmp_path / "w.json"
    out.write_text(model.to_json(trained_on=["gold"]), encoding="utf-8")
    assert Model.load(out).weights["proximity"] > 0
