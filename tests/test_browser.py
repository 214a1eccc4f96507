"""The written map and reader views in a real headless Chromium (Debian's), offline.

Every request that is not file:/data: is aborted and recorded; map tiles may fail, anything else
fails the test. Skipped when no chromium is installed, unless GEOMAP_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, ElementHandle, Page, Route, sync_playwright

from geomap.render import MapOutput, reader_filename, write_map
from tests.test_render import (
    ALL_PLACES,
    LYON,
    PARIS,
    RHONE,
    SPRINGFIELD,
    TWIN_A,
    TWIN_B,
    XSS_TITLE,
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
    return write_map(
        sample_results(), tmp_path_factory.mktemp("site") / "out" / "map.html", title="Browser test"
    )


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
    assert reader.get_attribute("href").startswith(f"articles/{reader_filename('news/trade.txt')}#m-")
    assert popup.query_selector("a.gm-title").inner_text() == "Trade deal"
    assert "score 0.30" in popup.inner_text()
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
    assert page.url.split("#")[0].endswith(f"/articles/{reader_filename('news/floods.txt')}")
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
    page.goto((site.map_path.parent / "articles" / reader_filename("news/trade.txt")).as_uri())
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
    assert xss_link.get_attribute("href").startswith("articles/")  # the javascript: URL was dropped
    open_popup(page, PARIS.id)
    page.wait_for_timeout(200)
    assert page.evaluate(INJECTION_CHECK) == CLEAN

    xss_link = page.query_selector(f'a.gm-reader[href^="articles/{reader_filename("news/xss.txt")}"]')
    xss_link.click()
    page.wait_for_selector("article .gm-text")
    page.wait_for_timeout(200)
    assert page.evaluate(INJECTION_CHECK) == CLEAN
    assert page.inner_text("h1") == XSS_TITLE
    assert page.query_selector("a.gm-original") is None
    assert watched.errors == [] and watched.foreign == []


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


def test_screenshot_is_not_blank(
    watched: Watched, site: MapOutput, tmp_path_factory: pytest.TempPathFactory
) -> None:
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


PAINTED_PIXELS = """selector => {
    const canvas = document.querySelector(selector);
    if (!canvas) return -1;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return painted;
}"""


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
