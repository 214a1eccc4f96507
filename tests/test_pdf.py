"""PDF reports: real PDFs made here with reportlab (a text report of several pages, one with only a picture,
one locked with a password, one locked only against editing, a damaged one) read through geomap's readers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas

from geomap.inputs import ReadOptions, read_inputs
from geomap.models import Article, Skipped
from tests.conftest import REPO

PAGES = [
    [
        "Water shortages spread across the region",
        "",
        "Officials in Yerevan said on Monday that reservoirs near the border with",
        "Georgia had fallen to their lowest level in a decade, and that inter-",
        "national donors had been asked for help with pumping stations.",
        "The ministry will report again in May.",
    ],
    [
        "In Syunik, farmers said the spring harvest was already lost. Aid lorries",
        "left Gyumri for the south on Tuesday, the Red Cross said.",
    ],
]


def _report(path: Path, pages: list[list[str]] = PAGES, *, encrypt: StandardEncryption | None = None) -> Path:
    canvas = Canvas(str(path), pagesize=A4, encrypt=encrypt, invariant=1)
    canvas.setTitle("Water shortages in Armenia")
    canvas.setAuthor("Caucasus Monitor")
    canvas.setCreator("test")
    canvas.setDateFormatter(lambda *_: "D:20260314120000+00'00'")
    for lines in pages:
        text = canvas.beginText(60, 780)
        text.setFont("Helvetica", 11)
        for line in lines:
            text.textLine(line)
        canvas.drawText(text)
        canvas.showPage()
    canvas.save()
    return path


def _scan(path: Path) -> Path:
    """A 'scanned' report: pages of shapes, no text layer."""
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(2):
        canvas.rect(60, 400, 400, 300, fill=1)
        canvas.showPage()
    canvas.save()
    return path


def _read(path: Path) -> list[Article | Skipped]:
    return list(read_inputs([path], ReadOptions()))


def test_a_text_pdf_is_an_article_with_its_metadata_and_page_numbers(tmp_path: Path) -> None:
    [article] = _read(_report(tmp_path / "report.pdf"))
    assert isinstance(article, Article), article
    assert article.title == "Water shortages in Armenia"
    assert article.author == "Caucasus Monitor"
    assert article.date is not None and article.date.startswith("20")
    assert article.id == "report" and article.source == str(tmp_path / "report.pdf")
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0] == "Water shortages spread across the region"
    # layout lines run on into sentences; a word hyphenated across lines is whole again
    assert (
        "Officials in Yerevan said on Monday that reservoirs near the border with Georgia had fallen to their "
        "lowest level in a decade, and that international donors had been asked for help with pumping stations."
    ) in article.text
    assert "[page 2]" in paragraphs and paragraphs.index("[page 2]") > 1
    assert article.text.index("Syunik") > article.text.index("[page 2]")
    assert dict(article.extra) == {"format": "pdf", "pages": "2"}


def test_a_pdf_without_a_file_extension_is_still_read(tmp_path: Path) -> None:
    path = _report(tmp_path / "report.pdf").rename(tmp_path / "download")
    [article] = _read(path)
    assert isinstance(article, Article) and "Gyumri" in article.text


def test_a_scanned_pdf_is_skipped_with_the_reason(tmp_path: Path) -> None:
    [item] = _read(_scan(tmp_path / "scan.pdf"))
    assert item == Skipped(
        str(tmp_path / "scan.pdf"), "PDF without a text layer (2 pages of images?): run OCR on it first"
    )


def test_a_pdf_that_needs_a_password_is_skipped_and_one_locked_only_against_editing_is_read(tmp_path: Path) -> None:
    locked = _report(tmp_path / "locked.pdf", encrypt=StandardEncryption("secret", ownerPassword="owner"))
    assert _read(locked) == [Skipped(str(locked), "encrypted PDF: it needs a password")]
    no_edit = _report(tmp_path / "no-edit.pdf", encrypt=StandardEncryption("", ownerPassword="owner", canModify=0))
    [article] = _read(no_edit)
    assert isinstance(article, Article) and "Yerevan" in article.text


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_pdf_is_skipped_as_unreadable(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "broken.pdf"
    whole = _report(tmp_path / "whole.pdf").read_bytes()
    path.write_bytes(whole[: len(whole) // 3] if damage == "truncated" else b"%PDF-1.4\n" + os.urandom(3000))
    [item] = _read(path)
    assert isinstance(item, Skipped)
    assert item.reason.startswith(("unreadable PDF", "PDF without a text layer")), item.reason


def test_places_in_a_pdf_are_mapped_with_offsets_into_its_text(tmp_path: Path, cache_dir: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    _report(folder / "report.pdf")
    _scan(folder / "scan.pdf")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "geomap", "parse", str(folder), "--cache-dir", str(cache_dir), "-j", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 3, run.stderr  # the scan was skipped
    assert f"skipped {folder / 'scan.pdf'}: PDF without a text layer" in run.stderr
    [record] = [json.loads(line) for line in run.stdout.splitlines()]
    [article] = _read(folder / "report.pdf")
    assert isinstance(article, Article)
    names = {m["text"]: m for m in record["mentions"]}
    assert {"Yerevan", "Georgia", "Syunik"} <= set(names)  # on both pages
    for mention in record["mentions"]:
        assert article.text[mention["start"] : mention["end"]] == mention["text"]
    assert names["Syunik"]["country_code"] == names["Yerevan"]["country_code"] == "AM"
    assert record["title"] == "Water shortages in Armenia"
    assert record["date"].startswith(str(datetime.now().year)[:2])
