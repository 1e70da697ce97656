"""The web app: search, article, story and outlets pages, and a JSON API with cursor pagination.

Read-only by construction: the engine it is given refuses writes (see `db.session.read_only`),
the app answers GET and HEAD only, and every value from a request reaches SQL as a bound
parameter. Templates autoescape, and the Content-Security-Policy allows no script at all, so text
from a crawled page can only ever show as text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from scrapy.settings import Settings
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from crawler.operations.export import FIELDS
from crawler.operations.health import RunHealth, drift, history
from crawler.operations.history import word_changes
from crawler.web.charts import bar_chart, days
from db import browse, queries
from db.models import Article
from db.runs import HEALTH_FIELDS
from db.search_query import QueryError
from db.session import display_url, session_factory

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
# No script may run, whatever a crawled page smuggled into the archive; styles are inline.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class BadRequest(Exception):
    """A request the archive cannot answer as asked: shown to the client as a 400 with its message."""


@dataclass(frozen=True)
class Limits:
    page_size: int
    api_max: int
    max_query: int
    chart_days: int
    runs: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            page_size=settings.getint("NEWSARCHIVE_SERVE_PAGE_SIZE"),
            api_max=settings.getint("NEWSARCHIVE_SERVE_API_MAX"),
            max_query=settings.getint("NEWSARCHIVE_SERVE_MAX_QUERY"),
            chart_days=settings.getint("NEWSARCHIVE_SERVE_CHART_DAYS"),
            runs=settings.getint("NEWSARCHIVE_SERVE_RUNS"),
        )


class GetOnly:
    """Answers anything but GET and HEAD with 405: the archive is not changed through this app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            response = PlainTextResponse(
                "405 method not allowed: this archive is read-only (GET and HEAD only)\n",
                status_code=405,
                headers={"allow": "GET, HEAD", **SECURITY_HEADERS},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(engine: Engine, settings: Settings) -> Starlette:
    """The app over `engine` (which should be read-only: `db.session.read_only`)."""
    site = Site(engine, Limits.from_settings(settings))
    routes = [
        Route("/", site.search_page),
        Route("/articles/{article_id:int}", site.article_page),
        Route("/stories/{story_id:int}", site.story_page),
        Route("/outlets", site.outlets_page),
        Route("/api/articles", site.api_articles),
        Route("/api/articles/{article_id:int}", site.api_article),
        Route("/api/search", site.api_search),
        Route("/api/stories/{story_id:int}", site.api_story),
        Route("/api/outlets", site.api_outlets),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            BadRequest: site.bad_request,
            HTTPException: site.http_error,
            Exception: site.server_error,
        },
    )
    app.add_middleware(GetOnly)
    return app


