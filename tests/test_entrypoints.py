"""The ways users start a crawl: `newsarchive demo`, `newsarchive outlets`, `scrapy crawl news`."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from crawler import outlets as registry

from .sites import TEST_REGISTRY

ROOT = Path(__file__).resolve().parents[1]


def test_demo_crawls_searches_and_exports_offline(tmp_path):
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "crawl run 1" in result.stdout and "demo" in result.stdout
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        stored, relevant = conn.execute("SELECT count(*), sum(is_relevant) FROM articles").fetchone()
    exported = sorted((tmp_path / "demo-export").glob("*.txt"))
    assert stored == 36 and len(exported) == relevant > 0
    assert exported[0].name.startswith("000_") and (tmp_path / "demo-export" / "manifest.jsonl").exists()
    assert not any("PUBLICIDADE" in p.read_text(encoding="utf-8") for p in exported)


def test_outlets_lists_the_registry():
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "outlets"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for slug in registry.load():
        assert slug in result.stdout


def test_scrapy_crawl_news_for_scrapy_users(fixture_server, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "scrapy.cfg", project / "scrapy.cfg")
    (project / "outlets.toml").write_text(TEST_REGISTRY, encoding="utf-8")
    handler = "tests.loopback.LoopbackHandler"
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "outlet=feedonly", "-a", "outlets_file=outlets.toml",
               "-s", f"NEWSARCHIVE_DB=sqlite:///{project / 'a.db'}", "-s", f"LOOPBACK_TARGET=127.0.0.1:{fixture_server.port}",
               "-s", "DOWNLOAD_HANDLERS=" + json.dumps({"http": handler, "https": handler}), "-s", "DOWNLOAD_DELAY=0",
               "-s", "LOG_LEVEL=WARNING"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(project / "a.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
        assert conn.execute("SELECT status, outlets FROM crawl_runs").fetchall() == [("finished", "feedonly")]
