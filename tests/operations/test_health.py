"""`newsarchive health` (crawler/operations/health.py): drift flagged when an outlet's layout changes
between two crawls, a steady outlet left alone, on SQLite and PostgreSQL, in the CLI and the web app."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

from starlette.testclient import TestClient

from crawler.config import load_settings
from crawler.devsite.siteserver import SiteServer
from crawler.operations.health import RunHealth, drift
from crawler.web.app import create_app
from db.session import make_engine, read_only

from ..conftest import FixtureServer, crawl_command
from ..sites import all_sites


def _health(db: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "health", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_layout_change_between_two_crawls_is_flagged_and_a_steady_outlet_is_not(
    registry, crawl_db, tmp_path
):
    db = crawl_db
    # A server of its own: the drift site changes layout after its first crawl, whichever test ran it.
    sites = all_sites()
    server = SiteServer(sites).start()
    for _ in range(2):
        crawl = subprocess.run(
            crawl_command(
                FixtureServer(server.server_address[1], tmp_path / "requests.jsonl"),
                db,
                "--outlets",
                str(registry),
                "--outlet",
                "drift",
                "--outlet",
                "feedonly",
            ),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert crawl.returncode == 0, crawl.stderr
    server.shutdown()
    report = _health(db)
    assert report.returncode == 0, report.stderr
    drift_line = next(line for line in report.stdout.splitlines() if line.startswith("drift:"))
    assert "articles lacking an author jumped from 0% to 100%" in drift_line
    assert "median words fell from" in drift_line
    assert "feedonly: steady" in report.stdout
    assert _health(db, "--check", "--outlet", "drift").returncode == 1
    assert _health(db, "--check", "--outlet", "feedonly").returncode == 0
    # the web app's outlets page flags the same
    engine = read_only(make_engine(db))
    with TestClient(create_app(engine, load_settings())) as client:
        outlets = {o["slug"]: o for o in client.get("/api/outlets").json()["outlets"]}
        page = client.get("/outlets").text
    engine.dispose()
    assert any("articles lacking an author jumped" in flag for flag in outlets["drift"]["flags"])
    assert outlets["feedonly"]["flags"] == []
    assert "<b>Drift:</b> articles lacking an author jumped from 0% to 100%" in page


def test_drift_rules():
    t = datetime(2026, 12, 1, tzinfo=timezone.utc)
    usual = {"articles": 10, "missing_date": 0.02, "missing_author": 0.0, "median_words": 600}
    steady = [RunHealth(n, t, "ok", 5, usual) for n in range(4)]
    assert drift(steady) == []
    undated = steady + [RunHealth(5, t, "ok", 5, usual | {"missing_date": 0.6})]
    assert drift(undated) == ["articles lacking a date jumped from 2% to 60%"]
    quiet = steady + [RunHealth(n, t, "ok", 0, {"articles": 0}) for n in range(5, 8)]
    assert drift(quiet) == ["no new articles in the last 3 runs"]
    gone = steady + [RunHealth(5, t, "ok", 5, usual | {"gone_sources": ["https://a.test/feed/"]})]
    assert drift(gone) == ["sources answering 404/410: https://a.test/feed/"]
    unreachable = steady + [RunHealth(5, t, "unreachable", 0, {})]
    assert drift(unreachable) == ["the last run could not reach the outlet"]
