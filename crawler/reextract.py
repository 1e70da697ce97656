"""Rebuild archived articles from their WARC captures: today's extractor over the whole history,
without touching the network. Text, metadata, language, relevance and hashes are recomputed per
article; then duplicates and stories over the whole archive (`db.dedup.rebuild`)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, func, select, update

from crawler.process import Options, Page, Processed, process_page
from crawler.warc import read_response
from db import dedup
from db.archive import REFRESHED
from db.models import Article, Outlet
from db.session import session_factory

logger = logging.getLogger(__name__)

# Articles read, processed and written per transaction.
BATCH = 200
# Fields a re-extraction never blanks: when today's extractor finds no date, the crawl's stands.
KEPT_WHEN_MISSING = {"title", "authors", "published_at", "modified_at", "description", "image_url", "site_name"}


def reextract(engine: Engine, options: Options, config: dedup.DedupConfig, warc_dir: Path | None = None,
              workers: int = 0, on_progress: Callable[[int], None] | None = None,
              zones: dict[str, str | None] | None = None) -> Counter:
    """`zones`: outlet slug -> the registry's time zone, as the crawl used it."""
    counts: Counter = Counter()
    with session_factory(engine).begin() as session:
        ids = list(session.scalars(select(Article.id).where(Article.warc_file.is_not(None)).order_by(Article.id)))
        counts["without_capture"] = session.scalar(select(func.count()).where(Article.warc_file.is_(None))) or 0
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers or os.cpu_count() or 1, mp_context=context) as pool:
        for chunk in _chunks(ids, BATCH):
            counts += _reextract_batch(engine, chunk, options, warc_dir, pool, zones or {})
            if on_progress:
                on_progress(len(chunk))
    with session_factory(engine, write=True).begin() as session:
        counts += dedup.rebuild(session, config)
    return counts


def _reextract_batch(engine: Engine, ids: list[int], options: Options, warc_dir: Path | None, pool,
                     zones: dict[str, str | None]) -> Counter:
    counts: Counter = Counter()
    with session_factory(engine).begin() as session:
        rows = session.execute(select(Article.id, Article.outlet_id, Article.warc_file, Article.warc_offset, Outlet.language, Outlet.slug)
                               .join(Outlet, Outlet.id == Article.outlet_id).where(Article.id.in_(ids))).all()
    pages: dict[int, Page] = {}
    for row in rows:
        try:
            url, body, content_type = read_response(_located(row.warc_file, warc_dir), row.warc_offset)
        except (OSError, ValueError, StopIteration) as exc:
            counts["capture_unreadable"] += 1
            logger.warning("article %s: capture %s@%s unreadable: %s", row.id, row.warc_file, row.warc_offset, exc)
            continue
        pages[row.id] = Page(url, body, content_type, row.outlet_id, page_language_default=row.language,
                             timezone=zones.get(row.slug))
    results = list(pool.map(process_page, pages.values(), [options] * len(pages), chunksize=8))
    with session_factory(engine, write=True).begin() as session:
        for article_id, processed in zip(pages, results):
            counts[_apply(session, article_id, processed)] += 1
    return counts


def _apply(session, article_id: int, processed: Processed) -> str:
    """Update the row from the new extraction; a page that is no longer an article keeps its row."""
    if processed.record is None:
        return "no_longer_article"
    record = processed.record
    values = {key: record[key] for key in REFRESHED if key in record and key not in ("url", "warc_file", "warc_offset")
              and not (record[key] is None and key in KEPT_WHEN_MISSING)}
    changed = session.execute(update(Article).where(Article.id == article_id).values(values)).rowcount
    return "reextracted" if changed else "missing"


def _located(path: str, warc_dir: Path | None) -> Path:
    """The capture where the crawl wrote it, or under `warc_dir` when the files were moved."""
    recorded = Path(path)
    if warc_dir is not None and not recorded.exists():
        return warc_dir / recorded.name
    return recorded


def _chunks(values: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield list(values[start:start + size])
