"""Records each crawl in `crawl_runs` and how each outlet fared in `crawl_run_outlets`."""

from __future__ import annotations

from scrapy import signals
from sqlalchemy import update

from db.models import CrawlRun, CrawlRunOutlet, utcnow
from db.session import session_factory, shared_engine
from db.store import insert_statement

COUNTERS = {"pages": "fetch/article_pages", "articles_new": "archive/inserted", "duplicates": "archive/duplicate",
            "off_topic": "extract/off_topic", "errors": "fetch/error"}


class RunRecorder:
    def __init__(self, crawler, db_url: str, run_id: int | None) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.run_id = run_id
        self.owns_run = run_id is None

    @classmethod
    def from_crawler(cls, crawler) -> "RunRecorder":
        recorder = cls(crawler, crawler.settings.get("NEWSARCHIVE_DB"), crawler.settings.getint("NEWSARCHIVE_RUN_ID") or None)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def _sessions(self):
        return session_factory(shared_engine(self.db_url), write=True)

    def spider_opened(self, spider) -> None:
        with self._sessions().begin() as session:
            if self.run_id is None:
                run = CrawlRun(outlets=spider.outlet.slug, status="running")
                session.add(run)
                session.flush()
                self.run_id = run.id
            session.execute(insert_statement(session, CrawlRunOutlet.__table__).values(
                run_id=self.run_id, outlet_id=spider.outlet_id, status="running").on_conflict_do_nothing())

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        counters = {column: stats.get_value(key, 0) for column, key in COUNTERS.items()}
        status, message = outlet_status(spider, reason)
        with self._sessions().begin() as session:
            session.execute(update(CrawlRunOutlet).where(CrawlRunOutlet.run_id == self.run_id,
                                                         CrawlRunOutlet.outlet_id == spider.outlet_id)
                            .values(status=status, message=message, finished_at=utcnow(), **counters))
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
