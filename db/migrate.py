"""Run Alembic from the application: upgrade, report the revision, refuse unknown ones."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

import migrations

from . import locks
from .session import ArchiveError, check_connection, display_url, first_line, make_engine, parse_url


@functools.cache
def migrations_dir() -> Path:
    """The migration scripts as a directory Alembic can read. Inside a zipped egg (Scrapyd runs
    the project that way) they are copied out once per process."""
    packaged = resources.files(migrations)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    target = Path(tempfile.mkdtemp(prefix="newsarchive-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy_tree(packaged, target)
    return target


def _copy_tree(source: Traversable, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            (target / entry.name).mkdir()
            _copy_tree(entry, target / entry.name)
        elif entry.name.endswith((".py", ".mako")):
            (target / entry.name).write_bytes(entry.read_bytes())


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(migrations_dir())).get_current_head()
    assert head is not None, "migrations/versions is empty"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    _refuse_unknown_revision(engine)
    try:
        with engine.begin() as conn:
            config = alembic_config(engine)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except DBAPIError as exc:
        raise ArchiveError(
            f"migration failed on {display_url(engine.url)}: {first_line(exc.orig, engine.url)}"
        ) from None


def ensure_schema(engine: Engine) -> bool:
    """Bring the database to head before a command uses it; True when migrations ran. Processes
    starting together on a new archive (several workers) take turns: one migrates, the others
    find it done."""
    check_connection(engine)
    if _refuse_unknown_revision(engine) == head_revision():
        return False
    if engine.url.database in (None, "", ":memory:"):
        upgrade(engine)
        return True
    with locks.held(engine, "migrate", wait=True):
        if _refuse_unknown_revision(engine) == head_revision():
            return False
        upgrade(engine)
    return True


def _refuse_unknown_revision(engine: Engine) -> str | None:
    current = current_revision(engine)
    if current is not None and not known_revision(current):
        raise ArchiveError(
            f"database {display_url(engine.url)} is at schema revision {current}, which this version of "
            f"newsarchive does not know (newest known: {head_revision()}); upgrade newsarchive"
        )
    return current


def require_head(engine: Engine) -> None:
    """Refuse, with one line, an archive this version cannot read as it is, for a reader that must
    not migrate it (the web app opens it read-only)."""
    current = _refuse_unknown_revision(engine)
    if current != head_revision():
        raise ArchiveError(
            f"database {display_url(engine.url)} is at schema revision {current}, older than this "
            f"newsarchive's {head_revision()}: run `newsarchive db upgrade` first"
        )


def open_database(raw_url: str, notify=lambda message: None) -> Engine:
    """An engine on a reachable database whose schema is at head (migrating it if needed)."""
    engine = make_engine(raw_url)
    check_connection(engine)
    before = current_revision(engine)
    if ensure_schema(engine):
        if before is None:
            notify(f"new archive {display_url(engine.url)}: schema {head_revision()} created")
        else:
            notify(f"archive {display_url(engine.url)} upgraded from schema {before} to {head_revision()}")
    return engine


def missing_file(raw_url: str) -> str | None:
    """The path of a SQLite archive file that does not exist, for commands that only read one (they
    would otherwise create an empty archive at a mistyped path)."""
    url = parse_url(raw_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = url.database.removeprefix("file:").split("?")[0]
    return None if Path(database).exists() else database


def known_revision(revision: str) -> bool:
    return revision in {script.revision for script in ScriptDirectory(str(migrations_dir())).walk_revisions()}
