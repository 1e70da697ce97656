"""`newsarchive db backup`: a consistent, self-contained copy of a live archive."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text

from db import migrate
from db.session import make_engine, session_factory
from db.store import insert_articles, upsert_outlets

from ..conftest import PG_ADMIN_URL
from ..factories import OUTLETS, article_row


def _archive(url: str, articles: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_factory(engine, write=True).begin() as session:
        ids = upsert_outlets(session, OUTLETS)
        insert_articles(session, [article_row(n, ids["olhardigital"]) for n in range(1, articles + 1)])
    engine.dispose()


def _backup(url: str, path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "db", "backup", str(path), "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_sqlite_backup_is_one_file_at_one_point_in_time_while_a_writer_is_busy(tmp_path):
    path = tmp_path / "archive.db"
    _archive(f"sqlite:///{path}", 5)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("BEGIN IMMEDIATE")  # a crawl in the middle of a batch: it holds the write lock
    writer.execute("DELETE FROM articles WHERE id > 2")
    try:
        result = _backup(f"sqlite:///{path}", tmp_path / "copy.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.returncode == 0, result.stderr
    assert "backed up sqlite:///" in result.stderr
    # the committed archive, not the writer's uncommitted change; one file, no -wal beside it
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM articles").fetchone() == (5,)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.db"]


def test_a_backup_never_overwrites(tmp_path):
    path = tmp_path / "archive.db"
    _archive(f"sqlite:///{path}", 1)
    (tmp_path / "copy.db").write_text("precious")
    result = _backup(f"sqlite:///{path}", tmp_path / "copy.db")
    assert result.returncode == 2 and "exists" in result.stderr
    assert (tmp_path / "copy.db").read_text() == "precious"


@pytest.mark.postgres
def test_a_postgresql_backup_is_a_pg_dump_that_restores(pg_server, tmp_path):
    source = pg_server.rsplit("/", 1)[0] + f"/newsarchive_backup_{uuid.uuid4().hex[:8]}"
    restored = source + "_restored"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for url in (source, restored):
            conn.execute(text(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
    try:
        _archive(source, 4)
        result = _backup(source, tmp_path / "archive.dump")
        assert result.returncode == 0, result.stderr
        restore = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                restored.rsplit("/", 1)[1],
                str(tmp_path / "archive.dump"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restore.returncode == 0, restore.stderr
        engine = make_engine(restored)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM articles")) == 4
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == migrate.head_revision()
        engine.dispose()
    finally:
        with admin.connect() as conn:
            for url in (source, restored):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()
