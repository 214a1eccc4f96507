"""Score resolution weights on gold corpora: recognise once, resolve under each setting, print the figures.

    .venv/bin/python scripts/tune_resolution.py ../shared/eval/geovirus.jsonl ../shared/eval/lgl-dev.jsonl \
        --try alternate_name=-3 --try proximity=1.5,country_share=3

Each --try names a setting (comma-separated changes to fields of geomap.resolve.Weights); every setting
is scored beside the defaults on every corpus given, so a change that helps one corpus and hurts another
shows at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from geomap import evaluate, formats
from geomap.models import Candidate, Place
from geomap.pipeline import Pipeline, Settings
from geomap.resolve import ResolveOptions, Weights, resolve_article


class MemoLookup:
    def __init__(self, backend: object) -> None:
        self.backend = backend
        self.memo: dict[tuple[str, str | None], list[Candidate]] = {}
        self.dem: dict[str, Place | None] = {}

    def candidates(self, name: str, *, country_code: str | None = None) -> list[Candidate]:
        key = (name, country_code)
        if key not in self.memo:
            self.memo[key] = self.backend.candidates(name, country_code=country_code)  # type: ignore[attr-defined]
        return self.memo[key]

    def demonym(self, word: str) -> Place | None:
        if word not in self.dem:
            self.dem[word] = self.backend.demonym(word)  # type: ignore[attr-defined]
        return self.dem[word]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", nargs="+", type=Path)
    parser.add_argument("--try", dest="tries", action="append", default=[], metavar="FIELD=VALUE[,...]")
    parser.add_argument("--cache-dir", type=Path, default=Path("cache"))
    args = parser.parse_args()
    settings = [("defaults", Weights())]
    for spec in args.tries:
        changes = {k: float(v) for k, v in (part.split("=", 1) for part in spec.split(","))}
        settings.append((spec, dataclasses.replace(Weights(), **changes)))
    with Pipeline(Settings(cache_dir=args.cache_dir)) as pipeline:
        lookup = MemoLookup(pipeline.lookup)
        for path in args.gold:
            gold = evaluate.load_jsonl(path)
            articles, _ = pipeline.read([path])
            recognised = list(pipeline.recognizer.recognize(articles))
            for label, weights in settings:
                options = ResolveOptions(weights=weights)
                predicted = [formats.article_record(resolve_article(a, m, lookup, options)) for a, m in recognised]
                s = evaluate.score_corpus(gold, predicted)
                print(
                    f"{path.stem:<10} {label:<40} acc161={s.acc161_resolved:.3f} "
                    f"e2e={s.acc161_end_to_end:.3f} median={s.median_km:.1f} auc={s.auc:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    sys.exit(main())
