"""`newsarchive schedule` (crawler/operations/schedule.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select

from crawler.operations.schedule import Bounds, next_interval
from db.models import Article, CrawlRun, Outlet, OutletSchedule
from db.session import make_engine, session_factory

from ..conftest import crawl_command, descendants, truncate_postgres

ROOT = Path(__file__).resolve().parents[2]


def _crawls_per_outlet(db_path: Path) -> int:
    """How many finished crawls the least-crawled outlet has had."""
    try:
        with sqlite3.connect(db_path, timeout=1) as conn:
            counts = conn.execute(
                "SELECT count(*) FROM crawl_run_outlets WHERE finished_at IS NOT NULL GROUP BY outlet_id"
            ).fetchall()
    except sqlite3.OperationalError:
        return 0
    return min((c for (c,) in counts), default=0) if len(counts) == 2 else 0


def test_next_interval_adapts_within_bounds_and_honours_the_feed():
    bounds = Bounds(start=3600, minimum=300, maximum=6 * 3600)
    assert next_interval(3600, 5, None, bounds) == 1800
    assert next_interval(3600, 1, None, bounds) == 3600
    assert next_interval(3600, 0, None, bounds) == 5400
    assert next_interval(400, 9, None, bounds) == 300  # never under the minimum
    assert next_interval(20000, 0, None, bounds) == 6 * 3600  # nor over the maximum
    assert next_interval(3600, 9, 7200, bounds) == 7200  # a feed that updates every 2 h is not polled faster


def test_schedule_polls_outlets_and_stops_cleanly_on_sigterm(fixture_server, registry, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    crawl = crawl_command(fixture_server, db_url)
    settings = [crawl[i + 1] for i, arg in enumerate(crawl) if arg == "-s"]
    command = [
        sys.executable,
        "-m",
        "crawler.cli",
        "schedule",
        "--db",
        db_url,
        "--outlets",
        str(registry),
        "--outlet",
        "feedonly",
        "--outlet",
        "sitemaponly",
        "--start-interval",
        "1",
        "--min-interval",
        "0.5",
        "--max-interval",
        "1.5",
        "--tick",
        "0.2",
        *[arg for s in settings for arg in ("-s", s)],
    ]
    scheduler = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and scheduler.poll() is None:
            time.sleep(0.3)
            if (tmp_path / "archive.db").exists() and _crawls_per_outlet(tmp_path / "archive.db") >= 2:
                break
    finally:
        scheduler.send_signal(signal.SIGTERM)
        stdout, stderr = scheduler.communicate(timeout=180)
    assert scheduler.returncode == 0, stderr[-2000:]
    assert "scheduler stopped after" in stderr
    # each round's summary is shown; every crawl's full log is a file, none of it on the terminal
    assert "crawl run 1" in stdout and "crawl run 2" in stdout and "feedonly" in stdout
    logs = tmp_path / "archive.db-state" / "logs"
    assert len(list(logs.glob("crawl-*.log"))) >= 2 and len(list(logs.glob("schedule-*.log"))) == 1
    assert "[scrapy." not in stderr and stderr.count("log: ") >= 3
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        schedules = {
            slug: s for slug, s in session.execute(select(Outlet.slug, OutletSchedule).join(OutletSchedule))
        }
        stored = session.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    assert len(runs) >= 2 and all(
        run.finished_at is not None for run in runs
    )  # the last one too: SIGTERM let it finish
    assert set(schedules) == {"feedonly", "sitemaponly"}
    assert schedules["feedonly"].feed_update_seconds == 3600  # the fixture feed says sy:updatePeriod hourly
    assert all(0.5 <= s.interval_seconds <= 1.5 for s in schedules.values())
    assert all(s.last_new == 0 for s in schedules.values()) and stored == 6  # later rounds found nothing new


@pytest.mark.postgres
def test_the_database_password_never_reaches_a_command_line(fixture_server, registry, pg_schema):
    """`schedule` hands its crawls the archive URL through the environment: /proc/PID/cmdline is
    readable by every local user."""
    truncate_postgres(pg_schema)
    secret = "s3cret-pw"
    db_url = str(make_url(pg_schema).set(password=secret).render_as_string(hide_password=False))
    crawl = crawl_command(fixture_server, db_url)
    settings = [crawl[i + 1] for i, arg in enumerate(crawl) if arg == "-s"]
    command = [
        sys.executable,
        "-m",
        "crawler.cli",
        "schedule",
        "--outlets",
        str(registry),
        "--outlet",
        "bulk",
        "--rounds",
        "1",
        "--tick",
        "0.1",
        *[arg for s in settings for arg in ("-s", s)],
    ]
    with fixture_server.gate("bulk.test", after=1) as held:
        scheduler = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NEWSARCHIVE_DB": db_url},
        )
        try:
            held()  # the child crawl is running now
            lines = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in descendants(scheduler.pid)]
        finally:
            scheduler.send_signal(signal.SIGTERM)
    _, stderr = scheduler.communicate(timeout=180)
    assert scheduler.returncode == 0, stderr[-2000:]
    assert any(b"crawler.cli\x00crawl" in line for line in lines)
    assert not any(secret.encode() in line for line in lines) and secret not in stderr
