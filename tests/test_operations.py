"""Operating the crawler: one crawl per outlet at a time (PostgreSQL advisory locks, SQLite file
locks), real crawls killed with SIGKILL and run again, and the Scrapyd egg."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select, update
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import app
from crawler.operations.schedule import Bounds, next_interval
from crawler.components.warc import read_response

from db import locks, migrate
from db.models import Article, CrawlRun, Outlet, OutletSchedule
from db.session import make_engine, session_factory

from .conftest import crawl_command, truncate_postgres
from .tcpproxy import TcpProxy
from .sites import BULK_ARTICLES, TEST_REGISTRY, all_sites

ROOT = Path(__file__).resolve().parents[1]


def bulk_urls() -> list[str]:
    return [f"https://bulk.test{path}" for path in all_sites()["bulk.test"] if "/pro/" in path]


@pytest.fixture
def registry(tmp_path) -> Path:
    path = tmp_path / "outlets.toml"
    path.write_text(TEST_REGISTRY, encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crawl_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crawl.db'}"
    url = request.getfixturevalue("pg_schema")
    truncate_postgres(url)
    return url


def _count(db_url: str, what) -> int:
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        value = session.scalar(select(func.count()).select_from(what))
    engine.dispose()
    return value


def test_lock_is_exclusive_and_released(crawl_db):
    first, second = make_engine(crawl_db), make_engine(crawl_db)
    with locks.held(first, "crawl:feedonly"):
        with pytest.raises(locks.Busy):
            with locks.held(second, "crawl:feedonly"):
                pass
        with locks.held(second, "crawl:sitemaponly"):
            pass
    with locks.held(second, "crawl:feedonly"):
        pass
    first.dispose()
    second.dispose()


def test_second_crawl_of_a_locked_outlet_says_so_and_exits_0(fixture_server, registry, crawl_db):
    engine = make_engine(crawl_db)
    migrate.upgrade(engine)
    with locks.held(engine, "crawl:feedonly"):
        alone = subprocess.run(crawl_command(fixture_server, crawl_db, "--outlets", str(registry), "--outlet", "feedonly"),
                               capture_output=True, text=True, timeout=300)
        assert alone.returncode == 0, alone.stderr[-2000:]
        assert "feedonly: another crawl of this outlet is running; nothing to do" in alone.stderr
        assert _count(crawl_db, CrawlRun) == 0
        # with another outlet free, that one is crawled and the locked one reported busy
        both = subprocess.run(crawl_command(fixture_server, crawl_db, "--outlets", str(registry), "--outlet", "feedonly",
                                            "--outlet", "sitemaponly"), capture_output=True, text=True, timeout=300)
        assert both.returncode == 0, both.stderr[-2000:]
        assert "busy" in both.stdout and "sitemaponly" in both.stdout
    with session_factory(engine).begin() as session:
        crawled = session.scalars(select(Outlet.slug).join(Article).distinct()).all()
    assert crawled == ["sitemaponly"]
    engine.dispose()


def test_scrapyd_egg_builds_and_crawls_from_the_zip(fixture_server, registry, tmp_path):
    """`scrapyd-deploy --build-egg`, then the spider run from the zipped egg alone, as Scrapyd runs it
    (an empty database is migrated with the scripts inside the egg)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, project / name)
    for package in ("crawler", "db", "migrations"):
        shutil.copytree(ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    egg = tmp_path / "newsarchive.egg"
    build = subprocess.run([str(Path(sys.executable).with_name("scrapyd-deploy")), "--build-egg", str(egg)],
                           cwd=project, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        assert {"crawler/settings.py", "crawler/outlets.toml", "crawler/stages/lexicon.toml", "migrations/versions/0002_dedup_index.py"} <= names
        assert "settings = crawler.settings" in archive.read("EGG-INFO/entry_points.txt").decode()
    runner = tmp_path / "runner"
    runner.mkdir()
    db_url = f"sqlite:///{runner / 'archive.db'}"
    handler = "crawler.devsite.loopback.LoopbackHandler"
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "outlet=feedonly", "-a", f"outlets_file={registry}",
               "-s", f"NEWSARCHIVE_DB={db_url}", "-s", f"LOOPBACK_TARGET=127.0.0.1:{fixture_server.port}",
               "-s", "DOWNLOAD_HANDLERS=" + json.dumps({"http": handler, "https": handler}), "-s", "DOWNLOAD_DELAY=0",
               "-s", "LOG_LEVEL=WARNING"]
    env = {"PYTHONPATH": str(egg), "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PATH": "/usr/bin:/bin",
           "PYTHONSAFEPATH": "1"}
    result = subprocess.run(command, cwd=runner, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
    engine.dispose()


def test_scrapy_crawl_job_of_a_locked_outlet_stops_at_once(fixture_server, registry, tmp_path):
    """Scrapyd jobs run `scrapy crawl`: they take the same lock and stop when it is held."""
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    handler = "crawler.devsite.loopback.LoopbackHandler"
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "outlet=feedonly", "-a", f"outlets_file={registry}",
               "-s", f"NEWSARCHIVE_DB={db_url}", "-s", f"LOOPBACK_TARGET=127.0.0.1:{fixture_server.port}",
               "-s", "DOWNLOAD_HANDLERS=" + json.dumps({"http": handler, "https": handler}), "-s", "DOWNLOAD_DELAY=0"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    with locks.held(engine, "crawl:feedonly"):
        busy = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert busy.returncode == 0, busy.stderr[-2000:]
    assert "feedonly: another crawl of this outlet is running" in busy.stderr
    assert _count(db_url, Article) == 0 and _count(db_url, CrawlRun) == 0
    free = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert free.returncode == 0, free.stderr[-2000:]
    assert _count(db_url, Article) == 3 and _count(db_url, CrawlRun) == 1
    engine.dispose()


def test_warc_capture_and_offline_reextract(fixture_server, registry, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    captures = tmp_path / "warc"
    crawl = subprocess.run(crawl_command(fixture_server, db_url, "--outlets", str(registry), "--outlet", "feedonly",
                                         "--warc", str(captures)), capture_output=True, text=True, timeout=300)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    files = sorted(captures.glob("newsarchive-*.warc.gz"))
    assert files
    records = []
    for path in files:
        with open(path, "rb") as stream:
            records += [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(stream)]
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        stored = {a.id: (a.url, a.text, a.title, a.warc_file, a.warc_offset) for a in session.scalars(select(Article))}
    assert len(stored) == 3
    for url, text, _, warc_file, offset in stored.values():
        assert ("response", url) in records and ("request", url) in records
        captured_url, body, content_type = read_response(warc_file, offset)
        assert captured_url == url and content_type.startswith("text/html") and text.split("\n")[0][:60] in body.decode()
    assert ("response", "https://feedonly.test/feed/") in records  # feeds and sitemaps are captured too
    # An older extractor's output, and the captures moved elsewhere: reextract restores from the WARC alone.
    with session_factory(engine, write=True).begin() as session:
        session.execute(update(Article).values(text="stale text", title=None, content_hash="0" * 64))
    moved = tmp_path / "moved"
    captures.rename(moved)
    result = CliRunner().invoke(app, ["reextract", "--outlets", str(registry), "--warc-dir", str(moved), "--db", db_url, "-s", "NEWSARCHIVE_EXTRACT_WORKERS=1"])
    assert result.exit_code == 0, result.output
    assert "reextracted 3 of 3 captured articles" in result.output
    with session_factory(engine).begin() as session:
        after = {a.id: (a.text, a.title, a.story_id) for a in session.scalars(select(Article))}
    assert {i: (text, title) for i, (text, title, _) in after.items()} == {i: (s[1], s[2]) for i, s in stored.items()}
    assert all(story is not None for _, _, story in after.values())
    engine.dispose()


def _wait_for_articles(db_path: Path, count: int, process: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if db_path.exists():
            try:
                with sqlite3.connect(db_path, timeout=1) as conn:
                    stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
                if stored >= count:
                    return stored
            except sqlite3.OperationalError:
                pass  # schema not created yet
        time.sleep(0.2)
    raise AssertionError(f"the crawl stored fewer than {count} articles in {timeout} s")


def test_crawl_killed_with_sigkill_loses_nothing_and_the_rerun_fetches_only_what_is_missing(fixture_server, registry, tmp_path):
    db_path = tmp_path / "archive.db"
    db_url = f"sqlite:///{db_path}"
    slow = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.15", "-s", "NEWSARCHIVE_BATCH_SIZE=5"]
    command = crawl_command(fixture_server, db_url, "--outlets", str(registry), "--outlet", "bulk") + slow
    before_log = len(fixture_server.requests("bulk.test"))
    crawl = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_articles(db_path, 10, crawl)
    finally:
        os.killpg(crawl.pid, signal.SIGKILL)  # the crawler and its extraction workers, no warning
        crawl.wait()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = {url for (url,) in conn.execute("SELECT url FROM articles")}
        assert conn.execute("SELECT status FROM crawl_run_outlets").fetchall() == [("running",)]
    assert 10 <= len(kept) < BULK_ARTICLES
    fetched_before = {r["path"] for r in fixture_server.requests("bulk.test")[before_log:]}
    rerun_from = len(fixture_server.requests("bulk.test"))
    again = subprocess.run(crawl_command(fixture_server, db_url, "--outlets", str(registry), "--outlet", "bulk"),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(db_path) as conn:
        stored = [url for (url,) in conn.execute("SELECT url FROM articles")]
        assert conn.execute("SELECT status FROM crawl_run_outlets ORDER BY run_id").fetchall() == [("running",), ("ok",)]
    assert sorted(stored) == sorted(bulk_urls()) and len(stored) == len(set(stored)) == BULK_ARTICLES
    refetched = [r["path"] for r in fixture_server.requests("bulk.test")[rerun_from:]]
    # every sitemap read again in full (200, not 304), no article stored before the kill fetched again
    assert {"/sitemap_index.xml", "/post-sitemap1.xml", "/post-sitemap2.xml", "/post-sitemap3.xml"} <= set(refetched)
    assert all(r["status"] == 200 for r in fixture_server.requests("bulk.test")[rerun_from:] if "sitemap" in r["path"])
    assert not {url.split("bulk.test", 1)[1] for url in kept} & set(refetched)
    assert fetched_before  # the killed crawl did fetch pages


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_resume_continues_a_stopped_backfill(fixture_server, registry, tmp_path, stop):
    """--resume DIR (Scrapy JOBDIR per outlet): after a clean stop (SIGTERM: the queue is saved) or a
    kill (SIGKILL: it may not be), the next run with the same DIR completes the backfill."""
    db_path, jobs = tmp_path / "archive.db", tmp_path / "jobs"
    db_url = f"sqlite:///{db_path}"
    args = ["--outlets", str(registry), "--outlet", "bulk", "--resume", str(jobs)]
    slow = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.15", "-s", "NEWSARCHIVE_BATCH_SIZE=5"]
    crawl = subprocess.Popen(crawl_command(fixture_server, db_url, *args) + slow, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for_articles(db_path, 10, crawl)
    finally:
        if stop == "SIGTERM":
            crawl.send_signal(signal.SIGTERM)
            _, stderr = crawl.communicate(timeout=120)
        else:
            os.killpg(crawl.pid, signal.SIGKILL)
            crawl.wait()
    if stop == "SIGTERM":
        assert crawl.returncode == 0, stderr[-2000:]
        assert (jobs / "bulk" / "requests.queue").is_dir()
    with sqlite3.connect(db_path) as conn:
        kept = {url for (url,) in conn.execute("SELECT url FROM articles")}
    assert len(kept) < BULK_ARTICLES
    rerun_from = len(fixture_server.requests("bulk.test"))
    again = subprocess.run(crawl_command(fixture_server, db_url, *args), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(db_path) as conn:
        stored = [url for (url,) in conn.execute("SELECT url FROM articles")]
    assert sorted(stored) == sorted(bulk_urls()) and len(stored) == len(set(stored))
    refetched = {r["path"] for r in fixture_server.requests("bulk.test")[rerun_from:]}
    assert not {url.split("bulk.test", 1)[1] for url in kept} & refetched


def _through_proxy(url: str, proxy: TcpProxy) -> str:
    return str(make_url(url).set(port=proxy.port).render_as_string(hide_password=False))


def _pg_articles(url: str) -> list[str]:
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        urls = list(session.scalars(select(Article.url)))
    engine.dispose()
    return urls


def _wait_for_pg_articles(url: str, count: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if len(_pg_articles(url)) >= count:
            return
        time.sleep(0.3)
    raise AssertionError(f"the crawl stored fewer than {count} articles in {timeout} s")


@pytest.mark.postgres
@pytest.mark.parametrize("outage", ["brief", "long"])
def test_database_that_disappears_mid_crawl(fixture_server, registry, pg_schema, outage):
    """The crawler's connections to PostgreSQL are cut mid-crawl (a restart, as the crawler sees it).
    Brief: the retries ride it out and the crawl completes. Long: the crawl stops with one clear
    line, exit 1, what was committed kept; the next crawl completes the outlet."""
    truncate_postgres(pg_schema)
    proxy = TcpProxy(make_url(pg_schema).port or 5432).start()
    via_proxy = _through_proxy(pg_schema, proxy)
    delays = [1, 2, 4, 8] if outage == "brief" else [0.5, 0.5]
    slow = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.15", "-s", "NEWSARCHIVE_BATCH_SIZE=5",
            "-s", f"NEWSARCHIVE_DB_RETRY_DELAYS={json.dumps(delays)}"]
    crawl = subprocess.Popen(crawl_command(fixture_server, via_proxy, "--outlets", str(registry), "--outlet", "bulk") + slow,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_pg_articles(pg_schema, 10, crawl)
        proxy.cut()
        committed = set(_pg_articles(pg_schema))
        if outage == "brief":
            time.sleep(1.5)
            proxy.start()
        stdout, stderr = crawl.communicate(timeout=240)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    assert "Traceback" not in stderr and "postgres@" not in stderr.replace("postgres@127.0.0.1", "")
    stored = _pg_articles(pg_schema)
    assert committed <= set(stored) and len(stored) == len(set(stored))
    if outage == "brief":
        assert crawl.returncode == 0, stderr[-2000:]
        assert "database unreachable" in stderr and sorted(stored) == sorted(bulk_urls())
        return
    assert crawl.returncode == 1
    lines = [line for line in stderr.splitlines() if line.startswith("newsarchive: error:")]
    assert len(lines) == 1 and "database unreachable" in lines[0] and "the next crawl fetches the rest" in lines[0]
    assert len(stored) < BULK_ARTICLES
    proxy.start()
    again = subprocess.run(crawl_command(fixture_server, via_proxy, "--outlets", str(registry), "--outlet", "bulk"),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    final = _pg_articles(pg_schema)
    assert sorted(final) == sorted(bulk_urls()) and len(final) == len(set(final))
    proxy.cut()


def test_next_interval_adapts_within_bounds_and_honours_the_feed():
    bounds = Bounds(start=3600, minimum=300, maximum=6 * 3600)
    assert next_interval(3600, 5, None, bounds) == 1800
    assert next_interval(3600, 1, None, bounds) == 3600
    assert next_interval(3600, 0, None, bounds) == 5400
    assert next_interval(400, 9, None, bounds) == 300  # never under the minimum
    assert next_interval(20000, 0, None, bounds) == 6 * 3600  # nor over the maximum
    assert next_interval(3600, 9, 7200, bounds) == 7200  # a feed that updates every 2 h is not polled faster


def _crawls_per_outlet(db_path: Path) -> int:
    """How many finished crawls the least-crawled outlet has had."""
    try:
        with sqlite3.connect(db_path, timeout=1) as conn:
            counts = conn.execute("SELECT count(*) FROM crawl_run_outlets WHERE finished_at IS NOT NULL GROUP BY outlet_id").fetchall()
    except sqlite3.OperationalError:
        return 0
    return min((c for (c,) in counts), default=0) if len(counts) == 2 else 0


def test_schedule_polls_outlets_and_stops_cleanly_on_sigterm(fixture_server, registry, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    crawl = crawl_command(fixture_server, db_url)
    settings = [crawl[i + 1] for i, arg in enumerate(crawl) if arg == "-s"]
    command = [sys.executable, "-m", "crawler.cli", "schedule", "--db", db_url, "--outlets", str(registry),
               "--outlet", "feedonly", "--outlet", "sitemaponly", "--start-interval", "1", "--min-interval", "0.5",
               "--max-interval", "1.5", "--tick", "0.2", *[arg for s in settings for arg in ("-s", s)]]
    scheduler = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and scheduler.poll() is None:
            time.sleep(0.3)
            if (tmp_path / "archive.db").exists() and _crawls_per_outlet(tmp_path / "archive.db") >= 2:
                break
    finally:
        scheduler.send_signal(signal.SIGTERM)
        _, stderr = scheduler.communicate(timeout=180)
    assert scheduler.returncode == 0, stderr[-2000:]
    assert "scheduler stopped after" in stderr
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        schedules = {slug: s for slug, s in session.execute(select(Outlet.slug, OutletSchedule).join(OutletSchedule))}
        stored = session.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    assert len(runs) >= 2 and all(run.finished_at is not None for run in runs)  # the last one too: SIGTERM let it finish
    assert set(schedules) == {"feedonly", "sitemaponly"}
    assert schedules["feedonly"].feed_update_seconds == 3600  # the fixture feed says sy:updatePeriod hourly
    assert all(0.5 <= s.interval_seconds <= 1.5 for s in schedules.values())
    assert all(s.last_new == 0 for s in schedules.values()) and stored == 6  # later rounds found nothing new
