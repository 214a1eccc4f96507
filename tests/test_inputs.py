"""The input stage: every format, every bad input, the seeds' headers, ids, stdin, duplicates."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from geomap.errors import UsageError
from geomap.inputs import ReadOptions, content_hash, deduplicate, read_inputs
from geomap.models import Article, Skipped
from tests.conftest import SEEDS

BODY = (
    "Heavy rain pushed the river to a record level on Monday, flooding large parts of the old town. "
    "Rescue teams in boats moved through the streets, and officials said thousands had left their homes."
)


def read(*paths: str | Path, **options: object) -> list[Article | Skipped]:
    return list(read_inputs(list(paths), ReadOptions(**options)))  # type: ignore[arg-type]


def one(*paths: str | Path, **options: object) -> Article | Skipped:
    [item] = read(*paths, **options)
    return item


def article(*paths: str | Path, **options: object) -> Article:
    item = one(*paths, **options)
    assert isinstance(item, Article), item
    return item


def skipped_reason(path: Path, **options: object) -> str:
    item = one(path, **options)
    assert isinstance(item, Skipped), item
    assert item.source == str(path)
    return item.reason


# --- the seeds ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> dict[str, Article]:
    items = list(read_inputs([SEEDS]))
    assert all(isinstance(i, Article) for i in items)
    return {i.id: i for i in items}  # type: ignore[union-attr]


def test_seed_ids_and_sources_follow_the_folder(seeds: dict[str, Article]) -> None:
    names = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert [i for i in seeds if "#" not in i] == [Path(n).stem for n in names]
    for name in names:
        assert seeds[Path(name).stem].source == os.path.join(str(SEEDS), name)


def test_seed_section_word_then_title(seeds: dict[str, Article]) -> None:
    a = seeds["000_76bff767801916cc"]
    assert a.title == "Justice Served: Iranian Regime-Backed Assassination Plot Foiled in NYC"
    assert dict(a.extra)["section"] == "U.S."
    assert a.date is None and a.author is None


def test_seed_dateline_title_byline_and_comment_footer(seeds: dict[str, Article]) -> None:
    a = seeds["001_9c3ff687de347194"]
    assert a.title == "Iran Accused of Hiring Criminal Gangs for Overseas Assassination Plots"
    assert a.date == "2025-05-15"
    assert a.author == "Naomi Ellis"
    # The header stays in the text (offsets stay true); the comment widget does not.
    assert a.text.startswith("Thursday, May 15, 2025\n\nIran Accused")
    assert "By Naomi Ellis | Senior International Security Correspondent" in a.text
    assert a.text.endswith("how many more plots are already in motion?")
    assert "comment" not in a.text.lower()


def test_seed_related_articles_block_is_cut(seeds: dict[str, Article]) -> None:
    a = seeds["002_28f6da302d93ec49"]
    raw = (SEEDS / "002_28f6da302d93ec49.txt").read_text(encoding="utf-8")
    assert a.title == "Armenia's precarious position on Iran"
    assert a.text.startswith("Armenia's precarious position on Iran\n")
    for junk in (
        "Related Articles",
        "No comments yet",
        "Novaya Gazeta Europe",
        "Hashtags",
        "Try Our AI Features",
    ):
        assert junk in raw and junk not in a.text
    assert a.text.endswith("Donate by clicking on the button below.")
    # Everything up to the tag list above the "Comments" widget is kept, byte for byte.
    tags_line = raw.index("\nArmenia, Armenian foreign policy")
    assert a.text == raw[:tags_line].strip()


def test_seed_related_articles_become_articles_of_their_own(seeds: dict[str, Article]) -> None:
    related = [a for i, a in seeds.items() if i.startswith("002_28f6da302d93ec49#related-")]
    assert [a.site for a in related] == ["Novaya Gazeta Europe", "Novaya Gazeta Europe", "Balkan Insight"]
    first = related[0]
    assert first.title.startswith("The fog of war. Is there any basis to Russian claims")
    assert not first.title.endswith("Novaya Gazeta Europe")
    assert "Late last week, Vladimir Putin announced" in first.text
    assert "Novaya Gazeta Europe\n" not in first.text  # the widget lines are not article text
    assert related[2].date == "2025-07-15"
    for a in related:
        assert a.source == seeds["002_28f6da302d93ec49"].source


def test_related_block_of_bare_headlines_yields_no_articles(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(f"Storm Reaches the Coast\n\n{BODY}\n\nRelated Articles\n\nSnow in Oslo\nRain in Rome\n")
    items = list(read_inputs([f]))
    assert len(items) == 1 and isinstance(items[0], Article)
    assert "Oslo" not in items[0].text


def test_seed_date_only_header(seeds: dict[str, Article]) -> None:
    a = seeds["003_0a6289fc04a75e43"]
    assert a.title == "Iran’s alleged terror plot In Peru raises concerns of international security"
    assert a.date == "2024-07-13"
    assert a.text.endswith("the international community.")


def test_seed_text_is_the_file_text_normalised(seeds: dict[str, Article]) -> None:
    a = seeds["003_0a6289fc04a75e43"]
    raw = (SEEDS / "003_0a6289fc04a75e43.txt").read_text(encoding="utf-8")
    assert " ".join(a.text.split()) == " ".join(raw.split())
    assert "\n\n\n" not in a.text and a.text == a.text.strip()


# --- plain-text headers ---------------------------------------------------------------------------


def test_text_header_shapes(tmp_path: Path) -> None:
    f = tmp_path / "story.txt"
    f.write_text(f"World\n\nFloods Swamp the Old Town\nBy Ana Lima, Reuters\n15 March 2024\n\n{BODY}\n")
    a = article(f)
    assert (a.id, a.title, a.author, a.date) == (
        "story",
        "Floods Swamp the Old Town",
        "Ana Lima",
        "2024-03-15",
    )
    assert dict(a.extra)["section"] == "World"
    assert a.text.startswith("World\n\nFloods Swamp")


def test_text_without_header_has_no_title(tmp_path: Path) -> None:
    f = tmp_path / "plain.txt"
    f.write_text(BODY + "\n\nBy the end of the week the water had gone down.\n")
    a = article(f)
    assert (a.title, a.date, a.author) == ("", None, None)
    assert a.text == BODY + "\n\nBy the end of the week the water had gone down."


def test_ambiguous_numeric_dateline_is_not_guessed(tmp_path: Path) -> None:
    f = tmp_path / "d.txt"
    f.write_text(f"05/06/2024\n\nA Title With Words\n\n{BODY}")
    assert article(f).date is None
    f.write_text(f"25/06/2024\n\nA Title With Words\n\n{BODY}")
    assert article(f).date == "2024-06-25"


def test_comment_word_near_the_top_does_not_cut(tmp_path: Path) -> None:
    f = tmp_path / "c.txt"
    f.write_text(f"Comments\n\nReaders Write About the Floods\n\n{BODY}\n")
    assert article(f).text.endswith(BODY)


def test_trailing_comment_block_is_cut(tmp_path: Path) -> None:
    f = tmp_path / "c.txt"
    f.write_text(f"Floods in the Old Town\n\n{BODY}\n\nrain, floods, town\nShare\n3 Comments\nGreat piece!\n")
    assert article(f).text == f"Floods in the Old Town\n\n{BODY}"


# --- Markdown, HTML -------------------------------------------------------------------------------


def test_markdown_front_matter(tmp_path: Path) -> None:
    f = tmp_path / "note.md"
    f.write_text(
        "---\ntitle: Storm Reaches the Coast\nurl: https://news.example.org/storm\ndate: 2024-05-06\n"
        "source: Example News\nauthor: [Ana Lima, Rui Costa]\ntags: [weather, coast]\nrating: 4\n---\n"
        f"# Heading Not Used\n\nThe **storm** reached the [coast](https://example.org/c) today.\n\n{BODY}\n"
    )
    a = article(f)
    assert a.title == "Storm Reaches the Coast"
    assert (a.url, a.date, a.site, a.author) == (
        "https://news.example.org/storm",
        "2024-05-06",
        "Example News",
        "Ana Lima, Rui Costa",
    )
    assert dict(a.extra) == {"tags": "weather, coast", "rating": "4"}
    assert a.text.startswith("Heading Not Used\n\nThe storm reached the coast today.")
    assert "---" not in a.text and "https://" not in a.text


def test_markdown_related_block_is_cut(tmp_path: Path) -> None:
    f = tmp_path / "r.md"
    f.write_text(f"# Storm Reaches the Coast\n\n{BODY}\n\n## Related articles\n\n- [Snow in Oslo](/oslo)\n")
    assert article(f).text == f"Storm Reaches the Coast\n\n{BODY}"


def test_markdown_heading_is_the_title_without_front_matter(tmp_path: Path) -> None:
    f = tmp_path / "n.markdown"
    f.write_text(f"Intro line.\n\n# Storm Reaches the Coast\n\n{BODY}\n")
    a = article(f)
    assert a.title == "Storm Reaches the Coast"
    assert a.extra == ()


def test_markdown_with_broken_front_matter_keeps_the_body(tmp_path: Path) -> None:
    f = tmp_path / "b.md"
    f.write_text(f"---\ntitle: [unclosed\n---\n{BODY}\n")
    a = article(f)
    assert a.text == BODY and a.title == ""


def test_markdown_front_matter_only_is_skipped(tmp_path: Path) -> None:
    f = tmp_path / "empty.md"
    f.write_text("---\ntitle: Nothing Here\n---\n\n")
    assert skipped_reason(f) == "no article text"


NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Floods hit Porto Alegre as river bursts banks | The Daily Ledger</title>
<meta property="og:title" content="Floods hit Porto Alegre as river bursts banks">
<meta property="og:url" content="https://ledger.example.com/world/2024/05/06/floods-porto-alegre">
<meta property="og:site_name" content="The Daily Ledger">
<meta name="author" content="Maria Souza">
<meta property="article:published_time" content="2024-05-06T09:30:00Z">
<script>window.dataLayer = []; function track() { console.log("analytics ping sent"); }</script>
<style>.nav { color: red }</style>
</head><body>
<header><nav class="nav"><ul>
  <li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li>
  <li><a href="/subscribe">Subscribe to our newsletter today</a></li>
</ul></nav></header>
<div class="ad-banner">Advertisement: Buy cheap flights to Lisbon now!</div>
<main><article>
<h1>Floods hit Porto Alegre as river bursts banks</h1>
<p class="byline">By Maria Souza</p>
<p>Heavy rain over the past week pushed the Guaíba river to a record level on Monday, flooding large parts
of Porto Alegre, the capital of Rio Grande do Sul state in southern Brazil.</p>
<p>Rescue teams in boats moved through the streets of the city centre, where water reached the first floor
of many buildings. Officials said more than 80,000 people had left their homes.</p>
<p>The governor said the disaster was the worst in the state's history and asked the federal government in
Brasília for help with the reconstruction of roads and bridges.</p>
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Celebrity chef opens restaurant in Madrid</a></li></ul></aside>
<footer><p>© 2024 The Daily Ledger. All rights reserved. Contact our office in Geneva.</p>
<a href="/privacy">Privacy policy</a></footer>
<script>track();</script>
</body></html>
"""


