"""The offline demo: a sample outlet served on loopback, with the features of a real one
(RSS feed with tracking-parameter links, sitemap index with a gzipped urlset and a Google News
sitemap, robots.txt with a disallowed section, ads and related-links boxes in every article),
and what dedup is for: partners' copies of two articles (one stamped before the original, but
crediting it) and translations of two others."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from crawler.devsite import sitegen
from crawler.devsite.loopback import loopback_settings
from crawler.devsite.siteserver import Resource, SiteServer
from crawler.devsite.synthetic import article

DEMO_ARTICLES = 36
SITE_NAME = "Demo Tech News"


def demo_articles(base: str) -> list[sitegen.SiteArticle]:
    stories = [article(n) for n in range(1, DEMO_ARTICLES + 1)]
    urls = [f"{base}/{s.published_at:%Y/%m/%d}/{'pro' if s.relevant else 'games'}/{s.slug}/" for s in stories]
    items = []
    for index, (story, url) in enumerate(zip(stories, urls, strict=True)):
        related = tuple(
            (stories[j].title, urls[j]) for j in ((index + 1) % len(stories), (index + 2) % len(stories))
        )
        items.append(sitegen.SiteArticle(story, url, related=related))
    return items


# Stories republished by a partner (with its syndication footer), and stories translated.
COPIED = {1: timedelta(hours=-2), 2: timedelta(hours=3)}
TRANSLATED = {3: "pt", 4: "fr"}


def dedup_extras(items: list[sitegen.SiteArticle], base: str) -> list[sitegen.SiteArticle]:
    extras = []
    for number, shift in COPIED.items():
        original = items[number - 1]
        footer = f"O post {original.story.title} apareceu primeiro em {SITE_NAME}.\nFonte: {original.url}"
        story = dataclasses.replace(
            original.story,
            text=f"{original.story.text}\n{footer}",
            published_at=original.story.published_at + shift,
        )
        extras.append(
            sitegen.SiteArticle(
                story, f"{base}/{story.published_at:%Y/%m/%d}/parceiros/{story.slug}/", "Parceiro"
            )
        )
    for number, language in TRANSLATED.items():
        story = article(number, language=language)
        story = dataclasses.replace(story, published_at=story.published_at + timedelta(hours=5))
        extras.append(
            sitegen.SiteArticle(story, f"{base}/{story.published_at:%Y/%m/%d}/{language}/{story.slug}/")
        )
    return extras


def demo_site(base: str) -> dict[str, Resource]:
    items = demo_articles(base)
    xml, html = "application/xml", "text/html; charset=utf-8"
    half = len(items) // 2
    extras = dedup_extras(items, base)
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
        "/post-sitemap.xml.gz": Resource(
            sitegen.gz(sitegen.urlset(items[:half] + extras)), "application/x-gzip"
        ),
        "/news-sitemap.xml": Resource(sitegen.news_sitemap(SITE_NAME, items[half - 4 : half]).encode(), xml),
    }
    for item in items + extras:
        path = item.url[len(base) :]
        site[path] = Resource(sitegen.article_page(item, SITE_NAME).encode("utf-8"), html)
    return site


def registry_toml(base: str) -> str:
    return f"""[outlets.demo]
name = "{SITE_NAME}"
homepage = "{base}/"
language = "pt"
country = "BR"
feeds = ["{base}/feed/"]
sitemaps = ["{base}/robots.txt"]
article_url_pattern = '/\\d{{4}}/\\d{{2}}/\\d{{2}}/[\\w-]+/[\\w-]+/$'
"""


# The demo outlet's address: stable across runs (the server's port is not), so a second demo
# is an incremental crawl. Requests reach the loopback server through crawler.devsite.loopback.
DEMO_BASE = "http://demo.newsarchive.test"


def start_demo_server() -> SiteServer:
    server = SiteServer({})
    server.sites["*"] = demo_site(DEMO_BASE)
    return server.start()


def crawl_overrides(server: SiteServer) -> dict:
    return loopback_settings(server.server_address[1]) | {"CONCURRENT_REQUESTS_PER_DOMAIN": 8}