class Site:
    def __init__(self, engine: Engine, limits: Limits) -> None:
        self.sessions = session_factory(engine)
        self.limits = limits
        self.archive = display_url(engine.url)
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), auto_reload=False
        )
        self.templates.filters.update(when=_when, day=_day, safe_href=_safe_href, share=_share)

    # pages

    def search_page(self, request: Request) -> Response:
        params = request.query_params
        spec = self._filter(request)
        raw = self._query(request)
        with self.sessions.begin() as session:
            outlets = sorted(queries.outlet_slugs(session))
            self._known_outlets(spec, outlets)
            if raw:
                page = self._int(params.get("page"), "page", 1)
                size = self.limits.page_size
                try:
                    hits = queries.search(session, raw, spec, page * size + 1, 0 if page > 1 else 1000)
                except QueryError as exc:
                    raise BadRequest(str(exc)) from None
                shown = hits[(page - 1) * size : page * size]
                rows = [(hit.article, hit.outlet, hit.snippet) for hit in shown]
                more = len(hits) > page * size
                older = self._link(request, page=page + 1) if more else None
                newer = self._link(request, page=page - 1) if page > 1 else None
            else:
                before = self._int(params.get("before"), "before", None)
                listed = browse.newest(session, spec, before, self.limits.page_size + 1)
                shown_list = listed[: self.limits.page_size]
                rows = [(item.article, item.outlet, _lead(item.article.text)) for item in shown_list]
                more = len(listed) > self.limits.page_size
                older = self._link(request, before=shown_list[-1].article.id) if more else None
                newer = None
            total = None if raw else queries.count_articles(session, spec)
        return self._render(
            request,
            "search.html",
            query=raw,
            page_number=page if raw else 1,
            rows=rows,
            older=older,
            newer=newer,
            total=total,
            outlets=outlets,
            spec=spec,
            form={key: params.get(key, "") for key in ("since", "until", "language")},
        )

    def _article(self, request: Request) -> browse.ArticlePage:
        article_id = request.path_params["article_id"]
        with self.sessions.begin() as session:
            page = browse.article_page(session, article_id)
        if page is None:
            raise HTTPException(404, f"no article {article_id} in this archive")
        return page

    def article_page(self, request: Request) -> Response:
        page = self._article(request)
        diffs = [
            (before, after, word_changes(before.text, after.text))
            for before, after in zip(page.versions, page.versions[1:], strict=False)
        ]
        return self._render(
            request,
            "article.html",
            page=page,
            paragraphs=_paragraphs(page.article.text),
            diffs=list(reversed(diffs)),
        )

    def _story(self, request: Request) -> tuple[int, list[browse.Listed]]:
        story_id = request.path_params["story_id"]
        with self.sessions.begin() as session:
            members = browse.story(session, story_id)
        if not members:
            raise HTTPException(404, f"no story {story_id} in this archive")
        return story_id, members

    def story_page(self, request: Request) -> Response:
        story_id, members = self._story(request)
        by_day: dict[str, list[browse.Listed]] = {}
        for item in members:
            by_day.setdefault(_day(item.article.published_at), []).append(item)
        languages = sorted({item.article.language or "?" for item in members})
        outlets = sorted({item.outlet for item in members})
        return self._render(
            request,
            "story.html",
            story_id=story_id,
            members=members,
            by_day=by_day,
            languages=languages,
            outlets=outlets,
            ids={item.article.id for item in members},
        )

    def outlets_page(self, request: Request) -> Response:
        return self._render(request, "outlets.html", outlets=self._outlets())

    # JSON API

    def api_articles(self, request: Request) -> Response:
        """Articles stored after `after_id`, oldest first, and where the next page starts: a poller
        keeps the last `after_id` and asks again."""
        spec = self._filter(request)
        after_id = self._int(request.query_params.get("after_id"), "after_id", 0)
        limit = self._limit(request)
        spec = replace(spec, after_id=after_id)
        with self.sessions.begin() as session:
            self._known_outlets(spec, queries.outlet_slugs(session))
            rows = browse.after(session, spec, limit)
        resume = rows[-1].article.id if rows else after_id
        return self._json(
            {
                "articles": [_record(item.article, item.outlet) for item in rows],
                "after_id": resume,
                "next": str(request.url.include_query_params(after_id=resume)),
                "more": len(rows) == limit,
            }
        )

    def api_article(self, request: Request) -> Response:
        page = self._article(request)
        return self._json(
            _record(page.article, page.outlet.slug)
            | {
                "versions": [_version(v) for v in page.versions],
                "original": _summary(page.original) if page.original else None,
                "copies": [_summary(item) for item in page.copies],
                "story": [_summary(item) for item in page.story],
            }
        )

    def api_search(self, request: Request) -> Response:
        raw = self._query(request)
        if not raw:
            raise BadRequest('q is required: words, "exact phrases", -excluded, a OR b')
        spec = self._filter(request)
        limit = self._limit(request)
        with self.sessions.begin() as session:
            self._known_outlets(spec, queries.outlet_slugs(session))
            try:
                hits = queries.search(session, raw, spec, limit, 1000)
            except QueryError as exc:
                raise BadRequest(str(exc)) from None
        return self._json(
            {
                "query": raw,
                "hits": [
                    _summary(browse.Listed(hit.article, hit.outlet))
                    | {"rank": hit.rank, "snippet": hit.snippet}
                    for hit in hits
                ],
            }
        )

    def api_story(self, request: Request) -> Response:
        story_id, members = self._story(request)
        return self._json({"story_id": story_id, "articles": [_summary(item) for item in members]})

    def api_outlets(self, request: Request) -> Response:
        return self._json(
            {
                "outlets": [
                    {
                        key: value
                        for key, value in outlet.items()
                        if key not in ("per_day_chart", "dates_chart")
                    }
                    for outlet in self._outlets()
                ]
            }
        )

    # errors

    async def bad_request(self, request: Request, exc: Exception) -> Response:
        return self._error(request, 400, str(exc))

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else "no such page"
        return self._error(request, exc.status_code, detail, exc.headers)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        # The traceback goes to the log file; the client gets one line.
        logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return self._error(request, 500, "the archive could not answer this request (see the server's log)")

    def _error(self, request: Request, status: int, message: str, headers=None) -> Response:
        if request.url.path.startswith("/api/"):
            return self._json({"error": message}, status, headers)
        return self._render(
            request, "error.html", status=status, message=message, code=status, headers=headers
        )

    # helpers

    def _outlets(self) -> list[dict[str, Any]]:
        today = datetime.now(timezone.utc).date()
        span = days(today, self.limits.chart_days)
        with self.sessions.begin() as session:
            stats = queries.outlet_stats(session)
            ids = browse.outlet_ids(session)
            counts = browse.per_day(session, list(ids.values()), span[0], span[-1])
            runs = {row["slug"]: history(session, row["slug"], self.limits.runs) for row in stats}
        found = []
        for row in stats:
            parts = runs[row["slug"]]
            per_day = counts.get(ids[row["slug"]], {})
            found.append(
                row
                | {
                    "last_crawl": _iso(row["last_crawl"]),
                    "flags": drift(parts),
                    "runs": [_run(part) for part in parts],
                    "per_day": {d.isoformat(): per_day.get(d, 0) for d in span},
                    "per_day_chart": bar_chart([(d.isoformat(), per_day.get(d, 0)) for d in span]),
                    "dates_chart": bar_chart(
                        [
                            (f"run {p.run_id} · {p.started_at:%Y-%m-%d}", p.health.get("missing_date"))
                            for p in parts
                        ],
                        fmt=lambda v: f"{v:.0%}",
                        top=1.0,
                    ),
                }
            )
        return found

    def _render(self, request: Request, name: str, code: int = 200, headers=None, **context: Any) -> Response:
        body = self.templates.get_template(name).render(
            archive=self.archive, path=request.url.path, **context
        )
        return HTMLResponse(body, status_code=code, headers={**SECURITY_HEADERS, **(headers or {})})

    def _json(self, data: Any, status: int = 200, headers=None) -> Response:
        return JSONResponse(data, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})

    def _query(self, request: Request) -> str:
        raw = request.query_params.get("q", "").strip()
        if len(raw) > self.limits.max_query:
            raise BadRequest(
                f"the query is {len(raw):,} characters long; at most {self.limits.max_query:,} are searched"
            )
        return raw

    def _filter(self, request: Request) -> queries.ArticleFilter:
        params = request.query_params
        language = params.get("language", "").strip().lower() or None
        if language is not None and not (language.isalpha() and len(language) <= 8):
            raise BadRequest(f"language {language[:20]!r} is not a language code (pt, en, fr, ...)")
        return queries.ArticleFilter(
            since=_date(params.get("since"), "since"),
            until=_date(params.get("until"), "until"),
            outlets=tuple(slug for slug in params.getlist("outlet") if slug),
            language=language,
            include_duplicates=params.get("duplicates") in ("1", "true", "on"),
            include_off_topic=params.get("off_topic") in ("1", "true", "on"),
            changed_since=_date(params.get("changed_since"), "changed_since"),
        )

    def _known_outlets(self, spec: queries.ArticleFilter, known) -> None:
        unknown = [slug for slug in spec.outlets if slug not in known]
        if unknown:
            raise BadRequest(f"no outlet {unknown[0][:64]!r} in this archive")

    def _limit(self, request: Request) -> int:
        limit = self._int(request.query_params.get("limit"), "limit", 100)
        if not 1 <= limit <= self.limits.api_max:
            raise BadRequest(f"limit must be between 1 and {self.limits.api_max}")
        return limit

    @staticmethod
    def _int(value: str | None, name: str, default):
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except ValueError:
            raise BadRequest(f"{name} must be a whole number, not {value[:20]!r}") from None
        if number < 0:
            raise BadRequest(f"{name} must not be negative")
        return number

    @staticmethod
    def _link(request: Request, **changes: Any) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
        params += [(k, str(v)) for k, v in changes.items()]
        return f"{request.url.path}?{urlencode(params)}"


