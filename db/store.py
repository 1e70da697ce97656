"""Writes into the archive. Every insert lets a UNIQUE key decide (insert-or-ignore),
never check-then-insert, so concurrent writers cannot create duplicate rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import Article, Base, Outlet, UrlState, utcnow

OUTLET_FIELDS = ("slug", "name", "homepage", "language", "country")


def insert_statement(session: Session, model: type[Base]) -> Any:
    """INSERT for the session's dialect, which both spell ON CONFLICT alike."""
    dialect = session.get_bind().dialect.name
    table = cast(Table, model.__table__)  # Core, not ORM, inserts: plain executemany and RETURNING
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def upsert_outlets(session: Session, outlets: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Create or refresh outlets from the registry; returns slug -> id."""
    rows = [{key: outlet.get(key) for key in OUTLET_FIELDS} | {"created_at": utcnow()} for outlet in outlets]
    if rows:
        stmt = insert_statement(session, Outlet).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["slug"],
            set_={key: stmt.excluded[key] for key in ("name", "homepage", "language", "country")},
        )
        session.execute(stmt)
    slugs = [row["slug"] for row in rows]
    return dict(session.execute(select(Outlet.slug, Outlet.id).where(Outlet.slug.in_(slugs))).all())


def article_defaults(row: Mapping[str, Any]) -> dict[str, Any]:
    now = utcnow()
    full: dict[str, Any] = {
        "title": None,
        "authors": None,
        "published_at": None,
        "modified_at": None,
        "language": None,
        "description": None,
        "word_count": len(row["text"].split()),
        "is_relevant": False,
        "topic_score": 0.0,
        "topic_terms": [],
        "duplicate_of_id": None,
        "story_id": None,
        "source_url": None,
        "image_url": None,
        "tags": [],
        "site_name": None,
        "warc_file": None,
        "warc_offset": None,
        "fetched_at": now,
        "updated_at": now,
    }
    full.update(row)
    return full


def insert_articles(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert-or-ignore on `canonical_url`; returns canonical_url -> id of the rows actually inserted."""
    if not rows:
        return {}
    stmt = (
        insert_statement(session, Article)
        .on_conflict_do_nothing(index_elements=["canonical_url"])
        .returning(Article.__table__.c.canonical_url, Article.__table__.c.id)
    )
    # One key order for every writer, so concurrent batches cannot deadlock on PostgreSQL.
    ordered = sorted((article_defaults(row) for row in rows), key=lambda row: row["canonical_url"])
    result = session.execute(stmt, ordered)
    return dict(result.all())


def record_urls(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert what became of fetched URLs (`url_state`); a later fetch overwrites the outcome."""
    if not rows:
        return
    now = utcnow()
    values = [
        {
            "kind": "page",
            "http_status": None,
            "etag": None,
            "last_modified": None,
            "lastmod_seen": None,
            "article_id": None,
            "message": None,
            "outlet_id": None,
            "last_fetched_at": now,
            "first_seen_at": now,
            "fetch_count": 1,
        }
        | dict(row)
        for row in rows
    ]
    stmt = insert_statement(session, UrlState)
    excluded = stmt.excluded
    columns = UrlState.__table__.c
    stmt = stmt.on_conflict_do_update(
        index_elements=["url"],
        set_={
            # a 304 keeps what the URL was (an article stays an article)
            "outcome": case((excluded.http_status == 304, columns.outcome), else_=excluded.outcome),
            "http_status": excluded.http_status,
            # a 304 need not repeat its validators: keep the ones we have
            "etag": func.coalesce(excluded.etag, columns.etag),
            "last_modified": func.coalesce(excluded.last_modified, columns.last_modified),
            "lastmod_seen": func.coalesce(excluded.lastmod_seen, columns.lastmod_seen),
            "message": excluded.message,
            "last_fetched_at": excluded.last_fetched_at,
            "fetch_count": columns.fetch_count + 1,
            # an article link, once known, survives a later 304 or error
            "article_id": func.coalesce(excluded.article_id, columns.article_id),
        },
    )
    session.execute(stmt, sorted(values, key=lambda row: row["url"]))
