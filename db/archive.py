"""Storing a batch of processed pages: one transaction, articles, URL state and dedup together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from crawler.stages.dedup import Features, features

from .dedup import DedupConfig, lock_writers, resolve
from .fit import fit_page, fit_state
from .models import Article, ArticleVersion
from .store import insert_articles, record_urls

# Article columns a re-fetch of a changed page refreshes.
REFRESHED = (
    "url",
    "title",
    "authors",
    "modified_at",
    "language",
    "description",
    "text",
    "word_count",
    "content_hash",
    "is_relevant",
    "topic_score",
    "topic_terms",
    "source_url",
    "image_url",
    "tags",
    "site_name",
    "warc_file",
    "warc_offset",
)


@dataclass
class PageResult:
    """A processed page ready to store: `record` and `features` are None for pages that are not articles."""

    state: dict[str, Any]
    record: dict[str, Any] | None
    features: Features | None = None


def store_batch(
    session: Session, results: Sequence[PageResult], outcomes: Sequence[dict[str, Any]], config: DedupConfig
) -> Counter:
    """Store a batch: new articles in one multi-row insert, pages already in the archive one by one
    (rare: a changed article), then dedup over the new and changed ones."""
    lock_writers(session)
    counts: Counter = Counter()
    results = [_fitted(result) for result in results]
    outcomes = [fit_state(state) for state in outcomes]
    records = {r.record["canonical_url"]: (r.record, r.features) for r in results if r.record is not None}
    ids = insert_articles(session, [record for record, _ in records.values()])
    new = set(ids.values())
    changed = {ids[url]: found for url, (_, found) in records.items() if url in ids}
    for url, (record, found) in records.items():
        if url not in ids:
            ids[url], was_changed = _refresh(session, record)
            counts["updated" if was_changed else "unchanged"] += 1
            if was_changed:
                changed[ids[url]] = found
    by_id = {ids[url]: record for url, (record, _) in records.items()}
    computed = {
        i: f or features(by_id[i].get("title"), by_id[i]["text"], by_id[i].get("language"))
        for i, f in changed.items()
    }
    counts += resolve(session, computed, config)
    rows = session.execute(
        select(Article.duplicate_of_id.is_not(None), Article.is_relevant).where(Article.id.in_(new))
    )
    kinds = Counter((bool(copy), bool(relevant)) for copy, relevant in rows)
    counts["duplicate"] += sum(n for (copy, _), n in kinds.items() if copy)
    counts["inserted"] += sum(n for (copy, _), n in kinds.items() if not copy)
    counts["off_topic"] += sum(n for (copy, relevant), n in kinds.items() if not copy and not relevant)
    for result in results:
        if result.record is not None:
            result.state["article_id"] = ids[result.record["canonical_url"]]
    record_urls(session, _last_per_url([*outcomes, *(r.state for r in results)]))
    return counts


def _fitted(result: PageResult) -> PageResult:
    record, state = fit_page(result.record, result.state)
    return PageResult(state, record, result.features if record is not None else None)


def _refresh(session: Session, record: dict[str, Any]) -> tuple[int, bool]:
    """A page already archived: when its text or title changed (whitespace aside), the row as it
    was becomes an article_versions row and the row takes the new version; (id, whether it changed)."""
    existing = session.execute(
        select(Article).where(Article.canonical_url == record["canonical_url"])
    ).scalar_one()
    changed = existing.content_hash != record["content_hash"] or _words(existing.title) != _words(
        record.get("title")
    )
    if changed:
        session.execute(
            insert(ArticleVersion).values(
                article_id=existing.id,
                version=existing.version,
                fetched_at=existing.updated_at,
                content_hash=existing.content_hash,
                title=existing.title,
                published_at=existing.published_at,
                modified_at=existing.modified_at,
                word_count=existing.word_count,
                text=existing.text,
            )
        )
        session.execute(
            update(Article)
            .where(Article.id == existing.id)
            .values({k: record[k] for k in REFRESHED if k in record} | {"version": existing.version + 1})
        )
    session.expunge(existing)
    return existing.id, changed


def _words(value: str | None) -> str:
    return " ".join((value or "").split())


def _last_per_url(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ON CONFLICT cannot touch one row twice in a statement: keep each URL's last state."""
    return list({state["url"]: state for state in states}.values())
