"""Dedup in the archive: the persisted LSH and story indexes, crediting the original, story clusters.

Runs inside the transaction that stores a batch, after its articles are inserted:

1. their signatures and keys join the index, so copies within one batch find each other;
2. each article's copies are found (same content hash, or an LSH key in common that the MinHash
   estimate confirms) and its copy group is merged with theirs;
3. the group's original is chosen again from scratch (what the others credit, else the earliest
   published), and every member points straight at it: the result does not depend on crawl order,
   and there is never a copy of a copy;
4. articles reporting the same event within a few days (crawler/stages/story.py) get one `story_id`:
   the smallest id among the stories merged.

Writers take one lock for the whole batch (PostgreSQL advisory lock; SQLite's write lock), so two
crawls storing copies of one text at once cannot both believe theirs is the original.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import CursorResult, Row, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from crawler.stages.dedup import Features, NearDupThresholds, Signature, confirmed, content_hash, features
from crawler.stages.process import SettingsLike
from crawler.stages.story import Fingerprint, StoryThresholds, same_story

from . import lsh_index
from .models import Article, ArticleSignature, NearDupKey, StoryKey
from .store import insert_statement

# pg_advisory_xact_lock key: "newsarchive dedup" as a 64-bit number, the same in every writer.
ADVISORY_LOCK_KEY = 0x6E657773_64656475
# Rows per IN (...) list: below SQLite's 32,766 bound parameters.
CHUNK = 5000


@dataclass(frozen=True)
class DedupConfig:
    near: NearDupThresholds
    story: StoryThresholds

    @classmethod
    def from_settings(cls, settings: SettingsLike) -> DedupConfig:
        """From the crawler's settings (crawler.config.load_settings, or a crawler's own)."""
        return cls(
            NearDupThresholds(
                settings.getfloat("NEWSARCHIVE_NEARDUP_JACCARD"),
                settings.getfloat("NEWSARCHIVE_NEARDUP_CONTAINMENT"),
                settings.getint("NEWSARCHIVE_NEARDUP_MIN_SHINGLES"),
            ),
            StoryThresholds(
                settings.getfloat("NEWSARCHIVE_STORY_WINDOW_DAYS"),
                settings.getfloat("NEWSARCHIVE_STORY_NAMES"),
                settings.getfloat("NEWSARCHIVE_STORY_NAMES_ALONE"),
            ),
        )


def lock_writers(session: Session) -> None:
    """Serialise archive writers until this transaction ends (SQLite already has: BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def resolve(session: Session, indexed: dict[int, Features], config: DedupConfig) -> Counter:
    """Index these articles (new or changed) and resolve their copies and stories."""
    counts: Counter = Counter()
    if not indexed:
        return counts
    story_at = _story_times(session, indexed)
    _index(session, indexed, story_at)
    copies = _near_duplicates(session, indexed, config.near)
    for article_id, same_text in _same_hash(session, indexed).items():
        copies[article_id] |= same_text
    for article_id in sorted(indexed):
        members = _merge_copies(session, article_id, copies[article_id], counts)
        stories = _same_story(
            session, article_id, indexed[article_id].fingerprint, story_at[article_id], config.story
        )
        _merge_stories(session, {article_id} | members | stories, counts)
    return counts


def _story_times(session: Session, ids: Iterable[int]) -> dict[int, datetime]:
    rows = _in_chunks(
        session,
        lambda chunk: select(Article.id, Article.published_at, Article.fetched_at).where(
            Article.id.in_(chunk)
        ),
        ids,
    )
    return {row.id: row.published_at or row.fetched_at for row in rows}


def _index(session: Session, indexed: dict[int, Features], story_at: dict[int, datetime]) -> None:
    ids = list(indexed)
    for table in (ArticleSignature, NearDupKey, StoryKey):
        for chunk in chunks(ids):
            session.execute(delete(table).where(table.article_id.in_(chunk)))
    session.execute(
        insert_statement(session, ArticleSignature),
        [
            {
                "article_id": i,
                "minhash": f.signature.minhash,
                "shingles": f.signature.shingles,
                "names": sorted(f.fingerprint.names),
                "figures": sorted(f.fingerprint.figures),
                "story_at": story_at[i],
            }
            for i, f in indexed.items()
        ],
    )
    near_rows = {(key, i) for i, f in indexed.items() for key in f.signature.keys}
    session.execute(
        insert_statement(session, NearDupKey),
        [{"key": k, "article_id": i} for k, i in sorted(near_rows)],
    )
    lsh_index.remember(session, near_rows)
    story_rows = {(key, _day(story_at[i]), i) for i, f in indexed.items() for key in f.fingerprint.keys()}
    if story_rows:
        session.execute(
            insert_statement(session, StoryKey),
            [{"key": k, "day": d, "article_id": i} for k, d, i in sorted(story_rows)],
        )


def near_duplicates(
    session: Session, signatures: dict[int, Signature], thresholds: NearDupThresholds
) -> dict[int, set[int]]:
    """For each signature, the archived articles it is a near duplicate of: one indexed lookup of all
    the batch's LSH keys, then the MinHash estimate on the candidates. Ids in `signatures` that are
    archived already (being re-indexed) never match themselves."""
    candidates = lsh_index.for_session(session).candidates({i: found.keys for i, found in signatures.items()})
    wanted = set().union(*candidates.values()) - signatures.keys() if candidates else set()
    stored = {
        owner: Signature(minhash, shingles, ())
        for owner, minhash, shingles in _by_values(session, SIGNATURES, wanted)
    }
    stored |= signatures
    # a candidate without a signature was deleted since the index was read
    return {
        i: {
            c
            for c in candidates.get(i, ())
            if c in stored and confirmed(signatures[i], stored[c], thresholds)
        }
        for i in signatures
    }


# Signatures of the candidates, straight through the driver: the ids travel as one parameter
# (a JSON array on SQLite, an array on PostgreSQL), cheaper than an IN list of bound values.
SIGNATURES = {
    "sqlite": "SELECT s.article_id, s.minhash, s.shingles FROM json_each(?) AS j "
    "JOIN article_signatures AS s ON s.article_id = j.value",
    "postgresql": "SELECT article_id, minhash, shingles FROM article_signatures "
    "WHERE article_id = ANY(%s::bigint[])",
}


def _by_values(session: Session, queries: dict[str, str], values: Iterable[int]) -> list[tuple[Any, ...]]:
    ordered = sorted(values)
    if not ordered:
        return []
    dialect = session.get_bind().dialect.name
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(queries[dialect], (ordered if dialect == "postgresql" else json.dumps(ordered),))
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _near_duplicates(
    session: Session, indexed: dict[int, Features], thresholds: NearDupThresholds
) -> dict[int, set[int]]:
    return defaultdict(
        set, near_duplicates(session, {i: f.signature for i, f in indexed.items()}, thresholds)
    )


def _same_hash(session: Session, ids: Iterable[int]) -> dict[int, set[int]]:
    mine = dict(
        _in_chunks(
            session, lambda chunk: select(Article.id, Article.content_hash).where(Article.id.in_(chunk)), ids
        )
    )
    holders: dict[str, set[int]] = defaultdict(set)
    for article_id, digest in _in_chunks(
        session,
        lambda chunk: select(Article.id, Article.content_hash).where(Article.content_hash.in_(chunk)),
        set(mine.values()),
    ):
        holders[digest].add(article_id)
    return {i: holders[digest] - {i} for i, digest in mine.items()}


def _merge_copies(session: Session, article_id: int, copies: set[int], counts: Counter) -> set[int]:
    """Merge the article's copy group with its copies' groups; everyone points at the original."""
    if not copies:
        return set()
    roots = select(func.coalesce(Article.duplicate_of_id, Article.id)).where(
        Article.id.in_(copies | {article_id})
    )
    members = session.execute(
        select(
            Article.id,
            Article.canonical_url,
            Article.source_url,
            Article.published_at,
            Article.fetched_at,
            Article.duplicate_of_id,
        ).where(or_(Article.id.in_(roots), Article.duplicate_of_id.in_(roots)))
    ).all()
    root = original(members)
    for member in members:
        target = None if member.id == root else root
        if member.duplicate_of_id != target:
            session.execute(update(Article).where(Article.id == member.id).values(duplicate_of_id=target))
            counts["repointed" if member.id != article_id else "marked"] += 1
    return {member.id for member in members}


def original(members: Sequence[Row[Any]] | Sequence[Any]) -> int:
    """The copy group's original: one the others credit (source_url, cross-site rel=canonical,
    syndication credit) and that credits no member itself; otherwise the earliest published."""
    urls = {member.canonical_url for member in members}
    credits_member = {member.id for member in members if member.source_url in urls}
    credited = {member.source_url for member in members if member.source_url in urls}
    pool = (
        [m for m in members if m.canonical_url in credited and m.id not in credits_member]
        or [m for m in members if m.id not in credits_member]
        or list(members)
    )
    return min(pool, key=lambda m: (m.published_at or m.fetched_at, m.id)).id


def _same_story(
    session: Session, article_id: int, print_: Fingerprint, at: datetime, thresholds: StoryThresholds
) -> set[int]:
    keys = print_.keys()
    if not keys:
        return set()
    window = int(thresholds.window_days) + 1
    day = _day(at)
    candidates = set(
        session.scalars(
            select(StoryKey.article_id)
            .distinct()
            .where(
                StoryKey.key.in_(keys),
                StoryKey.day.between(day - window, day + window),
                StoryKey.article_id != article_id,
            )
        )
    )
    rows = _in_chunks(
        session,
        lambda chunk: select(ArticleSignature).where(ArticleSignature.article_id.in_(chunk)),
        candidates,
    )
    return {
        row.article_id
        for (row,) in rows
        if same_story(
            print_, at, Fingerprint(frozenset(row.names), frozenset(row.figures)), row.story_at, thresholds
        )
    }


def _merge_stories(session: Session, articles: set[int], counts: Counter) -> None:
    current = dict(
        session.execute(select(Article.id, Article.story_id).where(Article.id.in_(articles))).all()
    )
    stories = {story for story in current.values() if story is not None}
    target = min(stories | set(current))
    if all(story == target for story in current.values()) and len(stories) <= 1:
        return
    merged = cast(
        CursorResult,
        session.execute(
            update(Article)
            .where(
                or_(Article.id.in_(articles), Article.story_id.in_(stories)),
                or_(Article.story_id.is_(None), Article.story_id != target),
            )
            .values(story_id=target)
        ),
    )
    counts["story_linked"] += merged.rowcount


def rebuild(session: Session, config: DedupConfig, batch: int = 500, on_progress: Any = None) -> Counter:
    """Recompute hashes, signatures, duplicates and stories over the whole archive, in this
    transaction: the same input gives the same result, whatever the archive held before."""
    lock_writers(session)
    lsh_index.forget(lsh_index.engine_of(session))
    for table in (NearDupKey, StoryKey, ArticleSignature):
        session.execute(delete(table))
    session.execute(update(Article).values(duplicate_of_id=None, story_id=None))
    ids = list(session.scalars(select(Article.id).order_by(Article.id)))
    counts: Counter = Counter()
    for chunk in chunks(ids, batch):
        rows = session.execute(
            select(Article.id, Article.title, Article.text, Article.language, Article.content_hash).where(
                Article.id.in_(chunk)
            )
        ).all()
        for row in rows:
            digest = content_hash(row.text)
            if digest != row.content_hash:
                session.execute(update(Article).where(Article.id == row.id).values(content_hash=digest))
                counts["rehashed"] += 1
        counts += resolve(
            session, {row.id: features(row.title, row.text, row.language) for row in rows}, config
        )
        if on_progress:
            on_progress(len(chunk))
    counts["articles"] = len(ids)
    return counts


def summary(session: Session) -> dict[str, int]:
    """How much the archive deduplicates: articles, copies, originals with copies, stories."""
    stories = select(Article.story_id, func.count().label("size")).group_by(Article.story_id).subquery()
    return {
        "articles": session.scalar(select(func.count()).select_from(Article)) or 0,
        "copies": session.scalar(select(func.count(Article.duplicate_of_id))) or 0,
        "originals_copied": session.scalar(select(func.count(func.distinct(Article.duplicate_of_id)))) or 0,
        "stories": session.scalar(select(func.count(stories.c.story_id))) or 0,
        "stories_linked": session.scalar(select(func.count()).select_from(stories).where(stories.c.size > 1))
        or 0,
        "unindexed": session.scalar(
            select(func.count())
            .select_from(Article)
            .where(
                ~select(ArticleSignature.article_id).where(ArticleSignature.article_id == Article.id).exists()
            )
        )
        or 0,
    }


def _day(moment: datetime) -> int:
    return (moment.astimezone(timezone.utc).date() - datetime(1970, 1, 1).date()).days


def chunks(values: Sequence[Any] | Iterable[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _in_chunks(session: Session, statement: Any, values: Iterable[Any]) -> list[Any]:
    """Run `statement(chunk)` over the values in IN-list sized chunks; all rows."""
    return [row for chunk in chunks(sorted(values)) for row in session.execute(statement(chunk)).all()]
