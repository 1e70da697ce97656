"""The seed records rendered as the outlet pages they came from (bench/seed_pages.py: Olhar
Digital's 2025 and 2022 markup, an aggregator's syndicated copy, with ads, "read also" boxes,
share bars and comment forms as markup), then through the whole pipeline: every content line
survives, no boilerplate is left, and the metadata is the page's own."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.seed_pages import MARKERS, SeedPage, seed_pages
from crawler.config import load_settings
from crawler.stages.process import Options, Page, process_page

PAGES = seed_pages()
OPTIONS = Options.from_settings(load_settings())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.seed}-{p.layout}")
def test_seed_page_comes_out_clean_with_its_metadata(page: SeedPage):
    processed = process_page(
        Page(page.url, page.html.encode(), "text/html"), replace(OPTIONS, timezone=page.timezone)
    )
    assert processed.record is not None, processed.message
    record = processed.record
    for marker in MARKERS:
        assert marker not in record["text"], f"boilerplate left: {marker}"
    for line in page.content:
        # a line survives whole, at most shorn of markup debris such as `Strong>` inside it
        assert line[20:80] in record["text"], f"content lost: {line[:80]!r}"
    assert not record["text"].startswith(page.gold.title), (
        "the headline repeated as the first line stays in `title` only"
    )
    assert (record["title"], record["authors"], record["language"]) == (
        page.gold.title,
        page.gold.author,
        page.gold.language,
    )
    # to the minute, in every layout: the 2022 one writes "às 09h30" with no offset, in the outlet's zone
    assert record["published_at"] == page.gold.published_at
    assert record["is_relevant"]
    if page.layout == "aggregator":
        assert (
            record["source_url"]
            == f"https://olhardigital.com.br/{page.gold.published_at:%Y/%m/%d}/pro/{page.gold.slug}/"
        )


def test_declared_publication_time_is_kept_to_the_minute_in_utc():
    page = next(p for p in PAGES if p.seed == "004" and p.layout == "olhardigital_2025")
    record = process_page(Page(page.url, page.html.encode(), "text/html"), OPTIONS).record
    assert record["published_at"].isoformat() == "2024-07-10T16:45:00+00:00"


def test_local_dateline_without_offset_is_read_in_the_outlet_zone():
    page = next(p for p in PAGES if p.seed == "000" and p.layout == "olhardigital_2022")
    html = page.html.encode()
    in_zone = process_page(
        Page(page.url, html, "text/html"), replace(OPTIONS, timezone="America/Sao_Paulo")
    ).record
    no_zone = process_page(Page(page.url, html, "text/html"), OPTIONS).record
    assert in_zone["published_at"].isoformat() == "2024-06-13T12:30:00+00:00"  # 09h30 in Brasília
    assert no_zone["published_at"].isoformat() == "2024-06-13T09:30:00+00:00"  # no zone in the registry: UTC