def _record(article: Article, outlet: str) -> dict[str, Any]:
    """An article as the API gives it: the export's fields, so files and API agree."""
    row = {key: getattr(article, key, None) for key in FIELDS} | {"outlet": outlet}
    return {key: _iso(value) if isinstance(value, datetime) else value for key, value in row.items()}


def _summary(item: browse.Listed) -> dict[str, Any]:
    article = item.article
    return {
        "id": article.id,
        "outlet": item.outlet,
        "title": article.title,
        "url": article.url,
        "language": article.language,
        "published_at": _iso(article.published_at),
        "duplicate_of_id": article.duplicate_of_id,
        "story_id": article.story_id,
    }


def _version(version: queries.Version) -> dict[str, Any]:
    return {
        "version": version.version,
        "fetched_at": _iso(version.fetched_at),
        "title": version.title,
        "word_count": version.word_count,
        "published_at": _iso(version.published_at),
        "modified_at": _iso(version.modified_at),
        "text": version.text,
    }


def _run(part: RunHealth) -> dict[str, Any]:
    return {
        "run_id": part.run_id,
        "started_at": _iso(part.started_at),
        "status": part.status,
        "articles_new": part.articles_new,
        # Runs from before schema 0007 (or killed) recorded no health: every field, null.
        "health": dict.fromkeys(HEALTH_FIELDS) | part.health,
    }


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(
            f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time, not {value[:40]!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "undated"


def _day(value: datetime | date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else "undated"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _safe_href(url: str | None) -> str:
    """Only web links are links: a `javascript:` or `data:` URL from a hostile page is not."""
    return url if url and urlsplit(url).scheme in ("http", "https") else "#"


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _lead(text: str, width: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width].rsplit(" ", 1)[0] + "…"
