"""Bad input, re-runs, concurrent runs, damaged caches, Ctrl-C and failed writes: real files, real processes.

The issue's "done when": a folder mixing the seeds with broken inputs maps every good article, names every
bad one, and keeps a saved news page's navigation and footer off the map. Gazetteer damage (garbage, half
built, killed builds) is covered in test_gazetteer.py; only truncation is added here.
"""

from __future__ import annotations

import json
import os
import pty
import random
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import Result

from geomap.cache import CACHE_FILENAME
from geomap.gazetteer import DEFAULT_FILENAME as GAZETTEER_FILENAME
from geomap.gazetteer import Gazetteer
from geomap.inputs import deduplicate, read_inputs
from geomap.models import Article
from geomap.pipeline import Pipeline, Settings
from geomap.places import aggregate
from geomap.render.text import reader_filename
from tests.conftest import SEEDS, interruptible
from tests.helpers import invoke

SUMMARY = re.compile(r"^(\d+) articles read, (\d+) skipped, (\d+) places, (\d+) mentions, (\d+) unresolved")

# A saved news page: its edition links, "most read" box and footer name places the article never mentions.
NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Heatwave grips Seville as temperatures pass 44C | The Morning Courier</title>
<meta property="og:title" content="Heatwave grips Seville as temperatures pass 44C">
<meta property="og:url" content="https://courier.example.com/europe/2024/07/18/seville-heatwave">
<meta property="og:site_name" content="The Morning Courier">
<meta name="author" content="Lucia Romero">
<meta property="article:published_time" content="2024-07-18T07:00:00Z">
<script>var editions = ["Paris", "Tokyo", "Sydney"]; function ping() {}</script>
</head><body>
<header>
 <div class="editions">Editions:
   <a href="/fr">Paris</a> | <a href="/jp">Tokyo</a> | <a href="/au">Sydney</a></div>
 <nav><ul><li><a href="/">Home</a></li><li><a href="/europe">Europe</a></li>
 <li><a href="/climate">Climate</a></li></ul></nav>
</header>
<main><article>
<h1>Heatwave grips Seville as temperatures pass 44C</h1>
<p class="byline">By Lucia Romero</p>
<p>Temperatures in Seville climbed above 44C on Wednesday afternoon, the highest reading in the Andalusian
city this summer, as a dome of hot air settled over southern Spain.</p>
<p>Hospitals in the city reported a rise in heatstroke cases, and the regional government asked outdoor
workers to stop work between noon and six in the evening. Tourists sheltered in the shade of the cathedral
while fountains ran dry.</p>
<p>Forecasters expect the heat to move north towards Madrid at the weekend before a band of storms brings
relief early next week.</p>
</article></main>
<aside><h3>Most read</h3>
<ul><li><a href="/x">Ferry strike strands travellers in Helsinki</a></li></ul></aside>
<footer><p>Offices in Paris, Tokyo and Sydney. &copy; 2024 The Morning Courier.</p>
<a href="/privacy">Privacy</a></footer>
</body></html>
"""
CHROME_PLACES = {"Paris", "Tokyo", "Sydney", "Helsinki"}  # only in the page's chrome

LATIN1_ARTICLE = """Protests spread across Colombia

By Ana María Peña

