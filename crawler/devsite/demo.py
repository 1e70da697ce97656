"""The offline demo: two sample outlets served on loopback. The first has the features of a real
one (RSS feed with tracking-parameter links, sitemap index with a gzipped urlset and a Google News
sitemap, robots.txt with a disallowed section, ads and related-links boxes in every article); the
second, a partner, shows what dedup is for: copies of two of its articles (one stamped before the
original, but crediting it) and translations of others. The articles span the six months before
the demo runs."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from crawler.devsite import sitegen
from crawler.devsite.loopback import loopback_settings
from crawler.devsite.siteserver import Resource, SiteServer
from crawler.devsite.synthetic import EPOCH, SyntheticArticle, article

# The synthetic articles the demo outlet publishes; 176 is an OpenAI–Oracle deal, for the README's
# first example.
DEMO_NUMBERS = (*range(1, 36), 176)
SITE_NAME = "Demo Tech News"
PARTNER_NAME = "Parceiro Digital"
# Days between two demo articles: 36 of them span the six months before the demo runs, so the
# README's examples ("since June 2025", "this year") find rows whenever it is run.
SPACING = timedelta(days=5)


def _anchor() -> datetime:
    """Two days ago at midnight UTC: the newest demo article (and its translation, 5 hours later)
    is never in the future."""
    return datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)


def _dated(story: SyntheticArticle, position: int, anchor: datetime) -> SyntheticArticle:
    """The article at `position` (0: the oldest) SPACING after the one before it; the synthetic time
    of day is kept, so two articles never share a timestamp."""
    offset = (story.published_at - EPOCH) % timedelta(days=1)
    return dataclasses.replace(
        story, published_at=anchor - SPACING * (len(DEMO_NUMBERS) - 1 - position) + offset
    )


def demo_articles(base: str, anchor: datetime) -> list[sitegen.SiteArticle]:
    stories = [_dated(article(n), position, anchor) for position, n in enumerate(DEMO_NUMBERS)]
    # No date in the URLs: a demo run on another day finds the same articles (an incremental crawl).
    urls = [f"{base}/{'pro' if s.relevant else 'games'}/{s.slug}/" for s in stories]
    items = []
    for index, (story, url) in enumerate(zip(stories, urls, strict=True)):
        related = tuple(
            (stories[j].title, urls[j]) for j in ((index + 1) % len(stories), (index + 2) % len(stories))
        )
        items.append(sitegen.SiteArticle(story, url, related=related))
    return items


# Stories the partner outlet republishes (with its syndication footer, one stamped before the
# original but crediting it), and stories it translates.
COPIED = {1: timedelta(hours=-2), 2: timedelta(hours=3)}
TRANSLATED = {3: "pt", 4: "fr", 7: "es", 8: "en", 176: "en"}


def partner_articles(items: list[sitegen.SiteArticle], base: str) -> list[sitegen.SiteArticle]:
    extras = []
    by_number = {item.story.number: item for item in items}
    for number, shift in COPIED.items():
        copied = by_number[number]
        footer = f"O post {copied.story.title} apareceu primeiro em {SITE_NAME}.\nFonte: {copied.url}"
        story = dataclasses.replace(
            copied.story,
            text=f"{copied.story.text}\n{footer}",
            published_at=copied.story.published_at + shift,
        )
        extras.append(sitegen.SiteArticle(story, f"{base}/parceiros/{story.slug}/", "Parceiro"))
    for number, language in TRANSLATED.items():
        original = by_number[number].story
        if original.language == language:
            continue
        story = article(number, language=language)
        story = dataclasses.replace(story, published_at=original.published_at + timedelta(hours=5))
        extras.append(sitegen.SiteArticle(story, f"{base}/{language}/{story.slug}/"))
    return extras


def demo_site(base: str, anchor: datetime) -> dict[str, Resource]:
    items = demo_articles(base, anchor)
    xml = "application/xml"
    half = len(items) // 2
    # The feed links carry tracking parameters, as real feeds' do: one article, one row anyway.
    feed_items = [
        sitegen.SiteArticle(i.story, i.url + "?utm_source=rss&utm_medium=feed", i.author)
        for i in items[half:]
    ]
    site = {
        "/robots.txt": Resource(
            sitegen.robots_txt([f"{base}/sitemap_index.xml"], ["/private/"]).encode(), "text/plain"
        ),
        "/feed/": Resource(
            sitegen.rss_feed(SITE_NAME, base + "/", feed_items).encode(), "application/rss+xml; charset=UTF-8"
        ),
        "/sitemap_index.xml": Resource(
            sitegen.sitemap_index([f"{base}/post-sitemap.xml.gz", f"{base}/news-sitemap.xml"]).encode(), xml
        ),
        # As on real sites, the sitemap also lists a draft robots.txt keeps the crawler out of and
        # an article since removed (404).
        "/post-sitemap.xml.gz": Resource(
            sitegen.gz(
                sitegen.urlset(
                    items[:half]
                    + [
                        dataclasses.replace(items[0], url=f"{base}/private/draft-{items[0].story.slug}/"),
                        dataclasses.replace(items[1], url=f"{base}/pro/removed-{items[1].story.slug}/"),
                    ]
                )
            ),
            "application/x-gzip",
        ),
        "/news-sitemap.xml": Resource(sitegen.news_sitemap(SITE_NAME, items[half - 4 : half]).encode(), xml),
    }
    return site | _pages(items, base, SITE_NAME)


def partner_site(base: str, demo_base: str, anchor: datetime) -> dict[str, Resource]:
    items = partner_articles(demo_articles(demo_base, anchor), base)
    feed = sitegen.rss_feed(PARTNER_NAME, base + "/", items).encode()
    return {"/feed/": Resource(feed, "application/rss+xml; charset=UTF-8")} | _pages(
        items, base, PARTNER_NAME
    )


def _pages(items: list[sitegen.SiteArticle], base: str, site_name: str) -> dict[str, Resource]:
    return {
        item.url[len(base) :]: Resource(
            sitegen.article_page(item, site_name).encode("utf-8"), "text/html; charset=utf-8"
        )
        for item in items
    }


def registry_toml(base: str, partner_base: str) -> str:
    return f"""[outlets.demo]
name = "{SITE_NAME}"
homepage = "{base}/"
language = "pt"
country = "BR"
feeds = ["{base}/feed/"]
sitemaps = ["{base}/robots.txt"]
article_url_pattern = '/[\\w-]+/[\\w-]+/$'

[outlets.parceiro]
name = "{PARTNER_NAME}"
homepage = "{partner_base}/"
language = "pt"
country = "PT"
feeds = ["{partner_base}/feed/"]
article_url_pattern = '/[\\w-]+/[\\w-]+/$'
"""


# The demo outlets' addresses: stable across runs (the server's port is not), so a second demo
# is an incremental crawl. Requests reach the loopback server through crawler.devsite.loopback.
DEMO_BASE = "http://demo.newsarchive.test"
PARTNER_BASE = "http://parceiro.newsarchive.test"
DEMO_OUTLETS = ["demo", "parceiro"]


def start_demo_server() -> SiteServer:
    anchor = _anchor()
    server = SiteServer({})
    server.sites["demo.newsarchive.test"] = demo_site(DEMO_BASE, anchor)
    server.sites["parceiro.newsarchive.test"] = partner_site(PARTNER_BASE, DEMO_BASE, anchor)
    return server.start()


def crawl_overrides(server: SiteServer) -> dict:
    return loopback_settings(server.server_address[1]) | {"CONCURRENT_REQUESTS_PER_DOMAIN": 8}