def test_saved_news_page_keeps_only_the_article(tmp_path: Path) -> None:
    f = tmp_path / "floods.html"
    f.write_text(NEWS_PAGE, encoding="utf-8")
    a = article(f)
    assert a.id == "floods"
    assert "record level on Monday" in a.text
    assert "Brasília for help" in a.text
    for junk in (
        "Subscribe",
        "Home",
        "analytics",
        "Lisbon",
        "Madrid",
        "All rights reserved",
        "Geneva",
        "color",
    ):
        assert junk not in a.text
    assert a.title == "Floods hit Porto Alegre as river bursts banks"
    assert a.url == "https://ledger.example.com/world/2024/05/06/floods-porto-alegre"
    assert (a.date, a.author, a.site) == ("2024-05-06", "Maria Souza", "The Daily Ledger")


def test_page_without_article_text_is_skipped(tmp_path: Path) -> None:
    f = tmp_path / "empty.htm"
    f.write_text("<html><head><title>x</title><script>var a = 1;</script></head><body></body></html>")
    assert skipped_reason(f) == "no article text"


# --- records: JSON, JSON Lines, CSV ---------------------------------------------------------------


def test_json_list_of_records(tmp_path: Path) -> None:
    f = tmp_path / "batch.json"
    f.write_text(
        json.dumps(
            [
                {"id": "r1", "text": "Snow in Oslo.", "title": "Snow", "date": "March 3, 2021", "lang": "en"},
                {"text": "Rain in Bergen."},
                {"id": "r3"},
                {"id": "r4", "text": 42},
                {"id": "r5", "text": "   "},
                "not a record",
            ]
        )
    )
    items = read(f)
    first, second = items[:2]
    assert isinstance(first, Article) and isinstance(second, Article)
    assert (first.id, first.title, first.date, first.source, first.extra) == (
        "r1",
        "Snow",
        "2021-03-03",
        f"{f}:1",
        (("lang", "en"),),
    )
    assert (second.id, second.source) == ("batch:2", f"{f}:2")
    assert items[2:] == [
        Skipped(f"{f}:3", "no text (field 'text')"),
        Skipped(f"{f}:4", "field 'text' is not text"),
        Skipped(f"{f}:5", "empty text"),
        Skipped(f"{f}:6", "record is not an object"),
    ]


