"""Alembic environment: the URL comes from the application, never from alembic.ini."""

from __future__ import annotations

import logging.config
import os

from alembic import context

from db.models import Base
from db.session import make_engine

# Full-text objects differ per backend and are written by hand in the migrations;
# autogenerate (and `alembic check`) must not see them as drift.
FTS_TABLE_PREFIX = "articles_fts"
FTS_COLUMNS = {"search_vector"}
FTS_INDEXES = {"ix_articles_search_vector"}


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE_PREFIX):
        return False
    if type_ == "column" and name in FTS_COLUMNS:
        return False
    if type_ == "index" and name in FTS_INDEXES:
        return False
    return True


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("db") or os.environ.get("NEWSARCHIVE_DB")
    if not url:
        raise SystemExit("alembic: give the database with -x db=URL or NEWSARCHIVE_DB")
    return url


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        include_name=include_name,
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    if context.config.config_file_name:
        logging.config.fileConfig(context.config.config_file_name)
    engine = context.config.attributes.get("engine") or make_engine(_database_url())
    with engine.begin() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("alembic: offline (--sql) mode is not supported; run against a database")
run_migrations_online()
