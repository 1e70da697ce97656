"""The crawler's part of a crawl run (crawler/components/extensions.py, db/runs.py): `newsarchive crawl`
and `scrapy crawl` jobs record the same run, with their full stats."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import func, select

from db import locks, migrate
from db.models import Article, CrawlRun, CrawlRunOutlet, Outlet
from db.session import make_engine, session_factory

from ..conftest import count_rows, crawl_command, scrapy_command, summary_rows

ROOT = Path(__file__).resolve().parents[2]


def test_scrapy_crawl_job_of_a_locked_outlet_stops_at_once(fixture_server, registry, tmp_path):
    """Scrapyd jobs run `scrapy crawl`: they take the same lock and stop when it is held."""
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    command = scrapy_command(fixture_server, registry, db_url)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    with locks.held(engine, "crawl:feedonly"):
        busy = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert busy.returncode == 0, busy.stderr[-2000:]
    assert "feedonly: another crawl of this outlet is running" in busy.stderr
    assert count_rows(db_url, Article) == 0 and count_rows(db_url, CrawlRun) == 0
    free = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert free.returncode == 0, free.stderr[-2000:]
    assert count_rows(db_url, Article) == 3 and count_rows(db_url, CrawlRun) == 1
    engine.dispose()


STAT_FAMILIES = ("archive/", "extract/", "fetch/")


def test_a_crawl_run_keeps_its_stats_and_its_summary_is_what_the_archive_holds(
    fixture_server, registry, crawl_db
):
    result = subprocess.run(
        crawl_command(
            fixture_server,
            crawl_db,
            "--outlets",
            str(registry),
            "--outlet",
            "feedonly",
            "--outlet",
            "sitemaponly",
            "--outlet",
            "unreachable",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    engine = make_engine(crawl_db)
    with session_factory(engine).begin() as session:
        run = session.scalars(select(CrawlRun)).one()
        per_outlet = {
            slug: (copy, relevant)
            for slug, copy, relevant in session.execute(
                select(Outlet.slug, func.count(Article.duplicate_of_id), func.count())
                .join(Article)
                .group_by(Outlet.slug)
            )
        }
        stored = session.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    stats = run.stats
    assert all(any(key.startswith(family) for key in stats) for family in STAT_FAMILIES), sorted(stats)
    assert stats["archive/inserted"] + stats.get("archive/duplicate", 0) == stored == 6
    assert stats["fetch/article_pages"] == stats["extract/article"] + stats.get("extract/off_topic", 0) == 6
    assert stats["fetch/connection_failed"] >= 1  # the unreachable outlet's
    assert (run.status, run.articles_new, run.pages, run.message) == ("finished", 6, 6, "1 outlet(s) not ok")
    rows = summary_rows(result.stdout)
    assert rows["feedonly"][:3] == ["ok", "3", str(per_outlet["feedonly"][1] - per_outlet["feedonly"][0])]
    assert rows["sitemaponly"][:3] == ["ok", "3", "3"] and rows["unreachable"][0] == "unreachable"


def test_a_scrapy_crawl_job_records_the_same_run(fixture_server, registry, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    job = subprocess.run(
        scrapy_command(fixture_server, registry, db_url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert job.returncode == 0, job.stderr[-2000:]
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        run = session.scalars(select(CrawlRun)).one()
        part = session.scalars(select(CrawlRunOutlet)).one()
    engine.dispose()
    assert (run.status, run.outlets, run.articles_new, part.status, part.articles_new) == (
        "finished",
        "feedonly",
        3,
        "ok",
        3,
    )
    assert run.stats["archive/inserted"] == 3 and run.stats["extract/article"] == 3
    assert run.stats["fetch/article_pages"] == 3