def test_json_articles_key_and_single_object(tmp_path: Path) -> None:
    wrapped = tmp_path / "w.json"
    wrapped.write_text(json.dumps({"articles": [{"id": "x", "text": "Fog in Lima."}]}))
    assert article(wrapped).id == "x"
    single = tmp_path / "s.json"
    single.write_text(json.dumps({"text": "Fog in Lima again.", "url": "https://e.org/f"}))
    a = article(single)
    assert (a.id, a.url, a.source) == ("s", "https://e.org/f", str(single))


def test_json_bad_documents(tmp_path: Path) -> None:
    f = tmp_path / "bad.json"
    f.write_text('{"text": "unclosed')
    assert skipped_reason(f).startswith("invalid JSON: ")
    f.write_text("3.5")
    assert skipped_reason(f) == "JSON is neither a record nor a list of records"
    f.write_text("[]")
    assert skipped_reason(f) == "no records"


def test_jsonl_broken_line_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    f = tmp_path / "feed.jsonl"
    f.write_text('{"id": "a", "text": "Storm in Nice."}\n{"id": "b", "text": \n\n{"text": "Hail in Lyon."}\n')
    a, bad, c = read(f)
    assert isinstance(a, Article) and a.id == "a" and a.source == f"{f}:1"
    assert isinstance(bad, Skipped) and bad.source == f"{f}:2" and bad.reason.startswith("invalid JSON: ")
    assert isinstance(c, Article) and (c.id, c.source) == ("feed:4", f"{f}:4")


