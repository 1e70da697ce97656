"""The crawler's part of a crawl run: its outlet's row, its lock, and its record in
`crawl_runs` / `crawl_run_outlets` (through db.runs.CrawlRunLedger, the one writer of both).

`newsarchive crawl` opens the run for all its outlets and passes NEWSARCHIVE_RUN_ID; a `scrapy
crawl` or Scrapyd job opens and closes a run of its own. Either way each crawler starts and
finishes its outlet's part here, with its full stats.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from db import locks
from db.migrate import ensure_schema
from db.models import OutletStatus
from db.runs import CrawlRunLedger
from db.session import first_line, session_factory, shared_engine
from db.store import upsert_outlets

logger = logging.getLogger(__name__)

# Spider close reasons of a crawl that ran to its end.
COMPLETE = ("finished", "closespider_pagecount", "closespider_itemcount")


class RunRecorder:
    def __init__(self, crawler: Crawler, engine: Engine, outlet_id: int, run_id: int | None) -> None:
        self.crawler = crawler
        self.engine = engine
        self.outlet_id = outlet_id
        self.ledger = CrawlRunLedger(engine, run_id) if run_id else None
        self.owns_run = run_id is None
        self.lock = ExitStack()
        self.busy = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        settings = crawler.settings
        if not settings.get("NEWSARCHIVE_DB"):
            raise NotConfigured("NEWSARCHIVE_DB is not set")
        engine = shared_engine(settings.get("NEWSARCHIVE_DB"))
        ensure_schema(engine)  # a `scrapy crawl` on a new archive (newsarchive crawl has done it)
        outlet = crawler.spider.outlet  # type: ignore[union-attr]
        with session_factory(engine, write=True).begin() as session:
            outlet_id = upsert_outlets(session, [outlet.as_row()])[outlet.slug]
        recorder = cls(crawler, engine, outlet_id, settings.getint("NEWSARCHIVE_RUN_ID") or None)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        # Workers sharing a frontier crawl one outlet together, without its lock.
        shared_frontier = bool(self.crawler.settings.get("NEWSARCHIVE_FRONTIER"))
        if self.owns_run and not shared_frontier:
            self._lock_outlet(spider)
        if self.ledger is None:
            self.ledger = CrawlRunLedger.open(self.engine, [spider.outlet.slug])  # type: ignore[attr-defined]
        self.ledger.outlet_started(self.outlet_id, holds_lock=not shared_frontier)

    def _lock_outlet(self, spider: Spider) -> None:
        """`scrapy crawl` and Scrapyd jobs take the outlet's crawl lock here (`newsarchive crawl`
        takes it before starting Scrapy); a job that finds it held stops at once."""
        slug = spider.outlet.slug  # type: ignore[attr-defined]
        try:
            self.lock.enter_context(locks.held(self.engine, f"crawl:{slug}"))
        except locks.Busy:
            self.busy = True
            logger.warning("%s: %s; nothing to do", slug, locks.BUSY_MESSAGE)
            raise CloseSpider(OutletStatus.BUSY) from None

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.busy or self.ledger is None:
            return
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        status, message = outlet_status(stats, reason)
        try:
            self.ledger.outlet_finished(self.outlet_id, status, message, stats)
            if self.owns_run:
                self.ledger.close()
        except DBAPIError as exc:  # the database went away: the crawl's own error says so already
            logger.error(
                "could not record how %s's crawl ended: %s",
                spider.outlet.slug,  # type: ignore[attr-defined]
                first_line(exc.orig),
            )
        finally:
            self.lock.close()


def outlet_status(stats: dict[str, Any], reason: str) -> tuple[str, str | None]:
    """ok; unreachable (nothing answered, connections failed); or interrupted (and why)."""
    if stats.get("archive/database_lost"):
        return OutletStatus.INTERRUPTED, stats["archive/database_lost"]
    if not stats.get("downloader/response_count") and stats.get("fetch/connection_failed"):
        return OutletStatus.UNREACHABLE, stats.get("fetch/first_connection_error")
    if reason not in COMPLETE:
        return OutletStatus.INTERRUPTED, reason
    notes = stats.get("discover/notes") or []
    message = "; ".join(notes[:3]) + (f" (and {len(notes) - 3} more)" if len(notes) > 3 else "")
    return OutletStatus.OK, message[:1000] or None
