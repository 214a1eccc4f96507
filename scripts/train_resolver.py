"""Learn the resolver's weights from gold corpora, and validate them leave-one-corpus-out.

    .venv/bin/python scripts/train_resolver.py ../shared/eval/*.jsonl -o geomap/data/resolver.json
    .venv/bin/python scripts/train_resolver.py ../shared/eval/*.jsonl --loco out/loco

The model is a conditional logit: for each name in an article, the softmax over the name's candidate places
of the weighted sum of their features (`geomap.weights.FEATURES`, computed by `geomap.resolve`), fitted to
maximise the likelihood that the chosen place lies within 161 km of the gold point. Each gold toponym is
given to the resolver as a span, the rest of the text recognised as usual (what `geomap eval --given-spans`
does), so the features are exactly those the resolver sees; a name's first gold toponym in an article
labels it (one sense per name). The context features depend on the other names' readings, so the features
are computed again with the learned weights and the model refitted (`--rounds`).

Every corpus weighs the same in the fit, whatever its size, so no one kind of text (Wikipedia openings,
tweets) dictates the weights. `--loco DIR` fits once per corpus without it, writes `DIR/<corpus>.json`,
and prints each left-out corpus's top-1 accuracy under those weights (a quick estimate; `geomap eval
--weights DIR/<corpus>.json` gives the real figure). Recognition runs once per corpus and is kept in
--work, so later runs cost only the resolution.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geomap import evaluate, recognize
from geomap.geo import great_circle_km
from geomap.models import Article, Mention
from geomap.names import normalize
from geomap.pipeline import Pipeline, Settings, with_given_spans
from geomap.resolve import ResolveOptions, candidate_features
from geomap.weights import FEATURES, Model

WITHIN_KM = 161.0
_RECOGNITION_CODE = Path(recognize.__file__).read_bytes()  # as imported: when recognition changes, recognise again
L2 = 1.0  # ridge penalty on the weights, against the summed (corpus-weighted) log-likelihood
CORPUS_WEIGHT = 1000.0  # every corpus's choice sets sum to this weight


@dataclass
class ChoiceSets:
    """All choice sets of one corpus: candidates' features, which are right, and where each set starts."""

    corpus: str
    x: np.ndarray  # (candidates, features)
    right: np.ndarray  # (candidates,) bool: within WITHIN_KM of the gold point
    starts: np.ndarray  # (sets + 1,) offsets into x
    missed: int  # gold toponyms whose name has no right candidate (wrong whatever the weights)

    @property
    def sets(self) -> int:
        return len(self.starts) - 1


Recognised = list[tuple[Article, list[Mention], list[dict[str, Any]]]]


def recognised(pipeline: Pipeline, path: Path, work: Path) -> Recognised:
    """Each gold article with the mentions recognition finds in it and its gold toponyms (cached in `work`)."""
    stamp = hashlib.sha256(path.read_bytes() + _RECOGNITION_CODE + pipeline.settings.model.encode()).hexdigest()[:12]
    cached = work / f"{path.stem}-{stamp}.pickle"
    if cached.is_file():
        with cached.open("rb") as handle:
            data: Recognised = pickle.load(handle)
            return data
    records = evaluate.load_jsonl(path)
    articles = [evaluate.gold_article(r)[0] for r in records]
    out: Recognised = []
    for record, (article, found) in zip(records, pipeline.worker.recognizer.recognize(articles), strict=True):
        out.append((article, list(found), list(record.get("toponyms", []))))
    work.mkdir(parents=True, exist_ok=True)
    with cached.open("wb") as handle:
        pickle.dump(out, handle)
    return out


_MEMO: dict[tuple[str, str], ChoiceSets] = {}


def choice_sets(pipeline: Pipeline, corpus: str, items: Recognised, model: Model) -> ChoiceSets:
    """The corpus's choice sets with the features the resolver computes under `model` (remembered)."""
    key = (corpus, model.digest)
    if key not in _MEMO:
        _MEMO[key] = _choice_sets(pipeline, corpus, items, model)
    return _MEMO[key]


def _choice_sets(pipeline: Pipeline, corpus: str, items: Recognised, model: Model) -> ChoiceSets:
    lookup = pipeline.resolve_lookup
    options = ResolveOptions(model=model)
    rows: list[list[float]] = []
    right: list[bool] = []
    starts = [0]
    missed = 0
    for article, found, gold in items:
        spans = [(int(t["start"]), int(t["end"])) for t in gold]
        mentions = with_given_spans(article, found, spans, lookup)
        features = candidate_features(article, mentions, lookup, options)
        seen: set[str] = set()
        for toponym in gold:
            key = normalize(article.text[toponym["start"] : toponym["end"]])
            if toponym.get("lat") is None or toponym.get("lon") is None or key in seen:
                continue
            seen.add(key)
            candidates = features.get(key, [])
            if any(f.get("qualifier") for _, f in candidates):
                continue  # the text's qualifier decides ("Lima, Ohio"): a rule in the resolver, not a weight
            hits = [great_circle_km(p.lat, p.lon, toponym["lat"], toponym["lon"]) <= WITHIN_KM for p, _ in candidates]
            if not any(hits):
                missed += 1
                continue
            rows += [[f.get(name, 0.0) for name in FEATURES] for _, f in candidates]
            right += hits
            starts.append(len(rows))
    return ChoiceSets(corpus, np.array(rows, dtype=float), np.array(right), np.array(starts), missed)


