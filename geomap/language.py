"""Which language an article is written in, and which installed spaCy model reads that language.

An English model tags German nouns as places and reads "Namen" as Namur: an article is read only by a model
of its own language. Detection is py3langid's (the only import of it), sentence by sentence over the first few
thousand characters, so its cost does not grow with the article; it decides only when most of the text agrees
and there is enough of it to judge (a tweet of a dozen words is read by the default model, as before).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

SAMPLE_CHARS = 5_000  # what detection reads of an article: enough to judge, bounded whatever the length
MIN_LETTERS = 80  # below this, detection is a guess: the article is read by the default model
MIN_CONFIDENCE = 0.9  # py3langid's normalised probability for the whole sample
MIN_SHARE = 0.6  # the share of the sample's letters in sentences judged to be in that same language
MIN_SENTENCE_LETTERS = 12  # shorter sentences are not judged alone
_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def detect(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when the text is too short or detection unsure.

    The sample must be judged to be in one language with confidence, and so must the sentences holding most
    of its letters, each judged alone: an English article that quotes a name in Cyrillic ("Mikhaylovka
    (Russian: Михайловка) is a town...") is English, though the quote tips a judgement of the whole towards
    Russian."""
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return None
    code, probability = _identifier().classify(sample)
    if probability < MIN_CONFIDENCE:
        return None
    agree = total = 0
    for sentence in _SENTENCE.finditer(sample):
        letters = len(_LETTER.findall(sentence.group()))
        if letters >= MIN_SENTENCE_LETTERS:
            total += letters
            agree += letters if _identifier().classify(sentence.group())[0] == code else 0
    return str(code) if total and agree >= MIN_SHARE * total else None


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_name(code: str) -> str:
    """'de' -> 'German' (CLDR's English name; the code itself when CLDR does not know it)."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(code).get_language_name("en") or code)
    except (UnknownLocaleError, ValueError):
        return code


def model_meta(model: str) -> dict[str, Any]:
    """A spaCy model's meta.json (name, lang, version...), read without loading the model: an installed package
    or a model folder (as spaCy's own `spacy.load` takes either); empty when there is no such model."""
    if Path(model).is_dir():
        folders = [model]
    else:
        try:
            spec = importlib.util.find_spec(model)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            return {}
        folders = list(spec.submodule_search_locations)
    for folder in folders:
        meta = Path(folder) / "meta.json"
        if meta.is_file():
            try:
                value = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def model_language(model: str) -> str:
    """The language a model reads ('en' for en_core_web_sm...), from its meta.json; '' when unknown."""
    return str(model_meta(model).get("lang", ""))