Thousands of students marched through the centre of Bogotá on Thursday against cuts to university budgets,
the third such march this month. Organisers promised further rallies in Cali next week, and students in
São Paulo, Brazil, held a vigil in solidarity.
"""

WIRE_JSONL = (
    '{"id": "wire-1", "text": "Fishermen in Valparaiso, Chile, protested on Friday against new quotas."}\n'
    '{"id": "wire-2", "text": "this line was cut off by the export tool\n'
    '{"id": "wire-3", "text": "The port of Rotterdam in the Netherlands reopened after the storm."}\n'
)

SMALL = [SEEDS / "003_0a6289fc04a75e43.txt", SEEDS / "000_76bff767801916cc.txt"]  # two short seeds
NEW_ARTICLE = "Flooding closed roads across Kenya on Monday, and officials in Nairobi opened shelters.\n"


# ------------------------------------------------------------------------------------------ helpers


def _cache_with_gazetteer(gazetteer_dir: Path, target: Path) -> Path:
    """A cache dir reading the session's gazetteer (a link to it, as conftest's `cache_dir`) and no cached answers."""
    target.mkdir(parents=True)
    (target / GAZETTEER_FILENAME).symlink_to(gazetteer_dir / GAZETTEER_FILENAME)
    return target


def _copy_seeds(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
        (folder / seed.name).chmod(0o644)
    return folder


def _geomap(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "geomap", *map(str, args)]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "GEOMAP_CACHE_DIR"}


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_geomap(*args), capture_output=True, text=True, env=_env(), timeout=300)


def _start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(_geomap(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def _map_data(path: Path) -> dict:
    found = re.search(r'<script type="application/json" id="geomap-data">(.*?)</script>', path.read_text(), re.S)
    assert found, f"{path} has no embedded data"
    return json.loads(found.group(1))


def _mapped_readers(data: dict) -> set[str]:
    """Reader-view files the map's popups link to: one per article on the map."""
    return {data["articles"][i]["r"].removeprefix("map_files/") for p in data["points"] for i in p["arts"]}


def _complete_map(path: Path) -> bool:
    return path.read_text().rstrip().endswith("</html>") and bool(_map_data(path)["points"])


def _integrity(cache: Path) -> str:
    conn = sqlite3.connect(cache / CACHE_FILENAME)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _cached_articles(cache: Path) -> int:
    conn = sqlite3.connect(f"file:{cache / CACHE_FILENAME}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        conn.close()


def _articles_in(folder: Path) -> list[Article]:
    return deduplicate(item for item in read_inputs([folder]) if isinstance(item, Article))


# ------------------------------------------------------------------ the mixed folder


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _copy_seeds(tmp_path_factory.mktemp("mixed") / "inbox")
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + random.Random(0).randbytes(4096)
    (folder / "photo.jpg").write_bytes(photo)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "colombia-protests.txt").write_bytes(LATIN1_ARTICLE.encode("latin-1"))
    (folder / "wire.jsonl").write_text(WIRE_JSONL, encoding="utf-8")
    (folder / "courier-seville.html").write_text(NEWS_PAGE, encoding="utf-8")
    (folder / "consent-wall.html").write_text(
        "<html><head><title>Before you continue</title><script>showConsent()</script></head><body></body></html>"
    )
    (folder / "archive-dump.txt").write_text("Rain in Baku again. " * 20_000)  # over --max-bytes below
    return folder


BAD = {  # file name (":line" for a record) -> the reason stderr must give
    "photo.jpg": "image (JPEG), not a format geomap reads",
    "empty.txt": "empty file",
    "wire.jsonl:2": "invalid JSON",
    "consent-wall.html": "no article text",
    "archive-dump.txt": "larger than 200000 bytes",
}
GOOD_IDS = [s.stem for s in sorted(SEEDS.glob("*.txt"))] + [
    "colombia-protests",
    "courier-seville",
    "wire-1",
    "wire-3",
]
MixedRun = tuple[Result, Path, Path]  # the CLI result, the map written, the cache dir


