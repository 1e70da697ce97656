"""The one generic spider: an outlet's feeds, sitemaps and listing pages -> article pages.

It only discovers: which URLs are the outlet's articles, and what became of each source. What is
already known of a URL (skip it, or ask with its validators) is crawler.components.middlewares';
the crawl run and the outlet's row are crawler.components.extensions'; everything done with a page
is the pipeline's. Configuration comes from the registry entry and `from_crawler`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from twisted.internet.error import ConnectError, DNSLookupError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

from crawler import outlets as registry
from crawler.components import frontier, warc
from crawler.components.middlewares import DEFERRED
from crawler.items import PageItem, UrlOutcome
from crawler.outcomes import Outcome
from crawler.stages import discover
from crawler.stages.dates import parse_date
from crawler.stages.dedup import canonical_url
from crawler.stages.extract import Hints
from crawler.stages.process import Page

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Failures that mean the host did not answer at all (an outlet with only these is unreachable).
CONNECTION_FAILURES = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadTimeoutError,
    DownloadFailedError,
    ConnectError,
    DNSLookupError,
    TwistedTimeoutError,
)
# request.meta key: how deep in sitemap indexes a sitemap is (DepthMiddleware owns "depth").
SITEMAP_DEPTH = "sitemap_depth"
# request.meta key: the sitemaps of the same index still to read after this one (with --max-pages).
SIBLINGS = "sitemap_siblings"


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        outlet: registry.Outlet,
        since: datetime | None = None,
        listing_max_pages: int = 5,
        sitemap_max_depth: int = 3,
        sitemap_maxsize: int = 50 * 1024**2,
        max_pages: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.outlet = outlet
        self.since = since
        self.listing_max_pages = listing_max_pages
        self.sitemap_max_depth = sitemap_max_depth
        self.sitemap_maxsize = sitemap_maxsize
        self.max_pages = max_pages
        self.allowed_domains = list(outlet.allowed_domains)
        self.scheduled: set[str] = set()
        # Sources asked for in this crawl: a sitemap listed by several indexes, twice in robots.txt,
        # or by itself is fetched once.
        self.sources: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        settings = crawler.settings
        slug = kwargs.pop("outlet", None)
        if not slug:
            raise ValueError("give the outlet: scrapy crawl news -a outlet=SLUG")
        outlets_file = kwargs.pop("outlets_file", None) or settings.get("NEWSARCHIVE_OUTLETS_FILE")
        config = registry.load(Path(outlets_file) if outlets_file else None)
        if slug not in config:
            raise ValueError(f"unknown outlet {slug!r}; known: {', '.join(sorted(config))}")
        since = kwargs.pop("since", None) or settings.get("NEWSARCHIVE_SINCE")
        spider = cls(
            config[slug],
            since=parse_date(since) if isinstance(since, str) else since,
            listing_max_pages=settings.getint("NEWSARCHIVE_LISTING_MAX_PAGES"),
            sitemap_max_depth=settings.getint("NEWSARCHIVE_SITEMAP_MAX_DEPTH"),
            sitemap_maxsize=settings.getint("NEWSARCHIVE_SITEMAP_MAXSIZE"),
            max_pages=settings.getint("NEWSARCHIVE_MAX_PAGES"),
            **kwargs,
        )
        spider._set_crawler(crawler)
        return spider

    # --- sources ---

    async def start(self) -> AsyncIterator[scrapy.Request]:
        shared = self.settings.get("NEWSARCHIVE_FRONTIER")
        seed_seconds = self.settings.getint("NEWSARCHIVE_FRONTIER_SEED_SECONDS")
        if shared and not frontier.claim_seed(shared, self.outlet.slug, seed_seconds):
            return  # another worker reads the sources; this one takes requests from the shared queue
        for url in self.outlet.feeds:
            yield self._source_request(url, self.parse_feed, "feed")
        for url in self._new_sources(list(self.outlet.sitemaps)):
            if url.rstrip("/").endswith("robots.txt"):
                yield self._source_request(url, self.parse_robots, "robots")
            else:
                yield self._source_request(url, self.parse_sitemap, "sitemap", **{SITEMAP_DEPTH: 0})
        for url in self.outlet.listing_pages:
            yield self._source_request(url, self.parse_listing, "listing", page=1)

    def _new_sources(self, urls: list[str]) -> list[str]:
        fresh = []
        for url in urls:
            key = canonical_url(url)
            if key not in self.sources:
                self.sources.add(key)
                fresh.append(url)
        return fresh

    def _source_request(
        self, url: str, callback: Callable[..., Any], kind: str, priority: int = 0, **meta: Any
    ) -> scrapy.Request:
        if kind == "sitemap":  # sitemaps have their own limit: the protocol's 50 MB uncompressed
            meta["download_maxsize"] = self.sitemap_maxsize
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            meta={"kind": kind, "state_url": canonical_url(url), **meta},
            priority=priority,
            dont_filter=True,
        )

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if _unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        info = discover.parse_feed(response.body, _base_url(response))
        self.crawler.stats.inc_value("discover/feed_entries", len(info.links))
        if info.update_seconds:  # the feed's own sy:updatePeriod / <ttl>: the scheduler polls no faster
            self.crawler.stats.min_value("discover/feed_update_seconds", info.update_seconds)
        if info.is_feed:
            yield self._outcome(response, Outcome.NOT_ARTICLE)
        else:
            self._source_failed(response.url, "not a feed")
            yield self._outcome(response, Outcome.ERROR, "not a feed")
        for link in info.links:
            yield from self._consider(link)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        # The index a robots.txt names is as deep as one listed directly in the registry.
        for url in self._new_sources(discover.robots_sitemaps(response.text, response.url)):
            yield self._source_request(url, self.parse_sitemap, "sitemap", **{SITEMAP_DEPTH: 0})

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        depth = response.meta.get(SITEMAP_DEPTH, 0)
        yield from self._read_sitemap(response, depth)
        yield from self._next_sitemap(response.meta.get(SIBLINGS, []), depth)

    def _read_sitemap(self, response: Response, depth: int) -> Iterator[Any]:
        if _unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        try:
            info = discover.parse_sitemap(response.body, _base_url(response), self.sitemap_maxsize)
        except (ValueError, OSError, EOFError) as exc:
            self._source_failed(response.url, f"unreadable sitemap: {exc}")
            yield self._outcome(response, Outcome.ERROR, f"unreadable sitemap: {exc}")
            return
        yield self._outcome(response, Outcome.NOT_ARTICLE)
        children = self._new_sources(
            [
                child.url
                for child in info.children
                if depth < self.sitemap_max_depth and not self._too_old(child)
            ]
        )
        self.crawler.stats.inc_value("discover/sitemap_urls", len(info.links))
        for link in info.links:
            yield from self._consider(link)
        if self.max_pages:
            # A crawl with a page budget reads an index's children one after another, each after
            # the pages of the one before: once the budget is spent (MaxPagesMiddleware), no more.
            yield from self._next_sitemap(children, depth + 1)
        else:
            for url in children:
                yield self._source_request(url, self.parse_sitemap, "sitemap", **{SITEMAP_DEPTH: depth + 1})

    def _next_sitemap(self, urls: list[str], depth: int) -> Iterator[scrapy.Request]:
        if urls:
            meta = {SITEMAP_DEPTH: depth, SIBLINGS: urls[1:]}
            yield self._source_request(urls[0], self.parse_sitemap, "sitemap", priority=-1, **meta)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if _unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        info = discover.parse_listing(response.text, response.url)
        yield self._outcome(response, Outcome.NOT_ARTICLE)
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
        self.scheduled.add(url)
        yield scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={
                "kind": "page",
                "state_url": url,
                "hints": Hints(link.title, link.published),
                "lastmod": link.lastmod,
            },
        )

    def parse_article(self, response: Response) -> Iterator[Any]:
        if _unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        content_type = _header(response, b"Content-Type") or ""
        if content_type.split(";")[0].strip().lower() not in HTML_TYPES:
            yield self._outcome(response, Outcome.NOT_ARTICLE, f"content type {content_type or 'missing'}")
            return
        self.crawler.stats.inc_value("fetch/article_pages")
        yield PageItem(
            page=Page(
                url=response.url,
                body=response.body,
                content_type=content_type,
                hints=response.meta.get("hints") or Hints(),
            ),
            state_url=response.meta["state_url"],
            http_status=response.status,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            lastmod=response.meta.get("lastmod"),
            warc=response.meta.get(warc.META_KEY),
        )

    # --- outcomes ---

    def _source_outcome(self, response: Response) -> Iterator[UrlOutcome]:
        """A 304 (the store keeps what the URL was) or a 404/410."""
        if response.status == 304:
            self.crawler.stats.inc_value("fetch/not_modified")
            yield self._outcome(response, Outcome.NOT_ARTICLE)
        else:
            self.crawler.stats.inc_value("fetch/gone")
            yield self._outcome(response, Outcome.ERROR, f"HTTP {response.status}")

    def _outcome(self, response: Response, outcome: str, message: str | None = None) -> UrlOutcome:
        return UrlOutcome(
            url=response.meta["state_url"],
            kind=response.meta["kind"],
            outcome=outcome,
            http_status=response.status,
            message=message,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
        )

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        name = type(failure.value).__name__
        message = str(failure.value).splitlines()[0][:500] if str(failure.value) else name
        stats = self.crawler.stats
        if failure.check(IgnoreRequest) and message == "Forbidden by robots.txt":
            outcome = Outcome.DISALLOWED
        elif failure.check(DownloadCancelledError) or "exceeded DOWNLOAD_MAXSIZE" in message:
            # Over the size limit: announced (Content-Length), found while downloading (Scrapy
            # cancels the download), or while decompressing (a gzip bomb).
            outcome = Outcome.TOO_LARGE
            message = message if message != name else "over the download size limit"
        else:
            outcome = Outcome.ERROR
            if failure.check(*CONNECTION_FAILURES):
                stats.inc_value("fetch/connection_failed")
                if stats.get_value("fetch/first_connection_error") is None:
                    stats.set_value("fetch/first_connection_error", f"{name}: {message}")
        message = request.meta.get(DEFERRED, message)
        stats.inc_value(f"fetch/{outcome}")
        self.logger.info("%s %s: %s", outcome, request.url, message)
        if request.meta.get("kind", "page") != "page" and outcome != Outcome.DISALLOWED:
            self._source_failed(request.url, f"{outcome}: {message}")
            if outcome == Outcome.TOO_LARGE:  # a page too large is not an error; a source is
                stats.inc_value("fetch/source_too_large")
        status = getattr(getattr(failure.value, "response", None), "status", None)
        yield from self._next_sitemap(request.meta.get(SIBLINGS, []), request.meta.get(SITEMAP_DEPTH, 0))
        yield UrlOutcome(
            url=request.meta.get("state_url", request.url),
            kind=request.meta.get("kind", "page"),
            outcome=outcome,
            http_status=status,
            message=message,
        )

    def _source_failed(self, url: str, message: str) -> None:
        """A feed, sitemap or listing that gave nothing: an error in the outlet's summary."""
        stats = self.crawler.stats
        stats.inc_value("fetch/source_error")
        if stats.get_value("fetch/first_source_error") is None:
            stats.set_value("fetch/first_source_error", f"{url}: {message}"[:300])

    # --- helpers ---

    def _too_old(self, link: discover.Link) -> bool:
        newest = link.newest_date
        return self.since is not None and newest is not None and newest < self.since


def _base_url(response: Response) -> str:
    """What relative links in a feed or sitemap resolve against: its Content-Location, else its
    final URL after redirects."""
    location = _header(response, b"Content-Location")
    return urljoin(response.url, location) if location else response.url


def _unchanged_or_gone(response: Response) -> bool:
    return response.status in (304, 404, 410)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
