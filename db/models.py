"""The archive's schema: a public interface, documented table by table in the README.

Only Alembic creates these tables (see `migrations/`); the models describe them for queries.
Full-text search objects (SQLite FTS5 table, PostgreSQL `search_vector`) live in the
migrations only, because they differ per backend.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Alembic batch mode on SQLite can only drop constraints that have names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in Python, UTC in the database on every backend.

    SQLite has no time zones: values are stored as naive UTC text, so plain SQL
    comparisons like `published_at >= '2025-06-01'` work there too.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given; archive dates must be timezone-aware"
            )
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Outlet(Base):
    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    homepage: Mapped[str | None] = mapped_column(String(2048))
    language: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_outlet_id_published_at", "outlet_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(8), index=True)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    is_relevant: Mapped[bool] = mapped_column(Boolean, default=False)
    topic_score: Mapped[float] = mapped_column(Float, default=0.0)
    topic_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    story_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    site_name: Mapped[str | None] = mapped_column(String(200))
    warc_file: Mapped[str | None] = mapped_column(String(1024))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # This row's version: 1, then one more each time a re-fetch changes the title or the text (the
    # earlier ones are in article_versions).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Large columns last: SQLite reads a row's columns in order, so filters on the columns
    # above never walk the overflow pages of a long text.
    description: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


class ArticleVersion(Base):
    """An article as it was before a re-fetch changed its title or text: one row per earlier
    version (the latest is the `articles` row itself)."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when this version was stored
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)


class RunStatus:
    """`crawl_runs.status`."""

    RUNNING: Final = "running"  # still running, or killed
    FINISHED: Final = "finished"  # every outlet ran to its end (some may have been unreachable)
    INTERRUPTED: Final = "interrupted"  # stopped early: a signal, or the database went away


class OutletStatus:
    """`crawl_run_outlets.status`."""

    RUNNING: Final = "running"  # still running, or killed
    OK: Final = "ok"
    UNREACHABLE: Final = "unreachable"  # nothing answered: every connection failed
    INTERRUPTED: Final = "interrupted"  # stopped early: a signal, or the database went away
    BUSY: Final = "busy"  # another crawl holds the outlet's lock (never stored: reported only)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING)
    outlets: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    off_topic: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text)


class CrawlRunOutlet(Base):
    """How one outlet fared in one crawl run: what `newsarchive stats` shows as 'last crawl'."""

    __tablename__ = "crawl_run_outlets"

    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=OutletStatus.RUNNING)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    off_topic: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feed_update_seconds: Mapped[int | None] = mapped_column(Integer)
    # What the crawl found for the outlet: autodiscovered feeds and sitemaps, its WordPress API, how
    # a backfill went. None when there was nothing to find (every source in the registry).
    discovered: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The outlet's health in this run (db/runs.py health()): shares of new articles lacking a date,
    # an author, a title; their median words; the not_article and error shares; HTTP statuses;
    # sources that answered 404/410. `newsarchive health` compares runs to flag drift.
    health: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OutletSchedule(Base):
    """When `newsarchive schedule` crawls each outlet next, and how often it has been worth it."""

    __tablename__ = "outlet_schedule"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"), primary_key=True)
    interval_seconds: Mapped[float] = mapped_column(Float)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    last_new: Mapped[int] = mapped_column(Integer, default=0)
    feed_update_seconds: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UrlState(Base):
    """Every URL the crawler has met, so scheduled crawls never download an unchanged page twice."""

    __tablename__ = "url_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="page")
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    lastmod_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    message: Mapped[str | None] = mapped_column(Text)
    fetch_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ArticleSignature(Base):
    """What dedup keeps of each article: its MinHash and story fingerprint (see crawler/stages/dedup.py,
    crawler/stages/story.py)."""

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    shingles: Mapped[int] = mapped_column(Integer)
    names: Mapped[list[str]] = mapped_column(JSON, default=list)
    figures: Mapped[list[str]] = mapped_column(JSON, default=list)
    story_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NearDupKey(Base):
    """The persisted LSH index: one row per MinHash band and opening anchor of each article."""

    __tablename__ = "neardup_keys"
    __table_args__ = (Index("ix_neardup_keys_article_id", "article_id"), {"sqlite_with_rowid": False})

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)


class StoryKey(Base):
    """The story index: one row per name and figure of each article, with its day, for time-bounded
    lookups."""

    __tablename__ = "story_keys"
    __table_args__ = (Index("ix_story_keys_article_id", "article_id"), {"sqlite_with_rowid": False})

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
