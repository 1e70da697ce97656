"""The pipeline under hostile pages (crawler/components/pipelines.py, db/fit.py, crawler/pool.py): each
hostile page is stored, fitted to the archive, or recorded with a short reason; the 24 ordinary
pages beside it are stored on both databases, and the crawl says what happened."""

from __future__ import annotations

import subprocess

from sqlalchemy import select

from db.models import Article, UrlState
from db.session import make_engine, session_factory

from ..conftest import crawl_command, summary_rows
from ..sites import HOSTILE, HOSTILE_GOOD


def test_a_hostile_page_costs_only_itself(fixture_server, registry, crawl_db):
    command = crawl_command(
        fixture_server,
        crawl_db,
        "--outlets",
        str(registry),
        "--outlet",
        "hostile",
        "-s",
        "NEWSARCHIVE_EXTRACT_TIMEOUT=2",
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "<html" not in result.stderr
    engine = make_engine(crawl_db)
    with session_factory(engine).begin() as session:
        stored = {a.url.rsplit("/", 2)[-2]: a for a in session.scalars(select(Article))}
        states = {s.url.rsplit("/", 2)[-2]: s for s in session.scalars(select(UrlState))}
    engine.dispose()
    assert sum(name.startswith("good-") for name in stored) == HOSTILE_GOOD
    # Stored, made to fit: NUL gone, a lone surrogate replaced, over-long values cut or dropped.
    assert "\x00" not in stored["nul-headline"].title and stored["nul-headline"].title.startswith("Nul")
    assert stored["lone-surrogate"].title.startswith("Lone \ufffd")
    assert len(stored["long-site-name"].site_name) == 200
    assert stored["long-image"].image_url is None and "image_url dropped" in states["long-image"].message
    assert stored["long-canonical"].canonical_url == f"{HOSTILE}/2025/06/02/pro/long-canonical/"
    assert states["long-validators"].etag is None and states["long-validators"].last_modified is None
    assert "\x00" not in (states["nul-etag"].etag or "") and "nul-etag" in stored
    assert len(stored["huge-title"].title) == 1000 and "title cut" in states["huge-title"].message
    # Given up, with a short reason; never retried unless it changes.
    assert "slow" not in stored
    assert (states["slow"].outcome, states["slow"].message) == ("too_slow", "extraction took over 2 s")
    assert all(len(state.message or "") <= 1000 for state in states.values())
    row = summary_rows(result.stdout)["hostile"]
    assert row[:3] == ["ok", str(HOSTILE_GOOD + 9), str(HOSTILE_GOOD + 8)]

    if not crawl_db.startswith("sqlite"):
        return  # what a rerun fetches does not depend on the database: checked once
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert summary_rows(again.stdout)["hostile"][:2] == ["ok", "0"]