def test_gold_eval_format_reads_with_meta_and_verbatim_text(tmp_path: Path) -> None:
    text = "  Flooding in Pandi,\r\nBulacan  "  # records are verbatim: gold offsets point into them
    record = {
        "id": "g-1",
        "source": "GeoVirus",
        "text": text,
        "meta": {"title": "Floods", "url": "https://en.wikinews.org/wiki/X", "date": "2009-03-31"},
        "toponyms": [{"start": 14, "end": 19, "name": "Pandi"}],
    }
    f = tmp_path / "gold.jsonl"
    f.write_text(json.dumps(record) + "\n")
    a = article(f)
    assert (a.id, a.text, a.title, a.url, a.date) == (
        "g-1",
        text,
        "Floods",
        record["meta"]["url"],
        "2009-03-31",
    )
    assert a.text[14:19] == "Pandi"
    assert a.site == "GeoVirus"


def test_top_level_fields_win_over_meta_and_field_names_are_configurable(tmp_path: Path) -> None:
    f = tmp_path / "custom.jsonl"
    row = {"key": "k9", "body": "Wind in Cork.", "headline": "Wind", "meta": {"headline": "Old"}, "link": "u"}
    f.write_text(json.dumps(row))
    a = article(f, text_field="body", title_field="headline", id_field="key", url_field="link")
    assert (a.id, a.text, a.title, a.url) == ("k9", "Wind in Cork.", "Wind", "u")


