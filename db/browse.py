"""Reads for browsing the archive (`newsarchive serve`): one article with its versions, copies and
story; a story's timeline; newest-first and cursor-paged article lists; per-outlet daily counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Article, Outlet
from .queries import ArticleFilter, Version, article_rows, filtered, versions_of


@dataclass(frozen=True)
class Listed:
    """An article as lists show it: the row and its outlet's slug."""

    article: Article
    outlet: str


@dataclass(frozen=True)
class ArticlePage:
    article: Article
    outlet: Outlet
    versions: list[Version]  # oldest first; the last is the article as it stands
    original: Listed | None  # the article this one copies
    copies: list[Listed]  # articles that copy this one
    story: list[Listed]  # the other articles of its story, oldest first


def article_page(session: Session, article_id: int) -> ArticlePage | None:
    """Everything the article page shows, or None when the archive has no such article."""
    found = session.execute(
        select(Article, Outlet).join(Outlet, Outlet.id == Article.outlet_id).where(Article.id == article_id)
    ).first()
    if found is None:
        return None
    article, outlet = found
    original = None
    if article.duplicate_of_id is not None:
        original = next(iter(_listed(session, Article.id == article.duplicate_of_id)), None)
    copies = _listed(session, Article.duplicate_of_id == article.id)
    story = []
    if article.story_id is not None:
        story = [
            item
            for item in _listed(session, Article.story_id == article.story_id)
            if item.article.id != article.id
        ]
    return ArticlePage(article, outlet, versions_of(session, article), original, copies, story)


def story(session: Session, story_id: int) -> list[Listed]:
    """A story's articles across outlets and languages, oldest first (undated last)."""
    return _listed(session, Article.story_id == story_id)


def _listed(session: Session, condition: Any) -> list[Listed]:
    rows = session.execute(
        article_rows()
        .where(condition)
        .order_by(Article.published_at.is_(None), Article.published_at, Article.id)
    ).all()
    return [Listed(article, outlet) for article, outlet in rows]


def newest(session: Session, spec: ArticleFilter, before_id: int | None, limit: int) -> list[Listed]:
    """The newest stored articles that pass the filters, below `before_id` (a page of the browse list)."""
    stmt = filtered(article_rows(), spec)
    if before_id is not None:
        stmt = stmt.where(Article.id < before_id)
    rows = session.execute(stmt.order_by(Article.id.desc()).limit(limit)).all()
    return [Listed(article, outlet) for article, outlet in rows]


def after(session: Session, spec: ArticleFilter, limit: int) -> list[Listed]:
    """Articles stored after `spec.after_id`, oldest first: what a poller has not seen yet."""
    rows = session.execute(filtered(article_rows(), spec).order_by(Article.id).limit(limit)).all()
    return [Listed(article, outlet) for article, outlet in rows]


def outlet_ids(session: Session) -> dict[str, int]:
    return {slug: outlet_id for slug, outlet_id in session.execute(select(Outlet.slug, Outlet.id))}


def per_day(
    session: Session, outlet_ids: Sequence[int], first: date, last: date
) -> dict[int, dict[date, int]]:
    """outlet id -> {day: articles published that day (UTC)}, for days first..last."""
    if session.get_bind().dialect.name == "postgresql":
        day = func.date(func.timezone("UTC", Article.published_at))
    else:  # stored as naive UTC text
        day = func.date(Article.published_at)
    start = datetime.combine(first, time.min, tzinfo=timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=timezone.utc)
    rows = session.execute(
        select(Article.outlet_id, day.label("day"), func.count())
        .where(Article.outlet_id.in_(outlet_ids), Article.published_at >= start, Article.published_at < end)
        .group_by(Article.outlet_id, day)
    ).all()
    counts: dict[int, dict[date, int]] = {i: {} for i in outlet_ids}
    for outlet_id, when, count in rows:
        counts[outlet_id][when if isinstance(when, date) else date.fromisoformat(when)] = count
    return counts
