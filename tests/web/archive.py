"""An archive to serve: the demo's two outlets (crawled by `newsarchive demo`), an article revised
twice, and a hostile page (markup in its title and text, a `javascript:` link) put through the
same processing and storage as a crawled page. Built once per backend."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from crawler.config import load_settings
from crawler.stages.dedup import content_hash
from crawler.stages.process import Options, Page, process_page
from db.archive import PageResult, store_batch
from db.dedup import DedupConfig
from db.models import Article, Outlet
from db.session import make_engine, session_factory
from tests.conftest import PG_ADMIN_URL, run_demo

SETTINGS = load_settings()
HOSTILE_URL = "http://demo.newsarchive.test/pro/hostile-markup/"
SCRIPT = "<script>window.__xss = 1; alert('xss')</script>"
HOSTILE_PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>&lt;img src=x onerror=alert(1)&gt; Data center operator patches its GPU cluster portal</title>
<meta property="article:published_time" content="2026-11-28T10:00:00+00:00">
</head><body><article>
<h1>&lt;img src=x onerror=alert(1)&gt; Data center operator patches its GPU cluster portal</h1>
<p>Security researchers found that the booking portal of a large AI data center operator echoed
the string {SCRIPT.replace("<", "&lt;").replace(">", "&gt;")} back to customers who reserved
capacity on its GPU cluster of 20,000 Nvidia H100 accelerators.</p>
<p>The operator, which rents AI compute to model developers from its campus in Texas, said the
flaw in the portal was fixed within a day and that no customer data or training cluster was affected.
The company plans to add 300 megawatts of capacity for AI workloads next year.</p>
</article></body></html>"""


@dataclass(frozen=True)
class WebArchive:
    url: str
    backend: str
    revised_id: int  # an article with three versions (a corrected title, then an edited text)
    hostile_id: int
    story_id: int  # a story told in more than one language
    original_id: int  # an article another outlet copied


def _store(url: str, records: list[dict]) -> None:
    engine = make_engine(url)
    with session_factory(engine, write=True).begin() as session:
        store_batch(
            session,
            [
                PageResult({"url": r["url"], "outlet_id": r["outlet_id"], "outcome": "article"}, r)
                for r in records
            ],
            [],
            DedupConfig.from_settings(SETTINGS),
        )
    engine.dispose()


def build(url: str, backend: str, workdir: Path) -> WebArchive:
    run_demo(url, workdir)
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        outlet_id = session.scalar(select(Outlet.id).where(Outlet.slug == "demo"))
        revised = session.scalars(
            select(Article)
            .where(Article.outlet_id == outlet_id, Article.title.like("%Oracle%"))
            .order_by(Article.id)
        ).first()
        assert revised is not None
        story_id = session.scalar(
            text(
                "SELECT story_id FROM articles WHERE story_id IS NOT NULL GROUP BY story_id "
                "HAVING count(DISTINCT language) > 1 ORDER BY story_id LIMIT 1"
            )
        )
        original_id = session.scalar(
            select(Article.duplicate_of_id).where(Article.duplicate_of_id.is_not(None)).order_by(Article.id)
        )
        base = {c.key: getattr(revised, c.key) for c in Article.__table__.columns if c.key != "id"}
    engine.dispose()
    corrected = base | {"title": base["title"] + " (corrected)"}
    edited_text = (
        base["text"].replace("Oracle", "Oracle Cloud Infrastructure", 1)
        + "\nUpdate: the first site is in Abilene."
    )
    edited = corrected | {"text": edited_text, "content_hash": content_hash(edited_text)}
    _store(url, [corrected])
    _store(url, [edited])

    processed = process_page(
        Page(HOSTILE_URL, HOSTILE_PAGE.encode(), "text/html"), Options.from_settings(SETTINGS)
    )
    assert processed.record is not None, processed.message
    hostile = processed.record | {"outlet_id": outlet_id, "url": "javascript:alert(1)//" + HOSTILE_URL}
    _store(url, [hostile])
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        hostile_id = session.scalar(
            select(Article.id).where(Article.canonical_url == hostile["canonical_url"])
        )
    engine.dispose()
    return WebArchive(url, backend, revised.id, hostile_id, story_id, original_id)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def web_archive(request, tmp_path_factory) -> Iterator[WebArchive]:
    workdir = tmp_path_factory.mktemp(f"web-{request.param}")
    if request.param == "sqlite":
        yield build(f"sqlite:///{workdir / 'archive.db'}", "sqlite", workdir)
        return
    request.getfixturevalue("pg_server")  # reachable, or skipped locally / failed in CI
    name = f"newsarchive_web_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield build(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", "postgresql", workdir)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def serving(db_url: str, *args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`newsarchive serve --port 0` on `db_url`: its base URL (read from the line it prints) and the
    process; stopped with Ctrl-C (SIGINT) on leaving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "--db", db_url, "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+/)", first)
        assert found, first + process.stderr.read()
        yield found.group(1), process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