def test_csv_records(tmp_path: Path) -> None:
    f = tmp_path / "news.csv"
    with f.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text", "date", "section"])
        writer.writerow(["n1", "Quake", "A quake shook Izmir.\r\nBuildings fell.", "2020-10-30", "world"])
        writer.writerow(["", "No id", "Snow in Kyiv.", "", ""])
        writer.writerow(["n3", "No text", "", "", ""])
    a, b, c = read(f)
    assert isinstance(a, Article) and isinstance(b, Article)
    assert (a.id, a.title, a.text, a.date, a.extra) == (
        "n1",
        "Quake",
        "A quake shook Izmir.\nBuildings fell.",
        "2020-10-30",
        (("section", "world"),),
    )
    # The second record starts on line 4: the first one spans two lines.
    assert (b.id, b.source) == ("news:4", f"{f}:4")
    assert c == Skipped(f"{f}:5", "empty text")


def test_csv_without_the_text_column(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("id,body\n1,Rain in Baku.\n")
    assert skipped_reason(f) == "no 'text' column (its columns: 'id', 'body'; choose one with --text-field)"
    assert article(f, text_field="body").text == "Rain in Baku."


# --- unknown extensions, encodings, bad inputs ----------------------------------------------------


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    text_file = tmp_path / "story.log"
    text_file.write_text(f"Floods in the Old Town\n\n{BODY}")
    assert article(text_file).title == "Floods in the Old Town"
    records = tmp_path / "dump"
    records.write_text('{"id": "q", "text": "Hail in Graz."}\n{"id": "r", "text": "Sun in Split."}\n')
    assert [i.id for i in read(records)] == ["q", "r"]  # type: ignore[union-attr]
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4)
    assert skipped_reason(binary) == "image (JPEG), not a format geomap reads (text, Markdown, HTML, PDF, JSON, CSV)"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("latin-1", b""),
        ("cp1252", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
    ],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, bom: bytes) -> None:
    sample = "Café owners in São Paulo and Zürich said the façade was damaged."
    if encoding == "cp1252":
        sample += " “Terrible” — she said…"
    f = tmp_path / "enc.txt"
    f.write_bytes(bom + f"Title Of The Story\r\n\r\n{sample}\rEnd.".encode(encoding))
    a = article(f)
    assert a.text == f"Title Of The Story\n\n{sample}\nEnd."
    assert "\ufeff" not in a.text


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml word/document.xml", "Word document"),
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml xl/workbook.xml", "Excel workbook"),
        (b"PK\x03\x04\x14\x00\x00\x00mimetypeapplication/epub+zip", "EPUB e-book"),
        (b"PK\x03\x04\x14\x00\x00\x00data.bin", "ZIP archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "Word, Excel or PowerPoint document (old Office format)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image (PNG)"),
        (b"RIFF\x00\x10\x00\x00WEBPVP8 ", "image (WebP)"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00", "video or audio (MP4)"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip archive"),
    ],
)
def test_a_file_that_is_not_text_is_named_for_what_it_is(tmp_path: Path, head: bytes, what: str) -> None:
    odd = tmp_path / "report.dat"
    odd.write_bytes(head + bytes(range(256)) * 8)
    assert skipped_reason(odd) == f"{what}, not a format geomap reads (text, Markdown, HTML, PDF, JSON, CSV)"


def test_binary_empty_and_oversized(tmp_path: Path) -> None:
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"GIF89a\x00\x01\x02\x03 some text \x00\x00\x07")
    assert skipped_reason(binary).startswith("image (GIF), not a format geomap reads")
    unknown = tmp_path / "u.txt"
    unknown.write_bytes(b"\x00\x01\x02\x03 some text \x00\x00\x07")
    assert skipped_reason(unknown) == "binary file"
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    assert skipped_reason(empty) == "empty file"
    blank = tmp_path / "w.md"
    blank.write_text(" \n\t\r\n  ")
    assert skipped_reason(blank) == "empty file"
    big = tmp_path / "big.txt"
    big.write_text("word " * 50)
    assert skipped_reason(big, max_bytes=100) == "larger than 100 bytes"
    assert isinstance(one(big, max_bytes=250), Article)


