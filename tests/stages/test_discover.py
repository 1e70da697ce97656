"""Feeds, sitemaps, robots.txt and listing pages (crawler/stages/discover.py), real and hostile."""

from __future__ import annotations

import gzip

import pytest

from bench.seed_pages import seed_files
from crawler.devsite import sitegen
from crawler.devsite.synthetic import article
from crawler.stages import discover

from ..conftest import SHARED

SEEDS = seed_files()

FEEDS = SHARED / "corpus" / "feeds"
SITEMAPS = SHARED / "corpus" / "sitemaps"


def test_rss_and_atom_feeds_from_the_corpus():
    for path in sorted((FEEDS).rglob("*.xml"))[:40]:
        info = discover.parse_feed(path.read_bytes(), "https://example.test/feed")
        assert all(link.url.startswith(("http://", "https://")) for link in info.links)
    wordpress = next(
        p for p in FEEDS.rglob("*.xml") if "wordpress" in p.name.lower() or "wp" in p.name.lower()
    )
    assert discover.parse_feed(wordpress.read_bytes(), "https://example.test/").links


def test_feed_dates_titles_and_update_period():
    items = [sitegen.SiteArticle(article(n), f"https://a.test/{n}/") for n in range(3)]
    info = discover.parse_feed(
        sitegen.rss_feed("A", "https://a.test/", items, update_period="daily").encode(),
        "https://a.test/feed/",
    )
    assert [link.url for link in info.links] == [i.url for i in items]
    assert (
        info.links[0].title == items[0].story.title and info.links[0].published == items[0].story.published_at
    )
    assert info.update_seconds == 86400


def test_hostile_feeds_give_no_links_and_no_crash():
    for body in (
        b"",
        b"<rss><channel><item><link>",
        b"\x00\x01binary",
        b"<!DOCTYPE x [<!ENTITY a 'b'>]><rss>&a;</rss>",
        b"<html><body>not a feed</body></html>",
    ):
        assert discover.parse_feed(body, "https://a.test/feed").links == []


def test_sitemap_index_urlset_gzip_and_google_news():
    items = [sitegen.SiteArticle(article(n), f"https://a.test/{n}/") for n in range(2)]
    index = discover.parse_sitemap(
        sitegen.sitemap_index(["https://a.test/s1.xml.gz"]).encode(), "https://a.test/sitemap.xml"
    )
    assert [c.url for c in index.children] == ["https://a.test/s1.xml.gz"] and index.links == []
    gz = discover.parse_sitemap(sitegen.gz(sitegen.urlset(items)), "https://a.test/s1.xml.gz")
    assert [link.url for link in gz.links] == [i.url for i in items] and gz.links[0].lastmod == items[
        0
    ].story.published_at
    news = discover.parse_sitemap(sitegen.news_sitemap("A", items).encode(), "https://a.test/news.xml")
    assert (
        news.links[1].title == items[1].story.title and news.links[1].published == items[1].story.published_at
    )


def test_sitemaps_from_the_corpus_parse():
    parsed = 0
    for path in sorted(SITEMAPS.rglob("*")):
        if path.is_file() and path.suffix in (".xml", ".gz", ".txt"):
            info = discover.parse_sitemap(path.read_bytes(), "https://example.test/sitemap.xml")
            parsed += bool(info.links or info.children)
    assert parsed >= 5


def test_xml_bomb_is_not_expanded():
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><urlset><url><loc>https://a.test/&b;</loc></url></urlset>'
    links = discover.parse_sitemap(bomb, "https://a.test/s.xml").links
    assert all(len(link.url) < 100 for link in links)


def test_gzip_bomb_is_refused():
    with pytest.raises(ValueError, match="larger than"):
        discover.maybe_gunzip(gzip.compress(b"<" + b" " * (51 * 1024 * 1024)))


def test_robots_sitemap_lines_and_listing_next_page():
    assert discover.robots_sitemaps(
        "User-agent: *\nSitemap: /s.xml\nsitemap:https://b.test/x.xml", "https://a.test/robots.txt"
    ) == ["https://a.test/s.xml", "https://b.test/x.xml"]
    listing = discover.parse_listing(
        '<a href="/a/#c">A</a><a href="mailto:x">m</a><a rel="next" href="?page=2">next</a>',
        "https://a.test/cat/",
    )
    assert [link.url for link in listing.links] == ["https://a.test/a/", "https://a.test/cat/?page=2"]
    assert listing.next_page == "https://a.test/cat/?page=2"
