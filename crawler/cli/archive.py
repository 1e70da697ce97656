"""Commands over the archive's contents: search, export, stats, dedup."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from sqlalchemy import Engine, func, select

from crawler import settings
from crawler.cli.common import (
    DbOption,
    DuplicatesOption,
    LanguageOption,
    OffTopicOption,
    OutletOption,
    SetOption,
    SinceOption,
    UntilOption,
    app,
    check_outlets,
    fail,
    iso,
    make_filter,
    notice,
    open_db,
    out_console,
    parse_when,
    progress_bar,
    settings_of,
)
from crawler.operations.export import FIELDS, FORMATS, ExportError, export
from crawler.operations.history import word_changes
from db import queries
from db.models import Article
from db.search_query import QueryError
from db.session import display_url, session_factory


@app.command("export")
def export_command(
    out: Annotated[
        Path, typer.Option("--out", metavar="PATH", help="Directory (txt) or file (jsonl, csv, parquet).")
    ],
    format: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")] = "txt",
    since: SinceOption = None,
    until: UntilOption = None,
    outlet: OutletOption = None,
    language: LanguageOption = None,
    include_duplicates: DuplicatesOption = False,
    include_off_topic: OffTopicOption = False,
    after_id: Annotated[
        Optional[int],
        typer.Option(
            min=0, metavar="N", help="Only articles stored after article N (a nightly job's resume point)."
        ),
    ] = None,
    include_versions: Annotated[
        bool,
        typer.Option("--include-versions", help="jsonl: each article's earlier versions, in `versions`."),
    ] = False,
    changed_since: Annotated[
        Optional[datetime],
        typer.Option(
            parser=parse_when, metavar="TIME", help="Only articles added or changed since TIME (updated_at)."
        ),
    ] = None,
    db: DbOption = "",
) -> None:
    """Export articles: by default the relevant ones that are not copies of another. Says where a
    next, incremental export resumes (--after-id, --changed-since)."""
    if format not in FORMATS:
        fail(f"unknown export format {format!r}: choose one of {', '.join(FORMATS)}", code=2)
    if include_versions and format != "jsonl":
        fail("--include-versions needs --format jsonl (versions are a list per article)", code=2)
    spec = replace(
        make_filter(since, until, outlet, language, include_duplicates, include_off_topic),
        after_id=after_id,
        changed_since=changed_since,
    )
    engine = open_db(db, create=False)
    started = datetime.now(timezone.utc)  # changes from now on are the next export's
    newest = [after_id or 0]
    with session_factory(engine).begin() as session:
        check_outlets(session, spec)
        total = queries.count_articles(session, spec)

        def rows():
            for article, outlet_slug in queries.stream_articles(session, spec):
                newest[0] = max(newest[0], article.id)
                row = {key: getattr(article, key, None) for key in FIELDS} | {"outlet": outlet_slug}
                if include_versions:
                    row["versions"] = queries.earlier_versions(session, [article.id]).get(article.id, [])
                yield row

        with progress_bar(f"exporting {format}", total) as tick:
            try:
                written = export(rows(), format, out, total, tick)
            except ExportError as exc:  # an --out that is not this exporter's to replace: typed wrong
                fail(str(exc), code=2)
            except OSError as exc:
                fail(f"cannot write {out}: {exc.strerror or exc}")
    notice(f"exported {written} articles to {out} ({format})")
    notice(f"resume with: --after-id {newest[0]} (new articles) or --changed-since {started.isoformat()}")


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help='Words (all must match), "exact phrases", -excluded, a OR b.')],
    limit: Annotated[
        int, typer.Option(min=1, max=10_000, metavar="N", help="How many hits.")
    ] = settings.NEWSARCHIVE_SEARCH_LIMIT,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit.")] = False,
    candidates: Annotated[
        int, typer.Option(min=0, metavar="N", help="Rank the newest N matches (0: all matches, slower).")
    ] = settings.NEWSARCHIVE_SEARCH_CANDIDATES,
    since: SinceOption = None,
    until: UntilOption = None,
    outlet: OutletOption = None,
    language: LanguageOption = None,
    include_duplicates: DuplicatesOption = False,
    include_off_topic: OffTopicOption = False,
    db: DbOption = "",
) -> None:
    """Ranked full-text search over titles and texts."""
    spec = make_filter(since, until, outlet, language, include_duplicates, include_off_topic)
    engine = open_db(db, create=False)
    with session_factory(engine).begin() as session:
        check_outlets(session, spec)
        try:
            hits = queries.search(session, query, spec, limit, candidates)
        except QueryError as exc:
            fail(str(exc), code=2)
    if as_json:
        for hit in hits:
            record = {
                "id": hit.article.id,
                "outlet": hit.outlet,
                "rank": hit.rank,
                "title": hit.article.title,
                "url": hit.article.url,
                "published_at": iso(hit.article.published_at),
                "snippet": hit.snippet,
            }
            out_console.print(json.dumps(record, ensure_ascii=False), markup=False, highlight=False)
        return
    if not hits:
        notice(f"no articles match {query!r}")
        return
    for hit in hits:
        date = hit.article.published_at.date().isoformat() if hit.article.published_at else "undated"
        out_console.print(f"[bold]{hit.article.title or '(untitled)'}[/bold]", highlight=False)
        out_console.print(f"  {date} · {hit.outlet} · {hit.article.url}", markup=False, highlight=False)
        out_console.print(f"  {hit.snippet}", markup=False, highlight=False)


@app.command("health")
def health_command(
    outlet: OutletOption = None,
    runs: Annotated[int, typer.Option(min=2, metavar="N", help="Runs per outlet to compare.")] = 5,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when an outlet is flagged (cron, monitoring).")
    ] = False,
    db: DbOption = "",
) -> None:
    """Each outlet's recent runs side by side, with the drift that says its layout or sources changed."""
    from crawler.operations.health import drift, history

    engine = open_db(db, create=False)
    spec = make_filter(None, None, outlet, None, False, False)
    flagged = 0
    with session_factory(engine).begin() as session:
        check_outlets(session, spec)
        slugs = list(spec.outlets) or sorted(queries.outlet_slugs(session))
        histories = {slug: history(session, slug, runs) for slug in slugs}
    for slug, parts in histories.items():
        if not parts:
            continue
        table = Table(title=f"{slug} · last {len(parts)} runs", title_justify="left")
        for header in (
            "run",
            "started",
            "status",
            "new",
            "no date",
            "no author",
            "median words",
            "not article",
            "errors",
            "HTTP",
        ):
            table.add_column(header, justify="left" if header in ("started", "status", "HTTP") else "right")
        for part in parts:
            h = part.health
            table.add_row(
                str(part.run_id),
                f"{part.started_at:%Y-%m-%d %H:%M}",
                part.status,
                str(part.articles_new),
                _share(h.get("missing_date")),
                _share(h.get("missing_author")),
                "-" if h.get("median_words") is None else f"{h['median_words']:g}",
                _share(h.get("not_article")),
                _share(h.get("errors")),
                " ".join(f"{code}×{count}" for code, count in sorted((h.get("statuses") or {}).items())),
            )
        out_console.print(table)
        flags = drift(parts)
        flagged += bool(flags)
        out_console.print(
            f"{slug}: " + ("; ".join(flags) if flags else "steady"), markup=False, highlight=False
        )
    if check and flagged:
        raise typer.Exit(1)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@app.command("history")
