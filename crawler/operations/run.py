"""Run a crawl in-process: one NewsSpider per outlet, one crawl run recorded in the archive."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from sqlalchemy.exc import DBAPIError

from crawler import outlets as registry
from crawler.components.frontier import frontier_settings
from crawler.config import load_settings
from crawler.spiders.news import NewsSpider
from db import locks
from db.migrate import open_database
from db.models import OutletStatus
from db.runs import CrawlRunLedger, OutletResult
from db.session import ArchiveError, first_line, redact

Progress = Callable[[list[OutletResult]], None]


def select_outlets(outlets_file: Path | None, slugs: Sequence[str]) -> dict[str, registry.Outlet]:
    config = registry.load(outlets_file)
    unknown = [slug for slug in slugs if slug not in config]
    if unknown:
        raise registry.RegistryError(f"unknown outlet {unknown[0]!r}; known: {', '.join(sorted(config))}")
    return {slug: config[slug] for slug in (slugs or config)}


def run_crawl(
    db_url: str,
    outlets_file: Path | None,
    slugs: Sequence[str],
    since: datetime | None = None,
    max_pages: int = 0,
    overrides: dict[str, Any] | None = None,
    on_progress: Progress | None = None,
    resume_dir: Path | None = None,
    until: datetime | None = None,
) -> tuple[int, list[OutletResult]]:
    chosen = select_outlets(outlets_file, slugs)
    engine = open_database(db_url)
    # Workers sharing a frontier crawl one outlet together: Redis coordinates them, not the lock.
    shared = bool((overrides or {}).get("NEWSARCHIVE_FRONTIER"))
    with locks.all_free(engine, [] if shared else [f"crawl:{slug}" for slug in chosen]) as (_, busy):
        running = [name.removeprefix("crawl:") for name in busy]
        if len(running) == len(chosen):
            raise AlreadyRunning(running)
        free = {slug: outlet for slug, outlet in chosen.items() if slug not in running}
        ledger = CrawlRunLedger.open(engine, list(free))
        settings = {
            "NEWSARCHIVE_RUN_ID": ledger.run_id,
            "NEWSARCHIVE_OUTLETS_FILE": str(outlets_file) if outlets_file else None,
            "NEWSARCHIVE_SINCE": since.isoformat() if since else None,
            "NEWSARCHIVE_UNTIL": until.isoformat() if until else None,
            "NEWSARCHIVE_MAX_PAGES": max_pages,
            **(overrides or {}),
        }
        results = _crawl_locked(db_url, ledger, free, settings, on_progress, resume_dir)
    return ledger.run_id, results + [
        OutletResult(slug, status=OutletStatus.BUSY, message=locks.BUSY_MESSAGE) for slug in running
    ]


class AlreadyRunning(Exception):
    """Every outlet asked for is being crawled by another run."""

    def __init__(self, slugs: list[str]) -> None:
        super().__init__(f"{', '.join(slugs)}: {locks.BUSY_MESSAGE}; nothing to do")


def _crawl_locked(
    db_url: str,
    ledger: CrawlRunLedger,
    chosen: dict[str, registry.Outlet],
    settings: dict[str, Any],
    on_progress: Progress | None,
    resume_dir: Path | None,
) -> list[OutletResult]:
    # Until Scrapy installs its own (graceful) handlers, SIGTERM interrupts like Ctrl-C, so the run
    # opened above is always closed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    crawlers: dict[str, Crawler] = {}
    interrupted = False
    try:
        _start_crawl(db_url, chosen, settings, on_progress, resume_dir, crawlers)
    except KeyboardInterrupt:
        interrupted = True
    lost = [
        crawler.stats.get_value("archive/database_lost") for crawler in crawlers.values() if crawler.stats
    ]
    try:
        ledger.close(interrupted)
        results = ledger.results()
    except DBAPIError as exc:
        raise ArchiveError(
            f"database unreachable at the end of crawl run {ledger.run_id}: {first_line(exc.orig)}; "
            "articles committed before are kept, the next crawl fetches the rest"
        ) from None
    if any(lost):
        raise ArchiveError(
            f"crawl run {ledger.run_id} stopped: {next(m for m in lost if m)}; articles committed "
            "before are kept, the next crawl fetches the rest"
        )
    return results


def _start_crawl(
    db_url: str,
    chosen: dict[str, registry.Outlet],
    overrides: dict[str, Any],
    on_progress: Progress | None,
    resume_dir: Path | None,
    crawlers: dict[str, Crawler],
) -> None:
    settings = load_settings(overrides, db_url)
    # The `newsarchive` command owns logging (one handler, secrets redacted).
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
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


def progress_of(crawlers: dict[str, Crawler]) -> list[OutletResult]:
    return [
        OutletResult.from_stats(slug, crawler.stats.get_stats() if crawler.stats else {})
        for slug, crawler in crawlers.items()
    ]


class RedactingFilter(logging.Filter):
    """Passwords never reach a log line, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True
