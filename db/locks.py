"""One crawl per outlet at a time, across processes and machines sharing the archive.

PostgreSQL: a session-level advisory lock on a connection held for the crawl's duration.
SQLite: an exclusive `flock` on a file in the archive's state directory (`<file>-state/locks/`).
Either way the operating system or the server releases the lock when its holder dies, so a killed
crawl never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from db.session import state_dir

# What a crawl says of an outlet another run is crawling.
BUSY_MESSAGE = "another crawl of this outlet is running"


class Busy(Exception):
    """Another run holds the lock."""


def _key(name: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(f"newsarchive:{name}".encode(), digest_size=8).digest(), "big", signed=True
    )


@contextmanager
def held(engine: Engine, name: str, wait: bool = False) -> Iterator[None]:
    """Hold the lock `name` (e.g. "crawl:olhardigital"): raise Busy at once if another holds it,
    or (wait=True) wait for it."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name, wait):
            yield
    else:
        with _file_lock(_lock_path(engine, name), wait):
            yield


@contextmanager
def all_free(engine: Engine, names: list[str]) -> Iterator[tuple[list[str], list[str]]]:
    """Take every lock that is free; yields (taken, busy) and releases the taken ones at the end."""
    taken, busy = [], []
    with ExitStack() as stack:
        for name in names:
            try:
                stack.enter_context(held(engine, name))
                taken.append(name)
            except Busy:
                busy.append(name)
        yield taken, busy


@contextmanager
def _advisory(engine: Engine, name: str, wait: bool) -> Iterator[None]:
    with engine.connect() as connection:
        if wait:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _key(name)})
        elif not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": _key(name)}):
            raise Busy(name)
        connection.commit()
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _key(name)})
                connection.commit()
            except DBAPIError:
                pass  # the connection died, and the server released the lock with it


def _lock_path(engine: Engine, name: str) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("a file lock needs an on-disk SQLite database")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    directory = state_dir(engine.url) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{safe}.lock"


@contextmanager
def _file_lock(path: Path, wait: bool) -> Iterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(path.name) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(descriptor)
