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
from crawler.outcomes import PER_PAGE, Outcome
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
        settings = self.crawler.settings
        self.pool = pool.acquire(
            self.workers,
            settings.getfloat("NEWSARCHIVE_EXTRACT_TIMEOUT"),
            settings.getint("NEWSARCHIVE_EXTRACT_MAX_MEMORY"),
        )

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
            except Exception as exc:  # noqa: BLE001 - a bug in a stage costs its page, not the crawl
                logger.exception("%s: extraction failed", item.page.url, extra=PER_PAGE)
                processed = Processed(Outcome.ERROR, message=f"extraction failed: {type(exc).__name__}")
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
                    if _failure(exc) != "data":
                        return self._stop(exc, len(results))
                    await self._write_one_by_one(results, outcomes)
                except (UnicodeError, ValueError):
                    await self._write_one_by_one(results, outcomes)

    async def _write_one_by_one(self, results: list[PageResult], outcomes: list[dict[str, Any]]) -> None:
        """A batch that failed for its data, not for the database: each page alone, so a bad page
        costs only itself (it is recorded as an error, with a short message and never its HTML)."""
        singles: list[tuple[list[PageResult], list[dict[str, Any]]]] = [
            ([result], []) for result in results
        ] + [([], [outcome]) for outcome in outcomes]
        for pages, states in singles:
            try:
                await asyncio.to_thread(self._write_retrying, pages, states)
            except DBAPIError as exc:
                if _failure(exc) != "data":
                    return self._stop(exc, len(results))
                await self._reject(pages, states, first_line(exc.orig))
            except (UnicodeError, ValueError) as exc:
                await self._reject(pages, states, f"{type(exc).__name__}: {first_line(exc)}")

    async def _reject(self, pages: list[PageResult], states: list[dict[str, Any]], reason: str) -> None:
        state = pages[0].state if pages else states[0]
        logger.error("%s: not stored: %s", state["url"], reason[:300], extra=PER_PAGE)
        self.stats.inc_value("archive/rejected")
        rejected = {**state, "outcome": Outcome.ERROR, "message": f"not stored: {reason}"[:300]}
        try:
            await asyncio.to_thread(self._write_retrying, [], [rejected])
        except (DBAPIError, UnicodeError, ValueError) as exc:
            logger.error(
                "%s: could not record it either: %s", state["url"], first_line(exc)[:300], extra=PER_PAGE
            )

    def _write_retrying(self, results: list[PageResult], outcomes: list[dict[str, Any]]) -> None:
        """A database that went away (restarted, failed over) gets a few chances to come back;
        the batch is written whole or not at all, so nothing is stored twice."""
        for delay in (*self.db_retry_delays, None):
            try:
                return self._write(results, outcomes)
            except DBAPIError as exc:
                if delay is None or _failure(exc) != "connection":
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
        what = "disk full" if _failure(exc) == "disk_full" else "database unreachable"
        self.database_lost = f"{what}: {first_line(exc.orig)}"
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


def _failure(exc: DBAPIError) -> str:
    """What failed: "disk_full", "connection" (the database went away: worth retrying), or "data"
    (this batch's rows: worth storing page by page)."""
    text = str(exc.orig).lower()
    if "disk is full" in text or "no space left" in text or type(exc.orig).__name__ == "DiskFull":
        return "disk_full"
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return "connection"
    return "data"
