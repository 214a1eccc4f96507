"""geomap.render, geomap.places, geomap.export: aggregation, popups, reader views, the written map (real
folium output) and its exports."""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from geomap.errors import GeomapError
from geomap.export import CSV_FIELDS, DEFAULT_ATTRIBUTION, write_csv, write_geojson
from geomap.models import Article, ArticleResult, Mention, Place, Resolution
from geomap.outputs import write_text_atomic
from geomap.places import aggregate
from geomap.render import MapOutput, write_map
from geomap.render.page import popup_data
from geomap.render.reader import marked_resolutions, reader_html
from geomap.render.text import iso_date, reader_filename, safe_url, sentence_html

# --- builders shared with test_browser.py ------------------------------------------------------

XSS_TITLE = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
XSS_TEXT = (
    'Protest in Lyon. <img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script> '
    "`${window.__pwned=1}` Crowds gathered near Paris."
)


def make_place(n: int, name: str, lat: float, lon: float, feature: str = "city", **kw: str) -> Place:
    return Place(id=f"gn:{n}", name=name, lat=lat, lon=lon, feature=feature, **kw)  # type: ignore[arg-type]


def _sentence(text: str, start: int) -> tuple[str, int]:
    begin = max(text.rfind(". ", 0, start) + 2, 0) if text.rfind(". ", 0, start) >= 0 else 0
    stop = text.find(". ", start)
    stop = len(text) if stop < 0 else stop + 1
    return text[begin:stop], begin


def make_result(
    article_id: str,
    text: str,
    spans: list[tuple[str, Place | None] | tuple[str, Place | None, float]],
    **article: object,
) -> ArticleResult:
    """An ArticleResult whose mentions are the given names, found left to right in `text`."""
    resolutions = []
    pos = 0
    for span in spans:
        name, place = span[0], span[1]
        score = span[2] if len(span) == 3 else 0.9  # type: ignore[misc]
        start = text.index(name, pos)
        pos = start + len(name)
        sentence, sentence_start = _sentence(text, start)
        mention = Mention(article_id, start, pos, name, sentence, sentence_start, "GPE")
        reason = "" if place else "no candidate"
        resolutions.append(Resolution(mention, place, score, reason=reason))
    return ArticleResult(Article(article_id, text, **article), tuple(resolutions))  # type: ignore[arg-type]


PARIS = make_place(1, "Paris", 48.8566, 2.3522, "capital", country="France", admin1="Île-de-France")
LYON = make_place(2, "Lyon", 45.764, 4.8357, "city", country="France", admin1="Auvergne-Rhône-Alpes")
FRANCE = make_place(3, "France", 46.0, 2.0, "country", country="France")
RHONE = make_place(4, "Rhône", 45.2, 4.75, "river", country="France")
SPRINGFIELD = make_place(5, "Springfield", 39.8017, -89.6437, "city", country="United States", admin1="Illinois")
# Two distinct places on exactly the same coordinate (the map must still show both).
TWIN_A = make_place(6, "Twin A", -33.9, 18.4, "city", country="South Africa")
TWIN_B = make_place(7, "Twin B", -33.9, 18.4, "admin2", country="South Africa")
ALL_PLACES = (PARIS, LYON, FRANCE, RHONE, SPRINGFIELD, TWIN_A, TWIN_B)
# The runner-up of the uncertain Springfield (not a point of the map).
SPRINGFIELD_MA = make_place(
    8, "Springfield", 42.1015, -72.5898, "city", country="United States", admin1="Massachusetts"
)
XSS_NAME = "<script>window.__pwned=1</script>"  # recognised in the hostile article, not placed


def with_alternatives(result: ArticleResult, name: str, *places: Place) -> ArticleResult:
    """The result with `places` as the runner-ups of the mention `name`."""
    resolutions = tuple(replace(r, alternatives=places) if r.mention.text == name else r for r in result.resolutions)
    return ArticleResult(result.article, resolutions)