@pytest.fixture(scope="module")
def mixed_map(mixed: Path, gazetteer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> MixedRun:
    root = tmp_path_factory.mktemp("mixed-run")
    cache = _cache_with_gazetteer(gazetteer_dir, root / "cache")
    out = root / "out" / "map.html"
    result = invoke("map", mixed, "-o", out, "--cache-dir", cache, "--max-bytes", "200000")
    return result, out, cache


def test_mixed_folder_exits_3_and_names_every_bad_input(mixed: Path, mixed_map: MixedRun) -> None:
    result, out, _ = mixed_map
    assert result.exit_code == 3, result.stderr
    lines = result.stderr.splitlines()
    for name, reason in BAD.items():
        assert any(line.startswith(f"skipped {mixed / name}: {reason}") for line in lines), (name, lines)
    assert sum(line.startswith("skipped ") for line in lines) == len(BAD)
    assert "Traceback" not in result.output and result.stdout == ""
    [summary] = [m for m in map(SUMMARY.match, lines) if m]
    assert int(summary.group(2)) == len(BAD)
    assert int(summary.group(1)) == len(list((out.parent / "map_files").glob("*.html")))


def test_mixed_folder_maps_every_good_article(mixed_map: MixedRun) -> None:
    _, out, _ = mixed_map
    on_map = _mapped_readers(_map_data(out))
    for article_id in GOOD_IDS:
        assert reader_filename(article_id) in on_map, article_id
    # ...and so is every other article read (the seeds' "Related" entries): each has a page and a place.
    assert on_map == {page.name for page in (out.parent / "map_files").glob("*.html")}
    # The Latin-1 file was decoded as Latin-1 (a wrong code page would garble these letters).
    reader = (out.parent / "map_files" / reader_filename("colombia-protests")).read_text()
    assert "Bogotá" in reader and "São Paulo" in reader


def test_news_page_chrome_stays_off_the_map(mixed_map: MixedRun) -> None:
    _, out, _ = mixed_map
    data = _map_data(out)
    names = {p["name"] for p in data["points"]}
    assert not names & CHROME_PLACES
    seville = [p for p in data["points"] if p["name"] == "Seville"]
    assert seville and reader_filename("courier-seville") in {
        data["articles"][i]["r"].removeprefix("map_files/") for i in seville[0]["arts"]
    }


def test_strict_turns_a_skip_into_an_error(mixed: Path, mixed_map: MixedRun, tmp_path: Path) -> None:
    _, _, cache = mixed_map
    out = tmp_path / "strict" / "map.html"
    result = invoke("map", mixed, "-o", out, "--cache-dir", cache, "--max-bytes", "200000", "--strict")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: {len(BAD)} input(s) skipped and --strict given"
    assert f"skipped {mixed / 'photo.jpg'}: image (JPEG), not a format geomap reads" in result.stderr
    assert not out.exists()


def test_nothing_usable_exits_1(mixed: Path, mixed_map: MixedRun, tmp_path: Path) -> None:
    _, _, cache = mixed_map
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("photo.jpg", "empty.txt", "consent-wall.html"):
        shutil.copy(mixed / name, bad / name)
    (bad / "wire.jsonl").write_text('{"id": "x", "text": \n', encoding="utf-8")
    result = invoke("parse", bad, "--cache-dir", cache)
    assert result.exit_code == 1
    assert result.stdout == ""
    for name in ("photo.jpg", "empty.txt", "consent-wall.html", "wire.jsonl:1"):
        assert f"skipped {bad / name}: " in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: no article could be read")


# ------------------------------------------------------------------------------ incremental runs


def test_rerun_processes_only_the_new_file(cache_dir: Path, tmp_path: Path) -> None:
    folder = _copy_seeds(tmp_path / "inbox")
    with Pipeline(Settings(cache_dir=cache_dir)) as first:
        before = first.run([folder])
    n = len(before.articles)
    assert first.stats == {"processed": n, "reused": 0, "duplicates": 0}
    (folder / "zz-kenya-floods.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    with Pipeline(Settings(cache_dir=cache_dir)) as second:
        after = second.run([folder])
    assert second.stats == {"processed": 1, "reused": n, "duplicates": 0}
    ids = [r.article.id for r in after.articles]
    assert ids == [r.article.id for r in before.articles] + ["zz-kenya-floods"]
    assert [r.resolutions for r in after.articles[:n]] == [r.resolutions for r in before.articles]
    on_map = {ref.article.id for point in aggregate(after.articles) for ref in point.articles}
    assert on_map == set(ids)


def test_syndicated_copy_is_one_article_with_both_sources(cache_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "wire").mkdir(parents=True)
    text = SMALL[0].read_text(encoding="utf-8")
    (folder / "ledger.txt").write_text(text, encoding="utf-8")
    (folder / "wire" / "copy.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))  # other line ends
    result = invoke("parse", folder, "--cache-dir", cache_dir, "-q")
    assert result.exit_code == 0, result.stderr
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["source"] == str(folder / "ledger.txt")
    assert record["also_sources"] == [str(folder / "wire" / "copy.txt")]


@pytest.mark.parametrize("change", [{"countries": ("US",)}, {"demonyms": True}], ids=["country", "demonyms"])
def test_changed_options_invalidate_cached_results(cache_dir: Path, change: dict) -> None:
    with Pipeline(Settings(cache_dir=cache_dir)) as plain:
        n = len(plain.run(SMALL).articles)
    with Pipeline(Settings(cache_dir=cache_dir, **change)) as changed:
        changed.run(SMALL)
        assert changed.stats == {"processed": n, "reused": 0, "duplicates": 0}
    with Pipeline(Settings(cache_dir=cache_dir)) as again:  # the first settings' results are still there
        again.run(SMALL)
        assert again.stats == {"processed": 0, "reused": n, "duplicates": 0}


def test_changed_gazetteer_invalidates_cached_results(writable_cache_dir: Path, tmp_path: Path) -> None:
    with Pipeline(Settings(cache_dir=writable_cache_dir)) as first:
        n = len(first.run(SMALL).articles)
    dump = tmp_path / "AM.txt"  # one GeoNames row (19 columns), as a user importing a country file would add
    columns = ["99000001", "Zorblatt", "Zorblatt", "", "39.51", "46.34", "P", "PPL", "AM", "", "08"]
    columns += ["", "", "", "1200", "", "1500", "Asia/Yerevan", "2024-01-01"]
    dump.write_text("\t".join(columns) + "\n")
    with Gazetteer.open(writable_cache_dir) as gazetteer:
        gazetteer.import_geonames([dump])
    with Pipeline(Settings(cache_dir=writable_cache_dir)) as second:
        second.run(SMALL)
        assert second.stats == {"processed": n, "reused": 0, "duplicates": 0}


# ----------------------------------------------------------------------------- concurrent runs


@pytest.fixture(scope="module")
def eval_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 distinct articles made of the seeds' paragraphs, one .txt file each: a run of some seconds.

    Made from the repository's own seeds so the tests need nothing outside it. More articles would only make
    the runs longer: the progress bar (which needs the total) shows once all the input is read, the last few
    batches before the end, with 300 articles as with 100.
    """
    folder = tmp_path_factory.mktemp("generated-articles") / "articles"
    folder.mkdir()
    paragraphs = [
        line.strip()
        for seed in sorted(SEEDS.glob("*.txt"))
        for line in seed.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) >= 200
    ]
    assert len(paragraphs) >= 10
    for i in range(100):
        body = "\n\n".join(paragraphs[(i * 7 + k) % len(paragraphs)] for k in range(3))
        (folder / f"article-{i}.txt").write_text(f"Report number {i}\n\n{body}\n", encoding="utf-8")
    return folder


def _together(*commands: Sequence[str | Path]) -> list[tuple[int, str, str]]:
    procs = [_start(*command) for command in commands]
    outputs = [p.communicate(timeout=300) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]


def test_two_runs_share_one_cache(eval_folder: Path, gazetteer_dir: Path, tmp_path: Path) -> None:
    cache = _cache_with_gazetteer(gazetteer_dir, tmp_path / "cache")
    subset = ("--include", "article-1?.txt", "--include", "article-2?.txt")  # 20 articles, none cached yet
    args = ("parse", eval_folder, *subset, "--cache-dir", cache, "-v")
    (rc1, out1, err1), (rc2, out2, err2) = _together(args, args)
    assert (rc1, rc2) == (0, 0), (err1, err2)
    assert out1 == out2 and len(out1.splitlines()) == 20
    assert _integrity(cache) == "ok"
    assert _cached_articles(cache) == 20
    warm = _run(*args)  # what both wrote is what a later run reads back
    assert warm.returncode == 0 and warm.stdout == out1
    assert "0 articles processed, 20 reused from the cache" in warm.stderr
    # Their stderr is a pipe: logs, but no progress bar.
    assert "\r" not in err1 + err2 and "ETA" not in err1 + err2


def test_two_first_runs_build_the_gazetteer_once(tmp_path: Path) -> None:
    cache = tmp_path / "cache"  # nothing there yet: both runs want the gazetteer at once
    args = ("parse", SEEDS, "--cache-dir", cache, "-v")
    (rc1, out1, err1), (rc2, out2, err2) = _together(args, args)
    assert (rc1, rc2) == (0, 0), (err1[-2000:], err2[-2000:])
    assert out1 == out2 and '"country_code": "AM"' in out1
    builds = [line for line in (err1 + err2).splitlines() if re.search(r"gazetteer: built .* in [\d.]+ s", line)]
    assert len(builds) == 1, builds  # the build lock made the second run wait, then open the first's file
    assert (cache / GAZETTEER_FILENAME).is_file() and _integrity(cache) == "ok"
    assert not list(cache.glob(f".{GAZETTEER_FILENAME}.*.tmp"))


# ------------------------------------------------------------------------------- damaged files


@pytest.fixture(scope="module")
def clean_cache(gazetteer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A cache dir after one clean `parse` of two seeds, and that run's stdout."""
    cache = _cache_with_gazetteer(gazetteer_dir, tmp_path_factory.mktemp("clean") / "cache")
    result = _run("parse", *SMALL, "--cache-dir", cache, "-q")
    assert result.returncode == 0, result.stderr
    return cache, result.stdout


def _garble(path: Path, how: str) -> bytes:
    data = path.read_bytes()
    noise = random.Random(how).randbytes(len(data))
    if how == "garbage":
        damaged = noise
    elif how == "garbage-inside":  # header intact, the b-tree pages behind it overwritten
        half = len(data) // 2
        damaged = data[:4096] + noise[4096 : 4096 + half] + data[4096 + half :]
    else:  # "truncated": a copy or a disk that gave out half way
        damaged = data[: len(data) // 2]
    path.write_bytes(damaged)
    return damaged


@pytest.mark.parametrize("how", ["garbage", "garbage-inside", "truncated"])
def test_corrupt_cache_is_set_aside_and_rebuilt(clean_cache: tuple[Path, str], tmp_path: Path, how: str) -> None:
    source, clean_stdout = clean_cache
    cache = tmp_path / "cache"
    shutil.copytree(source, cache, symlinks=True)  # the gazetteer stays a link to the session's
    damaged = _garble(cache / CACHE_FILENAME, how)
    result = _run("parse", *SMALL, "--cache-dir", cache)
    assert result.returncode == 0, result.stderr
    assert result.stdout == clean_stdout
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("WARNING:")]
    assert "corrupt" in warning and "moved it to" in warning
    [aside] = cache.glob(f"{CACHE_FILENAME}.corrupt-*")
    assert str(aside) in warning
    assert aside.read_bytes() == damaged  # kept for inspection, not deleted
    assert _integrity(cache) == "ok"
    assert _cached_articles(cache) == len(clean_stdout.splitlines())


def test_cache_path_taken_by_a_folder_is_an_error_not_damage(cache_dir: Path) -> None:
    taken = cache_dir / CACHE_FILENAME
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    result = invoke("parse", SMALL[0], "--cache-dir", cache_dir)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"Error: cannot open the cache {taken}: ")
    assert (taken / "notes.txt").read_text() == "mine"  # not "set aside" as if it were a damaged file
    assert not list(cache_dir.glob("*.corrupt-*"))


def test_truncated_gazetteer_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.test_gazetteer import make_sources

    sources = make_sources(tmp_path / "inputs")
    cache = tmp_path / "cache"
    Gazetteer.open(cache, sources=sources).close()
    path = cache / GAZETTEER_FILENAME
    os.truncate(path, path.stat().st_size // 2)
    with caplog.at_level("WARNING", logger="geomap.gazetteer"), Gazetteer.open(cache, sources=sources) as gaz:
        assert [c.place.country_code for c in gaz.candidates("Lima")][:2] == ["PE", "US"]
    assert "corrupt" in caplog.text and "rebuilding" in caplog.text


# --------------------------------------------------------------------------------- Ctrl-C


class _Terminal:
    """geomap running with its stderr on a pseudo-terminal, as in an interactive shell."""

    def __init__(self, *args: str | Path) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            _geomap(*args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=slave,
            env=_env(),
            preexec_fn=interruptible,  # noqa: PLW1509 - signal dispositions only, before exec
        )
        os.close(slave)
        self.received = bytearray()

    @property
    def text(self) -> str:
        return self.received.decode("utf-8", "replace")

    def wait_for(self, pattern: re.Pattern[str], *, limit: float = 300) -> re.Match[str] | None:
        """The first match of `pattern` on the terminal; None if the process ends (or hangs) first."""
        deadline = time.monotonic() + limit
        while (found := pattern.search(self.text)) is None:
            if not self._read(deadline - time.monotonic()):
                return None
        return found

    def finish(self) -> int:
        while self._read(60):
            pass
        os.close(self.master)
        return self.proc.wait(timeout=60)

    def _read(self, timeout: float) -> bool:
        if timeout <= 0 or not select.select([self.master], [], [], timeout)[0]:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed the terminal
            return False
        self.received += chunk
        return bool(chunk)


BAR = re.compile(r"\r\[[#-]{30}\] ([1-9]\d*)/(\d+) articles  (\d+\.\d)/s  ETA (\d+)s")


def test_progress_bar_then_ctrl_c(eval_folder: Path, gazetteer_dir: Path, tmp_path: Path) -> None:
    cache = _cache_with_gazetteer(gazetteer_dir, tmp_path / "cache")
    out = tmp_path / "out" / "map.html"
    articles = _articles_in(eval_folder)
    terminal = _Terminal("map", eval_folder, "-o", out, "--cache-dir", cache, "-j", "2")  # worker processes

    # On a terminal a long run shows a bar with its rate and the time left...
    bar = terminal.wait_for(BAR)
    assert bar, terminal.text
    assert int(bar.group(2)) == len(articles) and float(bar.group(3)) > 0

    # ...and Ctrl-C mid-run ends it with one line and code 130.
    terminal.proc.send_signal(signal.SIGINT)
    assert terminal.finish() == 130, terminal.text
    assert "Traceback" not in terminal.text
    assert terminal.text.rstrip().splitlines()[-1].startswith("Interrupted; ")

    # The cache is consistent and holds what was finished; there is no half-written map.
    assert _integrity(cache) == "ok"
    done = _cached_articles(cache)
    assert 0 < done < len(articles)
    assert not out.exists() or _complete_map(out)
    assert not out.parent.exists() or not list(out.parent.glob(".*.tmp"))
    assert not out.parent.exists() or not list(out.parent.glob(".*.partial"))  # reader pages staged, then dropped
    assert not (out.parent / "map_files").exists()  # no reader page of a map that was never written

    # A re-run takes the finished articles from the cache (a subset keeps the test short).
    again = tmp_path / "again"
    again.mkdir()
    for article in articles[: done + 5]:
        shutil.copy(article.source, again / Path(article.source).name)
    rerun = _run("map", again, "-o", out, "--cache-dir", cache, "-v")
    assert rerun.returncode == 0, rerun.stderr
    assert f"5 articles processed, {done} reused from the cache" in rerun.stderr
    assert _complete_map(out)
    # one reader page per article of this map (none left from the interrupted run), each linked page there
    pages = {p.name for p in (out.parent / "map_files").glob("*.html")}
    assert len(pages) == done + 5
    assert _mapped_readers(_map_data(out)) <= pages


# --------------------------------------------------------------------------------- outputs


def test_failed_write_keeps_the_previous_map(cache_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "map.html"
    first = invoke("map", SMALL[0], "-o", out, "--cache-dir", cache_dir)
    assert first.exit_code == 0
    before = out.read_bytes()
    shutil.rmtree(out.parent / "map_files")
    (out.parent / "map_files").write_text("a file where the reader pages should go")
    result = invoke("map", *SMALL, "-o", out, "--cache-dir", cache_dir)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"Error: cannot write the map to {out}: ")
    assert "Traceback" not in result.output
    assert out.read_bytes() == before
    assert not list(out.parent.glob(".*.tmp"))


def test_output_under_a_file_is_an_error(cache_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "report.txt"
    blocker.write_text("not a folder")
    result = invoke("map", SMALL[0], "-o", blocker / "map.html", "--cache-dir", cache_dir)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: cannot write the map to ")
    assert blocker.read_text() == "not a folder"
