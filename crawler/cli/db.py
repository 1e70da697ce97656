"""`newsarchive db`: schema migrations and backups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.cli.common import DbOption, app, fail, notice, open_db, out_console, show_help_without_command
from db import migrate
from db.session import display_url

db_app = typer.Typer(help="Schema migrations and backups.")
app.add_typer(db_app, name="db")
db_app.callback(invoke_without_command=True)(show_help_without_command)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = "") -> None:
    """Migrate the database schema to the newest revision."""
    engine = migrate.make_engine(db)
    migrate.ensure_schema(engine)
    out_console.print(
        f"{display_url(engine.url)}: schema at {migrate.current_revision(engine)} (head)", markup=False
    )


@db_app.command("current")
def db_current(db: DbOption = "") -> None:
    """Show the database's schema revision."""
    if path := migrate.missing_file(db):
        fail(f"no archive at {path}")
    engine = migrate.make_engine(db)
    migrate.check_connection(engine)
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current is None:
        state = f"empty (no schema yet; head is {head})"
    elif current == head:
        state = f"{current} (head)"
    elif not migrate.known_revision(current):
        state = f"{current}, newer than this newsarchive knows (its head is {head}): upgrade newsarchive"
    else:
        state = f"{current} (head is {head}: run `newsarchive db upgrade`)"
    out_console.print(f"{display_url(engine.url)}: {state}", markup=False)


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Where the copy goes (must not exist).")],
    db: DbOption = "",
) -> None:
    """A consistent copy of the archive, safe while crawls run: SQLite's backup API, or pg_dump."""
    from crawler.operations.backup import backup

    engine = open_db(db, create=False, upgrade=False)  # a backup is taken as the archive is
    try:
        kind = backup(engine, path)
    except FileExistsError as exc:
        fail(str(exc), code=2)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    notice(f"backed up {display_url(engine.url)} to {path} ({kind})")
