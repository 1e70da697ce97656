"""The web app in a real browser: Debian's Chromium, driven by Playwright, against `newsarchive serve`
on the demo archive (SQLite and PostgreSQL). Each page is also saved as a screenshot, into the test's
temporary directory, or into $NEWSARCHIVE_SCREENSHOTS when set (how docs/screenshots/ is made)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from .archive import SCRIPT, WebArchive, serving

CHROMIUM = "/usr/bin/chromium"
# As root, Chromium needs --no-sandbox; the rest keep it off the network (none in tests).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium missing: apt-get install chromium (.ci/run does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(web_archive: WebArchive) -> Iterator[str]:
    with serving(web_archive.url) as (base, _):
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()
    assert dialogs == [], f"a script ran: {dialogs}"


def _screenshot(page: Page, name: str, web_archive: WebArchive, tmp_path: Path) -> Path:
    target = Path(os.environ.get("NEWSARCHIVE_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    path = target / (
        f"{name}.png" if web_archive.backend == "sqlite" else f"{name}-{web_archive.backend}.png"
    )
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path


def test_search_then_open_an_article(page: Page, site: str, web_archive, tmp_path):
    page.goto(site)
    expect(page.locator("ol.results li")).to_have_count(20)
    page.get_by_label("Search the archive").fill("oracle openai")
    page.keyboard.press("Enter")
    results = page.locator("ol.results li a.title")
    expect(results.first).to_contain_text("Oracle")
    _screenshot(page, "search", web_archive, tmp_path)
    title = results.first.inner_text()
    results.first.click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("article.text p").first).to_be_visible()


def test_an_article_shows_its_versions_and_leads_to_its_story(page: Page, site: str, web_archive, tmp_path):
    page.goto(f"{site}articles/{web_archive.revised_id}")
    expect(page.locator("#versions")).to_have_text("Versions (3)")
    expect(page.locator(".diff ins").first).to_be_visible()
    expect(page.locator(".diff del").first).to_be_visible()
    page.locator("#versions").scroll_into_view_if_needed()
    _screenshot(page, "article-versions", web_archive, tmp_path)
    page.goto(f"{site}articles/{web_archive.original_id}")
    expect(page.locator("#copies")).to_contain_text("Copies of this article")
    page.goto(f"{site}stories/{web_archive.story_id}")
    assert page.locator(".timeline .item").count() >= 2
    languages = set(page.locator(".timeline .badge.lang").all_inner_texts())
    assert len(languages) >= 2, languages
    _screenshot(page, "story", web_archive, tmp_path)
    page.locator(".timeline .item a").first.click()
    expect(page.locator("h1")).not_to_be_empty()
    page.goto(f"{site}articles/{web_archive.revised_id}")
    page.locator("dl.meta a[href^='/stories/']").click()
    expect(page).to_have_url(re.compile(r"/stories/\d+$"))
    expect(page.locator(".timeline .item")).not_to_have_count(0)


def test_the_outlets_charts_render(page: Page, site: str, web_archive, tmp_path):
    page.goto(f"{site}outlets")
    charts = page.locator("svg.chart")
    expect(charts.first).to_be_visible()
    bars = page.locator("section#demo svg.chart rect.count")
    assert bars.count() == 90
    tallest = max(bar.bounding_box()["height"] for bar in bars.all()[-40:])
    assert tallest > 50, "the per-day chart draws its articles"
    assert page.locator("section#demo svg.chart rect.share").count() >= 1
    _screenshot(page, "outlets", web_archive, tmp_path)


def test_markup_in_a_crawled_article_shows_as_text(page: Page, site: str, web_archive, tmp_path):
    page.goto(f"{site}articles/{web_archive.hostile_id}")
    expect(page.locator("article.text")).to_contain_text(SCRIPT)
    expect(page.locator("h1")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.evaluate("window.__xss") is None
    assert page.locator("article.text script, h1 img").count() == 0
    assert page.locator("dl.meta a").first.get_attribute("href") == "#"
    _screenshot(page, "hostile-article", web_archive, tmp_path)
