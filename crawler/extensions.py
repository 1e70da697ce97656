"""Records each crawl in `crawl_runs` and how each outlet fared in `crawl_run_outlets`."""

from __future__ import annotations

import logging
from contextlib import ExitStack

from scrapy import signals
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError

from db import locks

from db.models import CrawlRun, CrawlRunOutlet, utcnow
from db.session import first_line, session_factory, shared_engine
from db.store import insert_statement

logger = logging.getLogger(__name__)

COUNTERS = {"pages": "fetch/article_pages", "articles_new": "archive/inserted", "duplicates": "archive/duplicate",
            "off_topic": "extract/off_topic", "errors": "fetch/error"}


class RunRecorder:
    def __init__(self, crawler, db_url: str, run_id: int | None) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.run_id = run_id
        self.owns_run = run_id is None
        self.lock = ExitStack()
        self.busy = False

    @classmethod
    def from_crawler(cls, crawler) -> "RunRecorder":
        recorder = cls(crawler, crawler.settings.get("NEWSARCHIVE_DB"), crawler.settings.getint("NEWSARCHIVE_RUN_ID") or None)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def _sessions(self):
        return session_factory(shared_engine(self.db_url), write=True)

    def spider_opened(self, spider) -> None:
        shared_frontier = bool(self.crawler.settings.get("NEWSARCHIVE_FRONTIER"))
        if self.owns_run and not shared_frontier and not self._lock_outlet(spider):
            return
        with self._sessions().begin() as session:
            if self.run_id is None:
                run = CrawlRun(outlets=spider.outlet.slug, status="running")
                session.add(run)
                session.flush()
                self.run_id = run.id
            session.execute(insert_statement(session, CrawlRunOutlet.__table__).values(
                run_id=self.run_id, outlet_id=spider.outlet_id, status="running").on_conflict_do_nothing())

    def _lock_outlet(self, spider) -> bool:
        """`scrapy crawl` and Scrapyd jobs take the outlet's crawl lock here (`newsarchive crawl`
        takes it before starting Scrapy); a job that finds it held stops at once."""
        try:
            self.lock.enter_context(locks.held(shared_engine(self.db_url), f"crawl:{spider.outlet.slug}"))
            return True
        except locks.Busy:
            self.busy = True
            logger.warning("%s: %s; nothing to do", spider.outlet.slug, locks.BUSY_MESSAGE)
            from twisted.internet import reactor

            # not from inside spider_opened: the engine is still opening the spider
            reactor.callLater(0, self.crawler.engine.close_spider, spider, "busy")
            return False

    def spider_closed(self, spider, reason: str) -> None:
        if self.busy:
            return
        try:
            self._record_close(spider, reason)
        except DBAPIError as exc:  # the database went away: the crawl's own error says so already
            logger.error("could not record how %s's crawl ended: %s", spider.outlet.slug, first_line(exc.orig))
        finally:
            self.lock.close()

    def _record_close(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        counters = {column: stats.get_value(key, 0) for column, key in COUNTERS.items()}
        status, message = outlet_status(spider, reason)
        message = stats.get_value("archive/database_lost") or message
        with self._sessions().begin() as session:
            session.execute(update(CrawlRunOutlet).where(CrawlRunOutlet.run_id == self.run_id,
                                                         CrawlRunOutlet.outlet_id == spider.outlet_id)
                            .values(status=status, message=message, finished_at=utcnow(),
                                    feed_update_seconds=stats.get_value("discover/feed_update_seconds"), **counters))
            if self.owns_run:
                session.execute(update(CrawlRun).where(CrawlRun.id == self.run_id).values(
                    status="finished" if status == "ok" else status, finished_at=utcnow(), message=message,
                    stats=_json_stats(stats.get_stats()), **counters))


def outlet_status(spider, reason: str) -> tuple[str, str | None]:
    """ok; unreachable (nothing answered, connections failed); or interrupted."""
    if spider.responses == 0 and spider.connection_errors:
        return "unreachable", spider.connection_errors[0]
    if reason not in ("finished", "closespider_pagecount", "closespider_itemcount"):
        return "interrupted", reason
    return "ok", None


def _json_stats(stats: dict) -> dict:
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in stats.items()
            if isinstance(value, (int, float, str)) or hasattr(value, "isoformat")}
