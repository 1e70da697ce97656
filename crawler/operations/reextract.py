"""Rebuild archived articles from their WARC captures: today's extractor over the whole history,
without touching the network. Text, metadata, language, relevance and hashes are recomputed per
article; then duplicates and stories over the whole archive (`db.dedup.rebuild`)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine, func, select, update

from crawler import outlets as registry
from crawler import pool
from crawler.components.warc import read_response
from crawler.outcomes import PER_PAGE
from crawler.stages.process import Options, Page, Processed, SettingsLike
from db import dedup
from db.archive import REFRESHED
from db.models import Article, Outlet
from db.session import session_factory

logger = logging.getLogger(__name__)

# Articles read, processed and written per transaction.
BATCH = 200
# Fields a re-extraction never blanks: when today's extractor finds no date, the crawl's stands.
KEPT_WHEN_MISSING = {
    "title",
    "authors",
    "published_at",
    "modified_at",
    "description",
    "image_url",
    "site_name",
}


def reextract(
    engine: Engine,
    settings: SettingsLike,
    outlets: Mapping[str, registry.Outlet],
    warc_dir: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Counter:
    """Each article is processed as its outlet's crawl would today: `Options.from_settings(settings,
    outlet)`, with the outlet's registry entry (time zone, language, boilerplate patterns)."""
    counts: Counter = Counter()
    with session_factory(engine).begin() as session:
        ids = list(
            session.scalars(select(Article.id).where(Article.warc_file.is_not(None)).order_by(Article.id))
        )
        counts["without_capture"] = (
            session.scalar(select(func.count()).where(Article.warc_file.is_(None))) or 0
        )
    extraction = pool.acquire(
        settings.getint("NEWSARCHIVE_EXTRACT_WORKERS"),
        settings.getfloat("NEWSARCHIVE_EXTRACT_TIMEOUT"),
        settings.getint("NEWSARCHIVE_EXTRACT_MAX_MEMORY"),
    )
    try:
        for chunk in dedup.chunks(ids, BATCH):
            counts += _reextract_batch(engine, chunk, settings, outlets, warc_dir, extraction)
            if on_progress:
                on_progress(len(chunk))
    finally:
        pool.release()
    with session_factory(engine, write=True).begin() as session:
        counts += dedup.rebuild(session, dedup.DedupConfig.from_settings(settings))
    return counts


def _reextract_batch(
    engine: Engine,
    ids: list[int],
    settings: SettingsLike,
    outlets: Mapping[str, registry.Outlet],
    warc_dir: Path | None,
    extraction: pool.ExtractionPool,
) -> Counter:
    counts: Counter = Counter()
    with session_factory(engine).begin() as session:
        rows = session.execute(
            select(Article.id, Article.warc_file, Article.warc_offset, Outlet.language, Outlet.slug)
            .join(Outlet, Outlet.id == Article.outlet_id)
            .where(Article.id.in_(ids))
        ).all()
    pages: dict[int, tuple[Page, Options]] = {}
    for row in rows:
        try:
            url, body, content_type = read_response(_located(row.warc_file, warc_dir), row.warc_offset)
        except (OSError, ValueError, StopIteration) as exc:
            counts["capture_unreadable"] += 1
            logger.warning(
                "article %s: capture %s@%s unreadable: %s",
                row.id,
                row.warc_file,
                row.warc_offset,
                exc,
                extra=PER_PAGE,
            )
            continue
        options = Options.from_settings(settings, outlets.get(row.slug))
        if row.slug not in outlets:  # an outlet no longer in the registry: what the archive knows of it
            options = replace(options, language=row.language)
        pages[row.id] = (Page(url, body, content_type), options)
    results = extraction.process_all(pages.values())
    with session_factory(engine, write=True).begin() as session:
        for article_id, processed in zip(pages, results, strict=True):
            counts[_apply(session, article_id, processed)] += 1
    return counts


def _apply(session, article_id: int, processed: Processed) -> str:
    """Update the row from the new extraction; a page that is no longer an article keeps its row."""
    if processed.record is None:
        return "no_longer_article"
    record = processed.record
    values = {
        key: record[key]
        for key in REFRESHED
        if key in record
        and key not in ("url", "warc_file", "warc_offset")
        and not (record[key] is None and key in KEPT_WHEN_MISSING)
    }
    changed = session.execute(update(Article).where(Article.id == article_id).values(values)).rowcount
    return "reextracted" if changed else "missing"


def _located(path: str, warc_dir: Path | None) -> Path:
    """The capture where the crawl wrote it, or under `warc_dir` when the files were moved."""
    recorded = Path(path)
    if warc_dir is not None and not recorded.exists():
        return warc_dir / recorded.name
    return recorded