def history_command(
    url: Annotated[str, typer.Argument(metavar="URL", help="The article's URL (as fetched or canonical).")],
    db: DbOption = "",
) -> None:
    """Every version of an article, oldest first, with a word-level diff between consecutive ones."""
    engine = open_db(db, create=False)
    with session_factory(engine).begin() as session:
        found = queries.versions(session, url)
    if found is None:
        fail(f"no article at {url} in this archive")
    previous = None
    for version in found:
        out_console.print(
            f"v{version.version} · {version.fetched_at:%Y-%m-%d %H:%M} UTC · {version.word_count} words · "
            f"{version.title or '(untitled)'}",
            markup=False,
            highlight=False,
        )
        if previous is not None:
            if (previous.title or "") != (version.title or ""):
                out_console.print(
                    f"  title: {previous.title!r} -> {version.title!r}", markup=False, highlight=False
                )
            for change in word_changes(previous.text, version.text):
                out_console.print(f"  {change.line()}", markup=False, highlight=False)
        previous = version


@app.command("stats")
def stats_command(db: DbOption = "") -> None:
    """Per outlet: articles, relevant, duplicates, and how its last crawl went."""
    engine = open_db(db, create=False)
    with session_factory(engine).begin() as session:
        rows = queries.outlet_stats(session)
    table = Table(title=f"newsarchive · {display_url(engine.url)}")
    for header in ("outlet", "articles", "relevant", "duplicates", "last crawl", "outcome", "new", "errors"):
        table.add_column(header, justify="left" if header in ("outlet", "last crawl", "outcome") else "right")
    for row in rows:
        last = row["last_crawl"].strftime("%Y-%m-%d %H:%M UTC") if row["last_crawl"] else "never"
        table.add_row(
            row["slug"],
            str(row["articles"]),
            str(row["relevant"]),
            str(row["duplicates"]),
            last,
            row["last_status"] or "-",
            str(row["last_new"] or 0),
            str(row["last_errors"] or 0),
        )
    out_console.print(table)


@app.command("dedup")
def dedup_command(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Recompute hashes, copies and stories over the whole archive.")
    ] = False,
    set_: SetOption = None,
    db: DbOption = "",
) -> None:
    """How the archive deduplicates; with --rebuild, recompute it all first (after a threshold change)."""
    from db import dedup

    engine = open_db(db, create=False)
    config = dedup.DedupConfig.from_settings(settings_of(set_))
    if rebuild:
        with session_factory(engine).begin() as session:
            total = session.scalar(select(func.count()).select_from(Article)) or 0
        with progress_bar("dedup", total) as tick, session_factory(engine, write=True).begin() as session:
            counts = dedup.rebuild(session, config, on_progress=tick)
        notice(f"rebuilt dedup over {counts['articles']} articles ({counts['rehashed']} rehashed)")
    print_dedup_summary(engine)


def print_dedup_summary(engine: Engine) -> None:
    from db import dedup

    with session_factory(engine).begin() as session:
        found = dedup.summary(session)
    out_console.print(
        f"{found['articles']} articles: {found['copies']} copies of {found['originals_copied']} originals; "
        f"{found['stories']} stories, {found['stories_linked']} of them told more than once"
        + (
            f"; {found['unindexed']} not indexed yet (run `newsarchive dedup --rebuild`)"
            if found["unindexed"]
            else ""
        ),
        markup=False,
        highlight=False,
    )
