"""Engines and sessions: one engine per process, one `with Session.begin()` per unit of work."""

from __future__ import annotations

import atexit
import os
import re
import sqlite3
from contextlib import closing
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

# Milliseconds a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Per connection: bytes of the file read through mmap, and KiB of page cache.
SQLITE_MMAP_BYTES = 256 * 2**20
SQLITE_CACHE_KIB = 64 * 2**10

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)@", re.IGNORECASE)
_LIBPQ_PASSWORD = re.compile(r"(password\s*=\s*)(\S+)", re.IGNORECASE)


class ArchiveError(Exception):
    """A runtime failure the user can act on; its message is one line with no secrets."""


def redact(message: str, url: URL | None = None) -> str:
    """Remove passwords from free text: URL user-info, libpq `password=`, and the literal secret."""
    message = _URL_PASSWORD.sub(r"\g<head>***@", message)
    message = _LIBPQ_PASSWORD.sub(r"\1***", message)
    if url is not None and url.password:
        message = message.replace(str(url.password), "***")
    return message


def display_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def parse_url(raw: str) -> URL:
    """Parse a database URL; plain `postgresql://` and `postgres://` mean the psycopg 3 driver."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ArchiveError(
            f"invalid database URL {redact(raw)!r}: expected e.g. sqlite:///archive.db "
            "or postgresql+psycopg://user@host/db"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def state_dir(url: URL) -> Path:
    """Where the archive's lock files and run logs live: beside a SQLite file, as `<file>-state/`, so
    one directory holds them whatever the working directory; for a server database, the user's
    state directory (`$XDG_STATE_HOME/newsarchive`)."""
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}-state")
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "newsarchive"


def make_engine(raw_url: str | URL, **kwargs: Any) -> Engine:
    url = raw_url if isinstance(raw_url, URL) else parse_url(raw_url)
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
            _configure_sqlite(engine)
            if url.database not in (None, "", ":memory:"):
                # When the process ends, the WAL goes into the file: archive.db alone holds the data
                # (users copy, back up and share that one file).
                _sqlite_files.add(url.database)
        else:
            engine = create_engine(url, pool_pre_ping=True, **kwargs)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise ArchiveError(f"unsupported database URL {display_url(url)}: {redact(str(exc), url)}") from None
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL;
        # we emit BEGIN ourselves (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Dedup lookups and search read random pages of large indexes: memory-mapped reads
            # skip a system call and a copy per page, and a larger cache keeps the upper levels.
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads (even just the schema) and then writes fails at
        # once with SQLITE_BUSY if another writer committed meanwhile: writers take the
        # write lock up front and wait for it through busy_timeout instead.
        immediate = conn.get_execution_options().get("sqlite_write_lock", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# SQLite archives this process opened: checkpointed when it ends (not before: a checkpoint takes
# locks that concurrent writers would wait for).
_sqlite_files: set[str] = set()


@atexit.register
def _checkpoint_all() -> None:
    for path in _sqlite_files:
        checkpoint(path)


def checkpoint(path: str) -> None:
    """Move a SQLite archive's write-ahead log into the database file, and empty the log."""
    if not os.path.exists(path):
        return  # never create a file that is not there
    try:
        with closing(sqlite3.connect(path, timeout=1)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass  # gone, or busy with another process: that process's own end checkpoints it


@lru_cache(maxsize=8)
def shared_engine(raw_url: str) -> Engine:
    """The process's one engine for a URL (spider, pipeline and extensions share it)."""
    return make_engine(raw_url)


def check_connection(engine: Engine) -> None:
    """Fail with one clean line when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise ArchiveError(
            f"cannot open database {display_url(engine.url)}: {first_line(exc.orig, engine.url)}"
        ) from None


def first_line(exc: BaseException | None, url: URL | None = None) -> str:
    message = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else type(exc).__name__
    return redact(message, url)


def read_only(engine: Engine) -> Engine:
    """`engine`, refusing every write on its connections: SQLite's query_only, PostgreSQL's read-only
    transactions. For the web app, which must never change the archive it shows."""
    statement = (
        "PRAGMA query_only=ON"
        if engine.dialect.name == "sqlite"
        else "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    )

    @event.listens_for(engine, "connect")
    def _refuse_writes(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if engine.dialect.name == "postgresql":
            dbapi_connection.commit()  # psycopg opened a transaction for the SET

    return engine


def session_factory(engine: Engine, write: bool = False) -> sessionmaker[Session]:
    """Sessions for reading, or (write=True) for a unit of work that writes."""
    bind = engine.execution_options(sqlite_write_lock=True) if write else engine
    return sessionmaker(bind, expire_on_commit=False)
