"""The one generic spider: an outlet's feeds, sitemaps and listing pages -> article pages.

It only discovers: which URLs are the outlet's articles, and what became of each source. What is
already known of a URL (skip it, or ask with its validators) is crawler.components.middlewares';
the crawl run and the outlet's row are crawler.components.extensions'; everything done with a page
is the pipeline's. Configuration comes from the registry entry and `from_crawler`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
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
# request.meta key: the conventional sitemap paths still to try after this one (autodiscovery).
PROBES = "sitemap_probes"
# request.meta key: the page number of a walked source (REST API page, paged feed).
PAGE = "page"


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
        until: datetime | None = None,
        backfill_max_pages: int = 50,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.outlet = outlet
        self.since = since
        self.until = until
        self.backfill_max_pages = backfill_max_pages
        # A backfill (--since) of a WordPress outlet walks its REST API instead of the sitemaps:
        # "api" (walking), "pending" (the homepage will say whether it is WordPress), or "off".
        self.backfill = "off"
        self.api_root: str | None = None
        self.deferred_sitemaps: list[str] = []
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
        until = kwargs.pop("until", None) or settings.get("NEWSARCHIVE_UNTIL")
        spider = cls(
            config[slug],
            since=parse_date(since) if isinstance(since, str) else since,
            until=_parse_bound(until) if isinstance(until, str) else until,
            backfill_max_pages=settings.getint("NEWSARCHIVE_BACKFILL_MAX_PAGES"),
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
        outlet = self.outlet
        for url in self._new_sources(list(outlet.feeds)):
            yield self._source_request(url, self.parse_feed, "feed")
        for url in outlet.listing_pages:
            yield self._source_request(url, self.parse_listing, "listing", page=1)
        if self.since is not None and outlet.wordpress is not False and outlet.homepage:
            if outlet.wordpress:
                self.api_root = urljoin(outlet.homepage, "/wp-json/")
                yield self._api_request(1)
            else:
                self.backfill = "pending"  # the homepage says whether it is WordPress
        if outlet.homepage and (outlet.autodiscovered or self.backfill == "pending"):
            yield self._source_request(outlet.homepage, self.parse_homepage, "homepage")
        if outlet.autodiscovered and outlet.homepage:
            robots = urljoin(outlet.homepage, "/robots.txt")
            yield self._source_request(robots, self.parse_robots, "robots", autodiscover=True)
        for request in self._sitemap_sources(list(outlet.sitemaps)):
            yield request

    def _sitemap_sources(self, urls: list[str], **meta: Any) -> Iterator[scrapy.Request]:
        """Sitemaps (or robots.txt files naming them) to read, once each; held back while a
        WordPress backfill walks the REST API instead."""
        for url in self._new_sources(urls):
            if self.backfill in ("api", "pending"):
                self.deferred_sitemaps.append(url)
            elif url.rstrip("/").endswith("robots.txt"):
                yield self._source_request(url, self.parse_robots, "robots")
            else:
                yield self._source_request(url, self.parse_sitemap, "sitemap", **{SITEMAP_DEPTH: 0}, **meta)

    def _release_sitemaps(self, note: str | None) -> Iterator[scrapy.Request]:
        """The backfill cannot use the REST API: the sitemaps after all (and why, in the summary)."""
        self.backfill = "off"
        if note:
            self._note(note)
        held, self.deferred_sitemaps = self.deferred_sitemaps, []
        self.sources.difference_update(canonical_url(url) for url in held)
        yield from self._sitemap_sources(held)

    # --- autodiscovery and the WordPress backfill ---

    def parse_homepage(self, response: Response) -> Iterator[Any]:
        info = discover.parse_homepage(
            response.text if response.status == 200 and _is_html(response) else "",
            response.url,
            _header(response, b"Link"),
        )
        yield self._outcome(response, Outcome.NOT_ARTICLE)
        stats = self.crawler.stats
        if self.outlet.autodiscovered:
            yield from self._autodiscovered_feeds(info.feeds)
        if info.wordpress_api:
            stats.set_value("discover/wordpress_api", info.wordpress_api)
        if self.backfill == "pending":
            if info.wordpress_api:
                self.api_root = info.wordpress_api
                yield self._api_request(1)
            else:
                yield from self._release_sitemaps(None)

    def _autodiscovered_feeds(self, announced: list[str]) -> Iterator[scrapy.Request]:
        """The feeds a homepage announces; if none, WordPress's usual /feed/, tried quietly."""
        assert self.outlet.homepage is not None
        found = announced or [urljoin(self.outlet.homepage, discover.FEED_PATH)]
        if announced:
            self.crawler.stats.set_value("discover/found_feeds", found)
        for url in self._new_sources(found):
            yield self._source_request(url, self.parse_feed, "feed", probe=not announced)

    def _api_request(self, page: int) -> scrapy.Request:
        assert self.since is not None and self.api_root is not None
        self.backfill = "api"
        url = discover.wordpress_posts_url(self.api_root, self.since, self.until, page)
        request = self._source_request(url, self.parse_wordpress_api, "api", **{PAGE: page})
        # The API's refusals are answers to read (fall back), not errors for Scrapy to drop.
        request.meta["handle_httpstatus_list"] = [400, 401, 403, 404, 410, 500, 502, 503]
        return request

    def parse_wordpress_api(self, response: Response) -> Iterator[Any]:
        page = response.meta[PAGE]
        links = (
            discover.parse_wordpress_posts(response.body, response.url) if response.status == 200 else None
        )
        stats = self.crawler.stats
        if links is None:
            yield self._outcome(response, Outcome.ERROR, f"HTTP {response.status}")
            if page == 1:
                why = f"HTTP {response.status}" if response.status != 200 else "not a list of posts"
                yield from self._api_failed(why)
            return
        yield self._outcome(response, Outcome.NOT_ARTICLE)
        stats.inc_value("discover/api_pages")
        stats.inc_value("discover/api_posts", len(links))
        for link in links:
            yield from self._consider(link)
        total = _int_header(response, b"X-WP-TotalPages")
        more = page < total if total is not None else len(links) >= 100
        if more and page < self.backfill_max_pages:
            yield self._api_request(page + 1)
        elif more:
            self._note(f"WordPress API: stopped after {page} pages (NEWSARCHIVE_BACKFILL_MAX_PAGES)")
        stats.set_value("discover/backfill", f"WordPress API, {page} page(s)")

    def _api_failed(self, why: str) -> Iterator[Any]:
        yield from self._release_sitemaps(f"WordPress API unavailable ({why}): backfilled from the sitemaps")
        # A WordPress feed pages through the past too (?paged=N), 10 or so entries a page.
        feed = next(iter(self.outlet.feeds), None) or (
            urljoin(self.outlet.homepage, discover.FEED_PATH) if self.outlet.homepage else None
        )
        if feed:
            yield self._feed_page(feed, 2)

    def _feed_page(self, feed: str, page: int) -> scrapy.Request:
        joiner = "&" if "?" in feed else "?"
        return self._source_request(
            f"{feed}{joiner}paged={page}", self.parse_feed, "feed", probe=True, **{PAGE: page}
        )

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
            if response.meta.get("probe") and not response.meta.get(PAGE):  # the guessed /feed/ is one
                self.crawler.stats.set_value("discover/found_feeds", [response.url])
        elif not response.meta.get("probe"):
            self._source_failed(response.url, "not a feed")
            yield self._outcome(response, Outcome.ERROR, "not a feed")
        for link in info.links:
            yield from self._consider(link)
        page = response.meta.get(PAGE)
        if page and info.links and not any(self._too_old(link) for link in info.links):
            if page < self.backfill_max_pages:  # the window's start is further back: the next page
                yield self._feed_page(response.url.split("?paged=")[0].split("&paged=")[0], page + 1)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        # The index a robots.txt names is as deep as one listed directly in the registry.
        named = discover.robots_sitemaps(response.text, response.url) if response.status == 200 else []
        if response.meta.get("autodiscover"):
            if named:
                self.crawler.stats.set_value("discover/found_sitemaps", named)
            else:  # none named: the conventional places, one after another until one answers
                probes = [urljoin(response.url, path) for path in discover.SITEMAP_PATHS]
                yield from self._sitemap_sources(probes[:1], **{PROBES: probes[1:]})
                return
        yield from self._sitemap_sources(named)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        depth = response.meta.get(SITEMAP_DEPTH, 0)
        yield from self._read_sitemap(response, depth)
        yield from self._next_sitemap(response.meta.get(SIBLINGS, []), depth)

    def _read_sitemap(self, response: Response, depth: int) -> Iterator[Any]:
        probes = response.meta.get(PROBES)
        if probes is not None and response.status in (404, 410):
            yield self._outcome(response, Outcome.NOT_ARTICLE, f"HTTP {response.status}")
            yield from self._next_probe(probes)
            return
        if _unchanged_or_gone(response):
            yield from self._source_outcome(response)
            return
        if probes is not None:
            found = self.crawler.stats.get_value("discover/found_sitemaps") or []
            self.crawler.stats.set_value("discover/found_sitemaps", [*found, response.url])
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

    def _next_probe(self, probes: list[str]) -> Iterator[scrapy.Request]:
        if probes:
            yield from self._sitemap_sources(probes[:1], **{PROBES: probes[1:]})

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
        if self._too_new(link):
            stats.inc_value("discover/filtered_until")
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
        """A 304 (the store keeps what the URL was) or a 404/410: a line in the summary for a feed,
        sitemap or listing, unless it was only a guess (a paged feed, an autodiscovery probe). An
        article taken down is the outlet's business, not a broken source."""
        if response.status == 304:
            self.crawler.stats.inc_value("fetch/not_modified")
            yield self._outcome(response, Outcome.NOT_ARTICLE)
        else:
            self.crawler.stats.inc_value("fetch/gone")
            if not response.meta.get("probe") and response.meta.get("kind") != "page":
                self._source_failed(response.url, f"HTTP {response.status}")
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
        kind = request.meta.get("kind", "page")
        probe = request.meta.get("probe") or request.meta.get(PROBES) is not None
        if kind != "page" and outcome != Outcome.DISALLOWED and not probe:
            self._source_failed(request.url, f"{outcome}: {message}")
            if outcome == Outcome.TOO_LARGE:  # a page too large is not an error; a source is
                stats.inc_value("fetch/source_too_large")
        if request.meta.get(PROBES) is not None:
            yield from self._next_probe(request.meta[PROBES])
        if kind == "api" and request.meta.get(PAGE) == 1:
            yield from self._api_failed(f"{outcome}: {message}"[:120])
        if kind == "homepage" and self.outlet.autodiscovered:  # no homepage to read: the usual feed
            yield from self._autodiscovered_feeds([])
        if kind == "homepage" and self.backfill == "pending":
            yield from self._release_sitemaps(None)
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
        self._note(f"{url}: {message}"[:300])

    def _note(self, message: str) -> None:
        """One line for the outlet's summary (a broken source, a backfill that fell back)."""
        notes = self.crawler.stats.get_value("discover/notes") or []
        self.crawler.stats.set_value("discover/notes", [*notes, message])

    # --- helpers ---

    def _too_old(self, link: discover.Link) -> bool:
        newest = link.newest_date
        return self.since is not None and newest is not None and newest < self.since

    def _too_new(self, link: discover.Link) -> bool:
        """Published at or after --until (the publication date, not a later modification)."""
        published = link.published or link.lastmod
        return self.until is not None and published is not None and published >= self.until


def _base_url(response: Response) -> str:
    """What relative links in a feed or sitemap resolve against: its Content-Location, else its
    final URL after redirects."""
    location = _header(response, b"Content-Location")
    return urljoin(response.url, location) if location else response.url


def _parse_bound(value: str) -> datetime:
    """An --until bound (ISO 8601); it may lie in the future, which parse_date would refuse."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _is_html(response: Response) -> bool:
    content_type = (_header(response, b"Content-Type") or "text/html").split(";", 1)[0].strip().lower()
    return content_type in HTML_TYPES


def _int_header(response: Response, name: bytes) -> int | None:
    value = _header(response, name)
    return int(value) if value and value.strip().isdigit() else None


def _unchanged_or_gone(response: Response) -> bool:
    return response.status in (304, 404, 410)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
