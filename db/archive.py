"""Storing a batch of processed pages: one transaction, articles and URL state together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import Article
from .store import insert_articles, record_urls

# Article columns a re-fetch of a changed page refreshes.
REFRESHED = ("url", "title", "authors", "modified_at", "language", "description", "text", "word_count",
             "content_hash", "is_relevant", "topic_score", "topic_terms", "source_url", "image_url", "tags", "site_name")


@dataclass
class PageResult:
    """A processed page ready to store: `record` is None for pages that are not articles."""

    state: dict[str, Any]
    record: dict[str, Any] | None


def store_batch(session: Session, results: Sequence[PageResult], outcomes: Sequence[dict[str, Any]]) -> Counter:
    """Store a batch: new articles in two multi-row inserts (originals, then the batch's own
    copies of them), pages already in the archive one by one (rare: a changed article)."""
    counts: Counter = Counter()
    records = {r.record["canonical_url"]: r.record for r in results if r.record is not None}
    originals = _originals(session, {record["content_hash"] for record in records.values()})
    first, copies = [], []
    for record in records.values():
        known = originals.get(record["content_hash"])
        if known is None:
            originals[record["content_hash"]] = (None, record["canonical_url"])
            first.append(record)
        elif known[1] != record["canonical_url"]:
            copies.append(record)
    ids = insert_articles(session, [r | {"duplicate_of_id": originals[r["content_hash"]][0]} for r in first])
    for record in first:
        if record["canonical_url"] in ids:
            originals[record["content_hash"]] = (ids[record["canonical_url"]], record["canonical_url"])
    ids |= insert_articles(session, [r | {"duplicate_of_id": originals[r["content_hash"]][0]} for r in copies])
    counts["inserted"] = sum(1 for r in first if r["canonical_url"] in ids)
    counts["duplicate"] = sum(1 for r in copies if r["canonical_url"] in ids)
    for url, record in records.items():
        if url not in ids:
            ids[url] = _refresh(session, record, counts)
    for result in results:
        if result.record is not None:
            result.state["article_id"] = ids[result.record["canonical_url"]]
    record_urls(session, _last_per_url([*outcomes, *(r.state for r in results)]))
    return counts


def _originals(session: Session, hashes: set[str]) -> dict[str, tuple[int | None, str]]:
    """content_hash -> (id, canonical_url) of the earliest original with that text."""
    if not hashes:
        return {}
    rows = session.execute(
        select(Article.content_hash, Article.id, Article.canonical_url)
        .where(Article.content_hash.in_(hashes), Article.duplicate_of_id.is_(None)).order_by(Article.id.desc())
    ).all()
    return {content_hash: (article_id, url) for content_hash, article_id, url in rows}


def _refresh(session: Session, record: dict[str, Any], counts: Counter) -> int:
    """A page already archived: update the row when its text changed."""
    existing_id, existing_hash = session.execute(
        select(Article.id, Article.content_hash).where(Article.canonical_url == record["canonical_url"])
    ).one()
    if existing_hash != record["content_hash"]:
        session.execute(update(Article).where(Article.id == existing_id).values({k: record[k] for k in REFRESHED if k in record}))
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1
    return existing_id


def _last_per_url(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ON CONFLICT cannot touch one row twice in a statement: keep each URL's last state."""
    return list({state["url"]: state for state in states}.values())
