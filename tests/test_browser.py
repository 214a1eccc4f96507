"""The written map and reader views in a real headless Chromium (Debian's), offline.

Every request that is not file:/data: is aborted and recorded; map tiles may fail, anything else
fails the test. Skipped when no chromium is installed, unless GEOMAP_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, ConsoleMessage, ElementHandle, Page, Route, sync_playwright

from geomap.cli import cli
from geomap.export import csv_cell
from geomap.geo import great_circle_km
from geomap.render import MapOutput, write_map
from geomap.render.text import reader_filename
from tests.conftest import SEEDS
from tests.test_render import (
    ALL_PLACES,
    LYON,
    PARIS,
    RHONE,
    SPRINGFIELD,
    SPRINGFIELD_MA,
    TWIN_A,
    TWIN_B,
    XSS_NAME,
    XSS_TITLE,
    make_result,
    sample_results,
)

pytestmark = pytest.mark.browser

TILE_URL = re.compile(r"^https?://([a-z0-9-]+\.)*tile\.openstreetmap\.org/")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY = "body[data-geomap-ready]"


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        if os.environ.get("GEOMAP_REQUIRE_BROWSER") == "1":
            pytest.fail("GEOMAP_REQUIRE_BROWSER=1 but no chromium found")
        pytest.skip("no chromium installed")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> MapOutput:
    return write_map(sample_results(), tmp_path_factory.mktemp("site") / "out" / "map.html", title="Browser test")


@dataclass
class Watched:
    """A page plus everything it tried to fetch and every error it reported."""

    page: Page
    foreign: list[str] = field(default_factory=list)  # non-tile network requests
    tiles: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    context.set_default_timeout(10_000)  # fail fast instead of Playwright's 30 s per wait
    page = context.new_page()
    seen = Watched(page)

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
            return
        (seen.tiles if TILE_URL.match(url) else seen.foreign).append(url)
        route.abort()

    def console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not TILE_URL.match(msg.location.get("url", "")):
            seen.errors.append(msg.text)

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda exc: seen.errors.append(f"pageerror: {exc}"))
    yield seen
    context.close()


def open_map(w: Watched, site: MapOutput, fragment: str = "") -> Page:
    page = w.page
    page.goto(site.map_path.as_uri() + fragment)
    page.wait_for_selector(READY)
    return page


def open_popup(page: Page, place_id: str) -> ElementHandle:
    page.evaluate("id => geomap.open(id)", place_id)
    selector = f'.leaflet-popup-content .gm-popup[data-place="{place_id}"]'
    popup = page.wait_for_selector(selector)
    assert popup is not None
    return popup


def test_map_loads_offline_without_errors(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.wait_for_load_state("load")
    assert watched.errors == []
    assert watched.foreign == []
    assert watched.tiles, "the OpenStreetMap tile layer should have asked for tiles"
    assert page.evaluate("typeof jQuery") == "undefined"
    attribution = page.inner_text(".leaflet-control-attribution")
    assert "GeoNames (CC BY 4.0)" in attribution and "Natural Earth" in attribution
    assert "OpenStreetMap" in attribution


def test_every_place_is_drawn_once(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    assert page.evaluate("geomap.cluster.getLayers().length") == len(ALL_PLACES)
    # On screen after fitting: every place is either its own pin or counted in one cluster bubble.
    drawn = page.evaluate(
        """() => {
        const pins = document.querySelectorAll('.leaflet-marker-icon.gm-pin').length;
        const clustered = [...document.querySelectorAll('.marker-cluster span')]
            .reduce((n, el) => n + Number(el.textContent), 0);
        return pins + clustered;
    }"""
    )
    assert drawn == len(ALL_PLACES)
    ids = page.evaluate("geomap.markers.map(m => m.gmPoint.id)")
    assert sorted(ids) == sorted(p.id for p in ALL_PLACES)


def test_clicking_a_pin_shows_its_articles(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.click(f'.gm-pin[title="{SPRINGFIELD.name}"]')
    popup = page.wait_for_selector(".leaflet-popup-content .gm-popup")
    assert "1 article, 1 mention" in popup.inner_text()
    reader = popup.query_selector("a.gm-reader")
    assert reader.get_attribute("href").startswith(f"map_files/{reader_filename('news/trade.txt')}#m-")
    assert popup.query_selector("a.gm-title").inner_text() == "Trade deal"
    score = popup.query_selector(".gm-score")
    assert (score.inner_text(), score.get_attribute("title")) == ("uncertain", "score 0.30")
    assert page.evaluate("location.hash") == "#place=gn%3A5"


def test_places_sharing_a_coordinate_both_open(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    for place in (TWIN_A, TWIN_B):
        popup = open_popup(page, place.id)
        assert popup.query_selector("h3").inner_text() == place.name
    assert watched.errors == []


def test_reader_link_and_back_link_round_trip(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    popup = open_popup(page, PARIS.id)
    assert "3 articles, 4 mentions" in popup.inner_text()
    popup.query_selector("a.gm-reader").click()
    page.wait_for_selector("article .gm-text")
    assert page.url.split("#")[0].endswith(f"/map_files/{reader_filename('news/floods.txt')}")
    target = page.query_selector(":target")
    assert target is not None and target.inner_text() == "Paris"
    assert "gm-place" in target.get_attribute("class")
    background = target.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    unresolved = page.query_selector_all(".gm-text .gm-unresolved")
    assert unresolved == []  # this article has none; the trade article has one (checked below)
    target.click()
    page.wait_for_selector(READY)
    page.wait_for_selector(f'.leaflet-popup-content .gm-popup[data-place="{PARIS.id}"]')
    assert page.evaluate("id => geomap.byId[id].isPopupOpen()", PARIS.id)
    assert watched.errors == [] and watched.foreign == []


def test_reader_view_marks_unresolved_mentions(watched: Watched, site: MapOutput) -> None:
    page = watched.page
    page.goto((site.map_path.parent / "map_files" / reader_filename("news/trade.txt")).as_uri())
    unresolved = page.query_selector(".gm-text .gm-unresolved")
    assert unresolved.inner_text() == "Atlantis"
    assert unresolved.get_attribute("title").startswith("unresolved")
    assert unresolved.evaluate("el => getComputedStyle(el).borderBottomStyle") == "dashed"
    assert unresolved.evaluate("el => el.closest('a')") is None


INJECTION_CHECK = """() => ({
    pwned: window.__pwned === undefined ? null : window.__pwned,
    imgs: document.querySelectorAll('img[src="x"]').length,
    scripts: [...document.querySelectorAll('script:not([type="application/json"])')]
        .filter(s => s.textContent.includes('__pwned')).length,
})"""
CLEAN = {"pwned": None, "imgs": 0, "scripts": 0}


def test_article_markup_executes_nothing(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    popup = open_popup(page, LYON.id)
    titles = [a.inner_text() for a in popup.query_selector_all("a.gm-title")]
    assert XSS_TITLE in titles  # shown as text
    xss_link = next(a for a in popup.query_selector_all("a.gm-title") if a.inner_text() == XSS_TITLE)
    assert xss_link.get_attribute("href").startswith("map_files/")  # the javascript: URL was dropped
    open_popup(page, PARIS.id)
    page.wait_for_timeout(200)
    assert page.evaluate(INJECTION_CHECK) == CLEAN

    xss_link = page.query_selector(f'a.gm-reader[href^="map_files/{reader_filename("news/xss.txt")}"]')
    xss_link.click()
    page.wait_for_selector("article .gm-text")
    page.wait_for_timeout(200)
    assert page.evaluate(INJECTION_CHECK) == CLEAN
    assert page.inner_text("h1") == XSS_TITLE
    assert page.query_selector("a.gm-original") is None
    assert watched.errors == [] and watched.foreign == []

    # the tables show the hostile title and the hostile name recognised in it as text, and run nothing
    page = open_map(watched, site)
    page.click(".gm-open-tables")
    page.click(".gm-tab[data-table=articles]")
    assert XSS_TITLE in page.eval_on_selector_all(".gm-table a.gm-reader-link", "as => as.map(a => a.textContent)")
    page.click(".gm-tab[data-table=not-placed]")
    assert XSS_NAME in page.eval_on_selector_all(
        ".gm-table tbody tr td:first-child", "tds => tds.map(t => t.textContent)"
    )
    open_popup(page, LYON.id)
    page.click('.leaflet-popup-content li[data-art="news/xss.txt"] .gm-wrong')  # the box quotes the article
    page.wait_for_timeout(200)
    assert page.evaluate(INJECTION_CHECK) == CLEAN
    assert watched.errors == []


PIXEL_VARIETY = """async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width; canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4 * 7) {
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    return colours.size;
}"""


def test_screenshot_is_not_blank(watched: Watched, site: MapOutput, tmp_path_factory: pytest.TempPathFactory) -> None:
    page = open_map(watched, site, f"#place={PARIS.id.replace(':', '%3A')}")
    page.wait_for_selector(".leaflet-popup-content .gm-popup")
    png = page.screenshot()
    path = tmp_path_factory.mktemp("screenshots") / "map.png"
    path.write_bytes(png)
    print(f"screenshot: {path}")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    assert page.evaluate(PIXEL_VARIETY, src) > 50


def test_legend_scale_and_kind_colours(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    kinds = page.eval_on_selector_all(".gm-legend-row", "rows => rows.map(r => r.dataset.kind)")
    assert kinds == ["country", "region", "city", "physical"]  # only kinds present, fixed order
    assert "City or town (4)" in page.inner_text(".gm-legend")
    assert page.query_selector(".leaflet-control-scale") is not None
    colours = page.evaluate(
        """kinds => kinds.map(k => getComputedStyle(
            L.DomUtil.create('div', 'gm-pin gm-kind-' + k, document.body)).backgroundColor)""",
        ["country", "region", "city", "physical", "other"],
    )
    assert len(set(colours)) == 5
    kind_of = page.evaluate("Object.fromEntries(geomap.markers.map(m => [m.gmPoint.id, m.gmPoint.k]))")
    assert (kind_of[PARIS.id], kind_of["gn:3"], kind_of["gn:4"], kind_of[TWIN_B.id]) == (
        "city",
        "country",
        "physical",
        "region",
    )
    pin = page.query_selector(f'.gm-pin[title="{SPRINGFIELD.name}"]')
    assert "gm-kind-city" in pin.get_attribute("class")
    sizes = page.evaluate("geomap.markers.map(m => [m.gmPoint.a, m.options.icon.options.iconSize[0]])")
    by_articles = dict(sorted(sizes))
    assert by_articles[3] > by_articles[1]  # Paris (3 articles) is drawn larger


def test_search_finds_places_and_opens_them(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.fill(".gm-search-input", "lyo")
    items = page.query_selector_all(".gm-search-item")
    assert [i.get_attribute("data-place") for i in items] == [LYON.id]
    page.fill(".gm-search-input", "rhone")  # accents folded
    assert page.inner_text(".gm-search-item strong") == "Rhône"
    page.fill(".gm-search-input", "ari")  # substring
    assert page.get_attribute(".gm-search-item", "data-place") == PARIS.id
    page.click(".gm-search-item")
    page.wait_for_selector(f'.leaflet-popup-content .gm-popup[data-place="{PARIS.id}"]')
    page.fill(".gm-search-input", "zzz")
    assert page.inner_text(".gm-search-results") == "No place found"
    page.fill(".gm-search-input", "twin")
    page.press(".gm-search-input", "Enter")
    page.wait_for_selector('.leaflet-popup-content .gm-popup[data-place^="gn:"] h3:text-matches("Twin")')


def test_fullscreen_button(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.click(".gm-fullscreen-button")
    page.wait_for_function("document.fullscreenElement !== null")
    page.click(".gm-fullscreen-button")
    page.wait_for_function("document.fullscreenElement === null")
    assert watched.errors == []


PAINTED_PIXELS_OF = """canvas => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return painted;
}"""
PAINTED_PIXELS = f"""selector => {{
    const canvas = document.querySelector(selector);
    return canvas ? ({PAINTED_PIXELS_OF})(canvas) : -1;
}}"""


HEAT = "canvas.leaflet-heatmap-layer"


def test_layer_control_toggles_heat_map_places_and_tiles(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    assert page.evaluate(PAINTED_PIXELS, HEAT) == -1  # off at first
    page.hover(".leaflet-control-layers")
    page.click("label:has-text('Heat map')")
    page.wait_for_selector(HEAT)
    assert page.evaluate(PAINTED_PIXELS, HEAT) > 100
    page.click("label:has-text('Places')")
    page.wait_for_function("document.querySelectorAll('.gm-pin, .marker-cluster').length === 0")
    assert page.query_selector_all(".leaflet-tile-container img")
    page.click("label:has-text('Plain background')")
    page.wait_for_function("document.querySelectorAll('.leaflet-tile-container img').length === 0")
    assert page.evaluate(PAINTED_PIXELS, ".leaflet-gm-basemap-pane canvas") > 10_000
    assert watched.foreign == [] and watched.errors == []


def shown_ids(page: Page) -> list[str]:
    return sorted(page.evaluate("geomap.cluster.getLayers().map(m => m.gmPoint.id)"))


def test_filter_by_article_and_date(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.click(".gm-filter summary")
    page.uncheck("label.gm-group:has-text('Floods in Paris') input")
    # France and the Rhône are only in the floods article; Paris is in others too
    assert shown_ids(page) == sorted(p.id for p in ALL_PLACES if p.id not in ("gn:3", "gn:4"))
    assert page.inner_text(".gm-title .gm-sub") == "5 of 7 places"
    assert page.evaluate("geomap.heat._latlngs.length") == 5
    page.click(".gm-all-none button:has-text('None')")
    assert shown_ids(page) == []
    page.click(".gm-all-none button:has-text('All')")
    assert shown_ids(page) == sorted(p.id for p in ALL_PLACES)
    page.fill(".gm-date-from", "2024-04-01")  # after the floods article; undated ones stay
    page.dispatch_event(".gm-date-from", "change")
    assert len(shown_ids(page)) == 5
    page.fill(".gm-date-from", "2024-02-01")
    page.fill(".gm-date-to", "2024-03-01")
    page.dispatch_event(".gm-date-to", "change")
    assert len(shown_ids(page)) == 7
    # opening a place that the filter hides clears the filter first
    page.click(".gm-all-none button:has-text('None')")
    open_popup(page, RHONE.id)
    assert len(shown_ids(page)) == 7
    assert watched.errors == []


# --- checking and correcting (issue 12) ------------------------------------------------------------


def popup_item(popup: ElementHandle, article_id: str) -> ElementHandle:
    item = popup.query_selector(f'li[data-art="{article_id}"]')
    assert item is not None, article_id
    return item


def test_popup_explains_each_mention(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    popup = open_popup(page, PARIS.id)
    assert "3 articles, 4 mentions" in popup.inner_text()
    assert popup.query_selector(".gm-where").inner_text() == "capital · Île-de-France, France"
    floods = popup_item(popup, "news/floods.txt")
    hrefs = [a.get_attribute("href") for a in floods.query_selector_all("a")]
    reader = f"map_files/{reader_filename('news/floods.txt')}#m-15"
    assert hrefs == ["https://example.com/floods", reader]  # title -> the original; the reader view
    assert floods.query_selector(".gm-meta").inner_text() == "2024-03-01 · floods.txt (2 mentions) · reader view"
    assert floods.query_selector("q").inner_html() == "Heavy rain hit <mark>Paris</mark> on Monday."
    assert floods.query_selector(".gm-score").inner_text() == "sure"
    assert floods.query_selector(".gm-alts-toggle") is None  # no runner-up: nothing to offer
    trade = popup_item(popup, "news/trade.txt")
    assert trade.query_selector("a.gm-title").get_attribute("href") == trade.query_selector(
        "a.gm-reader"
    ).get_attribute("href")
    twins = open_popup(page, TWIN_A.id)
    assert "1 article, 1 mention" in twins.inner_text() and "Example Times" in twins.inner_text()

    popup = open_popup(page, SPRINGFIELD.id)
    item = popup_item(popup, "news/trade.txt")
    assert item.query_selector(".gm-score").inner_text() == "uncertain"
    item.query_selector(".gm-alts-toggle").click()
    away = round(great_circle_km(SPRINGFIELD.lat, SPRINGFIELD.lon, SPRINGFIELD_MA.lat, SPRINGFIELD_MA.lon))
    assert item.query_selector(".gm-alts").inner_text() == (
        f"Springfield, Massachusetts, United States (city) · {away:,} km away"
    )
    item.query_selector(".gm-alts-toggle").click()  # and closes again
    assert item.query_selector(".gm-alts") is None
    assert watched.errors == []


def test_wrong_place_offers_override_lines_to_copy(browser: Browser, site: MapOutput) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(site.map_path.as_uri())
    page.wait_for_selector(READY)
    popup = open_popup(page, SPRINGFIELD.id)
    popup_item(popup, "news/trade.txt").query_selector(".gm-wrong").click()
    lines = page.eval_on_selector_all(".gm-fix .gm-fix-line", "codes => codes.map(c => c.textContent)")
    assert lines == [
        f"Springfield,{SPRINGFIELD_MA.id},,news/trade.txt",  # it is the runner-up, in this article
        "Springfield,-,,news/trade.txt",  # no place in this article
        "Springfield,-,,",  # never
    ]
    labels = page.eval_on_selector_all(".gm-fix .gm-fix-label", "ls => ls.map(l => l.textContent)")
    assert labels[0] == "It is Springfield, Massachusetts, United States:"
    page.click(".gm-fix .gm-copy >> nth=0")
    page.wait_for_selector(".gm-fix .gm-copy:text-is('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == lines[0]
    context.close()


def test_names_not_placed_are_listed_with_their_articles(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    assert page.inner_text(".gm-open-left") == "2 names not placed"
    page.click(".gm-open-left")
    rows = page.eval_on_selector_all(
        ".gm-table[data-table=not-placed] tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    assert sorted(rows) == sorted(
        [["Atlantis", "1", "Trade deal", "no candidate"], [XSS_NAME, "1", XSS_TITLE, "no candidate"]]
    )
    page.click(".gm-table[data-table=not-placed] a:text-is('Trade deal')")
    page.wait_for_selector("article .gm-text")
    assert page.url.endswith(f"/map_files/{reader_filename('news/trade.txt')}#m-61")
    assert page.inner_text(":target") == "Atlantis" and "gm-unresolved" in page.get_attribute(":target", "class")


def table_rows(page: Page, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f".gm-table[data-table={table}] tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def test_places_table_sorts_and_flies_to_each_point(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.click(".gm-open-tables")
    rows = table_rows(page, "places")
    assert len(rows) == len(ALL_PLACES)
    assert rows[0][0].startswith("Paris") and rows[0][3:] == ["3", "4"]  # most articles first
    page.click(".gm-table[data-table=places] th:text-is('Place')")
    names = [row[0].split("\n")[0] for row in table_rows(page, "places")]
    assert names == sorted(names, key=str.casefold)
    page.click(".gm-table[data-table=places] th:text-is('Place')")
    assert [row[0].split("\n")[0] for row in table_rows(page, "places")] == names[::-1]
    for place in (LYON, RHONE, TWIN_B):
        page.click(f".gm-table[data-table=places] tbody tr:has(strong:text-is('{place.name}'))")
        page.wait_for_selector(f'.leaflet-popup-content .gm-popup[data-place="{place.id}"]')
        centre = page.evaluate("[geomap.map.getCenter().lat, geomap.map.getCenter().lng]")
        assert great_circle_km(*centre, place.lat, place.lon) < 300
    page.click(".gm-tab[data-table=articles]")
    rows = table_rows(page, "articles")
    assert [r[0] for r in rows][:1] == ["Floods in Paris ↗"] and len(rows) == 4  # dated first
    assert rows[0][1:] == ["2024-03-01", "floods.txt", "Paris, France, Rhône"]
    assert watched.errors == []


def shown(page: Page) -> list[str]:
    return sorted(page.evaluate("geomap.cluster.getLayers().map(m => m.gmPoint.id)"))


def test_filters_combine_drive_the_tables_and_survive_a_reload(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.click(".gm-filter summary")
    page.select_option(".gm-country", "France")
    assert shown(page) == sorted([PARIS.id, LYON.id, "gn:3", RHONE.id])
    page.uncheck(".gm-kind:has-text('Country') input")
    assert shown(page) == sorted([PARIS.id, LYON.id, RHONE.id])
    page.fill(".gm-min", "2")
    page.dispatch_event(".gm-min", "change")
    assert shown(page) == sorted([PARIS.id, LYON.id])  # Paris in 3 articles, Lyon in 2
    page.uncheck("label.gm-group:has-text('Twins') input")
    assert page.inner_text(".gm-title .gm-sub") == "2 of 7 places"
    page.click(".gm-open-tables")
    assert len(table_rows(page, "places")) == 2 and page.inner_text(".gm-table-count") == "2 places (filtered)"
    page.click(".gm-tab[data-table=articles]")
    assert len(table_rows(page, "articles")) == 3  # the articles that name Paris or Lyon
    page.fill(".gm-date-from", "2024-04-01")  # after the floods article; the undated ones stay
    page.dispatch_event(".gm-date-from", "change")
    assert len(table_rows(page, "articles")) == 2
    # Lyon is in two undated articles; Paris now has only two that pass
    assert shown(page) == sorted([PARIS.id, LYON.id])
    hash_ = page.evaluate("location.hash")
    assert "country=France" in hash_ and "kind=" in hash_ and "min=2" in hash_ and "from=2024-04-01" in hash_
    assert "hide=" in hash_

    page.reload()
    page.wait_for_selector(READY)
    assert shown(page) == sorted([PARIS.id, LYON.id])
    assert page.input_value(".gm-country") == "France" and page.input_value(".gm-min") == "2"
    assert not page.is_checked(".gm-kind:has-text('Country') input")
    assert page.input_value(".gm-date-from") == "2024-04-01"
    assert not page.is_checked("label.gm-group:has-text('Twins') input")
    open_popup(page, PARIS.id)  # the open place joins the hash, beside the filter
    assert page.evaluate("location.hash").startswith("#place=gn%3A1&country=France")
    page.click(".gm-filter summary")
    page.click(".gm-filter-reset")
    assert shown(page) == sorted(p.id for p in ALL_PLACES)
    assert page.evaluate("location.hash") == ""  # nothing filtered; the popup closed as the points were redrawn
    assert watched.errors == []


def test_tables_export_formula_safe_csv(watched: Watched, site: MapOutput, tmp_path: Path) -> None:
    page = open_map(watched, site)
    page.click(".gm-open-tables")
    page.click(".gm-tab[data-table=articles]")
    with page.expect_download() as info:
        page.click(".gm-export")
    assert info.value.suggested_filename == "articles.csv"
    path = tmp_path / "articles.csv"
    info.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["title", "date", "source", "places", "id", "url"]
    assert rows[1] == [
        "Floods in Paris",
        "2024-03-01",
        "floods.txt",
        "Paris; France; Rhône",
        "news/floods.txt",
        "https://example.com/floods",
    ]
    assert XSS_TITLE in [row[0] for row in rows]
    # one rule for spreadsheet formulas, the page's and geomap's own CSV files alike
    cells = ['=HYPERLINK("http://evil.example","x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", 'a "b", c', "x\ny"]
    in_page = page.evaluate("cells => cells.map(c => geomap.tables.csvCell(c))", cells)
    for cell, js in zip(cells, in_page, strict=True):
        buffer = io.StringIO()
        csv.writer(buffer).writerow([csv_cell(cell)])
        assert js == buffer.getvalue().removesuffix("\r\n"), cell
    assert watched.errors == []


def test_two_maps_in_one_folder_keep_their_own_reader_pages(watched: Watched, tmp_path: Path) -> None:
    results = sample_results()
    gaza = write_map(results[:2], tmp_path / "gaza.html")
    cape = write_map(results[2:], tmp_path / "cape.html")
    assert {p.parent.name for p in gaza.article_paths} == {"gaza_files"}
    assert {p.parent.name for p in cape.article_paths} == {"cape_files"}
    page = watched.page
    page.goto(cape.article_paths[0].as_uri())
    page.click("a.gm-back")
    page.wait_for_selector(READY)
    assert page.url.split("#")[0].endswith("/cape.html")
    # a second run of the same map leaves no page of the first
    again = write_map(results[:1], tmp_path / "gaza.html")
    assert sorted((tmp_path / "gaza_files").glob("*.html")) == list(again.article_paths)
    assert len(list((tmp_path / "cape_files").glob("*.html"))) == 2
    assert watched.errors == []


def test_region_outlines_offline_when_zoomed_in_and_neutral_clusters(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    assert not page.evaluate("geomap.outlines.loaded()")  # the world view does not load them
    colour = page.evaluate("getComputedStyle(document.querySelector('.marker-cluster div')).backgroundColor")
    red, green, blue = (int(v) for v in re.findall(r"\d+", colour)[:3])
    assert max(red, green, blue) - min(red, green, blue) < 60  # grey-blue slate, none of the kind colours
    page.evaluate("geomap.map.setView([48.85, 2.35], 7, {animate: false})")
    page.wait_for_function("geomap.outlines.loaded() && geomap.map.hasLayer(geomap.outlines.layer())")
    assert page.evaluate("geomap.outlines.layer().getLatLngs().length") > 5000  # every region border
    outlines = "[...document.querySelectorAll('.leaflet-gm-basemap-pane canvas')].pop()"  # above the countries
    assert page.evaluate(f"({PAINTED_PIXELS_OF})({outlines})") > 1000  # the borders around Paris, drawn
    page.evaluate("geomap.map.setView([48.85, 2.35], 3, {animate: false})")
    page.wait_for_function("!geomap.map.hasLayer(geomap.outlines.layer())")
    assert watched.errors == [] and watched.foreign == []


def _map(*args: str | Path) -> None:
    result = CliRunner().invoke(cli, ["map", *map(str, args), "-q"])
    assert result.exit_code == 0, result.output


def test_an_override_line_copied_from_the_map_moves_the_point(
    watched: Watched, cache_dir: Path, tmp_path: Path
) -> None:
    """The loop the README shows: open the popup, take the line for the right place, add it to the overrides
    file, map again: the point has moved, in this article only."""
    article = tmp_path / "in" / "paris.txt"
    article.parent.mkdir()
    article.write_text("Flooding closed roads in Paris on Monday, officials said.\n", encoding="utf-8")
    out = tmp_path / "out" / "map.html"
    _map(article, "-o", out, "--cache-dir", cache_dir)
    page = open_map(watched, MapOutput(out, (), 0, 0))
    [before] = page.evaluate("geomap.data.points.map(p => [p.id, p.c])")
    assert before[1] == "France"
    popup = open_popup(page, before[0])
    popup.query_selector(".gm-wrong").click()
    rows = page.eval_on_selector_all(
        ".gm-fix .gm-fix-row",
        "rs => rs.map(r => [r.querySelector('.gm-fix-label').textContent, r.querySelector('code').textContent])",
    )
    [texas] = [line for label, line in rows if "Texas" in label]
    rules = tmp_path / "overrides.csv"
    rules.write_text(f"name,place,context,article\n{texas}\n", encoding="utf-8")
    _map(article, "-o", out, "--cache-dir", cache_dir, "--overrides", rules)
    page.reload()
    page.wait_for_selector(READY)
    [after] = page.evaluate("geomap.data.points.map(p => [p.id, p.sub, p.lon])")
    assert after[0] == texas.split(",")[1] and "Texas" in after[1] and after[2] < -90
    # the rule is for that article only: another article's Paris stays in France
    other = tmp_path / "in" / "other.txt"
    other.write_text("Flooding closed roads in Paris on Monday, officials said again.\n", encoding="utf-8")
    _map(article.parent, "-o", out, "--cache-dir", cache_dir, "--overrides", rules)
    page.reload()
    page.wait_for_selector(READY)
    assert sorted(page.evaluate("geomap.data.points.map(p => p.id)")) == sorted([before[0], after[0]])
    # "no place in this article": gone from the map, and not listed as left out either
    never = [line for label, line in rows if "no place in this article" in label]
    rules.write_text(f"name,place,context,article\n{never[0]}\n", encoding="utf-8")
    _map(article, "-o", out, "--cache-dir", cache_dir, "--overrides", rules)
    page.reload()
    page.wait_for_selector(READY)
    assert page.evaluate("geomap.data.points.length") == 0
    assert watched.errors == []


def test_the_seeds_names_not_placed_are_listed(watched: Watched, cache_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "seeds.html"
    _map("-o", out, "--cache-dir", cache_dir)  # no paths: the seeds
    parsed = CliRunner().invoke(cli, ["parse", str(SEEDS), "-q", "--cache-dir", str(cache_dir)])
    unresolved: dict[str, set[str]] = {}
    for line in parsed.stdout.splitlines():
        record = json.loads(line)
        for mention in record["mentions"]:
            if mention["place_id"] is None:
                unresolved.setdefault(mention["text"], set()).add(record["title"])
    assert unresolved, "the seeds have names that are not placed"
    page = open_map(watched, MapOutput(out, (), 0, 0))
    page.click(".gm-open-left")
    rows = page.eval_on_selector_all(
        ".gm-table[data-table=not-placed] tbody tr",
        "rs => rs.map(r => [r.cells[0].textContent, [...r.querySelectorAll('li a')].map(a => a.textContent)])",
    )
    assert {name: set(titles) for name, titles in rows} == unresolved
    assert watched.errors == []


def test_a_popups_hidden_articles_open_in_the_articles_table(watched: Watched, tmp_path: Path) -> None:
    results = [
        make_result(f"lyon/{i}", f"Story {i}: rain in Lyon.", [("Lyon", LYON)], title=f"Story {i:02d}")
        for i in range(12)
    ]
    other = make_result("paris", "Rain in Paris.", [("Paris", PARIS)], title="Paris story")
    output = write_map([*results, other], tmp_path / "lyon.html")
    page = open_map(watched, output)
    popup = open_popup(page, LYON.id)
    assert len(popup.query_selector_all("li[data-art]")) == 10
    popup.query_selector(".gm-more").click()
    assert len(table_rows(page, "articles")) == 12  # all of Lyon's, not Paris's
    assert page.inner_text(".gm-only").startswith("Only the articles naming Lyon")
    page.click(".gm-only button")
    assert len(table_rows(page, "articles")) == 13
    assert watched.errors == []


def test_names_not_placed_follow_the_filter_and_the_hint_is_shell_safe(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.click(".gm-filter summary")
    page.uncheck("label.gm-group:has-text('Trade deal') input")
    page.click(".gm-open-left")
    assert [row[0] for row in table_rows(page, "not-placed")] == [XSS_NAME]  # Atlantis is only in Trade deal
    assert page.inner_text(".gm-table-count") == "1 name not placed (filtered)"
    page.click(".gm-drawer-close")
    popup = open_popup(page, SPRINGFIELD.id)
    popup.query_selector(".gm-wrong").click()
    hint = page.inner_text(".gm-fix .gm-hint")
    assert "geomap geocode 'Springfield, COUNTRY OR REGION' --format jsonl" in hint
    assert watched.errors == []


def test_popups_say_what_the_filter_leaves_and_a_cleared_filter_is_said(watched: Watched, site: MapOutput) -> None:
    page = open_map(watched, site)
    page.click(".gm-filter summary")
    page.uncheck("label.gm-group:has-text('Trade deal') input")
    popup = open_popup(page, PARIS.id)
    assert popup.query_selector(".gm-count").inner_text() == "3 articles, 4 mentions · 2 pass the filter"
    page.select_option(".gm-country", "France")
    open_popup(page, SPRINGFIELD.id)  # not on the filtered map: the filter is cleared, and the map says so
    assert page.inner_text(".gm-notice") == "Filter cleared to show Springfield."
    assert page.input_value(".gm-country") == ""
    assert watched.errors == []