def fit(data: list[ChoiceSets], l2: float = L2, iterations: int = 100) -> np.ndarray:
    """Weights maximising the corpus-weighted log-likelihood that the chosen candidate is a right one (the
    softmax mass on the right candidates), minus an L2 penalty; damped Newton steps."""
    x = np.vstack([d.x for d in data])
    right = np.concatenate([d.right for d in data])
    group = np.concatenate([np.repeat(np.arange(d.sets) + sum(e.sets for e in data[:i]), np.diff(d.starts))
                            for i, d in enumerate(data)])  # fmt: skip
    set_weight = np.concatenate([np.full(d.sets, CORPUS_WEIGHT / max(d.sets, 1)) for d in data])
    n_sets = len(set_weight)
    w = np.zeros(x.shape[1])

    def objective(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        s = x @ w
        top = np.full(n_sets, -np.inf)
        np.maximum.at(top, group, s)
        e = np.exp(s - top[group])
        z_all = np.bincount(group, e, n_sets)
        z_right = np.bincount(group, e * right, n_sets)
        loss = float(np.sum(set_weight * (np.log(z_all) - np.log(z_right)))) + l2 * float(w @ w)
        p = e / z_all[group]  # softmax over all candidates
        q = e * right / z_right[group]  # ... over the right ones
        cw = set_weight[group]
        grad = x.T @ (cw * (p - q)) + 2 * l2 * w
        mean_p = np.zeros((n_sets, x.shape[1]))
        np.add.at(mean_p, group, p[:, None] * x)
        centred = x - mean_p[group]
        hess = (centred * (cw * p)[:, None]).T @ centred + 2 * l2 * np.eye(x.shape[1])
        return loss, grad, hess

    loss, grad, hess = objective(w)
    for _ in range(iterations):
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-6:
            new = w - t * step
            new_loss, new_grad, new_hess = objective(new)
            if new_loss <= loss - 1e-4 * t * float(grad @ step):
                break
            t /= 2
        else:
            break
        done = loss - new_loss < 1e-7 * max(1.0, abs(loss))
        w, loss, grad, hess = new, new_loss, new_grad, new_hess
        if done:
            break
    return w


def accuracy(d: ChoiceSets, w: np.ndarray) -> float:
    """Share of the corpus's labelled names whose top candidate under `w` is right (missed names count wrong)."""
    s = d.x @ w
    hits = sum(bool(d.right[a + int(np.argmax(s[a:b]))]) for a, b in zip(d.starts[:-1], d.starts[1:], strict=True))
    return hits / max(d.sets + d.missed, 1)


def as_model(w: np.ndarray, source: str) -> Model:
    return Model({name: round(float(v), 4) for name, v in zip(FEATURES, w, strict=True)}, scale=1.0, source=source)


def hand_vector() -> np.ndarray:
    return np.array([Model().weights.get(name, 0.0) * math.log(10) for name in FEATURES])


def train(pipeline: Pipeline, items: dict[str, Recognised], names: list[str], rounds: int) -> tuple[Model, dict]:
    model = Model()
    for _ in range(rounds):
        data = [choice_sets(pipeline, name, items[name], model) for name in names]
        model = as_model(fit(data), f"trained on {', '.join(names)}")
    return model, {d.corpus: d for d in data}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", nargs="+", type=Path, help="gold corpora (JSON Lines, as in ../shared/eval)")
    parser.add_argument(
        "--score-only",
        type=Path,
        action="append",
        default=[],
        metavar="GOLD",
        help="a corpus only scored, never trained on (e.g. one whose texts had their evidence removed)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write the weights trained on every corpus here")
    parser.add_argument("--loco", type=Path, metavar="DIR", help="write DIR/<corpus>.json trained without it")
    parser.add_argument("--rounds", type=int, default=2, help="fits, each on features from the last (default 2)")
    parser.add_argument("--cache-dir", type=Path, default=Path("cache"))
    parser.add_argument("--work", type=Path, default=Path("cache/train"), help="where recognition is kept")
    args = parser.parse_args()
    with Pipeline(Settings(cache_dir=args.cache_dir)) as pipeline:
        items = {path.stem: recognised(pipeline, path, args.work) for path in [*args.gold, *args.score_only]}
        names = [path.stem for path in args.gold]
        if args.output:
            model, data = train(pipeline, items, names, args.rounds)
            meta = {"trained_on": names, "sets": {k: d.sets for k, d in data.items()}}
            args.output.write_text(model.to_json(**meta), encoding="utf-8")
            print(f"wrote {args.output}", file=sys.stderr)
            _report(pipeline, items, {name: model for name in items}, "trained on all (not held out)")
        if args.loco:
            args.loco.mkdir(parents=True, exist_ok=True)
            models = {}
            for name in items:
                rest = [n for n in names if n != name]
                models[name], _ = train(pipeline, items, rest, args.rounds)
                (args.loco / f"{name}.json").write_text(models[name].to_json(trained_on=rest), encoding="utf-8")
            _report(pipeline, items, models, "each corpus left out of its own training")


def _report(pipeline: Pipeline, items: dict[str, Recognised], models: dict[str, Model], label: str) -> None:
    print(f"top-1 accuracy on gold names, hand-set weights vs learned ({label}):")
    for name, model in models.items():
        hand = accuracy(choice_sets(pipeline, name, items[name], Model()), hand_vector())
        data = choice_sets(pipeline, name, items[name], model)
        learned = accuracy(data, np.array([model.weights[f] for f in FEATURES]))
        print(f"  {name:16s} {hand:.3f} -> {learned:.3f}   ({data.sets} names, {data.missed} without a right one)")
    for model in {m.digest: m for m in models.values()}.values():
        print(f"  weights, {model.source}: " + " ".join(f"{k}={v:+.2f}" for k, v in model.weights.items() if v))


if __name__ == "__main__":
    main()