def sample_results() -> list[ArticleResult]:
    return [
        make_result(
            "news/floods.txt",
            "Heavy rain hit Paris on Monday. Officials in France said the Rhône rose. Paris stayed calm.",
            [("Paris", PARIS), ("France", FRANCE), ("Rhône", RHONE), ("Paris", PARIS)],
            title="Floods in Paris",
            url="https://example.com/floods",
            date="2024-03-01",
            source="/home/someone/news/floods.txt",
        ),
        with_alternatives(
            make_result(
                "news/trade.txt",
                "Lyon and Paris signed a deal. Springfield sent a delegation. Atlantis did not.",
                [("Lyon", LYON), ("Paris", PARIS), ("Springfield", SPRINGFIELD, 0.3), ("Atlantis", None)],
                title="Trade deal",
                source="trade.txt",
            ),
            "Springfield",
            SPRINGFIELD_MA,
        ),
        make_result(
            "news/cape.txt",
            "Twin A and Twin B share a square.",
            [("Twin A", TWIN_A), ("Twin B", TWIN_B)],
            title="Twins",
            site="Example Times",
        ),
        make_result(
            "news/xss.txt",
            XSS_TEXT,
            [("Lyon", LYON), (XSS_NAME, None), ("Paris", PARIS)],
            title=XSS_TITLE,
            url="javascript:window.__pwned=1",
        ),
    ]