def test_unreadable_file(tmp_path: Path) -> None:
    f = tmp_path / "secret.txt"
    f.write_text(BODY)
    f.chmod(0)
    try:
        if os.access(f, os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop reading")
        reason = skipped_reason(f)
    finally:
        f.chmod(0o644)
    assert reason.startswith("unreadable: ") and "ermission" in reason


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_read_error_is_unreadable() -> None:
    # A regular file whose read fails (EIO): the same path as a permission error, even as root.
    [item] = list(read_inputs(["/proc/self/mem"]))
    assert item == Skipped("/proc/self/mem", "unreadable: Input/output error")


def test_missing_path(tmp_path: Path) -> None:
    assert skipped_reason(tmp_path / "nope.txt") == "no such file"


def test_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert skipped_reason(fifo) == "not a regular file"


def test_max_bytes_must_be_positive() -> None:
    with pytest.raises(UsageError):
        ReadOptions(max_bytes=0)


# --- folders, ids ---------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "world" / "europe").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "b.txt").write_text("Story B about Lyon.")
    (root / "a.txt").write_text("Story A about Nice.")
    (root / "a.md").write_text("Story A, the Markdown one, about Metz.")
    (root / ".hidden.txt").write_text("Hidden story.")
    (root / ".git" / "config.txt").write_text("Not an article.")
    (root / "world" / "z.txt").write_text("Story Z about Oslo.")
    (root / "world" / "europe" / "draft_1.txt").write_text("Draft about Rome.")
    return root


def test_folder_is_walked_sorted_recursively_without_hidden_names(folder: Path) -> None:
    items = read(folder)
    assert [(i.id, i.source) for i in items] == [  # type: ignore[union-attr]
        ("a", os.path.join(str(folder), "a.md")),
        ("a-2", os.path.join(str(folder), "a.txt")),  # same id twice in one run: suffixed
        ("b", os.path.join(str(folder), "b.txt")),
        ("world/europe/draft_1", os.path.join(str(folder), "world", "europe", "draft_1.txt")),
        ("world/z", os.path.join(str(folder), "world", "z.txt")),
    ]


def test_include_and_exclude(folder: Path) -> None:
    ids = [i.id for i in read(folder, include=("*.txt",), exclude=("draft_*",))]  # type: ignore[union-attr]
    assert ids == ["a", "b", "world/z"]
    ids = [i.id for i in read(folder, include=("world/*",))]  # type: ignore[union-attr]
    assert ids == ["world/europe/draft_1", "world/z"]


def test_ids_unique_across_paths_and_records(tmp_path: Path, folder: Path) -> None:
    f = tmp_path / "dup.jsonl"
    f.write_text('{"id": "b", "text": "One."}\n{"id": "b", "text": "Two."}\n{"id": "b-2", "text": "Three."}\n')
    ids = [i.id for i in read(folder / "b.txt", f)]  # type: ignore[union-attr]
    assert ids == ["b", "b-2", "b-3", "b-2-2"]
    assert len(set(ids)) == len(ids)


# --- stdin ----------------------------------------------------------------------------------------


def test_stdin_text() -> None:
    [a] = list(read_inputs(["-"], stdin=io.StringIO(f"Floods in the Old Town\r\n\r\n{BODY}\r\n")))
    assert isinstance(a, Article)
    assert (a.id, a.source, a.title) == ("stdin", "stdin", "Floods in the Old Town")
    assert "\r" not in a.text


def test_stdin_jsonl_bytes() -> None:
    data = b'{"id": "s1", "text": "Rain in Baku."}\nnot json\n{"text": "Sun in Ganja."}\n'
    items = list(read_inputs(["-"], stdin=io.BytesIO(data)))
    assert [type(i).__name__ for i in items] == ["Article", "Skipped", "Article"]
    assert items[0].id == "s1"  # type: ignore[union-attr]
    assert items[1] == Skipped("stdin:2", items[1].reason)  # type: ignore[union-attr]
    assert (items[2].id, items[2].source) == ("stdin:3", "stdin:3")  # type: ignore[union-attr]


def test_stdin_latin1_bytes_and_empty() -> None:
    [a] = list(read_inputs(["-"], stdin=io.BytesIO("Café in Zürich.".encode("latin-1"))))
    assert isinstance(a, Article) and a.text == "Café in Zürich."
    assert list(read_inputs(["-"], stdin=io.BytesIO(b"  \n"))) == [Skipped("stdin", "empty file")]


# --- duplicates, hashes ---------------------------------------------------------------------------


def test_deduplicate_merges_syndicated_copies() -> None:
    a = Article(id="a", text="Rain in Baku.\nMore rain.", source="a.txt")
    b = Article(id="b", text="Other story.", source="b.txt")
    c = Article(id="c", text="Rain  in Baku. More\n\nrain. ", source="c.txt", also_sources=("c-copy.txt",))
    d = Article(id="d", text="Rain in Baku. More rain.", source="a.txt")
    assert deduplicate([a, b, c, d]) == [
        Article(id="a", text=a.text, source="a.txt", also_sources=("c.txt", "c-copy.txt")),
        b,
    ]


def test_deduplicate_from_files(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("Rain in Baku today.\n")
    (tmp_path / "y.txt").write_text("Rain   in Baku today.\r\n\r\n")
    [merged] = deduplicate(i for i in read(tmp_path) if isinstance(i, Article))
    assert merged.id == "x" and merged.also_sources == (str(tmp_path / "y.txt"),)


def test_content_hash_is_sha256_of_the_text() -> None:
    a = Article(id="a", text="Rain in Baku.", title="One")
    assert content_hash(a) == hashlib.sha256(b"Rain in Baku.").hexdigest()
    assert content_hash(Article(id="b", text="Rain in Baku.", title="Two")) == content_hash(a)
    assert content_hash(Article(id="a", text="Rain in Ganja.")) != content_hash(a)
    assert len(content_hash(Article(id="s", text="\ud800"))) == 64  # lone surrogate: hashed, not raised


# --- JSON Lines, streamed -------------------------------------------------------------------------


def test_a_json_lines_file_of_any_size_is_read_line_by_line(tmp_path: Path) -> None:
    f = tmp_path / "wire.jsonl"
    lines = [json.dumps({"id": f"w{i}", "text": f"Rain in Baku, day {i}."}) for i in range(300)]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = read(f, max_bytes=100)  # the file is ~12,000 bytes; every line is under 100
    assert [i.id for i in items if isinstance(i, Article)] == [f"w{i}" for i in range(300)]


def test_a_json_lines_line_over_the_limit_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    f = tmp_path / "wire.jsonl"
    big = json.dumps({"id": "big", "text": "Rain in Baku. " * 100})
    f.write_text("\n".join([json.dumps({"id": "a", "text": "Rain."}), big, json.dumps({"id": "b", "text": "Sun."})]))
    items = read(f, max_bytes=200)
    assert [(type(i).__name__, getattr(i, "id", None) or i.source) for i in items] == [
        ("Article", "a"),
        ("Skipped", f"{f}:2"),
        ("Article", "b"),
    ]
    assert items[1].reason == "line larger than 200 bytes"  # type: ignore[union-attr]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_json_lines_in_other_encodings(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "wire.jsonl"
    text = json.dumps({"id": "z", "text": "Café owners in Zürich."}, ensure_ascii=False)
    f.write_bytes((text + "\n" + json.dumps({"id": "y", "text": "Rain."}) + "\n").encode(encoding))
    items = read(f)
    assert [i.text for i in items if isinstance(i, Article)] == ["Café owners in Zürich.", "Rain."]


def test_a_binary_or_empty_json_lines_file_is_skipped(tmp_path: Path) -> None:
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"GIF89a\x00\x01\x02\x03 some text \x00\x00\x07")
    assert skipped_reason(binary).startswith("image (GIF), not a format geomap reads")
    empty = tmp_path / "e.jsonl"
    empty.write_text("\n \n")
    assert skipped_reason(empty) == "empty file"
