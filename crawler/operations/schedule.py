"""`newsarchive schedule`: crawl each outlet at its own interval, adapted to how often it publishes.

The intervals live in SQL (`outlet_schedule`), so a restarted scheduler, or several on different
machines sharing a PostgreSQL archive (the crawl locks keep them from overlapping), carry on where
the last one stopped. Each round runs `newsarchive crawl` for the outlets that are due in a child
process: Scrapy's reactor cannot be restarted in one process, and a child returns its memory.
SIGTERM or SIGINT lets the running crawl finish its pages in flight and record itself, then stops.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler import outlets as registry
from db.models import CrawlRun, CrawlRunOutlet, Outlet, OutletSchedule, utcnow
from db.session import session_factory
from db.store import insert_statement

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bounds:
    start: float  # seconds before an outlet's second crawl, until its rhythm is known
    minimum: float
    maximum: float


def next_interval(
    current: float, new_articles: int, feed_update_seconds: int | None, bounds: Bounds
) -> float:
    """Halve the interval after a crawl that found two or more new articles, keep it after one,
    stretch it by half after none; never shorter than the feed says it updates, always in bounds."""
    if new_articles >= 2:
        interval = current / 2
    elif new_articles == 1:
        interval = current
    else:
        interval = current * 1.5
    floor = max(bounds.minimum, feed_update_seconds or 0)
    return min(bounds.maximum, max(floor, interval))


def due_outlets(session: Session, slugs: list[str], now: datetime) -> list[str]:
    """The outlets whose next crawl is due (an outlet never scheduled is due at once)."""
    rows = dict(
        session.execute(
            select(Outlet.slug, OutletSchedule.next_due_at)
            .join(OutletSchedule, OutletSchedule.outlet_id == Outlet.id, isouter=True)
            .where(Outlet.slug.in_(slugs))
        ).all()
    )
    return [slug for slug in slugs if rows.get(slug) is None or rows[slug] <= now]


def record_round(session: Session, run_id: int, bounds: Bounds) -> dict[str, float]:
    """After a crawl run: each of its outlets' next interval and due time; returns slug -> interval."""
    results = session.execute(
        select(Outlet.slug, CrawlRunOutlet, OutletSchedule)
        .join(Outlet, Outlet.id == CrawlRunOutlet.outlet_id)
        .join(OutletSchedule, OutletSchedule.outlet_id == Outlet.id, isouter=True)
        .where(CrawlRunOutlet.run_id == run_id)
    ).all()
    intervals = {}
    now = utcnow()
    for slug, outcome, schedule in results:
        current = schedule.interval_seconds if schedule else bounds.start
        feed_period = outcome.feed_update_seconds or (schedule.feed_update_seconds if schedule else None)
        # after an outlet's first crawl its rhythm is unknown: the start interval, within bounds
        interval = next_interval(current, outcome.articles_new if schedule else 1, feed_period, bounds)
        row = {
            "outlet_id": outcome.outlet_id,
            "interval_seconds": interval,
            "next_due_at": now + timedelta(seconds=interval),
            "last_run_id": run_id,
            "last_new": outcome.articles_new,
            "feed_update_seconds": feed_period,
            "updated_at": now,
        }
        stmt = insert_statement(session, OutletSchedule).values(row)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["outlet_id"], set_={k: stmt.excluded[k] for k in row if k != "outlet_id"}
            )
        )
        intervals[slug] = interval
    return intervals


class Scheduler:
    def __init__(
        self,
        engine: Engine,
        db_url: str,
        outlets_file: Path | None,
        slugs: list[str],
        bounds: Bounds,
        tick_seconds: float,
        crawl_args: list[str],
        report: Callable[[str], None] = logger.info,
        show: Callable[[str], None] = logger.info,
    ) -> None:
        self.engine, self.db_url, self.outlets_file = engine, db_url, outlets_file
        self.slugs = slugs or list(registry.load(outlets_file))
        self.bounds, self.tick_seconds, self.crawl_args, self.report = (
            bounds,
            tick_seconds,
            crawl_args,
            report,
        )
        self.show = show
        self.stopping = threading.Event()
        self.child: subprocess.Popen | None = None

    def run(self, rounds: int = 0) -> int:
        """Until SIGTERM/SIGINT (or `rounds` crawls, for tests and one-shot use); returns crawls run."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        crawls = 0
        try:
            while not self.stopping.is_set() and (not rounds or crawls < rounds):
                with session_factory(self.engine, write=True).begin() as session:
                    due = due_outlets(session, self.slugs, utcnow())
                if due:
                    self._crawl(due)
                    crawls += 1
                else:
                    self.stopping.wait(self.tick_seconds)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return crawls

    def _crawl(self, slugs: list[str]) -> None:
        # The archive URL (with any password) goes through the environment: argv is readable by
        # every local user in /proc/PID/cmdline.
        command = [sys.executable, "-m", "crawler.cli", "crawl", *self.crawl_args]
        if self.outlets_file:
            command += ["--outlets", str(self.outlets_file)]
        for slug in slugs:
            command += ["--outlet", slug]
        with session_factory(self.engine).begin() as session:
            before = session.scalar(select(func.max(CrawlRun.id))) or 0
        self.report(f"crawling {', '.join(slugs)}")
        # The child writes its full log to its own file and says where on stderr; its summary table
        # comes back here to be shown as this round's.
        self.child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "NEWSARCHIVE_DB": self.db_url},
        )
        summary, _ = self.child.communicate()
        returncode = self.child.returncode
        self.child = None
        if summary.strip():
            self.show(summary.rstrip())
        with session_factory(self.engine, write=True).begin() as session:
            run_id = _run_after(session, before, slugs)
            if run_id is None:  # another scheduler holds the outlets' locks, or the crawl could not start
                _postpone(session, slugs, self.bounds)
                self.report(
                    f"no crawl run for {', '.join(slugs)} (exit {returncode}); trying again in "
                    f"{self.bounds.minimum:g} s"
                )
                return
            intervals = record_round(session, run_id, self.bounds)
        self.report(
            f"crawl run {run_id} done; next: "
            + ", ".join(f"{slug} in {seconds:g} s" for slug, seconds in sorted(intervals.items()))
        )

    def _stop(self, signum, _frame) -> None:
        self.stopping.set()
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)  # Scrapy finishes the pages in flight, the run is recorded


def _run_after(session: Session, before: int, slugs: list[str]) -> int | None:
    """The crawl run the child started (the newest since `before` with one of these outlets)."""
    return session.scalar(
        select(CrawlRunOutlet.run_id)
        .join(Outlet, Outlet.id == CrawlRunOutlet.outlet_id)
        .where(Outlet.slug.in_(slugs), CrawlRunOutlet.run_id > before)
        .order_by(CrawlRunOutlet.run_id.desc())
        .limit(1)
    )


def _postpone(session: Session, slugs: list[str], bounds: Bounds) -> None:
    now = utcnow()
    ids = dict(session.execute(select(Outlet.slug, Outlet.id).where(Outlet.slug.in_(slugs))).all())
    for slug in slugs:
        if slug not in ids:
            continue
        row = {
            "outlet_id": ids[slug],
            "interval_seconds": bounds.start,
            "next_due_at": now + timedelta(seconds=bounds.minimum),
            "last_new": 0,
            "updated_at": now,
        }
        stmt = insert_statement(session, OutletSchedule).values(row)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["outlet_id"], set_={"next_due_at": stmt.excluded.next_due_at}
            )
        )
