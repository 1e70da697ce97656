"""The one generic spider: an outlet's feeds, sitemaps and listing pages -> article pages.

Discovery and the decision to fetch live here; everything done with a page lives in the
pipeline's pure stages. Configuration comes from the registry entry and `from_crawler`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import discover, frontier, outlets as registry, warc
from crawler.dates import parse_date
from crawler.dedup import canonical_url
from crawler.extract import Hints
from crawler.items import PageItem, UrlOutcome
from crawler.process import Page
from db.migrate import ensure_schema
from db.queries import KnownUrl, known_urls, last_crawl_completed
from db.session import session_factory, shared_engine
from db.store import upsert_outlets

# Outcomes after which an unchanged URL is never fetched again.
SETTLED = {"article", "off_topic", "not_article", "too_large", "disallowed"}
HTML_TYPES = ("text/html", "application/xhtml+xml")
CONNECTION_FAILURES = ("DownloadConnectionRefusedError", "CannotResolveHostError", "DNSLookupError",
                       "ConnectionRefusedError", "DownloadTimeoutError", "TimeoutError", "TCPTimedOutError",
                       "ConnectError", "DownloadFailedError")


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, outlet: str, outlet_config: registry.Outlet, outlet_id: int,
                 known: dict[str, KnownUrl], since: datetime | None = None, max_pages: int = 0,
                 listing_max_pages: int = 5, sitemap_max_depth: int = 3, resumed: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outlet = outlet_config
        self.outlet_id = outlet_id
        self.known = known
        self.since = since
        self.max_pages = max_pages
        self.listing_max_pages = listing_max_pages
        self.sitemap_max_depth = sitemap_max_depth
        # After a crawl that did not finish, feeds, sitemaps and listings are read again in full:
        # a 304 would hide the children (and their articles) the killed crawl never reached.
        self.resumed = resumed
        self.allowed_domains = list(outlet_config.allowed_domains)
        self.scheduled: set[str] = set()
        self.responses = 0
        self.connection_errors: list[str] = []

    @classmethod
    def from_crawler(cls, crawler, outlet: str | None = None, **kwargs: Any) -> "NewsSpider":
        settings = crawler.settings
        if not outlet:
            raise ValueError("give the outlet: scrapy crawl news -a outlet=SLUG")
        outlets_file = kwargs.pop("outlets_file", None) or settings.get("NEWSARCHIVE_OUTLETS_FILE")
        config = registry.load(Path(outlets_file) if outlets_file else None)
        if outlet not in config:
            raise ValueError(f"unknown outlet {outlet!r}; known: {', '.join(sorted(config))}")
        engine = shared_engine(settings.get("NEWSARCHIVE_DB"))
        ensure_schema(engine)
        with session_factory(engine, write=True).begin() as session:
            outlet_id = upsert_outlets(session, [config[outlet].as_row()])[outlet]
        with session_factory(engine).begin() as session:
            known = known_urls(session, outlet_id)
            resumed = not last_crawl_completed(session, outlet_id)
        since = kwargs.pop("since", None) or settings.get("NEWSARCHIVE_SINCE")
        spider = cls(
            outlet, config[outlet], outlet_id, known,
            since=parse_date(since) if isinstance(since, str) else since,
            max_pages=int(kwargs.pop("max_pages", None) or settings.getint("NEWSARCHIVE_MAX_PAGES")),
            listing_max_pages=settings.getint("NEWSARCHIVE_LISTING_MAX_PAGES"),
            sitemap_max_depth=settings.getint("NEWSARCHIVE_SITEMAP_MAX_DEPTH"),
            resumed=resumed, **kwargs,
        )
        spider._set_crawler(crawler)
        return spider

    # --- sources ---

    async def start(self) -> AsyncIterator[scrapy.Request]:
        shared = self.settings.get("NEWSARCHIVE_FRONTIER")
        if shared and not frontier.claim_seed(shared, self.outlet.slug, self.settings.getint("NEWSARCHIVE_FRONTIER_SEED_SECONDS")):
            return  # another worker reads the sources; this one takes requests from the shared queue
        for url in self.outlet.feeds:
            yield self._source_request(url, self.parse_feed, "feed")
        for url in self.outlet.sitemaps:
            callback = self.parse_robots if url.rstrip("/").endswith("robots.txt") else self.parse_sitemap
            yield self._source_request(url, callback, "sitemap", depth=0)
        for url in self.outlet.listing_pages:
            yield self._source_request(url, self.parse_listing, "listing", page=1)

    def _source_request(self, url: str, callback, kind: str, **meta: Any) -> scrapy.Request:
        headers = {} if self.resumed else self._validators(url)
        return scrapy.Request(url, callback=callback, errback=self.on_error, headers=headers,
                              meta={"kind": kind, "state_url": canonical_url(url), **meta}, dont_filter=True)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if self._unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        info = discover.parse_feed(response.body, response.url)
        self.crawler.stats.inc_value("discover/feed_entries", len(info.links))
        if info.update_seconds:  # the feed's own sy:updatePeriod / <ttl>: the scheduler polls no faster
            self.crawler.stats.min_value("discover/feed_update_seconds", info.update_seconds)
        yield from self._source_outcome(response, "not_article" if info.is_feed else "error",
                                        None if info.is_feed else "not a feed")
        for link in info.links:
            yield from self._consider(link)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        self.responses += 1
        for url in discover.robots_sitemaps(response.text, response.url):
            yield self._source_request(url, self.parse_sitemap, "sitemap", depth=0)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if self._unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        try:
            info = discover.parse_sitemap(response.body, response.url)
        except (ValueError, OSError, EOFError) as exc:
            yield from self._source_outcome(response, "error", f"unreadable sitemap: {exc}")
            return
        yield from self._source_outcome(response, "not_article")
        depth = response.meta.get("depth", 0)
        for child in info.children:
            if depth < self.sitemap_max_depth and not self._too_old(child):
                yield self._source_request(child.url, self.parse_sitemap, "sitemap", depth=depth + 1)
        self.crawler.stats.inc_value("discover/sitemap_urls", len(info.links))
        for link in info.links:
            yield from self._consider(link)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if self._unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        info = discover.parse_listing(response.text, response.url)
        yield from self._source_outcome(response, "not_article")
        for link in info.links:
            yield from self._consider(link)
        page = response.meta.get("page", 1)
        if info.next_page and page < self.listing_max_pages:
            yield self._source_request(info.next_page, self.parse_listing, "listing", page=page + 1)

    # --- articles ---

    def _consider(self, link: discover.Link) -> Iterator[scrapy.Request]:
        url = canonical_url(link.url)
        stats = self.crawler.stats
        if url in self.scheduled:
            return
        if not self.outlet.wants(url):
            stats.inc_value("discover/filtered_url")
            return
        if self._too_old(link):
            stats.inc_value("discover/filtered_since")
            return
        known = self.known.get(url)
        if known is not None and known.outcome in SETTLED and not _changed_since(link, known):
            stats.inc_value("incremental/skipped_known")
            return
        if self.max_pages and len(self.scheduled) >= self.max_pages:
            stats.inc_value("discover/over_max_pages")
            return
        self.scheduled.add(url)
        yield scrapy.Request(
            url, callback=self.parse_article, errback=self.on_error, headers=self._validators(url),
            meta={"kind": "page", "state_url": url, "hints": Hints(link.title, link.published), "lastmod": link.lastmod},
        )

    def parse_article(self, response: Response) -> Iterator[Any]:
        if self._unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if not content_type.split(";")[0].strip().lower() in HTML_TYPES:
            yield self._outcome(response, "not_article", f"content type {content_type or 'missing'}")
            return
        self.crawler.stats.inc_value("fetch/article_pages")
        yield PageItem(
            page=Page(url=response.url, body=response.body, content_type=content_type, outlet_id=self.outlet_id,
                      hints=response.meta.get("hints") or Hints(), page_language_default=self.outlet.language,
                      timezone=self.outlet.timezone),
            state_url=response.meta["state_url"], http_status=response.status,
            etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
            lastmod=response.meta.get("lastmod"), warc=response.meta.get(warc.META_KEY),
        )

    # --- outcomes ---

    def _unchanged_or_gone(self, response: Response) -> bool:
        self.responses += 1
        if response.status == 304:
            self.crawler.stats.inc_value("fetch/not_modified")
        return response.status in (304, 404, 410)

    def _source_outcome(self, response: Response, outcome: str | None = None, message: str | None = None) -> Iterator[UrlOutcome]:
        if response.status == 304:  # unchanged: keep what we knew of it
            known = self.known.get(response.meta["state_url"])
            yield self._outcome(response, known.outcome if known else "not_article")
        elif response.status in (404, 410):
            self.crawler.stats.inc_value("fetch/gone")
            yield self._outcome(response, "error", f"HTTP {response.status}")
        elif outcome:
            yield self._outcome(response, outcome, message)

    def _outcome(self, response: Response, outcome: str, message: str | None = None) -> UrlOutcome:
        return UrlOutcome(url=response.meta["state_url"], outlet_id=self.outlet_id, kind=response.meta["kind"],
                          outcome=outcome, http_status=response.status, message=message,
                          etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"))

    def on_error(self, failure: Failure) -> Iterator[UrlOutcome]:
        request = failure.request
        name = type(failure.value).__name__
        message = str(failure.value).splitlines()[0][:500] if str(failure.value) else name
        if failure.check(IgnoreRequest) and "robots.txt" in message:
            outcome = "disallowed"
        elif "larger than download max size" in message:
            outcome = "too_large"
        else:
            outcome = "error"
            if name in CONNECTION_FAILURES:
                self.connection_errors.append(f"{name}: {message}")
        self.crawler.stats.inc_value(f"fetch/{outcome}")
        self.logger.info("%s %s: %s", outcome, request.url, message)
        status = getattr(getattr(failure.value, "response", None), "status", None)
        yield UrlOutcome(url=request.meta.get("state_url", request.url), outlet_id=self.outlet_id,
                         kind=request.meta.get("kind", "page"), outcome=outcome, http_status=status, message=message)

    # --- helpers ---

    def _too_old(self, link: discover.Link) -> bool:
        newest = link.newest_date
        return self.since is not None and newest is not None and newest < self.since

    def _validators(self, url: str) -> dict[str, str]:
        known = self.known.get(canonical_url(url))
        headers = {}
        if known and known.etag:
            headers["If-None-Match"] = known.etag
        if known and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        elif known and known.last_fetched_at and known.outcome in SETTLED:
            headers["If-Modified-Since"] = format_datetime(known.last_fetched_at, usegmt=True)
        return headers


def _changed_since(link: discover.Link, known: KnownUrl) -> bool:
    """A sitemap lastmod newer than our last fetch means the article changed."""
    return link.lastmod is not None and known.last_fetched_at is not None and link.lastmod > known.last_fetched_at


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
