"""`newsarchive db backup PATH`: a consistent copy of a live archive, taken while crawls write to it.

SQLite: the online backup API copies every page under one read transaction, so writers carry on
and the copy is one point in time; it is switched to a rollback journal, so the one file is the
whole archive. PostgreSQL: `pg_dump --format=custom` (restore with `pg_restore`), which also reads
one snapshot. Either way the copy is written beside PATH and renamed into place only when complete.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

from db.session import ArchiveError, display_url


def backup(engine: Engine, target: Path) -> str:
    """Copy the archive to `target` (which must not exist); returns what the copy is."""
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new path (a backup never overwrites)")
    partial = target.with_name(f".{target.name}.partial")
    try:
        if engine.dialect.name == "sqlite":
            _sqlite(engine, partial)
            kind = "SQLite database"
        else:
            _pg_dump(engine, partial)
            kind = "pg_dump archive (restore with pg_restore)"
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return kind


def _sqlite(engine: Engine, partial: Path) -> None:
    source = engine.url.database
    if not source or source == ":memory:":
        raise ArchiveError("an in-memory database has nothing to back up")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reader:
        with closing(sqlite3.connect(partial)) as copy:
            reader.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")


def _pg_dump(engine: Engine, partial: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise ArchiveError("pg_dump is not installed (apt-get install postgresql-client)")
    url = engine.url
    # The password goes through the environment, never argv (readable by every local user).
    env = {**os.environ, "PGPASSWORD": url.password or os.environ.get("PGPASSWORD", "")}
    command = [program, "--format=custom", "--no-owner", f"--file={partial}"]
    command += [f"--host={url.host}"] if url.host else []
    command += [f"--port={url.port}"] if url.port else []
    command += [f"--username={url.username}"] if url.username else []
    command += [f"--dbname={url.database}"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise ArchiveError(f"pg_dump of {display_url(url)} failed: {reason}")
