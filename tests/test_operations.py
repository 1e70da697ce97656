"""Operating the crawler: one crawl per outlet at a time (PostgreSQL advisory locks, SQLite file
locks), real crawls killed with SIGKILL and run again, and the Scrapyd egg."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import app
from crawler.warc import read_response

from db import locks, migrate
from db.models import Article, CrawlRun, Outlet
from db.session import make_engine, session_factory

from .conftest import crawl_command, truncate_postgres
from .sites import TEST_REGISTRY

ROOT = Path(__file__).resolve().parents[1]


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
        assert {"crawler/settings.py", "crawler/outlets.toml", "crawler/lexicon.toml", "migrations/versions/0002_dedup_index.py"} <= names
        assert "settings = crawler.settings" in archive.read("EGG-INFO/entry_points.txt").decode()
    runner = tmp_path / "runner"
    runner.mkdir()
    db_url = f"sqlite:///{runner / 'archive.db'}"
    handler = "crawler.loopback.LoopbackHandler"
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
    handler = "crawler.loopback.LoopbackHandler"
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
    result = CliRunner().invoke(app, ["reextract", "--warc-dir", str(moved), "--db", db_url, "-s", "NEWSARCHIVE_EXTRACT_WORKERS=1"])
    assert result.exit_code == 0, result.output
    assert "reextracted 3 of 3 captured articles" in result.output
    with session_factory(engine).begin() as session:
        after = {a.id: (a.text, a.title, a.story_id) for a in session.scalars(select(Article))}
    assert {i: (text, title) for i, (text, title, _) in after.items()} == {i: (s[1], s[2]) for i, s in stored.items()}
    assert all(story is not None for _, _, story in after.values())
    engine.dispose()