class TagCollector(HTMLParser):
    """Every start tag with its attributes, to check what markup a string really contains."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = TagCollector()
    parser.feed(markup)
    parser.close()
    return parser.tags


def point_of(place: Place, results: list[ArticleResult] | None = None):  # noqa: ANN201
    return next(p for p in aggregate(results or sample_results()) if p.place.id == place.id)


# --- aggregate ------------------------------------------------------------------------------------


def test_aggregate_one_point_per_place_with_counts() -> None:
    points = aggregate(sample_results())
    assert sorted(p.place.id for p in points) == sorted(p.id for p in ALL_PLACES)
    paris = point_of(PARIS)
    assert len(paris.articles) == 3 and paris.mentions == 4
    # most mentions first: floods mentions Paris twice
    assert paris.articles[0].article.id == "news/floods.txt"
    assert points[0].place.id == PARIS.id  # most articles first


def test_aggregate_ignores_unresolved_and_duplicate_articles() -> None:
    results = sample_results()
    dup = make_result("news/floods.txt", "Lyon only.", [("Lyon", LYON)])
    points = aggregate([*results, dup])
    lyon = next(p for p in points if p.place.id == LYON.id)
    assert [ref.article.id for ref in lyon.articles] == ["news/trade.txt", "news/xss.txt"]
    assert all(p.place is not None for p in points)
    assert aggregate([]) == []


# --- small helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.com/a?b=1&c=<2>", True),
        ("HTTP://EXAMPLE.COM/", True),
        ("javascript:alert(1)", False),
        (" JaVaScRiPt:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//example.com/x", False),
        ("/local/path", False),
        ("https:///nohost", False),
        ("https://exa mple.com", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_url(url: str | None, kept: bool) -> None:
    assert safe_url(url) == (url if kept else None)


def test_reader_filename_is_safe_and_unique() -> None:
    ids = ["a/b.txt", "a_b.txt", "A/B.txt", "../../etc/passwd", "", "日本語.txt", "con", "x" * 500]
    names = [reader_filename(i) for i in ids]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[a-z0-9-]+\.html", name), name
        assert len(name) < 80
    assert reader_filename("a/b.txt") == reader_filename("a/b.txt")


def test_sentence_html_marks_mention_and_escapes() -> None:
    text = "Crowds <b>near</b> Paris & beyond."
    result = make_result("x", text, [("Paris", PARIS)])
    out = sentence_html(result.resolutions[0])
    assert out == "Crowds &lt;b&gt;near&lt;/b&gt; <mark>Paris</mark> &amp; beyond."


def test_sentence_html_trims_long_sentences_around_the_mention() -> None:
    text = "word " * 200 + "Paris" + " tail" * 200
    res = make_result("x", text, [("Paris", PARIS)]).resolutions[0]
    out = sentence_html(res, context=40)
    assert out.startswith("…") and out.endswith("…") and "<mark>Paris</mark>" in out
    assert len(out) < 120


def test_sentence_html_falls_back_when_offsets_disagree() -> None:
    mention = Mention("x", 50, 55, "Paris", "We went to Paris.", 0, "GPE")  # wrong sentence_start
    assert "<mark>Paris</mark>" in sentence_html(Resolution(mention, PARIS, 0.9))
    missing = Mention("x", 0, 5, "Paris", "Nothing here <b>.", 0, "GPE")
    assert sentence_html(Resolution(missing, PARIS, 0.9)) == "Nothing here &lt;b&gt;."


# --- popups ---------------------------------------------------------------------------------------


def test_popup_rows_point_into_the_page_table_of_articles(written: tuple[MapOutput, str]) -> None:
    output, text = written
    data = data_of(text)
    paris = next(p for p in data["points"] if p["id"] == PARIS.id)
    assert (paris["name"], paris["f"], paris["sub"], paris["a"], paris["m"]) == (
        "Paris",
        "capital",
        "Île-de-France, France",
        3,
        4,
    )
    articles = [data["articles"][row[0]] for row in paris["refs"]]
    assert [a["i"] for a in articles] == ["news/floods.txt", "news/trade.txt", "news/xss.txt"]  # most mentions first
    floods, trade = articles[0], articles[1]
    assert paris["refs"][0][1:4] == [2, 15, 0.9]  # mentions, offset of the first, its score
    assert paris["refs"][0][4] == "Heavy rain hit <mark>Paris</mark> on Monday."
    assert floods["t"] == "Floods in Paris" and floods["u"] == "https://example.com/floods"
    assert floods["d"] == "2024-03-01" and floods["s"] == "floods.txt"  # a file name, never /home/someone
    assert floods["r"] == f"map_files/{reader_filename('news/floods.txt')}" and trade["u"] == ""
    twins = data["articles"][next(p for p in data["points"] if p["id"] == TWIN_A.id)["refs"][0][0]]
    assert twins["s"] == "Example Times"
    assert all((output.map_path.parent / a["r"]).is_file() for a in data["articles"])


def test_popup_rows_are_capped() -> None:
    results = [make_result(f"a{i}", f"Story {i} from Lyon.", [("Lyon", LYON)], title=f"T{i}") for i in range(14)]
    position = {r.article.id: i for i, r in enumerate(results)}
    rows = popup_data(aggregate(results)[0], position, max_articles=10)
    assert [row[0] for row in rows] == list(range(10))


def test_popup_rows_carry_score_written_name_and_runner_ups() -> None:
    result = make_result("u", "Springfield again.", [("Springfield", SPRINGFIELD, 0.2)])
    res = result.resolutions[0]
    other = make_place(99, "Springfield", 42.1, -72.6, "city", country="United States", admin1="Massachusetts")
    nowhere = make_place(98, "Springfield", math.nan, 0.0)
    mention = replace(res.mention, text="SPRINGFIELD")
    result = ArticleResult(result.article, (Resolution(mention, SPRINGFIELD, 0.2, alternatives=(other, nowhere)),))
    [row] = popup_data(aggregate([result])[0], {"u": 0})
    assert row[3] == 0.2 and row[6] == ["gn:99"]  # a runner-up without coordinates is not offered
    assert row[5] == ""  # written as the place's name (any case): nothing to add
    result = make_result("p", "Persia traded.", [("Persia", make_place(50, "Iran", 32.0, 53.0, "country"))])
    assert popup_data(aggregate([result])[0], {"p": 0})[0][5] == "Persia"


def test_popup_sentences_are_escaped_html(written: tuple[MapOutput, str]) -> None:
    data = data_of(written[1])
    lyon = next(p for p in data["points"] if p["id"] == LYON.id)
    for row in lyon["refs"]:
        assert {tag for tag, _ in tags_of(row[4])} <= {"mark"}
    assert any("&lt;img src=x" in row[4] for p in data["points"] for row in p["refs"])
    assert XSS_TITLE in [a["t"] for a in data["articles"]]  # plain text: the script puts it in with textContent
    xss = next(a for a in data["articles"] if a["t"] == XSS_TITLE)
    assert xss["u"] == ""  # the javascript: URL was dropped


def test_runner_ups_and_names_not_placed_in_the_page_data(tmp_path: Path) -> None:
    result = make_result(
        "u",
        "Springfield and Atlantis. Atlantis again.",
        [("Springfield", SPRINGFIELD, 0.3), ("Atlantis", None), ("Atlantis", None)],
    )
    other = make_place(99, "Springfield", 42.1, -72.6, "city", country="United States", admin1="Massachusetts")
    first = replace(result.resolutions[0], alternatives=(other,))
    result = ArticleResult(result.article, (first, *result.resolutions[1:]))
    more = make_result("v", "Atlantis rose.", [("Atlantis", None)], date="2020-01-01")
    data = data_of(write_map([result, more], tmp_path / "m.html").map_path.read_text(encoding="utf-8"))
    assert data["alts"] == {"gn:99": ["Springfield, Massachusetts, United States", "city", 42.1, -72.6]}
    [left] = data["left"]
    assert (left["n"], left["m"], left["r"]) == ("Atlantis", 3, "no candidate")
    ids = {data["articles"][i]["i"]: (start, n) for i, start, n in left["a"]}
    assert ids == {"u": (16, 2), "v": (0, 1)}  # each article once: its first mention and how many
    assert [w for _, w in data["scoreWords"]] == ["sure", "likely", "uncertain"]


# --- reader view ----------------------------------------------------------------------------------


def test_reader_view_highlights_links_and_marks_unresolved() -> None:
    result = sample_results()[1]
    page = reader_html(result, map_href="../map.html")
    tags = tags_of(page)
    place_links = [a for tag, a in tags if tag == "a" and "gm-place" in (a.get("class") or "")]
    assert [a["href"] for a in place_links] == [
        "../map.html#place=gn%3A2",
        "../map.html#place=gn%3A1",
        "../map.html#place=gn%3A5",
    ]
    assert "gm-uncertain" in (place_links[2].get("class") or "")
    unresolved = [a for tag, a in tags if tag == "span" and a.get("class") == "gm-unresolved" and "id" in a]
    assert len(unresolved) == 1 and (unresolved[0]["title"] or "").startswith("unresolved")
    assert 'id="m-0"' in page and ">Atlantis</span>" in page
    assert not any(tag == "script" for tag, _ in tags)
    assert "default-src 'none'" in page


def test_reader_view_escapes_text_and_title_and_drops_bad_url() -> None:
    page = reader_html(sample_results()[3], map_href="../map.html")
    tags = tags_of(page)
    assert not any(tag in ("script", "img") for tag, _ in tags)
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)
    assert "javascript:" not in page and "gm-original" not in page
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page


def test_reader_view_links_original_article() -> None:
    page = reader_html(sample_results()[0], map_href="../map.html")
    assert '<a class="gm-original" href="https://example.com/floods"' in page
    text = page[page.index('<div class="gm-text">') :]
    text = text[: text.index("</div>")]
    assert text.count('class="gm-place"') == 4


def test_marked_resolutions_skip_overlaps_and_out_of_range() -> None:
    text = "New York City is big."

    def res(start: int, end: int, place: Place | None) -> Resolution:
        return Resolution(Mention("x", start, end, text[start:end], text, 0, "GPE"), place, 0.9)

    york, nyc, city, bad = res(4, 8, None), res(0, 13, PARIS), res(9, 13, LYON), res(15, 99, LYON)
    empty = res(3, 3, LYON)
    assert marked_resolutions(text, [york, city, bad, nyc, empty]) == [nyc]
    same_span = [res(0, 8, None), res(0, 8, PARIS)]
    assert [r.place for r in marked_resolutions(text, same_span)] == [PARIS]


# --- the written map ------------------------------------------------------------------------------


def data_of(map_text: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'<script type="application/json" id="geomap-data">(.*?)</script>', map_text, re.S)
    assert match, "no data block"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[MapOutput, str]:
    out = tmp_path_factory.mktemp("render") / "out" / "map.html"
    output = write_map(sample_results(), out, title="Test <map>")
    return output, out.read_text(encoding="utf-8")


def test_write_map_outputs(written: tuple[MapOutput, str]) -> None:
    output, _ = written
    assert output.places == output.points == len(ALL_PLACES)
    assert output.map_path.is_file()
    assert len(output.article_paths) == 4
    for path in output.article_paths:
        assert path.parent == output.map_path.parent / "map_files" and path.is_file()
    leftovers = [p for p in output.map_path.parent.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_map_is_self_contained(written: tuple[MapOutput, str]) -> None:
    _, text = written
    assert not re.search(r"<script[^>]+src=", text) and not re.search(r"<link[^>]+href=", text)
    for dropped in ("jquery", "bootstrap", "awesome-markers", "font-awesome", "fontawesome"):
        assert dropped not in text.lower()
    assert "L.markerClusterGroup" in text and "Leaflet 1.9.3" in text
    assert "L.heatLayer(" in text and "simpleheat" in text  # folium's own copy of Leaflet.heat, inlined
    assert "url(images/" not in text and "data:image/png;base64," in text
    assert "sourceMappingURL" not in text
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in text
    basemap = re.search(r'id="geomap-basemap">(.*?)</script>', text, re.S)
    assert basemap and len(json.loads(basemap.group(1))["polygons"]) > 200  # offline country outlines


def test_map_data_and_attribution(written: tuple[MapOutput, str]) -> None:
    _, text = written
    data = data_of(text)
    assert {p["id"] for p in data["points"]} == {p.id for p in ALL_PLACES}
    assert data["attribution"] == DEFAULT_ATTRIBUTION
    assert "OpenStreetMap" in text
    assert "<title>Test &lt;map&gt;</title>" in text
    block = text[text.index('id="geomap-data">') :]
    block = block[: block.index("</script>")]
    assert "</" not in block and "<!" not in block  # nothing can close the data element early


def test_map_links_are_relative(tmp_path: Path, written: tuple[MapOutput, str]) -> None:
    output, text = written
    for page in output.article_paths:
        for tag, attrs in tags_of(page.read_text(encoding="utf-8")):
            href = attrs.get("href") or ""
            if tag == "a" and not href.startswith("https://example.com"):
                assert href.startswith("../map.html"), href
    for article in data_of(text)["articles"]:
        assert (output.map_path.parent / article["r"]).is_file(), article["r"]
    assert (output.map_path.parent / data_of(text)["outlines"]).is_file()


def test_map_named_differently_is_linked_back(tmp_path: Path) -> None:
    output = write_map(sample_results()[:1], tmp_path / "My Map.html")
    page = output.article_paths[0].read_text(encoding="utf-8")
    assert 'href="../My%20Map.html#place=gn%3A1"' in page


def test_write_map_is_byte_stable(tmp_path: Path) -> None:
    first = write_map(sample_results(), tmp_path / "a" / "map.html")
    second = write_map(sample_results(), tmp_path / "b" / "map.html")
    assert first.map_path.read_bytes() == second.map_path.read_bytes()
    for one, two in zip(first.article_paths, second.article_paths, strict=True):
        assert one.read_bytes() == two.read_bytes()


def test_cdn_mode_links_assets(tmp_path: Path) -> None:
    text = write_map(sample_results(), tmp_path / "map.html", cdn=True).map_path.read_text(encoding="utf-8")
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">' in text
    assert "leaflet.markercluster@1.4.1" in text and "Leaflet 1.9.3, a JS" not in text
    assert "jquery" not in text.lower() and "bootstrap" not in text.lower()


def test_undrawable_places_are_counted_but_not_drawn(tmp_path: Path) -> None:
    nowhere = make_place(50, "Nowhere", math.nan, 0.0)
    far = make_place(51, "Far", 95.0, 0.0)
    results = [make_result("n", "Nowhere and Far and Lyon.", [("Nowhere", nowhere), ("Far", far), ("Lyon", LYON)])]
    output = write_map(results, tmp_path / "map.html")
    assert (output.places, output.points) == (3, 1)
    assert [p["id"] for p in data_of(output.map_path.read_text(encoding="utf-8"))["points"]] == [LYON.id]


def test_empty_input_still_writes_a_map(tmp_path: Path) -> None:
    output = write_map([], tmp_path / "map.html")
    assert (output.places, output.points, output.article_paths) == (0, 0, ())
    text = output.map_path.read_text(encoding="utf-8")
    assert data_of(text)["points"] == []
    assert "L.heatLayer(" not in text


def test_a_folder_geomap_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    notes = tmp_path / "map_files" / "my-notes.docx"
    notes.parent.mkdir()
    notes.write_text("mine")
    with pytest.raises(GeomapError, match="holds files geomap did not write"):
        write_map(sample_results(), tmp_path / "map.html")
    assert notes.read_text() == "mine" and not (tmp_path / "map.html").exists()
    notes.unlink()  # an empty folder may be used
    first = write_map(sample_results(), tmp_path / "map.html")
    assert (tmp_path / "map_files" / ".geomap").is_file()
    again = write_map(sample_results()[:1], tmp_path / "map.html")  # geomap's own folder: replaced
    assert sorted(p.name for p in (tmp_path / "map_files").glob("*.html")) == [again.article_paths[0].name]
    assert len(first.article_paths) == 4
    with pytest.raises(GeomapError, match="it is a folder"):
        write_map(sample_results(), tmp_path / "map_files")


def test_atomic_write_replaces_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "f.html"
    target.write_text("old", encoding="utf-8")
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    blocker = tmp_path / "dir.html"
    (blocker / "child").mkdir(parents=True)
    with pytest.raises(OSError):
        write_text_atomic(blocker, "x")  # os.replace cannot overwrite a non-empty directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.html", "f.html"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01", "2024-03-01"),
        ("2024-03-01T10:00:00Z", "2024-03-01"),
        ("2024-03", "2024-03-01"),
        ("2024", "2024-01-01"),
        (" 2024-12-31 ", "2024-12-31"),
        ("2024-13-01", ""),
        ("20240301", ""),
        ("March 2024", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_iso_date(value: str | None, expected: str) -> None:
    assert iso_date(value) == expected


def test_filter_data_lists_articles_or_sources(tmp_path: Path) -> None:
    data = data_of(write_map(sample_results(), tmp_path / "a" / "map.html").map_path.read_text(encoding="utf-8"))
    assert data["groupMode"] == "article"
    assert data["groups"][0] == "Floods in Paris"  # dated first
    assert [a["d"] for a in data["articles"]] == ["2024-03-01", "", "", ""]
    paris = next(p for p in data["points"] if p["id"] == PARIS.id)
    assert sorted(data["groups"][data["articles"][i]["g"]] for i in paris["arts"]) == sorted(
        [XSS_TITLE, "Floods in Paris", "Trade deal"]
    )
    many = [
        make_result(f"n{i}", "Lyon.", [("Lyon", LYON)], source=f"/x/feed{i % 3}.jsonl:{i}", site="S" if i == 0 else "")
        for i in range(40)
    ]
    data = data_of(write_map(many, tmp_path / "b" / "map.html").map_path.read_text(encoding="utf-8"))
    assert data["groupMode"] == "source"
    assert data["groups"] == ["feed0.jsonl", "feed1.jsonl", "feed2.jsonl", "S"]
    assert len(data["articles"]) == 40


# --- exports --------------------------------------------------------------------------------------


def test_write_geojson_one_feature_per_drawable_place(tmp_path: Path) -> None:
    nowhere = make_place(50, "Nowhere", math.nan, 0.0)
    results = [*sample_results(), make_result("n", "Nowhere.", [("Nowhere", nowhere)])]
    path = tmp_path / "places.geojson"
    assert write_geojson(results, path) == len(ALL_PLACES)
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in collection["features"]}
    assert set(by_id) == {p.id for p in ALL_PLACES}
    paris = by_id[PARIS.id]
    assert paris["geometry"] == {"type": "Point", "coordinates": [PARIS.lon, PARIS.lat]}
    props = paris["properties"]
    assert (props["name"], props["articles"], props["mentions"]) == ("Paris", 3, 4)
    first = props["article_list"][0]
    mention_list = first.pop("mention_list")
    assert first == {
        "id": "news/floods.txt",
        "title": "Floods in Paris",
        "url": "https://example.com/floods",
        "date": "2024-03-01",
        "mentions": 2,
    }
    assert len(mention_list) == 2
    for m in mention_list:
        assert m["text"] == "Paris" and m["end"] - m["start"] == len("Paris")
        assert "Paris" in m["sentence"]


def test_write_csv_one_row_per_mention(tmp_path: Path) -> None:
    path = tmp_path / "mentions.csv"
    results = sample_results()
    formula = make_result("f", "=HYPERLINK(1) Lyon", [("Lyon", LYON)], title="=cmd|' /C calc'!A0")
    count = write_csv([*results, formula], path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert count == len(rows) == sum(len(r.resolutions) for r in results) + 1
    assert list(rows[0]) == list(CSV_FIELDS)  # the layout of `geomap parse --format csv`
    first = rows[0]
    assert (first["article_id"], first["text"], first["start"], first["place_id"]) == (
        "news/floods.txt",
        "Paris",
        "15",
        PARIS.id,
    )
    assert float(first["lat"]) == PARIS.lat and first["score"] == "0.9"
    atlantis = next(r for r in rows if r["text"] == "Atlantis")
    assert atlantis["place_id"] == "" and atlantis["lat"] == "" and atlantis["reason"] == "no candidate"
    assert rows[-1]["title"] == "'=cmd|' /C calc'!A0"
    assert rows[-1]["sentence"].startswith("'=HYPERLINK")
    xss = next(r for r in rows if r["article_id"] == "news/xss.txt")
    assert xss["title"] == XSS_TITLE  # CSV is data, not HTML: kept verbatim


def test_map_title_is_escaped(tmp_path: Path) -> None:
    text = write_map(sample_results()[:1], tmp_path / "map.html", title=XSS_TITLE).map_path.read_text(encoding="utf-8")
    assert "<title>&lt;/script&gt;&lt;script&gt;window.__pwned=1" in text
    assert XSS_TITLE not in text and data_of(text)["title"] == XSS_TITLE
