"""The reader view of one article: its text with every recognised place highlighted and linked to the map.
The page runs no script at all."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from geomap.models import ArticleResult, Place, Resolution
from geomap.render.assets import asset_text
from geomap.render.text import LOW_CONFIDENCE, article_title, esc, plural, safe_url, score_word, source_label


def reader_html(result: ArticleResult, *, map_href: str, low_confidence: float = LOW_CONFIDENCE) -> str:
    """A standalone page with the article's text, every recognised place highlighted.

    Resolved mentions link to `<map_href>#place=<id>`; the page runs no script at all (and says so
    with a Content-Security-Policy), so nothing from the article can execute.
    """
    article = result.article
    title = esc(article_title(article))
    url = safe_url(article.url)
    original = (
        f'<a class="gm-original" href="{esc(url)}" rel="noopener noreferrer">Original article ↗</a>' if url else ""
    )
    meta = " · ".join(esc(p) for p in (article.date or "", article.author or "", source_label(article)) if p)
    text = _highlighted(article.text, result.resolutions, map_href, low_confidence)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{asset_text('reader.css')}</style>\n</head>\n<body>\n"
        f'<nav class="gm-nav"><a class="gm-back" href="{esc(map_href)}">← Back to the map</a>'
        f"{original}</nav>\n"
        f'<article>\n<header><h1>{title}</h1><p class="gm-meta">{meta}</p></header>\n'
        f"{_places_summary(result, map_href)}\n"
        f'<div class="gm-text">{text}</div>\n</article>\n'
        '<footer class="gm-legend"><span class="gm-place">place on the map</span> '
        '<span class="gm-place gm-uncertain">uncertain match</span> '
        '<span class="gm-unresolved">recognised, not resolved</span></footer>\n</body>\n</html>\n'
    )


def _place_href(map_href: str, place: Place) -> str:
    return f"{esc(map_href)}#place={quote(place.id, safe='')}"


def _places_summary(result: ArticleResult, map_href: str) -> str:
    counts: dict[str, int] = {}
    places: dict[str, Place] = {}
    for res in sorted(result.resolved, key=lambda r: r.mention.start):
        assert res.place is not None
        places.setdefault(res.place.id, res.place)
        counts[res.place.id] = counts.get(res.place.id, 0) + 1
    links = "".join(
        f'<li><a href="{_place_href(map_href, places[pid])}">{esc(places[pid].label)}</a>'
        f"{f' ×{n}' if n > 1 else ''}</li>"
        for pid, n in counts.items()
    )
    unresolved = len(result.unresolved)
    note = f'<p class="gm-note">{plural(unresolved, "mention")} not resolved.</p>' if unresolved else ""
    heading = f"{plural(len(places), 'place')} on the map"
    return f'<section class="gm-places"><h2>{heading}</h2><ul>{links}</ul>{note}</section>'


def marked_resolutions(text: str, resolutions: Iterable[Resolution]) -> list[Resolution]:
    """Resolutions whose spans can be highlighted: inside the text, not overlapping, in text order.

    Of overlapping spans the earliest, then the longest, then a resolved one wins."""
    ordered = sorted(resolutions, key=lambda r: (r.mention.start, r.mention.start - r.mention.end, r.place is None))
    kept: list[Resolution] = []
    last_end = 0
    for res in ordered:
        start, end = res.mention.start, res.mention.end
        if last_end <= start < end <= len(text):
            kept.append(res)
            last_end = end
    return kept


def _highlighted(text: str, resolutions: Iterable[Resolution], map_href: str, low: float) -> str:
    out: list[str] = []
    pos = 0
    for res in marked_resolutions(text, resolutions):
        start, end = res.mention.start, res.mention.end
        out.append(esc(text[pos:start]))
        out.append(_mention_html(res, text[start:end], map_href, low))
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def _mention_html(res: Resolution, span: str, map_href: str, low: float) -> str:
    anchor = f'id="m-{res.mention.start}"'
    if res.place is None:
        why = f": {res.reason}" if res.reason else ""
        return f'<span class="gm-unresolved" {anchor} title="{esc("unresolved" + why)}">{esc(span)}</span>'
    hint = f"{res.place.label} ({res.place.feature})" if res.place.feature else res.place.label
    hint += f" — {score_word(res.score)}, score {res.score:.2f}"
    css = "gm-place"
    if res.score < low:
        css += " gm-uncertain"
    href = _place_href(map_href, res.place)
    return f'<a class="{css}" {anchor} href="{href}" title="{esc(hint)}">{esc(span)}</a>'
