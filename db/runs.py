"""Crawl runs: the one place that writes `crawl_runs` and `crawl_run_outlets`.

A run is opened once (by `newsarchive crawl` for all its outlets, or by a `scrapy crawl` job for
its one outlet), each outlet's part is started and finished by that outlet's crawler with its full
stats, and the run is closed once. The counts a run reports are read back from the archive when
each part finishes, so the summary always equals what the archive holds: a copy stored before its
original counts as a copy once the original arrives.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from .models import Article, CrawlRun, CrawlRunOutlet, Outlet, OutletStatus, RunStatus, utcnow
from .session import session_factory
from .store import insert_statement

# The stats behind each counter of a run while it runs (the live table). When an outlet's part
# finishes, the archive's counts (ARCHIVED) are read back from the archive instead.
COUNTERS: Final = {
    "pages": ("fetch/article_pages",),
    "articles_new": ("archive/inserted",),
    "duplicates": ("archive/duplicate",),
    "off_topic": ("archive/off_topic",),
    # fetches that failed, sources too large, pages whose extraction failed or could not be stored
    "errors": ("fetch/error", "fetch/source_too_large", "extract/error", "archive/rejected"),
}
ARCHIVED: Final = ("articles_new", "duplicates", "off_topic")


@dataclass
class OutletResult:
    slug: str
    pages: int = 0
    articles_new: int = 0
    duplicates: int = 0
    off_topic: int = 0
    errors: int = 0
    status: str = OutletStatus.RUNNING
    message: str | None = None

    @classmethod
    def from_stats(cls, slug: str, stats: Mapping[str, Any]) -> OutletResult:
        counts = _counters(stats)
        return cls(
            slug,
            counts["pages"],
            counts["articles_new"],
            counts["duplicates"],
            counts["off_topic"],
            counts["errors"],
        )


class CrawlRunLedger:
    def __init__(self, engine: Engine, run_id: int) -> None:
        self.engine = engine
        self.run_id = run_id

    @classmethod
    def open(cls, engine: Engine, slugs: Sequence[str]) -> CrawlRunLedger:
        with session_factory(engine, write=True).begin() as session:
            run = CrawlRun(outlets=",".join(slugs), status=RunStatus.RUNNING, stats={})
            session.add(run)
            session.flush()
            return cls(engine, run.id)

    def outlet_started(self, outlet_id: int, holds_lock: bool = True) -> None:
        """Open the outlet's part. A crawl holding the outlet's lock knows that an earlier part still
        `running` belongs to a crawl that was killed (or lost its disk): that one is closed as
        interrupted here, and so is its run once none of its parts is running."""
        with session_factory(self.engine, write=True).begin() as session:
            if holds_lock:
                _close_killed(session, outlet_id, self.run_id)
            session.execute(
                insert_statement(session, CrawlRunOutlet)
                .values(run_id=self.run_id, outlet_id=outlet_id, status=OutletStatus.RUNNING)
                .on_conflict_do_nothing()
            )

    def outlet_finished(
        self, outlet_id: int, status: str, message: str | None, stats: Mapping[str, Any]
    ) -> None:
        """Record the outlet's part: its status, its counters, and its stats added to the run's."""
        counters = {column: value for column, value in _counters(stats).items() if column not in ARCHIVED}
        with session_factory(self.engine, write=True).begin() as session:
            run = session.get(CrawlRun, self.run_id, with_for_update=True)
            assert run is not None
            session.execute(
                update(CrawlRunOutlet)
                .where(CrawlRunOutlet.run_id == self.run_id, CrawlRunOutlet.outlet_id == outlet_id)
                .values(
                    status=status,
                    message=message,
                    finished_at=utcnow(),
                    feed_update_seconds=stats.get("discover/feed_update_seconds"),
                    discovered=discovered(stats),
                    health=health(session, outlet_id, run.started_at, stats),
                    **counters,
                    **_archived(session, outlet_id, run.started_at),
                )
            )
            run.stats = _add_counters(run.stats or {}, stats)

    def close(self, interrupted: bool = False) -> None:
        """Close the run: its totals are its outlets' (recounted from the archive: a later outlet's
        article may have made an earlier one's a copy)."""
        with session_factory(self.engine, write=True).begin() as session:
            run = session.get(CrawlRun, self.run_id, with_for_update=True)
            assert run is not None
            parts = session.scalars(select(CrawlRunOutlet).where(CrawlRunOutlet.run_id == self.run_id)).all()
            for part in parts:
                for column, value in _archived(session, part.outlet_id, run.started_at).items():
                    setattr(part, column, value)
            not_ok = [part for part in parts if part.status != OutletStatus.OK]
            run.status = (
                RunStatus.INTERRUPTED
                if interrupted or any(p.status == OutletStatus.INTERRUPTED for p in parts)
                else RunStatus.FINISHED
            )
            run.finished_at = utcnow()
            run.message = f"{len(not_ok)} outlet(s) not ok" if not_ok else None
            for column in ("pages", "articles_new", "duplicates", "off_topic", "errors"):
                setattr(run, column, sum(getattr(part, column) or 0 for part in parts))

    def results(self) -> list[OutletResult]:
        with session_factory(self.engine).begin() as session:
            rows = session.execute(
                select(Outlet.slug, CrawlRunOutlet)
                .join(Outlet, Outlet.id == CrawlRunOutlet.outlet_id)
                .where(CrawlRunOutlet.run_id == self.run_id)
                .order_by(Outlet.slug)
            ).all()
        return [
            OutletResult(
                slug, r.pages, r.articles_new, r.duplicates, r.off_topic, r.errors, r.status, r.message
            )
            for slug, r in rows
        ]


