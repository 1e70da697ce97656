"""Middlewares: per-request decisions that are not discovery (Scrapy's DepthMiddleware shape:
settings read in `from_crawler`, a dropped request counted in stats), and robots.txt as RFC 9309
says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import robotstxt as scrapy_robotstxt
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached

from crawler.components.extensions import RunRecorder
from crawler.outcomes import SETTLED
from crawler.stages.dedup import canonical_url
from db.queries import KnownUrl, known_urls, last_crawl_completed
from db.session import session_factory

SOURCE_KINDS = ("feed", "sitemap", "listing")


class IncrementalMiddleware:
    """What the archive already knows of the outlet's URLs (`url_state`):
    - an article page fetched before, with a settled outcome and no newer sitemap lastmod, is not
      requested again (`incremental/skipped_known`);
    - every other request for a known URL carries its validators (If-None-Match, If-Modified-Since),
      so an unchanged page costs a 304;
    - after a crawl of the outlet that did not finish, sources are read again in full, without
      validators: a 304 would hide the children (and their articles) the killed crawl never reached.
    """

    def __init__(self, known: dict[str, KnownUrl], resumed: bool, stats: StatsCollector) -> None:
        self.known = known
        self.resumed = resumed
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        recorder = crawler.get_extension(RunRecorder)
        if recorder is None:
            raise NotConfigured("IncrementalMiddleware needs the RunRecorder extension")
        with session_factory(recorder.engine).begin() as session:
            known = known_urls(session, recorder.outlet_id)
            resumed = not last_crawl_completed(session, recorder.outlet_id)
        assert crawler.stats is not None
        return cls(known, resumed, crawler.stats)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for request in start:
            if (kept := self._filter(request)) is not None:
                yield kept

    def process_spider_output(self, response: Any, result: Iterable[Any]) -> Iterator[Any]:
        for request in result:
            if (kept := self._filter(request)) is not None:
                yield kept

    async def process_spider_output_async(
        self, response: Any, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for request in result:
            if (kept := self._filter(request)) is not None:
                yield kept

    def _filter(self, request: Any) -> Any:
        if not isinstance(request, Request):
            return request
        kind = request.meta.get("kind")
        known = self.known.get(canonical_url(request.url))
        if known is None or (kind in SOURCE_KINDS and self.resumed):
            return request
        if (
            kind == "page"
            and known.outcome in SETTLED
            and not _changed_since(request.meta.get("lastmod"), known)
        ):
            self.stats.inc_value("incremental/skipped_known")
            return None
        if kind in (*SOURCE_KINDS, "page"):
            for name, value in _validators(known).items():
                request.headers.setdefault(name, value)
        return request


class MaxPagesMiddleware:
    """At most NEWSARCHIVE_MAX_PAGES article pages requested per outlet and crawl (0: no limit);
    the rest, and the sitemaps and listing pages found once the budget is spent, are counted in
    `discover/over_max_pages`. Placed after IncrementalMiddleware, so pages it skips cost nothing
    of the budget."""

    def __init__(self, max_pages: int, stats: StatsCollector) -> None:
        self.max_pages = max_pages
        self.stats = stats
        self.requested = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MaxPagesMiddleware:
        max_pages = crawler.settings.getint("NEWSARCHIVE_MAX_PAGES")
        if not max_pages:
            raise NotConfigured("no page limit")
        assert crawler.stats is not None
        return cls(max_pages, crawler.stats)

    def process_spider_output(self, response: Any, result: Iterable[Any]) -> Iterator[Any]:
        for request in result:
            if self._allowed(request):
                yield request

    async def process_spider_output_async(
        self, response: Any, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for request in result:
            if self._allowed(request):
                yield request

    def _allowed(self, request: Any) -> bool:
        if not isinstance(request, Request) or request.meta.get("kind") not in ("page", *SOURCE_KINDS):
            return True
        if self.requested >= self.max_pages:  # once the budget is spent, no more sources to read either
            self.stats.inc_value("discover/over_max_pages")
            return False
        if request.meta["kind"] == "page":
            self.requested += 1
        return True


def _changed_since(lastmod: Any, known: KnownUrl) -> bool:
    """A sitemap lastmod newer than our last fetch means the article changed."""
    return lastmod is not None and known.last_fetched_at is not None and lastmod > known.last_fetched_at


def _validators(known: KnownUrl) -> dict[str, str]:
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    elif known.last_fetched_at and known.outcome in SETTLED:
        headers["If-Modified-Since"] = format_datetime(known.last_fetched_at, usegmt=True)
    return headers


class RobotsTxtMiddleware(scrapy_robotstxt.RobotsTxtMiddleware):
    """Scrapy's, with RFC 9309's rule for a robots.txt that answers a server error (5xx): the site
    is taken as fully disallowed for this crawl. Its pages are recorded as errors, not as
    `disallowed`, so the next crawl asks again instead of settling them."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.unavailable: dict[str, int] = {}  # netloc -> the robots.txt status

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self.unavailable[netloc] = response.status
        await super()._parse_robots(response, netloc, request)

    def process_request_2(self, rp: Any, request: Request) -> None:
        status = self.unavailable.get(urlparse_cached(request).netloc)
        if status is not None:
            self._stats.inc_value("robotstxt/unavailable")
            raise IgnoreRequest(f"robots.txt answered HTTP {status}: not crawled this time (RFC 9309)")
        super().process_request_2(rp, request)


class RetryAfterMiddleware:
    """A 429 or 503 with Retry-After: the retry waits that long (Scrapy's RetryMiddleware, which runs
    next, retries at once). Past NEWSARCHIVE_RETRY_AFTER_MAX seconds the URL is not retried in this
    crawl: it is recorded as deferred, and the next crawl asks again."""

    def __init__(self, max_wait: float, stats: StatsCollector) -> None:
        self.max_wait = max_wait
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        assert crawler.stats is not None
        return cls(crawler.settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX"), crawler.stats)

    async def process_response(self, request: Request, response: Response) -> Response:
        wait = retry_after(response) if response.status in (429, 503) else None
        if wait is None or request.meta.get("dont_retry"):
            return response
        if wait > self.max_wait:
            self.stats.inc_value("fetch/deferred")
            request.meta["dont_retry"] = True
            request.meta[DEFERRED] = f"the server asked to wait {wait:g} s: deferred to the next crawl"
            return response
        self.stats.inc_value("fetch/retry_after_waits")
        await asyncio.sleep(wait)
        return response


# request.meta key: why the URL was left for the next crawl.
DEFERRED = "deferred"


def retry_after(response: Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), or None."""
    value = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class RedirectGuardMiddleware:
    """Before Scrapy's RedirectMiddleware follows a redirect: one that loops, or that leaves the
    outlet's domains, ends the request with a reason the spider records in `url_state` (Scrapy
    would drop it silently: a loop through its duplicate filter, an off-site one through
    OffsiteMiddleware)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        if target in (*request.meta.get("redirect_urls", []), request.url):
            raise IgnoreRequest(f"redirect loop through {target}")
        domains = getattr(self.crawler.spider, "allowed_domains", None) or []
        host = (urlparse_cached(Request(target)).hostname or "").lower()
        if domains and not any(host == d or host.endswith("." + d) for d in domains):
            raise IgnoreRequest(f"redirected off the outlet's site, to {target}")
        return response
