"""Saved web pages: the main text and metadata, by trafilatura, offline (the only trafilatura import).

A page is mostly navigation, ads and comments; trafilatura finds the article in it. Nothing is fetched here:
fetching pages is `geomap.fetch`'s, which hands their bytes to the same readers.
"""

from __future__ import annotations

from geomap.models import Article, Skipped
from geomap.readers.metadata import clean_surrogates, metadata_fields
from geomap.readers.text import normalize_text

# A saved page is read as it is: no extensive date search in the text, the publication date over updates.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def parse_html(html: str, *, source: str, article_id: str) -> Article | Skipped:
    """The main text of a saved web page (trafilatura, offline) plus its metadata."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        include_tables=True,
        date_extraction_params=_DATE_PARAMS,
    )
    text = normalize_text(clean_surrogates(str(getattr(document, "text", "") or "")))
    if not text:
        return Skipped(source, "no article text")
    meta = {
        key: getattr(document, key, None)
        for key in (
            "title",
            "url",
            "date",
            "author",
            "sitename",
            "description",
            "categories",
            "tags",
            "language",
        )
    }
    fields = metadata_fields(meta, title_keys=("title",), url_keys=("url",), date_keys=("date",))
    return Article(id=article_id, text=text, source=source, **fields)
