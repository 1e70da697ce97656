"""Run a crawl in-process: one NewsSpider per outlet, one crawl run recorded in the archive."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from crawler import outlets as registry
from crawler.frontier import frontier_settings
from crawler.spiders.news import NewsSpider
from db import locks
from db.migrate import open_database
from db.models import CrawlRun, CrawlRunOutlet, Outlet, utcnow
from db.session import ArchiveError, first_line, redact, session_factory, shared_engine

PROGRESS_KEYS = {"pages": "fetch/article_pages", "articles": "archive/inserted", "duplicates": "archive/duplicate",
                 "off_topic": "extract/off_topic", "errors": "fetch/error"}


@dataclass
class OutletProgress:
    slug: str
    pages: int = 0
    articles: int = 0
    duplicates: int = 0
    off_topic: int = 0
    errors: int = 0
    status: str = "running"
    message: str | None = None


def crawl_settings(db_url: str, overrides: dict[str, Any]) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NEWSARCHIVE_DB", db_url, priority="cmdline")
    # The `newsarchive` command owns logging (one handler, secrets redacted).
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def select_outlets(outlets_file: Path | None, slugs: Sequence[str]) -> dict[str, registry.Outlet]:
    config = registry.load(outlets_file)
    unknown = [slug for slug in slugs if slug not in config]
    if unknown:
        raise registry.RegistryError(f"unknown outlet {unknown[0]!r}; known: {', '.join(sorted(config))}")
    return {slug: config[slug] for slug in (slugs or config)}


def run_crawl(db_url: str, outlets_file: Path | None, slugs: Sequence[str], since: datetime | None = None,
              max_pages: int = 0, overrides: dict[str, Any] | None = None,
              on_progress: Callable[[list[OutletProgress]], None] | None = None,
              resume_dir: Path | None = None) -> tuple[int, list[OutletProgress]]:
    chosen = select_outlets(outlets_file, slugs)
    engine = open_database(db_url)
    # Workers sharing a frontier crawl one outlet together: Redis coordinates them, not the lock.
    shared = bool((overrides or {}).get("NEWSARCHIVE_FRONTIER"))
    with locks.all_free(engine, [] if shared else [f"crawl:{slug}" for slug in chosen]) as (_, busy):
        running = [name.removeprefix("crawl:") for name in busy]
        if len(running) == len(chosen):
            raise AlreadyRunning(running)
        run_id, results = _crawl_locked(db_url, engine, {s: o for s, o in chosen.items() if s not in running}, outlets_file,
                                        since, max_pages, overrides, on_progress, resume_dir)
    return run_id, results + [OutletProgress(slug, status="busy", message=locks.BUSY_MESSAGE) for slug in running]


class AlreadyRunning(Exception):
    """Every outlet asked for is being crawled by another run."""

    def __init__(self, slugs: list[str]) -> None:
        super().__init__(f"{', '.join(slugs)}: {locks.BUSY_MESSAGE}; nothing to do")


def _crawl_locked(db_url: str, engine, chosen: dict[str, registry.Outlet], outlets_file: Path | None,
                  since: datetime | None, max_pages: int, overrides: dict[str, Any] | None,
                  on_progress: Callable[[list[OutletProgress]], None] | None, resume_dir: Path | None) -> tuple[int, list[OutletProgress]]:
    # Until Scrapy installs its own (graceful) handlers, SIGTERM interrupts like Ctrl-C, so the run
    # recorded below is always closed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with session_factory(engine, write=True).begin() as session:
        run = CrawlRun(outlets=",".join(chosen), status="running")
        session.add(run)
        session.flush()
        run_id = run.id
    crawlers: dict = {}
    status = "finished"
    try:
        _start_crawl(db_url, run_id, chosen, outlets_file, since, max_pages, overrides, on_progress, resume_dir, crawlers)
    except KeyboardInterrupt:
        status = "interrupted"
    lost = [crawler.stats.get_value("archive/database_lost") for crawler in crawlers.values() if crawler.stats]
    try:
        _finish_run(db_url, run_id, status)
        results = outlet_results(db_url, run_id)
    except DBAPIError as exc:
        raise ArchiveError(f"database unreachable at the end of crawl run {run_id}: {first_line(exc.orig)}; "
                           "articles committed before are kept, the next crawl fetches the rest") from None
    if any(lost):
        raise ArchiveError(f"crawl run {run_id} stopped: {next(m for m in lost if m)}; articles committed before are "
                           "kept, the next crawl fetches the rest")
    return run_id, results


def _start_crawl(db_url: str, run_id: int, chosen: dict[str, registry.Outlet], outlets_file: Path | None,
                 since: datetime | None, max_pages: int, overrides: dict[str, Any] | None,
                 on_progress: Callable[[list[OutletProgress]], None] | None, resume_dir: Path | None, crawlers: dict) -> None:
    settings = crawl_settings(db_url, {
        "NEWSARCHIVE_RUN_ID": run_id, "NEWSARCHIVE_OUTLETS_FILE": str(outlets_file) if outlets_file else None,
        "NEWSARCHIVE_SINCE": since.isoformat() if since else None, "NEWSARCHIVE_MAX_PAGES": max_pages,
        **(overrides or {}),
    })
    process = CrawlerProcess(settings)
    for slug in chosen:
        crawler = process.create_crawler(NewsSpider)
        # (The crawler's settings are its own copy until the crawl starts.)
        if resume_dir:
            # Scrapy's JOBDIR, one per outlet: its request queue and seen-requests filter survive a stop.
            crawler.settings.set("JOBDIR", str(resume_dir / slug), priority="cmdline")
        if settings.get("NEWSARCHIVE_FRONTIER"):
            for name, value in frontier_settings(settings.get("NEWSARCHIVE_FRONTIER"), slug).items():
                crawler.settings.set(name, value, priority="cmdline")
        crawlers[slug] = crawler
        process.crawl(crawler, outlet=slug)
    if on_progress is not None:
        _start_ticker(lambda: on_progress(progress_of(crawlers)))
    process.start()


def _start_ticker(tick: Callable[[], None]) -> None:
    from twisted.internet import task

    task.LoopingCall(tick).start(0.5, now=False)


def progress_of(crawlers: dict) -> list[OutletProgress]:
    rows = []
    for slug, crawler in crawlers.items():
        stats = crawler.stats.get_stats() if crawler.stats else {}
        rows.append(OutletProgress(slug, **{field: stats.get(key, 0) for field, key in PROGRESS_KEYS.items()}))
    return rows


def _finish_run(db_url: str, run_id: int, status: str) -> None:
    engine = shared_engine(db_url)
    totals = [func.coalesce(func.sum(getattr(CrawlRunOutlet, c)), 0) for c in ("pages", "articles_new", "duplicates", "off_topic", "errors")]
    with session_factory(engine, write=True).begin() as session:
        sums = session.execute(select(*totals).where(CrawlRunOutlet.run_id == run_id)).one()
        failed = session.scalar(select(func.count()).where(CrawlRunOutlet.run_id == run_id, CrawlRunOutlet.status != "ok"))
        session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
            finished_at=utcnow(), status=status,
            pages=sums[0], articles_new=sums[1], duplicates=sums[2], off_topic=sums[3], errors=sums[4],
            message=f"{failed} outlet(s) not ok" if failed else None))


def outlet_results(db_url: str, run_id: int) -> list[OutletProgress]:
    with session_factory(shared_engine(db_url)).begin() as session:
        rows = session.execute(
            select(Outlet.slug, CrawlRunOutlet).join(Outlet, Outlet.id == CrawlRunOutlet.outlet_id)
            .where(CrawlRunOutlet.run_id == run_id).order_by(Outlet.slug)).all()
    return [OutletProgress(slug, r.pages, r.articles_new, r.duplicates, r.off_topic, r.errors, r.status, r.message)
            for slug, r in rows]


class RedactingFilter(logging.Filter):
    """Passwords never reach a log line, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True
