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
    counts: Counter = Counter()
    states = list(outcomes)
    originals = _originals(session, {r.record["content_hash"] for r in results if r.record is not None})
    for result in results:
        if result.record is not None:
            result.state["article_id"] = _store_article(session, result.record, originals, counts)
        states.append(result.state)
    record_urls(session, _last_per_url(states))
    return counts


def _originals(session: Session, hashes: set[str]) -> dict[str, tuple[int, str]]:
    """content_hash -> (id, canonical_url) of the earliest original with that text."""
    if not hashes:
        return {}
    rows = session.execute(
        select(Article.content_hash, Article.id, Article.canonical_url)
        .where(Article.content_hash.in_(hashes), Article.duplicate_of_id.is_(None)).order_by(Article.id.desc())
    ).all()
    return {content_hash: (article_id, url) for content_hash, article_id, url in rows}


def _store_article(session: Session, record: dict[str, Any], originals: dict[str, tuple[int, str]], counts: Counter) -> int:
    """Insert (marking an exact copy of an earlier article), or refresh a changed article."""
    known = originals.get(record["content_hash"])
    original = known[0] if known and known[1] != record["canonical_url"] else None
    inserted = insert_articles(session, [record | {"duplicate_of_id": original}])
    if inserted:
        counts["duplicate" if original else "inserted"] += 1
        article_id = inserted[record["canonical_url"]]
        originals.setdefault(record["content_hash"], (article_id, record["canonical_url"]))
        return article_id
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
