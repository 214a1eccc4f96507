"""How the resolver weighs its evidence: one weight per feature of a candidate place, learned from gold data.

`scripts/train_resolver.py` fits the weights (a conditional logit: the softmax over a name's candidates of
the weighted sum of their features, maximising the likelihood of the right one) and writes them to
`geomap/data/resolver.json`, which `Model.shipped()` reads. A candidate's score is the weighted sum; scores
are log-odds, so the winner's share of a softmax over them is its confidence. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from geomap.errors import UsageError

DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED = DATA_DIR / "resolver.json"

# Every feature of a candidate place, in the order the weights file lists them; their meaning is documented
# where they are computed (`geomap.resolve`). "prior" is the place's prominence in log10(population) units.
FEATURES = (
    "prior", "names", "country_size", "region_size", "top", "lead", "alt_name", "other_reading_of_country",
    "is_country", "is_admin1", "is_admin2", "is_capital", "is_physical", "is_region",
    "qualified_elsewhere", "colocated", "same_kind", "list_country", "doc_country", "doc_admin1", "sentence_country",
    "sentence_admin1", "local_town", "contains", "country_share", "admin1_share", "proximity",
    "outranked_doc", "outranked_share", "outranked_near",
)  # fmt: skip

# The hand-set weights the resolver had before it learned them, in the prior's units (kept as the reference a
# learned model is compared with, and as the weights of the tests that pin the old behaviour down).
HAND = {
    "prior": 1.0, "alt_name": -2.0, "colocated": 4.0, "same_kind": 3.0, "doc_country": 2.0,
    "doc_admin1": 1.5, "contains": 1.5, "country_share": 2.5, "admin1_share": 2.0, "proximity": 2.0,
}  # fmt: skip


@dataclass(frozen=True)
class Model:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(HAND))
    # How many natural-log units one score unit is: ln(10) for the hand weights (which count in powers of
    # ten of population), 1 for learned weights (which are log-odds already).
    scale: float = math.log(10)
    # The user's --country counts as this many log10 units of prominence (a hundredfold population).
    bias_prior_units: float = 2.0
    source: str = "hand-set weights"

    def score(self, features: Mapping[str, float]) -> float:
        return sum(self.weights.get(name, 0.0) * value for name, value in features.items())

    @property
    def bias(self) -> float:
        """The --country bonus in score units."""
        return self.bias_prior_units * self.weights.get("prior", 1.0)

    @property
    def digest(self) -> str:
        text = json.dumps({"w": dict(sorted(self.weights.items())), "s": self.scale, "b": self.bias_prior_units})
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_json(self, **extra: object) -> str:
        data = {"weights": {name: self.weights.get(name, 0.0) for name in FEATURES}, "scale": self.scale, **extra}
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def load(cls, path: Path) -> Model:
        """A weights file as `scripts/train_resolver.py` writes it; UsageError if it is not one."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            scale = float(data.get("scale", 1.0))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise UsageError(f"cannot read resolver weights {path}: {err}") from err
        unknown = sorted(set(weights) - set(FEATURES))
        if unknown:
            raise UsageError(f"resolver weights {path} name unknown features: {', '.join(unknown)}")
        return cls(weights, scale, source=str(path))

    @staticmethod
    @cache
    def shipped() -> Model:
        """The weights shipped with geomap (the hand-set ones if the file is missing)."""
        return Model.load(SHIPPED) if SHIPPED.is_file() else Model()
