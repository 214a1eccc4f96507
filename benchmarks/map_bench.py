"""How big and how fast is the map for a large run? Synthetic 10,000 articles / 5,000 places.

    .venv/bin/python benchmarks/map_bench.py [--articles 10000] [--places 5000] [--out DIR] [--keep]

Prints: time to write the map and reader views, the map's HTML size, and in headless Chromium
(offline, tiles aborted): time to the first drawn marker/cluster, to interactive (geomap ready), to the
first popup opened by a click, to the places and the articles table drawn, and to a country filter applied
(map and open table). Place popularity is Zipf-like, 3-8 places per article; a few names per article
are left unresolved, as real runs have them.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geomap.models import Article, ArticleResult, Mention, Place, Resolution  # noqa: E402
from geomap.render import write_map  # noqa: E402

WORDS = (
    "the officials said on monday that a new report would be published after talks with local groups "
    "and residents who have raised concerns about water roads schools prices and the coming elections"
).split()
FEATURES = ("city", "city", "city", "admin1", "country", "river", "capital", "admin2", "sea", "island")


def make_places(n: int, rng: random.Random) -> list[Place]:
    places = []
    for i in range(n):
        name = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
        places.append(
            Place(
                id=f"gn:{1000 + i}",
                name=name.capitalize(),
                lat=round(rng.uniform(-60, 70), 4),
                lon=round(rng.uniform(-170, 175), 4),
                feature=rng.choice(FEATURES),
                country=f"Country {i % 190}",
                admin1=f"Province {i % 37}",
            )
        )
    return places


def make_article(i: int, places: list[Place], weights: list[float], rng: random.Random) -> ArticleResult:
    chosen = rng.choices(places, weights=weights, k=rng.randint(3, 8))
    text_parts: list[str] = []
    resolutions = []
    pos = 0
    for place in chosen:
        before = " ".join(rng.choices(WORDS, k=rng.randint(8, 20))).capitalize() + " in "
        sentence_start = pos
        start = pos + len(before)
        sentence = before + place.name + " " + " ".join(rng.choices(WORDS, k=rng.randint(5, 15))) + ". "
        text_parts.append(sentence)
        pos += len(sentence)
        mention = Mention(
            f"a{i}", start, start + len(place.name), place.name, sentence.strip(), sentence_start, "GPE"
        )
        score = rng.uniform(0.2, 1.0)
        alternatives = tuple(rng.sample(places, 2)) if score < 0.5 else ()
        resolutions.append(Resolution(mention, place, score, alternatives=alternatives))
    for _ in range(rng.randint(0, 2)):  # names recognised but not placed
        name = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)).capitalize()
        sentence = f"Officials from {name} said so. "
        start = pos + len("Officials from ")
        mention = Mention(f"a{i}", start, start + len(name), name, sentence.strip(), pos, "GPE")
        text_parts.append(sentence)
        pos += len(sentence)
        resolutions.append(Resolution(mention, None, 0.0, reason="no candidate"))
    article = Article(
        id=f"a{i}",
        text="".join(text_parts),
        title=" ".join(rng.choices(WORDS, k=rng.randint(5, 11))).capitalize(),
        source=f"feed-{i % 40}.jsonl:{i}",
        url=f"https://news.example.com/{2020 + i % 5}/story-{i}",
        date=f"{2020 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        site=f"Example {i % 40}",
    )
    return ArticleResult(article, tuple(resolutions))


def make_results(n_articles: int, n_places: int, seed: int = 7) -> list[ArticleResult]:
    rng = random.Random(seed)
    places = make_places(n_places, rng)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(n_places)]
    return [make_article(i, places, weights, rng) for i in range(n_articles)]


FIRST_DRAW_PROBE = """
window.__firstDraw = null;
new MutationObserver((_, obs) => {
    if (document.querySelector('.gm-pin, .marker-cluster')) {
        window.__firstDraw = performance.now();
        obs.disconnect();
    }
}).observe(document, {childList: true, subtree: true});
"""


def browser_timings(map_path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
        )
        page.add_init_script(FIRST_DRAW_PROBE)
        page.set_default_timeout(120_000)
        page.goto(map_path.as_uri())
        page.wait_for_selector("body[data-geomap-ready]")
        page.wait_for_function("window.__firstDraw !== null")
        marks = page.evaluate(
            "({draw: window.__firstDraw, ready: geomap.readyAt, "
            "dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd})"
        )
        pin = page.query_selector(".gm-pin")
        if pin is None:
            page.click(".marker-cluster")
            page.wait_for_timeout(600)
            pin = page.wait_for_selector(".gm-pin")
        start = time.perf_counter()
        pin.click()
        page.wait_for_selector(".leaflet-popup-content .gm-popup")
        popup_ms = (time.perf_counter() - start) * 1000
        tables = {name: _timed(page, click, done) for name, click, done in TABLE_STEPS}
        page.click(".gm-filter summary")
        start = time.perf_counter()
        page.select_option(".gm-country", index=1)  # the map and the open table follow
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        tables["country_filter_ms"] = (time.perf_counter() - start) * 1000
        browser.close()
    return {
        "dom_content_loaded_ms": marks["dcl"],
        "first_draw_ms": marks["draw"],
        "ready_ms": marks["ready"],
        "popup_click_ms": popup_ms,
        **tables,
    }


# (what, the element to click, what shows it is done): each timed from the click to the finished page
TABLE_STEPS = (
    ("places_table_ms", ".gm-open-tables", ".gm-table[data-table=places] tbody tr"),
    ("articles_table_ms", ".gm-tab[data-table=articles]", ".gm-table[data-table=articles] tbody tr"),
    ("not_placed_table_ms", ".gm-tab[data-table=not-placed]", ".gm-table[data-table=not-placed] tbody tr"),
)


def _timed(page, click: str, done: str) -> float:  # noqa: ANN001
    start = time.perf_counter()
    page.click(click)
    page.wait_for_selector(done)
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # painted
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--places", type=int, default=5_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3, help="browser loads to take the median of")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="geomap-bench-"))

    start = time.perf_counter()
    results = make_results(args.articles, args.places)
    generated = time.perf_counter() - start
    mentions = sum(len(r.resolutions) for r in results)
    print(f"input: {len(results)} articles, {mentions} mentions (generated in {generated:.1f} s)")

    start = time.perf_counter()
    output = write_map(results, out_dir / "map.html", title="benchmark")
    written = time.perf_counter() - start
    size = output.map_path.stat().st_size
    pages = sum(p.stat().st_size for p in output.article_paths)
    print(f"write_map: {written:.2f} s; {output.places} places, {output.points} points")
    print(f"map.html: {size / 1e6:.2f} MB; {len(output.article_paths)} reader views: {pages / 1e6:.1f} MB")

    if not args.no_browser:
        runs = [browser_timings(output.map_path) for _ in range(args.runs)]
        for key in runs[0]:
            values = [run[key] for run in runs]
            print(
                f"chromium {key}: median {statistics.median(values):.0f} ms  (runs: "
                + ", ".join(f"{v:.0f}" for v in values)
                + ")"
            )
    print(f"output: {out_dir}")


if __name__ == "__main__":
    main()
