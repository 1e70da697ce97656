"""Reads from the archive: filtered article streams, ranked full-text search, per-outlet stats."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Select,
    Text,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY
from sqlalchemy.orm import Session, aliased

from .models import Article, ArticleVersion, CrawlRun, CrawlRunOutlet, Outlet, OutletStatus, UrlState
from .search_query import SearchQuery, parse, to_fts5

# PostgreSQL text-search configurations a query is stemmed with; 'simple' covers unknown languages.
PG_SEARCH_CONFIGS = {"pt": "portuguese", "fr": "french", "en": "english", "es": "spanish", None: "simple"}
# ts_rank weights for {D, C, B, A}: titles (A) weigh ten times body text (B), as with bm25 on SQLite.
PG_RANK_WEIGHTS = literal("{0, 0, 0.1, 1.0}").cast(postgresql.ARRAY(postgresql.REAL))
# First id window searched on PostgreSQL, in multiples of the candidates wanted (see _newest_matches).
PG_WINDOW_FACTOR = 10
# Rows fetched per round trip when streaming an export.
STREAM_BATCH = 1000


@dataclass(frozen=True)
class ArticleFilter:
    since: datetime | None = None
    until: datetime | None = None
    outlets: tuple[str, ...] = ()
    language: str | None = None
    include_duplicates: bool = False
    include_off_topic: bool = False
    after_id: int | None = None  # only articles stored after this one (ids only grow)
    changed_since: datetime | None = None  # only articles added or changed since (updated_at)


def filtered(stmt: Select, spec: ArticleFilter) -> Select:
    """Apply the export/search filters; by default only relevant originals."""
    conditions = []
    if spec.since is not None:
        conditions.append(Article.published_at >= spec.since)
    if spec.until is not None:
        conditions.append(Article.published_at < spec.until)
    if spec.outlets:
        conditions.append(Outlet.slug.in_(spec.outlets))
    if spec.language:
        conditions.append(Article.language == spec.language)
    if not spec.include_duplicates:
        conditions.append(Article.duplicate_of_id.is_(None))
    if not spec.include_off_topic:
        conditions.append(Article.is_relevant.is_(True))
    if spec.after_id is not None:
        conditions.append(Article.id > spec.after_id)
    if spec.changed_since is not None:
        conditions.append(Article.updated_at >= spec.changed_since)
    return stmt.where(*conditions)


def article_rows() -> Select:
    return select(Article, Outlet.slug.label("outlet")).join(Outlet, Outlet.id == Article.outlet_id)


def outlet_slugs(session: Session) -> set[str]:
    return set(session.scalars(select(Outlet.slug)))


def count_articles(session: Session, spec: ArticleFilter) -> int:
    stmt = filtered(
        select(func.count()).select_from(Article).join(Outlet, Outlet.id == Article.outlet_id), spec
    )
    return session.execute(stmt).scalar_one()


def stream_articles(session: Session, spec: ArticleFilter) -> Iterator[tuple[Article, str]]:
    """Articles in publication order (undated ones last), streamed in constant memory."""
    stmt = filtered(article_rows(), spec).order_by(
        Article.published_at.is_(None), Article.published_at, Article.id
    )
    result = session.execute(stmt.execution_options(yield_per=STREAM_BATCH))
    for article, outlet in result:
        yield article, outlet
        session.expunge(article)


@dataclass(frozen=True)
class SearchHit:
    article: Article
    outlet: str
    rank: float
    snippet: str


def search(
    session: Session, raw_query: str, spec: ArticleFilter, limit: int, candidates: int
) -> list[SearchHit]:
    """Ranked full-text search; raises search_query.QueryError for an unsearchable query.

    Ranking scores the newest `candidates` matches that pass the filters (0: every match), so
    latency stays flat however common the words are.
    """
    query = parse(raw_query)
    if session.get_bind().dialect.name == "postgresql":
        return _search_postgres(session, query, spec, limit, candidates)
    return _search_sqlite(session, query, spec, limit, candidates)


_FTS = table("articles_fts", column("rowid"), column("title"), column("text"))


def _newest(stmt: Select, id_column, candidates: int) -> Select:
    return stmt.order_by(id_column.desc()).limit(candidates) if candidates else stmt


def _search_sqlite(
    session: Session, query: SearchQuery, spec: ArticleFilter, limit: int, candidates: int
) -> list[SearchHit]:
    match = text("articles_fts MATCH :fts_query").bindparams(fts_query=to_fts5(query))
    # bm25 is lower-is-better; the title column weighs ten times the body.
    rank = func.bm25(text("articles_fts"), 10.0, 1.0)
    matching = filtered(
        select(_FTS.c.rowid.label("id"), rank.label("rank"))
        .join(Article, Article.id == _FTS.c.rowid)
        .join(Outlet, Outlet.id == Article.outlet_id)
        .where(match),
        spec,
    )
    matches = _newest(matching, _FTS.c.rowid, candidates).subquery()
    stmt = article_rows().add_columns(matches.c.rank).join(matches, matches.c.id == Article.id)
    hits = session.execute(stmt.order_by(matches.c.rank).limit(limit)).all()
    # Snippets are costly: only for the hits shown, not for every match.
    snippet = func.snippet(text("articles_fts"), 1, "[", "]", "…", 16)
    ids = [article.id for article, _, _ in hits]
    snippets = dict(session.execute(select(_FTS.c.rowid, snippet).where(match, _FTS.c.rowid.in_(ids))).all())
    return [
        SearchHit(article, outlet, -float(rank), snippets.get(article.id, ""))
        for article, outlet, rank in hits
    ]


def _phrase_tsquery(config, words: tuple[str, ...]):
    return func.phraseto_tsquery(config, " ".join(words))


def _balanced(combine: Any, items: Iterable[Any]) -> Any:
    """`combine` over the items as a balanced tree: a query of hundreds of words nests log2(n)
    deep, not n deep (which exhausted Python's recursion compiling the SQL)."""
    level = list(items)
    while len(level) > 1:
        level = [
            combine(*level[i : i + 2]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)
        ]
    return level[0]


def pg_tsquery_text(session: Session, query: SearchQuery, language: str | None) -> str:
    """One tsquery per stemming language, OR-ed, duplicates dropped: an article matches in its
    own language. Built by PostgreSQL from bound `phraseto_tsquery` calls, so user text never
    reaches tsquery syntax."""
    languages = [language] if language and language in PG_SEARCH_CONFIGS else [*PG_SEARCH_CONFIGS]
    per_language = []
    for lang in languages:
        phrase = partial(_phrase_tsquery, cast(literal(PG_SEARCH_CONFIGS[lang]), REGCONFIG))
        clauses = [_balanced(func.tsquery_or, map(phrase, alternatives)) for alternatives in query.required]
        expression = _balanced(func.tsquery_and, clauses)
        if query.excluded:
            expression = func.tsquery_and(
                expression, func.tsquery_not(_balanced(func.tsquery_or, map(phrase, query.excluded)))
            )
        per_language.append(func.cast(expression, Text))
    texts = dict.fromkeys(t for t in session.execute(select(*per_language)).one() if t)
    return " | ".join(f"({t})" for t in texts)


def _search_postgres(
    session: Session, query: SearchQuery, spec: ArticleFilter, limit: int, candidates: int
) -> list[SearchHit]:
    built = pg_tsquery_text(session, query, spec.language)
    if not built:  # only stop words
        return []
    # A constant, so the planner can use the GIN index with it.
    tsquery = cast(literal(built), TSQUERY)
    vector: ColumnClause[Any] = column("search_vector")
    matching = filtered(
        select(Article.id).join(Outlet, Outlet.id == Article.outlet_id).where(vector.op("@@")(tsquery)), spec
    )
    ids = _newest_matches(session, matching, candidates) if candidates else None
    rank = func.ts_rank_cd(PG_RANK_WEIGHTS, vector, tsquery).label("rank")
    ranked = select(Article.id, rank)
    if ids is not None:  # one array parameter, not thousands of bound values
        ranked = ranked.where(Article.id == func.any(literal(ids, postgresql.ARRAY(postgresql.INTEGER))))
    else:
        ranked = filtered(
            ranked.join(Outlet, Outlet.id == Article.outlet_id).where(vector.op("@@")(tsquery)), spec
        )
    # Rank on (id, rank) alone; only the winners' full rows are read.
    top = ranked.order_by(rank.desc(), Article.id).limit(limit).subquery()
    stmt = (
        article_rows()
        .add_columns(top.c.rank)
        .join(top, top.c.id == Article.id)
        .order_by(top.c.rank.desc(), Article.id)
    )
    hits = session.execute(stmt).all()
    return [
        SearchHit(article, outlet, float(rank), _plain_snippet(article.text, query))
        for article, outlet, rank in hits
    ]


def _newest_matches(session: Session, matching: Select, wanted: int) -> list[int]:
    """The newest `wanted` matching ids, searched in id windows from the newest backwards.

    GIN cannot return matches newest-first. Within a window, PostgreSQL ANDs the GIN bitmap with
    a primary-key range and visits only the matches inside it; without windows it either tests
    every row walking the key backwards or visits every match in the table. A rare word costs a
    few near-empty bitmap probes, a common one a single small window.
    """
    newest = session.scalar(select(func.max(Article.id)))
    if newest is None:
        return []
    session.execute(text("SET LOCAL enable_indexscan = off"))
    found: list[int] = []
    high, width = newest, wanted * PG_WINDOW_FACTOR
    while high > 0 and len(found) < wanted:
        low = max(0, high - width)
        window = (
            matching.where(Article.id > low, Article.id <= high)
            .order_by(Article.id.desc())
            .limit(wanted - len(found))
        )
        found += session.scalars(window).all()
        # Size the next window from the density seen so far (a bitmap scan visits every match in
        # its window), growing at most fourfold.
        searched, missing = newest - low, wanted - len(found)
        density = len(found) / searched if searched else 0.0
        width = min(width * 4, int(missing / density * 1.5) + 1) if density else width * 4
        high = low
    session.execute(text("SET LOCAL enable_indexscan = on"))
    return found


def _plain_snippet(body: str, query: SearchQuery, width: int = 160) -> str:
    lowered = body.lower()
    words = [w for alts in query.required for phrase in alts for w in phrase]
    position = min((i for i in (lowered.find(w) for w in words) if i >= 0), default=0)
    start = max(0, position - width // 3)
    return ("…" if start else "") + " ".join(body[start : start + width].split()) + "…"


def outlet_stats(session: Session) -> list[dict[str, Any]]:
    """Per outlet: article counts and the outcome of its most recent crawl."""
    counts = (
        select(
            Article.outlet_id,
            func.count().label("articles"),
            func.sum(case((Article.is_relevant, 1), else_=0)).label("relevant"),
            func.count(Article.duplicate_of_id).label("duplicates"),
        )
        .group_by(Article.outlet_id)
        .subquery()
    )
    latest = (
        select(CrawlRunOutlet.outlet_id, func.max(CrawlRunOutlet.run_id).label("run_id"))
        .group_by(CrawlRunOutlet.outlet_id)
        .subquery()
    )
    last = aliased(CrawlRunOutlet)
    stmt = (
        select(
            Outlet.slug,
            Outlet.name,
            func.coalesce(counts.c.articles, 0),
            func.coalesce(counts.c.relevant, 0),
            func.coalesce(counts.c.duplicates, 0),
            CrawlRun.started_at,
            last.status,
            last.articles_new,
            last.errors,
        )
        .outerjoin(counts, counts.c.outlet_id == Outlet.id)
        .outerjoin(latest, latest.c.outlet_id == Outlet.id)
        .outerjoin(last, and_(last.outlet_id == Outlet.id, last.run_id == latest.c.run_id))
        .outerjoin(CrawlRun, CrawlRun.id == latest.c.run_id)
        .order_by(Outlet.slug)
    )
    keys = (
        "slug",
        "name",
        "articles",
        "relevant",
        "duplicates",
        "last_crawl",
        "last_status",
        "last_new",
        "last_errors",
    )
    return [dict(zip(keys, row, strict=True)) for row in session.execute(stmt).all()]


@dataclass(frozen=True)
class KnownUrl:
    outcome: str
    etag: str | None
    last_modified: str | None
    last_fetched_at: datetime | None
    lastmod_seen: datetime | None


def last_crawl_completed(session: Session, outlet_id: int) -> bool:
    """Whether the outlet's previous crawl ran to its end (or there was none). A crawl killed
    half-way left sources whose children it never fetched: they must be read again in full."""
    status = session.scalar(
        select(CrawlRunOutlet.status)
        .where(CrawlRunOutlet.outlet_id == outlet_id)
        .order_by(CrawlRunOutlet.run_id.desc())
        .limit(1)
    )
    return status in (None, OutletStatus.OK, OutletStatus.UNREACHABLE)


def known_urls(session: Session, outlet_id: int) -> dict[str, KnownUrl]:
    """What the crawler already knows of an outlet's URLs (for incremental crawls)."""
    stmt = select(
        UrlState.url,
        UrlState.outcome,
        UrlState.etag,
        UrlState.last_modified,
        UrlState.last_fetched_at,
        UrlState.lastmod_seen,
    ).where(UrlState.outlet_id == outlet_id)
    rows = session.execute(stmt.execution_options(yield_per=STREAM_BATCH))
    return {
        url: KnownUrl(outcome, etag, modified, fetched, lastmod)
        for url, outcome, etag, modified, fetched, lastmod in rows
    }


@dataclass(frozen=True)
class Version:
    version: int
    fetched_at: datetime
    title: str | None
    text: str
    word_count: int
    published_at: datetime | None
    modified_at: datetime | None


def versions(session: Session, url: str) -> list[Version] | None:
    """Every version of the article at `url` (its canonical form, else as fetched), oldest first;
    None when the archive has no such article."""
    from crawler.stages.dedup import canonical_url

    article = session.scalars(
        select(Article).where((Article.canonical_url == canonical_url(url)) | (Article.url == url)).limit(1)
    ).first()
    if article is None:
        return None
    return versions_of(session, article)


def versions_of(session: Session, article: Article) -> list[Version]:
    """The article's versions, oldest first; the latest is the row itself, stored when it last changed."""
    earlier = session.scalars(
        select(ArticleVersion).where(ArticleVersion.article_id == article.id).order_by(ArticleVersion.version)
    ).all()
    fields = ("version", "fetched_at", "title", "text", "word_count", "published_at", "modified_at")
    rows = [Version(*(getattr(v, f) for f in fields)) for v in earlier]
    current = replace(Version(*(getattr(article, f) for f in fields)), fetched_at=article.updated_at)
    return rows + [current]


def earlier_versions(session: Session, article_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """article id -> its earlier versions as export records (export --include-versions)."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = session.scalars(
        select(ArticleVersion)
        .where(ArticleVersion.article_id.in_(article_ids))
        .order_by(ArticleVersion.version)
    )
    for row in rows:
        found.setdefault(row.article_id, []).append(
            {
                "version": row.version,
                "fetched_at": row.fetched_at.isoformat(),
                "title": row.title,
                "published_at": row.published_at.isoformat() if row.published_at else None,
                "modified_at": row.modified_at.isoformat() if row.modified_at else None,
                "word_count": row.word_count,
                "content_hash": row.content_hash,
                "text": row.text,
            }
        )
    return found