def _archived(session: Session, outlet_id: int, since: datetime) -> dict[str, int]:
    """What this run added to the archive for the outlet, as the archive holds it now (ARCHIVED)."""
    new = (Article.outlet_id == outlet_id, Article.fetched_at >= since)
    copy = Article.duplicate_of_id.is_not(None)
    row = session.execute(
        select(
            func.count().filter(~copy),
            func.count().filter(copy),
            func.count().filter(~copy, ~Article.is_relevant),
        ).where(*new)
    ).one()
    return {"articles_new": row[0], "duplicates": row[1], "off_topic": row[2]}


# Stats a crawl records about what it found (crawler/spiders/news.py) -> keys of `discovered`.
DISCOVERED: Final = {
    "discover/found_feeds": "feeds",
    "discover/found_sitemaps": "sitemaps",
    "discover/wordpress_api": "wordpress_api",
    "discover/backfill": "backfill",
    "discover/api_posts": "api_posts",
}


# What health() records for each run and outlet (`crawl_run_outlets.health`); the web API lists them all.
HEALTH_FIELDS = (
    "articles",
    "missing_date",
    "missing_author",
    "missing_title",
    "median_words",
    "not_article",
    "errors",
    "statuses",
    "gone_sources",
)


def health(session: Session, outlet_id: int, since: datetime, stats: Mapping[str, Any]) -> dict[str, Any]:
    """What the run's new articles and fetches say of the outlet's layout and sources."""
    rows = session.execute(
        select(
            Article.published_at.is_(None),
            Article.authors.is_(None),
            Article.title.is_(None),
            Article.word_count,
        ).where(Article.outlet_id == outlet_id, Article.fetched_at >= since)
    ).all()
    pages = int(stats.get("fetch/article_pages", 0))

    def share(count: float, total: int) -> float | None:
        return round(count / total, 3) if total else None

    statuses = {
        key.rsplit("/", 1)[1]: int(value)
        for key, value in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    return {
        "articles": len(rows),
        "missing_date": share(sum(r[0] for r in rows), len(rows)),
        "missing_author": share(sum(r[1] for r in rows), len(rows)),
        "missing_title": share(sum(r[2] for r in rows), len(rows)),
        "median_words": statistics.median(r[3] for r in rows) if rows else None,
        "not_article": share(int(stats.get("extract/not_article", 0)), pages),
        "errors": share(sum(int(stats.get(k, 0)) for k in COUNTERS["errors"]), pages),
        "statuses": statuses,
        "gone_sources": [
            n.split(": HTTP", 1)[0]
            for n in stats.get("discover/notes") or []
            if n.endswith(("HTTP 404", "HTTP 410"))
        ],
    }


def discovered(stats: Mapping[str, Any]) -> dict[str, Any] | None:
    found = {name: stats[key] for key, name in DISCOVERED.items() if stats.get(key) is not None}
    return found or None


def _add_counters(total: Mapping[str, Any], stats: Mapping[str, Any]) -> dict[str, Any]:
    """The run's stats: every numeric counter summed over its outlets."""
    merged = dict(total)
    for key, value in stats.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            merged[key] = merged.get(key, 0) + value
    return merged


def _counters(stats: Mapping[str, Any]) -> dict[str, int]:
    return {column: sum(int(stats.get(key, 0)) for key in keys) for column, keys in COUNTERS.items()}


def _close_killed(session: Session, outlet_id: int, by_run: int) -> None:
    killed = session.scalars(
        select(CrawlRunOutlet).where(
            CrawlRunOutlet.outlet_id == outlet_id,
            CrawlRunOutlet.status == OutletStatus.RUNNING,
            CrawlRunOutlet.run_id != by_run,
        )
    ).all()
    for part in killed:
        part.status = OutletStatus.INTERRUPTED
        part.message = f"the crawl stopped without closing its run (found by run {by_run})"
        run = session.get(CrawlRun, part.run_id)
        still = session.scalar(
            select(func.count()).where(
                CrawlRunOutlet.run_id == part.run_id, CrawlRunOutlet.status == OutletStatus.RUNNING
            )
        )
        if run is not None and run.status == RunStatus.RUNNING and not still:
            run.status = RunStatus.INTERRUPTED
            run.message = part.message
