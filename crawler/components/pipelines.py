"""The one pipeline: pages -> the process's extraction pool (pure stages) -> batched archive writes.

Database writes run in a thread, one transaction per small batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector
from sqlalchemy.exc import DBAPIError, OperationalError

from crawler import pool
from crawler.components.extensions import RunRecorder
from crawler.items import PageItem, UrlOutcome
from crawler.outcomes import Outcome
from crawler.stages.process import Options, Processed
from db.archive import PageResult, store_batch
from db.dedup import DedupConfig
from db.models import utcnow
from db.session import first_line, session_factory, shared_engine

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(
        self,
        crawler: Crawler,
        db_url: str,
        options: Options,
        dedup: DedupConfig,
        workers: int,
        batch_size: int,
        stats: StatsCollector,
        db_retry_delays: tuple[float, ...] = (),
    ) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.db_retry_delays = db_retry_delays
        self.database_lost: str | None = None
        self.options = options
        self.dedup = dedup
        self.workers = workers
        self.batch_size = batch_size
        self.stats = stats
        self.outlet_id = 0
        self.results: list[PageResult] = []
        self.outcomes: list[dict[str, Any]] = []
        self.pool: pool.ExtractionPool | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        if not settings.get("NEWSARCHIVE_DB"):
            raise NotConfigured("NEWSARCHIVE_DB is not set")
        assert crawler.stats is not None
        options = Options.from_settings(settings, crawler.spider.outlet)  # type: ignore[union-attr]
        return cls(
            crawler,
            settings.get("NEWSARCHIVE_DB"),
            options,
            DedupConfig.from_settings(settings),
            settings.getint("NEWSARCHIVE_EXTRACT_WORKERS"),
            settings.getint("NEWSARCHIVE_BATCH_SIZE"),
            crawler.stats,
            tuple(float(d) for d in settings.getlist("NEWSARCHIVE_DB_RETRY_DELAYS")),
        )

    def open_spider(self) -> None:
        recorder = self.crawler.get_extension(RunRecorder)
        assert recorder is not None, "the RunRecorder extension owns the outlet's row"
        self.outlet_id = recorder.outlet_id
        self.pool = pool.acquire(self.workers)

    async def process_item(self, item: Any) -> Any:
        if self.database_lost:
            raise DropItem(f"not stored: {self.database_lost}")
        if isinstance(item, UrlOutcome):
            self.outcomes.append(
                self._state(
                    item.url,
                    item.kind,
                    item.outcome,
                    item.http_status,
                    item.message,
                    item.etag,
                    item.last_modified,
                )
            )
        elif isinstance(item, PageItem):
            assert self.pool is not None
            try:
                processed = await self.pool.process(item.page, self.options)
            except pool.WorkerDied as exc:
                processed = Processed(Outcome.ERROR, message=str(exc))
            self.stats.inc_value(f"extract/{processed.outcome}")
            state = self._state(
                item.state_url,
                "page",
                processed.outcome,
                item.http_status,
                processed.message,
                item.etag,
                item.last_modified,
                lastmod=item.lastmod,
            )
            record = processed.record
            if record is not None:
                record = record | {"outlet_id": self.outlet_id}
                if item.warc:
                    record |= {"warc_file": item.warc[0], "warc_offset": item.warc[1]}
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
        logger.error(
            "%s; stopping the crawl (%d pages of the last batch not stored)", self.database_lost, pages
        )
        assert self.crawler.engine is not None and self.crawler.spider is not None
        self.crawler.engine.close_spider(self.crawler.spider, "database_unavailable")

    async def close_spider(self) -> None:
        try:
            await self._flush()
        finally:
            if self.pool is not None:
                self.pool = None
                pool.release()

    def _state(
        self,
        url: str,
        kind: str,
        outcome: str,
        http_status: int | None,
        message: str | None,
        etag: str | None,
        last_modified: str | None,
        lastmod: Any = None,
    ) -> dict[str, Any]:
        return {
            "url": url,
            "outlet_id": self.outlet_id,
            "kind": kind,
            "outcome": outcome,
            "http_status": http_status,
            "message": message,
            "etag": etag,
            "last_modified": last_modified,
            "lastmod_seen": lastmod,
            "last_fetched_at": utcnow(),
        }


def _connection_lost(exc: DBAPIError) -> bool:
    return exc.connection_invalidated or isinstance(exc, OperationalError)
