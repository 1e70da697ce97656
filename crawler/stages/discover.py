"""Discover stage: feeds, sitemaps, robots.txt and listing pages -> article links (pure).

Each link carries what the source knew (title, publication date, sitemap lastmod) so the
extract stage can fill gaps in the page.
"""

from __future__ import annotations

import calendar
import gzip
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser
from lxml import etree
from lxml import html as lxml_html

from crawler.stages.dates import parse_date

# Largest decompressed sitemap we accept (the sitemaps.org limit is 50 MB).
SITEMAP_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Link:
    url: str
    title: str | None = None
    published: datetime | None = None
    lastmod: datetime | None = None
    source: str = "feed"

    @property
    def newest_date(self) -> datetime | None:
        dates = [d for d in (self.published, self.lastmod) if d is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class FeedInfo:
    links: list[Link]
    update_seconds: int | None = None  # from sy:updatePeriod/updateFrequency or <ttl>
    is_feed: bool = True


_SY_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}


def parse_feed(body: bytes, url: str) -> FeedInfo:
    """RSS 0.9x/1.0/2.0 or Atom; a document that is not a feed gives no links."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.entries and not parsed.get("version"):
        return FeedInfo([], is_feed=False)
    links = []
    for entry in parsed.entries:
        href = entry.get("link") or next(
            (link.get("href") for link in entry.get("links", []) if link.get("href")), None
        )
        if not href:
            continue
        link = urljoin(url, href.strip())
        if not link.startswith(("http://", "https://")):
            continue
        # asked by exact key: feedparser's `.get` maps updated -> published with a warning
        published = _struct_time(entry["published_parsed"] if "published_parsed" in entry.keys() else None)
        updated = _struct_time(entry["updated_parsed"] if "updated_parsed" in entry.keys() else None)
        links.append(Link(link, entry.get("title") or None, published or updated, updated, "feed"))
    return FeedInfo(links, _feed_update_seconds(parsed.feed))


def _struct_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _feed_update_seconds(feed) -> int | None:
    period = _SY_PERIODS.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period:
        try:
            return max(60, period // max(1, int(feed.get("sy_updatefrequency", 1))))
        except ValueError:
            return period
    ttl = str(feed.get("ttl", "")).strip()
    return int(ttl) * 60 if ttl.isdigit() else None


@dataclass(frozen=True)
class SitemapInfo:
    children: list[Link]  # further sitemaps (from a sitemap index)
    links: list[Link]  # page URLs


def maybe_gunzip(body: bytes, max_bytes: int = SITEMAP_MAX_BYTES) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"sitemap larger than {max_bytes:,} bytes once decompressed")
    return data


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


def parse_sitemap(body: bytes, url: str, max_bytes: int = SITEMAP_MAX_BYTES) -> SitemapInfo:
    """A sitemap index, a urlset (with Google News and lastmod data), or a plain-text list."""
    data = maybe_gunzip(body, max_bytes)
    stripped = data.lstrip()
    if stripped[:1] != b"<":
        lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
        return SitemapInfo(
            [], [Link(line, source="sitemap") for line in lines if line.startswith(("http://", "https://"))]
        )
    root = etree.fromstring(stripped, parser=_PARSER)
    if root is None:
        return SitemapInfo([], [])
    children: list[Link] = []
    links: list[Link] = []
    for element in root:
        if not isinstance(element.tag, str):
            continue
        kind = etree.QName(element).localname
        fields = {
            etree.QName(el).localname: (el.text or "").strip()
            for el in element.iter()
            if isinstance(el.tag, str)
        }
        loc = fields.get("loc")
        if not loc:
            continue
        link = Link(
            urljoin(url, loc),
            title=fields.get("title") or None,
            published=parse_date(fields.get("publication_date")),
            lastmod=parse_date(fields.get("lastmod")),
            source="sitemap",
        )
        (children if kind == "sitemap" else links).append(link)
    return SitemapInfo(children, links)


_ROBOTS_SITEMAP = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def robots_sitemaps(robots_txt: str, url: str) -> list[str]:
    return [urljoin(url, found) for found in _ROBOTS_SITEMAP.findall(robots_txt)]


@dataclass(frozen=True)
class ListingInfo:
    links: list[Link]
    next_page: str | None


def parse_listing(body: str, url: str) -> ListingInfo:
    """Every link on a listing page (the outlet's URL pattern keeps the articles) and its next page."""
    if not body.strip():
        return ListingInfo([], None)
    tree = lxml_html.fromstring(body, base_url=url)
    links, seen = [], set()
    for anchor in tree.iterfind(".//a[@href]"):
        href = urljoin(url, anchor.get("href").strip()).split("#", 1)[0]
        if href.startswith(("http://", "https://")) and href not in seen:
            seen.add(href)
            links.append(Link(href, title=(anchor.text_content().strip() or None), source="listing"))
    return ListingInfo(links, _next_page(tree, url))


def _next_page(tree, url: str) -> str | None:
    for xpath in (
        './/link[@rel="next"]/@href',
        './/a[@rel="next"]/@href',
        './/a[contains(concat(" ", normalize-space(@class), " "), " next ")]/@href',
    ):
        found = tree.xpath(xpath)
        if found:
            return urljoin(url, found[0].strip())
    return None
