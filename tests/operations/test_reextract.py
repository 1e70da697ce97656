"""WARC capture and offline re-extraction (crawler/operations/reextract.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import app
from crawler.components.warc import read_response
from db.models import Article
from db.session import make_engine, session_factory

from ..conftest import crawl_command

ROOT = Path(__file__).resolve().parents[2]


def test_warc_capture_and_offline_reextract(fixture_server, registry, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    captures = tmp_path / "warc"
    crawl = subprocess.run(
        crawl_command(
            fixture_server,
            db_url,
            "--outlets",
            str(registry),
            "--outlet",
            "feedonly",
            "--warc",
            str(captures),
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    files = sorted(captures.glob("newsarchive-*.warc.gz"))
    assert files
    records = []
    for path in files:
        with open(path, "rb") as stream:
            records += [
                (r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(stream)
            ]
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        stored = {
            a.id: (a.url, a.text, a.title, a.warc_file, a.warc_offset)
            for a in session.scalars(select(Article))
        }
    assert len(stored) == 3
    for url, text, _, warc_file, offset in stored.values():
        assert ("response", url) in records and ("request", url) in records
        captured_url, body, content_type = read_response(warc_file, offset)
        assert (
            captured_url == url
            and content_type.startswith("text/html")
            and text.split("\n")[0][:60] in body.decode()
        )
    assert ("response", "https://feedonly.test/feed/") in records  # feeds and sitemaps are captured too
    # An older extractor's output, and the captures moved elsewhere: reextract restores from the WARC alone.
    with session_factory(engine, write=True).begin() as session:
        session.execute(update(Article).values(text="stale text", title=None, content_hash="0" * 64))
    moved = tmp_path / "moved"
    captures.rename(moved)
    result = CliRunner().invoke(
        app,
        [
            "reextract",
            "--outlets",
            str(registry),
            "--warc-dir",
            str(moved),
            "--db",
            db_url,
            "-s",
            "NEWSARCHIVE_EXTRACT_WORKERS=1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "reextracted 3 of 3 captured articles" in result.output
    with session_factory(engine).begin() as session:
        after = {a.id: (a.text, a.title, a.story_id) for a in session.scalars(select(Article))}
    assert {i: (text, title) for i, (text, title, _) in after.items()} == {
        i: (s[1], s[2]) for i, s in stored.items()
    }
    assert all(story is not None for _, _, story in after.values())
    engine.dispose()


def test_crawl_reextract_and_extract_process_a_page_alike(fixture_server, registry, tmp_path):
    """One path from settings to options: an outlet's boilerplate patterns (and time zone) apply the
    same in the crawl, in `reextract` and in `extract --outlet`."""
    line = "refrigeração líquida"  # in one paragraph of most synthetic Portuguese articles
    registry.write_text(
        registry.read_text(encoding="utf-8").replace(
            'feeds = ["https://feedonly.test/feed/"]',
            f'feeds = ["https://feedonly.test/feed/"]\nboilerplate_patterns = ["{line}"]\ntimezone '
            '= "America/Sao_Paulo"',
        ),
        encoding="utf-8",
    )
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    crawl = subprocess.run(
        crawl_command(
            fixture_server,
            db_url,
            "--outlets",
            str(registry),
            "--outlet",
            "feedonly",
            "--warc",
            str(tmp_path / "warc"),
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        crawled = {a.url: (a.text, a.published_at) for a in session.scalars(select(Article))}
        captures = {
            a.url: read_response(a.warc_file, a.warc_offset)[1] for a in session.scalars(select(Article))
        }
    assert len(crawled) == 3 and not any(line in text for text, _ in crawled.values())

    pages = []
    for number, (_url, body) in enumerate(sorted(captures.items())):
        pages.append(tmp_path / f"page{number}.html")
        pages[-1].write_bytes(body)
    plain = [
        json.loads(row)
        for row in CliRunner().invoke(app, ["extract", "--json", *map(str, pages)]).output.splitlines()
    ]
    assert any(line in row["text"] for row in plain), (
        "the pattern must match something for this test to mean anything"
    )
    result = CliRunner().invoke(
        app, ["extract", "--json", "--outlet", "feedonly", "--outlets", str(registry), *map(str, pages)]
    )
    assert result.exit_code == 0, result.output
    extracted = [json.loads(row) for row in result.output.splitlines()]
    assert [(row["text"], row["published_at"]) for row in extracted] == [
        (crawled[url][0], crawled[url][1].isoformat()) for url in sorted(captures)
    ]

    with session_factory(engine, write=True).begin() as session:
        session.execute(update(Article).values(text="stale text", content_hash="0" * 64))
    result = CliRunner().invoke(
        app, ["reextract", "--outlets", str(registry), "--db", db_url, "-s", "NEWSARCHIVE_EXTRACT_WORKERS=1"]
    )
    assert result.exit_code == 0, result.output
    with session_factory(engine).begin() as session:
        assert {a.url: (a.text, a.published_at) for a in session.scalars(select(Article))} == crawled
    engine.dispose()
