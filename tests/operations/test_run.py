"""`newsarchive crawl` as an operation: locks, kills, resumes, a database that goes away."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import make_url, select

from db import locks, migrate
from db.models import Article, CrawlRun, Outlet
from db.session import make_engine, session_factory

from ..conftest import count_rows, crawl_command, summary_rows, truncate_postgres
from ..sites import BULK_ARTICLES, all_sites
from ..tcpproxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]


# One page in flight and every item written at once: a crawl held at the fixture server's gate
# after N pages has stored exactly N articles, whatever the machine's speed.
STOPPABLE = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "NEWSARCHIVE_BATCH_SIZE=1"]


def bulk_urls() -> list[str]:
    return [f"https://bulk.test{path}" for path in all_sites()["bulk.test"] if "/pro/" in path]


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


def _read_until(process: subprocess.Popen, text: str) -> None:
    """Read the process's stderr until a line contains `text` (or the process ends)."""
    for line in process.stderr:  # type: ignore[union-attr]
        if text in line:
            return
    raise AssertionError(f"the process ended without saying {text!r}")


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


def test_second_crawl_of_a_locked_outlet_says_so_and_exits_0(fixture_server, registry, crawl_db):
    engine = make_engine(crawl_db)
    migrate.upgrade(engine)
    with locks.held(engine, "crawl:feedonly"):
        alone = subprocess.run(
            crawl_command(fixture_server, crawl_db, "--outlets", str(registry), "--outlet", "feedonly"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert alone.returncode == 0, alone.stderr[-2000:]
        assert "feedonly: another crawl of this outlet is running; nothing to do" in alone.stderr
        assert count_rows(crawl_db, CrawlRun) == 0
        # with another outlet free, that one is crawled and the locked one reported busy
        both = subprocess.run(
            crawl_command(
                fixture_server,
                crawl_db,
                "--outlets",
                str(registry),
                "--outlet",
                "feedonly",
                "--outlet",
                "sitemaponly",
            ),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert both.returncode == 0, both.stderr[-2000:]
        assert "busy" in both.stdout and "sitemaponly" in both.stdout
    with session_factory(engine).begin() as session:
        crawled = session.scalars(select(Outlet.slug).join(Article).distinct()).all()
    assert crawled == ["sitemaponly"]
    engine.dispose()


def test_crawl_killed_with_sigkill_loses_nothing_and_the_rerun_fetches_only_what_is_missing(
    fixture_server, registry, tmp_path
):
    db_path = tmp_path / "archive.db"
    db_url = f"sqlite:///{db_path}"
    args = ["--outlets", str(registry), "--outlet", "bulk"]
    command = crawl_command(fixture_server, db_url, *args) + STOPPABLE
    before_log = len(fixture_server.requests("bulk.test"))
    with fixture_server.gate("bulk.test", after=10) as held:
        crawl = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            held()
            _wait_for_articles(db_path, 10, crawl)
        finally:
            os.killpg(crawl.pid, signal.SIGKILL)  # the crawler and its extraction workers, no warning
            crawl.wait()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = {url for (url,) in conn.execute("SELECT url FROM articles")}
        assert conn.execute("SELECT status FROM crawl_run_outlets").fetchall() == [("running",)]
    assert len(kept) == 10
    fetched_before = {r["path"] for r in fixture_server.requests("bulk.test")[before_log:]}
    rerun_from = len(fixture_server.requests("bulk.test"))
    again = subprocess.run(
        crawl_command(fixture_server, db_url, "--outlets", str(registry), "--outlet", "bulk"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(db_path) as conn:
        stored = [url for (url,) in conn.execute("SELECT url FROM articles")]
        # the killed run is closed by the next one, which knows: it holds the outlet's lock
        assert conn.execute("SELECT status FROM crawl_run_outlets ORDER BY run_id").fetchall() == [
            ("interrupted",),
            ("ok",),
        ]
        assert conn.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall() == [
            ("interrupted",),
            ("finished",),
        ]
    assert sorted(stored) == sorted(bulk_urls()) and len(stored) == len(set(stored)) == BULK_ARTICLES
    refetched = [r["path"] for r in fixture_server.requests("bulk.test")[rerun_from:]]
    # every sitemap read again in full (200, not 304), no article stored before the kill fetched again
    assert {"/sitemap_index.xml", "/post-sitemap1.xml", "/post-sitemap2.xml", "/post-sitemap3.xml"} <= set(
        refetched
    )
    assert all(
        r["status"] == 200
        for r in fixture_server.requests("bulk.test")[rerun_from:]
        if "sitemap" in r["path"]
    )
    assert not {url.split("bulk.test", 1)[1] for url in kept} & set(refetched)
    assert fetched_before  # the killed crawl did fetch pages


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_resume_continues_a_stopped_backfill(fixture_server, registry, tmp_path, stop):
    """--resume DIR (Scrapy JOBDIR per outlet): after a clean stop (SIGTERM: the queue is saved) or a
    kill (SIGKILL: it may not be), the next run with the same DIR completes the backfill."""
    db_path, jobs = tmp_path / "archive.db", tmp_path / "jobs"
    db_url = f"sqlite:///{db_path}"
    args = ["--outlets", str(registry), "--outlet", "bulk", "--resume", str(jobs)]
    # At most 8 requests wait in the downloader: a clean stop finishes those, and no more.
    in_flight = ["-s", "CONCURRENT_REQUESTS=8", "--verbose"]
    with fixture_server.gate("bulk.test", after=10) as held:
        crawl = subprocess.Popen(
            crawl_command(fixture_server, db_url, *args) + STOPPABLE + in_flight,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            held()
            _wait_for_articles(db_path, 10, crawl)
        finally:
            if stop == "SIGTERM":
                crawl.send_signal(signal.SIGTERM)
                # The gate opens only once Scrapy has taken the signal: it then schedules nothing new.
                _read_until(crawl, "Received SIGTERM")
            else:
                os.killpg(crawl.pid, signal.SIGKILL)
    _, stderr = crawl.communicate(timeout=120)
    if stop == "SIGTERM":
        assert crawl.returncode == 0, stderr[-2000:]
        assert (jobs / "bulk" / "requests.queue").is_dir()
    with sqlite3.connect(db_path) as conn:
        kept = {url for (url,) in conn.execute("SELECT url FROM articles")}
    assert 10 <= len(kept) <= 18
    rerun_from = len(fixture_server.requests("bulk.test"))
    again = subprocess.run(
        crawl_command(fixture_server, db_url, *args), capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(db_path) as conn:
        stored = [url for (url,) in conn.execute("SELECT url FROM articles")]
    assert sorted(stored) == sorted(bulk_urls()) and len(stored) == len(set(stored))
    refetched = {r["path"] for r in fixture_server.requests("bulk.test")[rerun_from:]}
    assert not {url.split("bulk.test", 1)[1] for url in kept} & refetched


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
    retries = ["-s", f"NEWSARCHIVE_DB_RETRY_DELAYS={json.dumps(delays)}"]
    crawl_args = ["--outlets", str(registry), "--outlet", "bulk"]
    try:
        with fixture_server.gate("bulk.test", after=10) as held:
            crawl = subprocess.Popen(
                crawl_command(fixture_server, via_proxy, *crawl_args) + STOPPABLE + retries,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            held()
            _wait_for_pg_articles(pg_schema, 10, crawl)
            proxy.cut()  # then the gate opens: the 50 pages left are written while the database is away
        committed = set(_pg_articles(pg_schema))
        if outage == "brief":
            time.sleep(1.5)  # the outage lasts this long; the retries (1 + 2 + 4 + 8 s) outlast it
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
    assert (
        len(lines) == 1
        and "database unreachable" in lines[0]
        and "the next crawl fetches the rest" in lines[0]
    )
    assert len(stored) < BULK_ARTICLES
    proxy.start()
    again = subprocess.run(
        crawl_command(fixture_server, via_proxy, "--outlets", str(registry), "--outlet", "bulk"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    final = _pg_articles(pg_schema)
    assert sorted(final) == sorted(bulk_urls()) and len(final) == len(set(final))
    proxy.cut()


def test_a_full_disk_stops_the_crawl_saying_so_and_keeps_what_was_stored(
    fixture_server, registry, tiny_disk, tmp_path
):
    db_path = tiny_disk / "archive.db"
    args = ["--outlets", str(registry), "--outlet", "bulk"]
    full = subprocess.run(
        crawl_command(fixture_server, f"sqlite:///{db_path}", *args),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert full.returncode == 1
    error = [line for line in full.stderr.splitlines() if line.startswith("newsarchive: error:")]
    assert len(error) == 1 and "disk full" in error[0] and "database unreachable" not in full.stderr
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 0 < kept < BULK_ARTICLES
    roomy = tmp_path / "roomy"
    roomy.mkdir()
    with sqlite3.connect(db_path) as source, sqlite3.connect(roomy / "archive.db") as copy:
        source.backup(copy)
    again = subprocess.run(
        crawl_command(fixture_server, f"sqlite:///{roomy / 'archive.db'}", *args),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(roomy / "archive.db") as conn:
        stored = [url for (url,) in conn.execute("SELECT url FROM articles")]
        statuses = conn.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall()
    assert sorted(stored) == sorted(bulk_urls()) and statuses == [("interrupted",), ("finished",)]


def _listening_ports(pid: int) -> set[int]:
    """TCP ports the process listens on: its socket inodes matched in /proc/net/tcp{,6} (LISTEN)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_a_crawl_listens_on_no_port(fixture_server, registry, tmp_path):
    """No telnet console, no remote-control server: nothing a local user could send code to."""
    command = crawl_command(
        fixture_server, f"sqlite:///{tmp_path / 'a.db'}", "--outlets", str(registry), "--outlet", "bulk"
    )
    with fixture_server.gate("bulk.test", after=2) as held:
        crawl = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            held()  # the crawl is running: its components are all up
            assert _listening_ports(crawl.pid) == set()
        finally:
            crawl.kill()
            crawl.wait()


def test_without_verbose_the_terminal_tells_the_story_and_the_log_file_holds_the_rest(
    fixture_server, registry, tmp_path
):
    """An outlet that cannot be reached: one summary line for it, no third-party records or
    tracebacks on the terminal; Scrapy's log, with the DNS errors, in the run's log file."""
    db = f"sqlite:///{tmp_path / 'a.db'}"
    outlets = ["--outlets", str(registry), "--outlet", "feedonly", "--outlet", "unreachable"]
    crawl = subprocess.run(
        crawl_command(fixture_server, db, *outlets), capture_output=True, text=True, timeout=300
    )
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    lines = crawl.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == ["new archive sqlite", "log"], crawl.stderr
    log = Path(lines[-1].removeprefix("log: "))
    # the default log file is in the archive's state directory, beside it
    assert log.parent == tmp_path / "a.db-state" / "logs" and log.name.startswith("crawl-")
    logged = log.read_text(encoding="utf-8")
    assert "[scrapy." in logged and "unreachable.test" in logged
    summary = [line for line in crawl.stdout.splitlines() if line.startswith("unreachable:")]
    assert len(summary) == 1 and "unreachable" in summary[0].split(":", 2)[1]
    # --verbose shows the full log on the terminal as well; --log-file puts the file where asked
    chosen = tmp_path / "run.log"
    verbose = subprocess.run(
        crawl_command(fixture_server, db, *outlets, "--verbose", "--log-file", str(chosen)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verbose.returncode == 0 and "[scrapy." in verbose.stderr
    assert f"log: {chosen}" in verbose.stderr and "[scrapy." in chosen.read_text(encoding="utf-8")


def _read_terminal(fd: int, until, timeout: float = 120) -> str:
    """What a terminal shows the crawl's stderr, read until `until(text)` holds (or the end)."""
    import select

    text, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the crawl closed the terminal
            break
        if not chunk:
            break
        text += chunk.decode("utf-8", "replace")
        if until(text):
            return text
    return text


def test_on_a_terminal_the_live_table_redraws_in_place_and_ends_as_the_archive_counts(
    fixture_server, registry, tmp_path
):
    """stderr a terminal: the table is redrawn in place (no stacked copies, no log lines between),
    counts articles as they are stored, and the summary equals what the archive holds."""
    import pty
    import re

    db_path = tmp_path / "a.db"
    primary, secondary = pty.openpty()
    command = crawl_command(
        fixture_server, f"sqlite:///{db_path}", "--outlets", str(registry), "--outlet", "bulk"
    )
    with fixture_server.gate("bulk.test", after=5) as held:
        crawl = subprocess.Popen(command + STOPPABLE, stdout=subprocess.PIPE, stderr=secondary, text=True)
        os.close(secondary)
        held()
        # five pages served, the sixth held: the table must come to show the five stored
        live = _read_terminal(
            primary, lambda text: re.search(r"bulk\s*│\s*running\s*│\s*\d+\s*│\s*5\s*│", text)
        )
        assert re.search(r"bulk\s*│\s*running\s*│\s*\d+\s*│\s*5\s*│", live), live[-2000:]
    stdout, _ = crawl.communicate(timeout=300)
    live += _read_terminal(primary, lambda text: False, timeout=5)
    os.close(primary)
    assert crawl.returncode == 0
    assert "[scrapy" not in live and "Traceback" not in live and "INFO" not in live
    assert "\x1b[1A" in live or "\x1b[2K" in live  # redrawn in place (cursor up, erase line)
    with sqlite3.connect(db_path) as conn:
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    summary = summary_rows(stdout)["bulk"]
    assert summary[0] == "ok" and int(summary[2]) + int(summary[3]) == stored == len(bulk_urls())
