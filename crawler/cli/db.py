"""`newsarchive db`: schema migrations."""

from __future__ import annotations

import typer

from crawler import settings
from crawler.cli.common import DbOption, app, out_console
from db import migrate
from db.session import display_url

db_app = typer.Typer(help="Schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = settings.NEWSARCHIVE_DB) -> None:
    """Migrate the database schema to the newest revision."""
    engine = migrate.make_engine(db)
    migrate.ensure_schema(engine)
    out_console.print(
        f"{display_url(engine.url)}: schema at {migrate.current_revision(engine)} (head)", markup=False
    )


@db_app.command("current")
def db_current(db: DbOption = settings.NEWSARCHIVE_DB) -> None:
    """Show the database's schema revision."""
    engine = migrate.make_engine(db)
    migrate.check_connection(engine)
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current is None:
        state = f"empty (no schema yet; head is {head})"
    elif current == head:
        state = f"{current} (head)"
    else:
        state = f"{current} (head is {head}: run `newsarchive db upgrade`)"
    out_console.print(f"{display_url(engine.url)}: {state}", markup=False)
