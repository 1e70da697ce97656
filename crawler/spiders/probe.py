"""The probe behind `newsarchive outlets add` and `outlets check`: a NewsSpider that reads an
outlet's sources without storing anything, reports on each, and processes a few recent articles.

It discovers as a crawl does (autodiscovery, robots.txt obeyed), but links are collected, not
followed; sitemap indexes are read to a few children. When the sources are read (spider_idle), the
newest articles the outlet's pattern (or, for a new outlet, the proposed one) accepts are fetched
and run through the crawl's own processing, in this process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import outlets as registry
from crawler.spiders.news import PROBES, NewsSpider, _base_url, _header
from crawler.stages import discover
from crawler.stages.dedup import canonical_url
from crawler.stages.patterns import propose_pattern, wanted

# Sources read per probe: a sitemap index of hundreds of children is sampled, not walked.
MAX_SOURCES = 8


@dataclass
class SourceReport:
    url: str
    kind: str
    status: int | None = None
    entries: int | None = None  # links (or child sitemaps) it gave; None when unreadable
    newest: datetime | None = None
    error: str | None = None
    moved_to: str | None = None  # where a redirect took it


@dataclass
class ArticleReport:
    url: str
    outcome: str
    title: str | None = None
    published_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    words: int = 0
    relevant: bool | None = None
    score: float | None = None
    message: str | None = None


@dataclass
class ProbeReport:
    sources: list[SourceReport] = field(default_factory=list)
    links: dict[str, discover.Link] = field(default_factory=dict)  # canonical URL -> link
    pattern: str | None = None  # proposed (outlets add), when the outlet has none
    share: float | None = None  # of the links the (proposed or registry) pattern accepts
    rejected: list[str] = field(default_factory=list)
    articles: list[ArticleReport] = field(default_factory=list)
    language: str | None = None  # <html lang> of the homepage
    name: str | None = None  # og:site_name, else the homepage's <title>
    wordpress_api: str | None = None
    homepage_error: str | None = None


class ProbeSpider(NewsSpider):
    name = "probe"

    def __init__(self, outlet: registry.Outlet, articles: int = 3, **kwargs: Any) -> None:
        super().__init__(outlet, sitemap_max_depth=2, **kwargs)
        self.report = ProbeReport()
        self.article_count = articles
        self.articles_asked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ProbeSpider:
        spider = cls(
            kwargs.pop("outlet"),
            articles=kwargs.pop("articles", 3),
            sitemap_maxsize=crawler.settings.getint("NEWSARCHIVE_SITEMAP_MAXSIZE"),
        )
        spider._set_crawler(crawler)
        crawler.signals.connect(spider._sources_read, signal=signals.spider_idle)
        return spider

    # --- sources: reported, their links collected ---

    def _new_sources(self, urls: list[str]) -> list[str]:
        fresh = super()._new_sources(urls)
        room = max(0, MAX_SOURCES - len(self.report.sources))
        return fresh[:room]

    def _source_request(self, url: str, *args: Any, **kwargs: Any) -> scrapy.Request:
        request = super()._source_request(url, *args, **kwargs)
        guessed = request.meta.get("probe") or request.meta.get(PROBES) is not None
        if request.meta["kind"] in ("feed", "sitemap", "api", "listing") and not guessed:
            self.report.sources.append(SourceReport(url, request.meta["kind"]))
        return request

    def _source(self, url: str) -> SourceReport | None:
        return next((s for s in self.report.sources if s.url == url), None)

    def _record(
        self, response: Response, links: list[discover.Link] | None, error: str | None = None
    ) -> None:
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        report = self._source(asked)
        if report is not None and asked != response.url:
            report.moved_to = response.url
        if report is None:  # a guessed source (/feed/, /sitemap.xml): reported once it answers
            if not links:
                return
            report = SourceReport(response.url, response.meta.get("kind", "feed"))
            self.report.sources.append(report)
        report.status = response.status
        report.entries = None if links is None else len(links)
        dates = [d for link in links or [] if (d := link.newest_date) is not None]
        report.newest = max(dates) if dates else None
        report.error = error

    def parse_feed(self, response: Response) -> Iterator[Any]:
        info = discover.parse_feed(response.body, _base_url(response)) if response.status == 200 else None
        if info is not None and info.is_feed:
            self._record(response, info.links)
        elif not response.meta.get("probe"):
            self._record(response, None, f"HTTP {response.status}" if info is None else "not a feed")
        yield from super().parse_feed(response)

    def _read_sitemap(self, response: Response, depth: int) -> Iterator[Any]:
        if response.status == 200:
            try:
                info = discover.parse_sitemap(response.body, _base_url(response), self.sitemap_maxsize)
                self._record(response, info.links or info.children)
            except (ValueError, OSError, EOFError) as exc:
                self._record(response, None, f"unreadable: {exc}")
        elif response.meta.get(PROBES) is None:
            self._record(response, None, f"HTTP {response.status}")
        yield from super()._read_sitemap(response, depth)

    def parse_homepage(self, response: Response) -> Iterator[Any]:
        if response.status == 200:
            lang = response.xpath("/html/@lang").get()
            self.report.language = lang.split("-")[0].lower() if lang else None
            name = response.xpath('//meta[@property="og:site_name"]/@content').get()
            self.report.name = (
                " ".join((name or response.xpath("//title/text()").get() or "").split()) or None
            )
        else:
            self.report.homepage_error = f"HTTP {response.status}"
        yield from super().parse_homepage(response)
        self.report.wordpress_api = self.crawler.stats.get_value("discover/wordpress_api")

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        message = (
            str(failure.value).splitlines()[0][:200] if str(failure.value) else type(failure.value).__name__
        )
        if request.meta.get("kind") == "homepage":
            self.report.homepage_error = message
        report = self._source(request.url)
        if report is not None:
            report.error = message
            report.status = getattr(getattr(failure.value, "response", None), "status", None)
        if request.meta.get("kind") == "page":
            self.report.articles.append(ArticleReport(request.url, "error", message=message))
        yield from super().on_error(failure)

    def _consider(self, link: discover.Link) -> Iterator[scrapy.Request]:
        self.report.links.setdefault(canonical_url(link.url), link)
        return iter(())

    # --- then a few recent articles, processed as a crawl would ---

    def _sources_read(self) -> None:
        if self.articles_asked:
            return
        self.articles_asked = True
        urls = list(self.report.links)
        accepts = self.outlet.wants
        if self.outlet.article_url_pattern is None and self.outlet.autodiscovered:
            proposal = propose_pattern(urls)
            if proposal is not None:
                pattern = self.report.pattern = proposal[0]
                accepts = lambda url: wanted(url, pattern)  # noqa: E731 - one use, right here
            else:
                accepts = lambda url: False  # noqa: E731
        if urls:
            self.report.share = sum(map(accepts, urls)) / len(urls)
        self.report.rejected = [url for url in urls if not accepts(url)][:5]
        chosen = sorted(
            (link for url, link in self.report.links.items() if accepts(url)),
            key=lambda link: link.newest_date or datetime.min.replace(tzinfo=timezone.utc),
            reverse=True,
        )[: self.article_count]
        for link in chosen:
            request = scrapy.Request(
                link.url,
                callback=self.parse_probe_article,
                errback=self.on_error,
                meta={"kind": "page", "state_url": canonical_url(link.url), "hint": link},
            )
            assert self.crawler.engine is not None
            self.crawler.engine.crawl(request)
        if chosen:
            raise DontCloseSpider

    def parse_probe_article(self, response: Response) -> Iterator[Any]:
        from crawler.stages.extract import Hints
        from crawler.stages.process import Options, Page, process_page

        link: discover.Link = response.meta["hint"]
        hints = Hints(link.title, link.published)
        page = Page(response.url, response.body, _header(response, b"Content-Type"), hints)
        processed = process_page(page, Options.from_settings(self.settings, self.outlet))
        record = processed.record or {}
        self.report.articles.append(
            ArticleReport(
                response.url,
                processed.outcome,
                record.get("title"),
                record.get("published_at"),
                [a for a in (record.get("authors") or "").split("; ") if a],
                record.get("word_count") or 0,
                record.get("is_relevant"),
                record.get("topic_score"),
                processed.message,
            )
        )
        return iter(())
