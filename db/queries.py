"""Reads from the archive: filtered article streams, ranked full-text search, per-outlet stats."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial, reduce
from typing import Any

from sqlalchemy import Select, Text, and_, case, cast, column, func, literal, select, table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY
from sqlalchemy.orm import Session, aliased

from .models import Article, CrawlRun, CrawlRunOutlet, Outlet, UrlState
from .search_query import SearchQuery, parse, to_fts5

# PostgreSQL text-search configurations a query is stemmed with; 'simple' covers unknown languages.
PG_SEARCH_CONFIGS = {"pt": "portuguese", "fr": "french", "en": "english", "es": "spanish", None: "simple"}
# ts_rank weights for {D, C, B, A}: titles (A) weigh ten times body text (B), as with bm25 on SQLite.
PG_RANK_WEIGHTS = literal("{0, 0, 0.1, 1.0}").cast(postgresql.ARRAY(postgresql.REAL))
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
    return stmt.where(*conditions)


def article_rows() -> Select:
    return select(Article, Outlet.slug.label("outlet")).join(Outlet, Outlet.id == Article.outlet_id)


def count_articles(session: Session, spec: ArticleFilter) -> int:
    stmt = filtered(select(func.count()).select_from(Article).join(Outlet, Outlet.id == Article.outlet_id), spec)
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


def search(session: Session, raw_query: str, spec: ArticleFilter, limit: int, candidates: int) -> list[SearchHit]:
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


def _search_sqlite(session: Session, query: SearchQuery, spec: ArticleFilter, limit: int,
                   candidates: int) -> list[SearchHit]:
    match = text("articles_fts MATCH :fts_query").bindparams(fts_query=to_fts5(query))
    # bm25 is lower-is-better; the title column weighs ten times the body.
    rank = func.bm25(text("articles_fts"), 10.0, 1.0)
    matches = filtered(
        select(_FTS.c.rowid.label("id"), rank.label("rank"))
        .join(Article, Article.id == _FTS.c.rowid).join(Outlet, Outlet.id == Article.outlet_id).where(match),
        spec,
    )
    matches = _newest(matches, _FTS.c.rowid, candidates).subquery()
    stmt = article_rows().add_columns(matches.c.rank).join(matches, matches.c.id == Article.id)
    hits = session.execute(stmt.order_by(matches.c.rank).limit(limit)).all()
    # Snippets are costly: only for the hits shown, not for every match.
    snippet = func.snippet(text("articles_fts"), 1, "[", "]", "…", 16)
    ids = [article.id for article, _, _ in hits]
    snippets = dict(session.execute(select(_FTS.c.rowid, snippet).where(match, _FTS.c.rowid.in_(ids))).all())
    return [SearchHit(article, outlet, -float(rank), snippets.get(article.id, "")) for article, outlet, rank in hits]


def _phrase_tsquery(config, words: tuple[str, ...]):
    return func.phraseto_tsquery(config, " ".join(words))


def pg_tsquery(query: SearchQuery, language: str | None):
    """One tsquery per stemming language, OR-ed: an article matches in its own language.

    Built from bound `phraseto_tsquery` calls, so user text never reaches tsquery syntax.
    """
    languages = [language] if language and language in PG_SEARCH_CONFIGS else [*PG_SEARCH_CONFIGS]
    per_language = []
    for lang in languages:
        phrase = partial(_phrase_tsquery, cast(literal(PG_SEARCH_CONFIGS[lang]), REGCONFIG))
        clauses = [reduce(func.tsquery_or, map(phrase, alternatives)) for alternatives in query.required]
        expression = reduce(func.tsquery_and, clauses)
        if query.excluded:
            expression = func.tsquery_and(expression, func.tsquery_not(reduce(func.tsquery_or, map(phrase, query.excluded))))
        per_language.append(expression)
    return reduce(func.tsquery_or, per_language)


def _search_postgres(session: Session, query: SearchQuery, spec: ArticleFilter, limit: int,
                     candidates: int) -> list[SearchHit]:
    # Evaluated once up front: as a constant the planner uses the GIN index instead of
    # rebuilding the query per row.
    built = session.execute(select(func.cast(pg_tsquery(query, spec.language), Text))).scalar_one()
    tsquery = cast(literal(built), TSQUERY)
    vector = column("search_vector")
    matches = filtered(
        select(Article.id.label("id"), vector.label("vector"))
        .join(Outlet, Outlet.id == Article.outlet_id).where(vector.op("@@")(tsquery)),
        spec,
    )
    matches = _newest(matches, Article.id, candidates).subquery()
    # Ranked outside the candidate query, so only candidates pay for ts_rank_cd.
    rank = func.ts_rank_cd(PG_RANK_WEIGHTS, matches.c.vector, tsquery)
    stmt = (
        article_rows().add_columns(rank.label("rank")).join(matches, matches.c.id == Article.id)
        .order_by(rank.desc(), Article.id).limit(limit)
    )
    hits = session.execute(stmt).all()
    return [SearchHit(article, outlet, float(rank), _plain_snippet(article.text, query)) for article, outlet, rank in hits]


def _plain_snippet(body: str, query: SearchQuery, width: int = 160) -> str:
    lowered = body.lower()
    words = [w for alts in query.required for phrase in alts for w in phrase]
    position = min((i for i in (lowered.find(w) for w in words) if i >= 0), default=0)
    start = max(0, position - width // 3)
    return ("…" if start else "") + " ".join(body[start:start + width].split()) + "…"


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
            Outlet.slug, Outlet.name,
            func.coalesce(counts.c.articles, 0), func.coalesce(counts.c.relevant, 0),
            func.coalesce(counts.c.duplicates, 0),
            CrawlRun.started_at, last.status, last.articles_new, last.errors,
        )
        .outerjoin(counts, counts.c.outlet_id == Outlet.id)
        .outerjoin(latest, latest.c.outlet_id == Outlet.id)
        .outerjoin(last, and_(last.outlet_id == Outlet.id, last.run_id == latest.c.run_id))
        .outerjoin(CrawlRun, CrawlRun.id == latest.c.run_id)
        .order_by(Outlet.slug)
    )
    keys = ("slug", "name", "articles", "relevant", "duplicates", "last_crawl", "last_status", "last_new", "last_errors")
    return [dict(zip(keys, row)) for row in session.execute(stmt).all()]


@dataclass(frozen=True)
class KnownUrl:
    outcome: str
    etag: str | None
    last_modified: str | None
    last_fetched_at: datetime | None
    lastmod_seen: datetime | None


def known_urls(session: Session, outlet_id: int) -> dict[str, KnownUrl]:
    """What the crawler already knows of an outlet's URLs (for incremental crawls)."""
    stmt = select(UrlState.url, UrlState.outcome, UrlState.etag, UrlState.last_modified,
                  UrlState.last_fetched_at, UrlState.lastmod_seen).where(UrlState.outlet_id == outlet_id)
    return {url: KnownUrl(*rest) for url, *rest in session.execute(stmt.execution_options(yield_per=STREAM_BATCH))}
