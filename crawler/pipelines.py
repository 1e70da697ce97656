"""The one pipeline: pages -> worker processes (pure stages) -> batched archive writes.

Extraction is CPU-bound (~37 pages/s per core): it runs in a process pool so the reactor
keeps downloading. Database writes run in a thread, one transaction per small batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured
from sqlalchemy.exc import DBAPIError, OperationalError

from crawler import outlets as registry
from crawler.items import PageItem, UrlOutcome
from crawler.process import Options, Processed, process_page
from db.archive import PageResult, store_batch
from db.dedup import DedupConfig
from db.session import first_line, session_factory, shared_engine
from db.models import utcnow


logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(self, db_url: str, options: Options, dedup: DedupConfig, workers: int, batch_size: int, stats,
                 db_retry_delays: tuple[float, ...] = ()) -> None:
        self.db_url = db_url
        self.db_retry_delays = db_retry_delays
        self.database_lost: str | None = None
        self.options = options
        self.dedup = dedup
        self.workers = workers
        self.batch_size = batch_size
        self.stats = stats
        self.results: list[PageResult] = []
        self.outcomes: list[dict[str, Any]] = []
        self.pool: ProcessPoolExecutor | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler) -> "ArchivePipeline":
        settings = crawler.settings
        if not settings.get("NEWSARCHIVE_DB"):
            raise NotConfigured("NEWSARCHIVE_DB is not set")
        options = Options(
            relevance_threshold=settings.getfloat("NEWSARCHIVE_RELEVANCE_THRESHOLD"),
            min_words=settings.getint("NEWSARCHIVE_MIN_WORDS"),
            fast_extraction=settings.getbool("NEWSARCHIVE_FAST_EXTRACTION"),
        )
        workers = settings.getint("NEWSARCHIVE_EXTRACT_WORKERS") or os.cpu_count() or 1
        pipeline = cls(settings.get("NEWSARCHIVE_DB"), options, DedupConfig.from_settings(settings.get), workers,
                       settings.getint("NEWSARCHIVE_BATCH_SIZE"), crawler.stats,
                       tuple(float(d) for d in settings.getlist("NEWSARCHIVE_DB_RETRY_DELAYS")))
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        outlet: registry.Outlet = self.crawler.spider.outlet
        self.options = dataclasses.replace(self.options, boilerplate_patterns=outlet.boilerplate_patterns)
        # spawn, not fork: forking a process that runs the reactor and DB pools is unsafe.
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    async def process_item(self, item: Any) -> Any:
        if self.database_lost:
            raise DropItem(f"not stored: {self.database_lost}")
        if isinstance(item, UrlOutcome):
            self.outcomes.append(_state(item.url, item.outlet_id, item.kind, item.outcome, item.http_status,
                                        item.message, item.etag, item.last_modified))
        elif isinstance(item, PageItem):
            processed: Processed = await asyncio.wrap_future(self.pool.submit(process_page, item.page, self.options))
            self.stats.inc_value(f"extract/{processed.outcome}")
            state = _state(item.state_url, item.page.outlet_id, "page", processed.outcome, item.http_status,
                           processed.message, item.etag, item.last_modified, lastmod=item.lastmod)
            record = processed.record
            if record is not None and item.warc:
                record = record | {"warc_file": item.warc[0], "warc_offset": item.warc[1]}
            self.results.append(PageResult(state, record, processed.features))
        if len(self.results) + len(self.outcomes) >= self.batch_size:
            await self._flush()
        return item

    async def _flush(self) -> None:
        async with self._lock:
            results, outcomes = self.results, self.outcomes
            self.results, self.outcomes = [], []
            if (results or outcomes) and not self.database_lost:
                try:
                    await asyncio.to_thread(self._write_retrying, results, outcomes)
                except DBAPIError as exc:
                    self._stop(exc, len(results))

    def _write_retrying(self, results: list[PageResult], outcomes: list[dict[str, Any]]) -> None:
        """A database that went away (restarted, failed over) gets a few chances to come back;
        the batch is written whole or not at all, so nothing is stored twice."""
        for delay in (*self.db_retry_delays, None):
            try:
                return self._write(results, outcomes)
            except DBAPIError as exc:
                if delay is None or not _connection_lost(exc):
                    raise
                logger.warning("database unreachable (%s); retrying in %g s", first_line(exc.orig), delay)
                time.sleep(delay)

    def _write(self, results: list[PageResult], outcomes: list[dict[str, Any]]) -> None:
        with session_factory(shared_engine(self.db_url), write=True).begin() as session:
            counts = store_batch(session, results, outcomes, self.dedup)
        for name, count in counts.items():
            self.stats.inc_value(f"archive/{name}", count)

    def _stop(self, exc: DBAPIError, pages: int) -> None:
        """Stop the crawl: what was committed stays; these pages are fetched again by the next run."""
        self.database_lost = f"database unreachable: {first_line(exc.orig)}"
        self.stats.set_value("archive/database_lost", self.database_lost)
        logger.error("%s; stopping the crawl (%d pages of the last batch not stored)", self.database_lost, pages)
        self.crawler.engine.close_spider(self.crawler.spider, "database_unavailable")

    async def close_spider(self) -> None:
        try:
            await self._flush()
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)


def _connection_lost(exc: DBAPIError) -> bool:
    return exc.connection_invalidated or isinstance(exc, OperationalError)


def _state(url: str, outlet_id: int, kind: str, outcome: str, http_status: int | None, message: str | None,
           etag: str | None, last_modified: str | None, lastmod=None) -> dict[str, Any]:
    return {"url": url, "outlet_id": outlet_id, "kind": kind, "outcome": outcome, "http_status": http_status,
            "message": message, "etag": etag, "last_modified": last_modified, "lastmod_seen": lastmod,
            "last_fetched_at": utcnow()}
