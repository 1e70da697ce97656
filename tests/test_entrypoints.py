"""The ways users start a crawl: `newsarchive demo`, `newsarchive outlets`, `scrapy crawl news`."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crawler import outlets as registry

from .conftest import scrapy_command, summary_rows
from .sites import TEST_REGISTRY

ROOT = Path(__file__).resolve().parents[1]


def test_demo_crawls_searches_and_exports_offline(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "crawl run 1" in result.stdout
    # archive.db alone holds the data: the write-ahead log was checkpointed when the command ended
    alone = tmp_path / "copy" / "archive.db"
    alone.parent.mkdir()
    alone.write_bytes((tmp_path / "archive.db").read_bytes())
    with sqlite3.connect(alone) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (42,)
    # The summary is what the archive holds: the partner copy stored before its original counts as a copy.
    assert summary_rows(result.stdout)["demo"] == ["ok", "36", "36", "0", "7", "0"]
    assert summary_rows(result.stdout)["parceiro"] == ["ok", "6", "4", "2", "0", "0"]
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        assert conn.execute(
            "SELECT count(*) - count(duplicate_of_id), count(duplicate_of_id), "
            "sum(NOT is_relevant AND duplicate_of_id IS NULL) FROM articles"
        ).fetchone() == (40, 2, 7)
        stored, relevant = conn.execute(
            "SELECT count(*), sum(is_relevant AND duplicate_of_id IS NULL) FROM articles"
        ).fetchone()
        # partners' copies point at the originals they credit, even the one stamped before its original
        credited = conn.execute(
            "SELECT copy.url, orig.url FROM articles copy JOIN articles orig ON orig.id = "
            "copy.duplicate_of_id"
        ).fetchall()
        # translations are not copies: each is an original, sharing its story
        translated = conn.execute(
            "SELECT count(DISTINCT language), count(*), count(duplicate_of_id) FROM articles GROUP "
            "BY story_id "
            "HAVING count(DISTINCT language) > 1"
        ).fetchall()
    exported = sorted((tmp_path / "demo-export").glob("*.txt"))
    assert stored == 42 and len(exported) == relevant > 0
    assert len(credited) == 2 and all("/parceiros/" in copy and "/pro/" in orig for copy, orig in credited)
    assert (2, 2, 0) in translated and len(translated) >= 2
    assert exported[0].name.startswith("000_") and (tmp_path / "demo-export" / "manifest.jsonl").exists()
    assert not any("PUBLICIDADE" in p.read_text(encoding="utf-8") for p in exported)
    # the demo's URLs are stable: a second run is an incremental crawl that adds nothing
    again = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        assert conn.execute("SELECT count(*), count(duplicate_of_id) FROM articles").fetchone() == (42, 2)
        # the articles span the six months before today, the newest no later than now
        oldest, newest = conn.execute("SELECT min(published_at), max(published_at) FROM articles").fetchone()
        assert conn.execute("SELECT articles_new, pages FROM crawl_runs WHERE id = 2").fetchone() == (0, 0)
    now = datetime.now(timezone.utc)
    assert now - timedelta(days=200) < datetime.fromisoformat(oldest).replace(tzinfo=timezone.utc)
    assert datetime.fromisoformat(newest).replace(tzinfo=timezone.utc) < now
    assert sorted((tmp_path / "demo-export").glob("*.txt")) == exported


def test_outlets_lists_the_registry():
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "outlets"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for slug in registry.load():
        assert slug in result.stdout


def test_scrapy_crawl_news_for_scrapy_users(fixture_server, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "scrapy.cfg", project / "scrapy.cfg")
    (project / "outlets.toml").write_text(TEST_REGISTRY, encoding="utf-8")
    command = scrapy_command(
        fixture_server, "outlets.toml", f"sqlite:///{project / 'a.db'}", "-s", "LOG_LEVEL=WARNING"
    )
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(project / "a.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
        assert conn.execute("SELECT status, outlets FROM crawl_runs").fetchall() == [("finished", "feedonly")]


def test_extract_runs_the_crawl_pipeline_on_saved_pages(tmp_path):
    import gzip as gz

    from crawler.devsite import sitegen
    from crawler.devsite.synthetic import article

    story = article(77, language="pt", relevant=True)
    item = sitegen.SiteArticle(
        story, "https://olhardigital.com.br/2024/01/03/pro/x/", related=(("Outro", "https://o.test/"),)
    )
    page = sitegen.article_page(item, "Olhar Digital").encode()
    plain, packed, junk = tmp_path / "a.html", tmp_path / "b.html.gz", tmp_path / "c.html"
    plain.write_bytes(page)
    packed.write_bytes(gz.compress(page))
    junk.write_bytes(b"<html><body><p>Menu</p></body></html>")
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", "--json", str(plain), str(packed), str(junk)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["outcome"] for r in records] == ["article", "article", "not_article"]
    first = records[0]
    assert first == {**records[1], "path": str(plain)}
    assert first["text"] == story.text and first["title"] == story.title and first["language"] == "pt"
    assert first["published_at"] == story.published_at.isoformat() and first["is_relevant"] is True
    assert set(first) >= {
        "path",
        "text",
        "title",
        "authors",
        "published_at",
        "modified_at",
        "language",
        "description",
        "source_url",
        "is_relevant",
        "topic_score",
        "topic_terms",
    }
    text_only = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", str(plain)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert text_only.stdout.strip() == story.text


def test_extract_of_a_missing_or_damaged_file_is_one_line_exit_1(tmp_path):
    damaged = tmp_path / "cut.html.gz"
    damaged.write_bytes(gzip.compress(b"<html><body><p>cut short</p></body></html>")[:20])
    for path, says in ((tmp_path / "nope.html", "No such file"), (damaged, "a damaged gzip file")):
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "extract", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("newsarchive: error: cannot read") and says in lines[0]


def test_a_demo_whose_outlets_another_crawl_holds_still_searches_and_exports(tmp_path):
    from db import locks
    from db.session import make_engine

    first = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stderr[-2000:]
    engine = make_engine(f"sqlite:///{tmp_path / 'archive.db'}")
    with locks.held(engine, "crawl:demo"), locks.held(engine, "crawl:parceiro"):
        again = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "demo", "--out", "second-export"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
    engine.dispose()
    assert again.returncode == 0, again.stderr[-2000:]
    assert "another crawl of this outlet is running" in again.stderr
    assert "newsarchive search" in again.stdout and "demo.newsarchive.test" in again.stdout
    assert len(list((tmp_path / "second-export").glob("*.txt"))) == len(
        list((tmp_path / "demo-export").glob("*.txt"))
    )


def test_what_a_demo_leaves_in_a_checkout_is_ignored_by_git():
    """archive.db, its WAL, its state directory (locks, logs) and demo-export/ are not clutter."""
    leftovers = ["archive.db", "archive.db-wal", "archive.db-shm", "archive.db-state/locks/crawl_demo.lock"]
    leftovers += ["archive.db-state/logs/demo-20261202T000000Z-1.log", "demo-export/000_0123456789abcdef.txt"]
    result = subprocess.run(["git", "check-ignore", *leftovers], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.split() == leftovers
