"""The `newsarchive` command. Exit status: 0 success, 1 runtime error, 2 usage error.

Errors are one line on stderr (`--debug` shows the traceback); data goes to stdout.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Engine, func, select

from crawler import __version__, settings
from crawler.export import FIELDS, FORMATS, ExportError, export
from db import migrate, queries
from db.models import Article
from db.search_query import QueryError
from db.session import ArchiveError, display_url, first_line, redact, session_factory

app = typer.Typer(
    name="newsarchive",
    help="Crawl news about AI infrastructure into a SQL archive; search and export it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Piped output is not cut to rich's default 80 columns: tables keep whole slugs and URLs.
out_console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)
_state = {"debug": bool(os.environ.get("NEWSARCHIVE_DEBUG"))}

DbOption = Annotated[
    str,
    typer.Option("--db", envvar="NEWSARCHIVE_DB", metavar="URL",
                 help="Database URL (sqlite:///file.db or postgresql+psycopg://user@host/db)."),
]


def _parse_when(value: Optional[str]) -> Optional[datetime]:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD or an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


SinceOption = Annotated[Optional[datetime], typer.Option(parser=_parse_when, metavar="DATE", help="Published at or after DATE (UTC unless the time has an offset).")]
UntilOption = Annotated[Optional[datetime], typer.Option(parser=_parse_when, metavar="DATE", help="Published before DATE.")]
OutletOption = Annotated[Optional[list[str]], typer.Option("--outlet", metavar="SLUG", help="Only this outlet (repeatable).")]
LanguageOption = Annotated[Optional[str], typer.Option(metavar="CODE", help="Only this ISO 639-1 language.")]
DuplicatesOption = Annotated[bool, typer.Option("--include-duplicates", help="Also copies of other articles.")]
OffTopicOption = Annotated[bool, typer.Option("--include-off-topic", help="Also articles not about AI infrastructure.")]


def make_filter(since, until, outlet, language, include_duplicates, include_off_topic) -> queries.ArticleFilter:
    return queries.ArticleFilter(
        since=since, until=until, outlets=tuple(outlet or ()), language=language,
        include_duplicates=include_duplicates, include_off_topic=include_off_topic,
    )


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, secrets removed, then exit with `code`."""
    err_console.print(f"newsarchive: error: {redact(message)}", markup=False, highlight=False)
    raise SystemExit(code)


def notice(message: str) -> None:
    err_console.print(message, markup=False, highlight=False)


def open_db(db: str) -> Engine:
    return migrate.open_database(db or settings.NEWSARCHIVE_DB, notify=notice)


def check_outlets(session, spec: queries.ArticleFilter) -> None:
    """A mistyped --outlet is a usage error, not an empty export written over a good one."""
    known = queries.outlet_slugs(session)
    unknown = [slug for slug in spec.outlets if slug not in known]
    if unknown:
        fail(f"no outlet {unknown[0]!r} in this archive (known: {', '.join(sorted(known)) or 'none yet'})", code=2)


def _version(value: bool) -> None:
    if value:
        out_console.print(f"newsarchive {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    _state["debug"] = _state["debug"] or debug


@db_app.command("upgrade")
def db_upgrade(db: DbOption = settings.NEWSARCHIVE_DB) -> None:
    """Migrate the database schema to the newest revision."""
    engine = migrate.make_engine(db)
    migrate.ensure_schema(engine)
    out_console.print(f"{display_url(engine.url)}: schema at {migrate.current_revision(engine)} (head)", markup=False)


@db_app.command("current")
def db_current(db: DbOption = settings.NEWSARCHIVE_DB) -> None:
    """Show the database's schema revision."""
    engine = migrate.make_engine(db)
    migrate.check_connection(engine)
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current is None:
        state = f"empty (no schema yet; head is {head})"
    elif current == head:
        state = f"{current} (head)"
    else:
        state = f"{current} (head is {head}: run `newsarchive db upgrade`)"
    out_console.print(f"{display_url(engine.url)}: {state}", markup=False)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", metavar="PATH", help="Directory (txt) or file (jsonl, csv, parquet).")],
    format: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")] = "txt",
    since: SinceOption = None,
    until: UntilOption = None,
    outlet: OutletOption = None,
    language: LanguageOption = None,
    include_duplicates: DuplicatesOption = False,
    include_off_topic: OffTopicOption = False,
    db: DbOption = settings.NEWSARCHIVE_DB,
) -> None:
    """Export articles: by default the relevant ones that are not copies of another."""
    if format not in FORMATS:
        fail(f"unknown export format {format!r}: choose one of {', '.join(FORMATS)}", code=2)
    spec = make_filter(since, until, outlet, language, include_duplicates, include_off_topic)
    engine = open_db(db)
    with session_factory(engine).begin() as session:
        check_outlets(session, spec)
        total = queries.count_articles(session, spec)
        rows = ({key: getattr(article, key, None) for key in FIELDS} | {"outlet": outlet_slug}
                for article, outlet_slug in queries.stream_articles(session, spec))
        with _progress(f"exporting {format}", total) as tick:
            try:
                written = export(rows, format, out, total, tick)
            except ExportError as exc:
                fail(str(exc))
            except OSError as exc:
                fail(f"cannot write {out}: {exc.strerror or exc}")
    notice(f"exported {written} articles to {out} ({format})")


class _progress:
    """A rich progress bar on stderr that hands out a tick() callable."""

    def __init__(self, label: str, total: int) -> None:
        self.bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=err_console, transient=True, disable=not err_console.is_terminal)
        self.task = self.bar.add_task(label, total=total)

    def __enter__(self):
        self.bar.start()
        return lambda steps=1: self.bar.advance(self.task, steps)

    def __exit__(self, *exc_info) -> None:
        self.bar.stop()


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help='Words (all must match), "exact phrases", -excluded, a OR b.')],
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many hits.")] = settings.NEWSARCHIVE_SEARCH_LIMIT,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit.")] = False,
    candidates: Annotated[int, typer.Option(min=0, help="Rank the newest N matches (0: all matches, slower).")] = settings.NEWSARCHIVE_SEARCH_CANDIDATES,
    since: SinceOption = None,
    until: UntilOption = None,
    outlet: OutletOption = None,
    language: LanguageOption = None,
    include_duplicates: DuplicatesOption = False,
    include_off_topic: OffTopicOption = False,
    db: DbOption = settings.NEWSARCHIVE_DB,
) -> None:
    """Ranked full-text search over titles and texts."""
    spec = make_filter(since, until, outlet, language, include_duplicates, include_off_topic)
    engine = open_db(db)
    with session_factory(engine).begin() as session:
        check_outlets(session, spec)
        try:
            hits = queries.search(session, query, spec, limit, candidates)
        except QueryError as exc:
            fail(str(exc), code=2)
    if as_json:
        for hit in hits:
            record = {"id": hit.article.id, "outlet": hit.outlet, "rank": hit.rank, "title": hit.article.title,
                      "url": hit.article.url, "published_at": _iso(hit.article.published_at), "snippet": hit.snippet}
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


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


@app.command("stats")
def stats_command(db: DbOption = settings.NEWSARCHIVE_DB) -> None:
    """Per outlet: articles, relevant, duplicates, and how its last crawl went."""
    engine = open_db(db)
    with session_factory(engine).begin() as session:
        rows = queries.outlet_stats(session)
    table = Table(title=f"newsarchive · {display_url(engine.url)}")
    for header in ("outlet", "articles", "relevant", "duplicates", "last crawl", "outcome", "new", "errors"):
        table.add_column(header, justify="left" if header in ("outlet", "last crawl", "outcome") else "right")
    for row in rows:
        last = row["last_crawl"].strftime("%Y-%m-%d %H:%M UTC") if row["last_crawl"] else "never"
        table.add_row(row["slug"], str(row["articles"]), str(row["relevant"]), str(row["duplicates"]), last,
                      row["last_status"] or "-", str(row["last_new"] or 0), str(row["last_errors"] or 0))
    out_console.print(table)


@app.command("dedup")
def dedup_command(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Recompute hashes, copies and stories over the whole archive.")] = False,
    set_: Annotated[Optional[list[str]], typer.Option("--set", "-s", metavar="NAME=VALUE",
                                                      help="Override a threshold of crawler/settings.py for this rebuild.")] = None,
    db: DbOption = settings.NEWSARCHIVE_DB,
) -> None:
    """How the archive deduplicates; with --rebuild, recompute it all first (after a threshold change)."""
    from db import dedup

    engine = open_db(db)
    overrides = _parse_overrides(set_ or [])
    config = dedup.DedupConfig.from_settings(lambda name: overrides.get(name, getattr(settings, name)))
    if rebuild:
        with session_factory(engine).begin() as session:
            total = session.scalar(select(func.count()).select_from(Article)) or 0
        with _progress("dedup", total) as tick, session_factory(engine, write=True).begin() as session:
            counts = dedup.rebuild(session, config, on_progress=tick)
        notice(f"rebuilt dedup over {counts['articles']} articles ({counts['rehashed']} rehashed)")
    _print_dedup_summary(engine)


OutletsFileOption = Annotated[Optional[Path], typer.Option("--outlets", metavar="FILE", help="Outlet registry (TOML); default: the shipped one.")]


@app.command("outlets")
def outlets_command(outlets_file: OutletsFileOption = None) -> None:
    """The outlet registry as a table."""
    config = _load_registry(outlets_file)
    table = Table(title=f"{len(config)} outlets")
    for header in ("slug", "name", "lang", "country", "feeds", "sitemaps", "listings"):
        table.add_column(header, no_wrap=header == "slug")
    for slug, outlet in config.items():
        table.add_row(slug, outlet.name, outlet.language or "", outlet.country or "", "\n".join(outlet.feeds),
                      "\n".join(outlet.sitemaps), "\n".join(outlet.listing_pages))
    out_console.print(table)


def _load_registry(outlets_file: Optional[Path]):
    from crawler import outlets as registry

    try:
        return registry.load(outlets_file)
    except registry.RegistryError as exc:
        fail(str(exc))


@app.command("crawl")
def crawl_command(
    outlets_file: OutletsFileOption = None,
    outlet: OutletOption = None,
    since: SinceOption = None,
    max_pages: Annotated[int, typer.Option(min=0, help="Article pages per outlet (0: no limit).")] = 0,
    verbose: Annotated[bool, typer.Option("--verbose", help="Scrapy's log on stderr.")] = False,
    set_: Annotated[Optional[list[str]], typer.Option("--set", "-s", metavar="NAME=VALUE",
                                                      help="Override a setting of crawler/settings.py (JSON values allowed).")] = None,
    warc: Annotated[Optional[Path], typer.Option("--warc", metavar="DIR", help="Also write every request and response to WARC files in DIR.")] = None,
    frontier: Annotated[Optional[str], typer.Option("--frontier", metavar="redis://HOST:PORT/DB", help="Share the request queue and duplicate filter with other workers through Redis.")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", metavar="DIR", help="Keep the request queue in DIR (Scrapy JOBDIR, one per outlet): a stopped backfill continues where it was.")] = None,
    db: DbOption = settings.NEWSARCHIVE_DB,
) -> None:
    """Crawl outlets into the archive, with live progress and a summary."""
    overrides = _parse_overrides(set_ or [])
    if warc is not None:
        overrides["NEWSARCHIVE_WARC_DIR"] = str(warc.resolve())
    if frontier is not None:
        if not frontier.startswith(("redis://", "rediss://", "unix://")):
            fail(f"--frontier takes a Redis URL (redis://HOST:6379/0), got {frontier!r}", code=2)
        overrides["NEWSARCHIVE_FRONTIER"] = frontier
    _crawl(db, outlets_file, outlet or [], since, max_pages, verbose, overrides, resume.resolve() if resume else None)


def _print_dedup_summary(engine: Engine) -> None:
    from db import dedup

    with session_factory(engine).begin() as session:
        found = dedup.summary(session)
    out_console.print(f"{found['articles']} articles: {found['copies']} copies of {found['originals_copied']} originals; "
                      f"{found['stories']} stories, {found['stories_linked']} of them told more than once"
                      + (f"; {found['unindexed']} not indexed yet (run `newsarchive dedup --rebuild`)" if found["unindexed"] else ""),
                      markup=False, highlight=False)


@app.command("schedule")
def schedule_command(
    outlets_file: OutletsFileOption = None,
    outlet: OutletOption = None,
    start_interval: Annotated[float, typer.Option(min=0.1, help="Seconds between an outlet's first two crawls.")] = settings.NEWSARCHIVE_SCHEDULE_START_INTERVAL,
    min_interval: Annotated[float, typer.Option(min=0.1, help="Shortest interval (seconds).")] = settings.NEWSARCHIVE_SCHEDULE_MIN_INTERVAL,
    max_interval: Annotated[float, typer.Option(min=0.1, help="Longest interval (seconds).")] = settings.NEWSARCHIVE_SCHEDULE_MAX_INTERVAL,
    tick: Annotated[float, typer.Option(min=0.05, help="Seconds between looks for due outlets.")] = settings.NEWSARCHIVE_SCHEDULE_TICK,
    rounds: Annotated[int, typer.Option(min=0, help="Stop after N crawls (0: run until SIGTERM/SIGINT).")] = 0,
    set_: Annotated[Optional[list[str]], typer.Option("--set", "-s", metavar="NAME=VALUE",
                                                      help="A setting for every crawl (passed to `newsarchive crawl -s`).")] = None,
    db: DbOption = settings.NEWSARCHIVE_DB,
) -> None:
    """Crawl each outlet at its own interval, adapted to how often it publishes, until SIGTERM/SIGINT."""
    from crawler import outlets as registry
    from crawler.schedule import Bounds, Scheduler

    engine = open_db(db)
    if min_interval > max_interval:
        fail(f"--min-interval {min_interval:g} is above --max-interval {max_interval:g}", code=2)
    _parse_overrides(set_ or [])  # refuse a malformed NAME=VALUE now, not in every crawl
    try:
        scheduler = Scheduler(engine, db, outlets_file, outlet or [], Bounds(start_interval, min_interval, max_interval), tick,
                              [arg for pair in set_ or [] for arg in ("-s", pair)], report=notice)
    except registry.RegistryError as exc:
        fail(str(exc))
    crawls = scheduler.run(rounds)
    notice(f"scheduler stopped after {crawls} crawl(s)")


@app.command("reextract")
def reextract_command(
    outlets_file: OutletsFileOption = None,
    warc_dir: Annotated[Optional[Path], typer.Option("--warc-dir", metavar="DIR", help="Where the WARC files are now, if they were moved.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", "-s", metavar="NAME=VALUE",
                                                      help="Override a setting of crawler/settings.py (JSON values allowed).")] = None,
    db: DbOption = settings.NEWSARCHIVE_DB,
) -> None:
    """Rebuild every captured article from its WARC record (no network): text, metadata, relevance, dedup."""
    from crawler import outlets as registry
    from crawler.process import Options
    from crawler.reextract import reextract
    from db import dedup

    try:
        zones = {slug: outlet.timezone for slug, outlet in registry.load(outlets_file).items()}
    except registry.RegistryError as exc:
        fail(str(exc))
    engine = open_db(db)
    overrides = _parse_overrides(set_ or [])

    def setting(name: str):
        return overrides.get(name, getattr(settings, name))

    options = Options(float(setting("NEWSARCHIVE_RELEVANCE_THRESHOLD")), int(setting("NEWSARCHIVE_MIN_WORDS")),
                      fast_extraction=bool(setting("NEWSARCHIVE_FAST_EXTRACTION")))
    with session_factory(engine).begin() as session:
        total = session.scalar(select(func.count()).where(Article.warc_file.is_not(None))) or 0
    _configure_logging(False)
    with _progress("reextract", total) as tick:
        counts = reextract(engine, options, dedup.DedupConfig.from_settings(setting), warc_dir,
                           int(setting("NEWSARCHIVE_EXTRACT_WORKERS")), on_progress=tick, zones=zones)
    notice(f"reextracted {counts['reextracted']} of {total} captured articles"
           + (f"; {counts['no_longer_article']} no longer pass as articles (rows kept)" if counts["no_longer_article"] else "")
           + (f"; {counts['capture_unreadable']} captures unreadable" if counts["capture_unreadable"] else "")
           + (f"; {counts['without_capture']} articles have no capture" if counts["without_capture"] else ""))
    _print_dedup_summary(engine)


def _parse_overrides(pairs: list[str]) -> dict:
    overrides = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.isidentifier():
            fail(f"--set takes NAME=VALUE, got {pair!r}", code=2)
        try:
            overrides[name] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[name] = raw
    return overrides


def _crawl(db: str, outlets_file, slugs, since, max_pages: int, verbose: bool, overrides: Optional[dict] = None,
           resume_dir: Optional[Path] = None):
    from crawler import outlets as registry
    from crawler.run import AlreadyRunning, run_crawl

    _configure_logging(verbose)
    live = _LiveProgress()
    try:
        with live:
            run_id, results = run_crawl(db, outlets_file, slugs, since, max_pages, overrides, on_progress=live.update,
                                        resume_dir=resume_dir)
    except registry.RegistryError as exc:
        fail(str(exc))
    except AlreadyRunning as exc:
        # Under cron or a systemd timer an overlapping run is normal, not a failure.
        notice(f"newsarchive: {exc}")
        raise typer.Exit(0) from None
    _print_summary(run_id, results)
    return results


def _configure_logging(verbose: bool) -> None:
    import logging

    from crawler.run import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    # On the handler, not the root logger: Scrapy resets the root logger's level. Without --verbose,
    # our own warnings (a database retry) show, Scrapy's only from ERROR up.
    handler.setLevel(logging.INFO if verbose or _state["debug"] else logging.WARNING)
    if not (verbose or _state["debug"]):
        handler.addFilter(lambda record: record.levelno >= logging.ERROR or record.name.startswith(("crawler", "db")))
    logging.getLogger().handlers[:] = [handler]


class _LiveProgress:
    """A per-outlet table refreshed while the crawl runs (on a terminal only)."""

    def __init__(self) -> None:
        from rich.live import Live

        self.live = Live(console=err_console, refresh_per_second=4, transient=True) if err_console.is_terminal else None

    def __enter__(self):
        if self.live:
            self.live.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.live:
            self.live.stop()

    def update(self, rows) -> None:
        if self.live:
            self.live.update(_outlet_table("crawling…", rows))


def _outlet_table(title: str, rows) -> Table:
    table = Table(title=title)
    for header in ("outlet", "status", "pages", "articles", "duplicates", "off-topic", "errors"):
        table.add_column(header, justify="left" if header in ("outlet", "status") else "right", no_wrap=True)
    for row in rows:
        table.add_row(row.slug, row.status, str(row.pages), str(row.articles), str(row.duplicates),
                      str(row.off_topic), str(row.errors))
    return table


def _print_summary(run_id: int, results) -> None:
    out_console.print(_outlet_table(f"crawl run {run_id}", results))
    for row in results:
        if row.message:
            out_console.print(f"{row.slug}: {row.status}: {row.message}", markup=False, highlight=False)


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Where the demo export goes.")] = Path("demo-export"),
    db: DbOption = settings.NEWSARCHIVE_DB,
) -> None:
    """Serve a sample outlet on loopback, crawl it, then show a search and an export."""
    import tempfile

    from crawler.demo import DEMO_BASE, crawl_overrides, registry_toml, start_demo_server

    server = start_demo_server()
    notice(f"demo outlet {DEMO_BASE} served on {server.url}")
    with tempfile.TemporaryDirectory() as scratch:
        registry_file = Path(scratch) / "outlets.toml"
        registry_file.write_text(registry_toml(DEMO_BASE), encoding="utf-8")
        _crawl(db, registry_file, ["demo"], None, 0, False, crawl_overrides(server))
    server.shutdown()
    out_console.print("\n[bold]newsarchive search 'data center OR gpu' --limit 3[/bold]")
    search_command("data center OR gpu", limit=3, db=db)
    out_console.print(f"\n[bold]newsarchive export --out {out}[/bold]", highlight=False)
    export_command(out=out, db=db)


@app.command("extract")
def extract_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Saved HTML pages (plain or .gz).")],
    url: Annotated[Optional[str], typer.Option(help="The page's address, when the file does not say it.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file instead of the clean text.")] = False,
) -> None:
    """Run the crawl's extraction, cleaning and classification on saved pages."""
    from crawler.process import Options, Page, process_page

    options = Options(settings.NEWSARCHIVE_RELEVANCE_THRESHOLD, settings.NEWSARCHIVE_MIN_WORDS,
                      fast_extraction=settings.NEWSARCHIVE_FAST_EXTRACTION)
    failed = 0
    for path in files:
        try:
            body = _read_page(path)
        except OSError as exc:
            err_console.print(f"newsarchive: error: cannot read {path}: {exc.strerror or exc}", markup=False)
            failed += 1
            continue
        page_url = url or _url_in_page(body) or path.resolve().as_uri()
        processed = process_page(Page(page_url, body, None, outlet_id=0), options)
        if as_json:
            out_console.print(json.dumps(_extract_record(path, processed), ensure_ascii=False), markup=False, highlight=False)
        elif processed.record is None:
            err_console.print(f"{path}: not an article ({processed.message})", markup=False)
        else:
            out_console.print(processed.record["text"], markup=False, highlight=False)
    if failed:
        raise SystemExit(1)


def _read_page(path: Path) -> bytes:
    import gzip

    body = path.read_bytes()
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def _url_in_page(body: bytes) -> Optional[str]:
    """A saved page often names itself: rel=canonical or og:url."""
    import re

    found = re.search(rb'<link[^>]+rel=["\']canonical["\'][^>]*href=["\']([^"\']+)|<meta[^>]+property=["\']og:url["\'][^>]*content=["\']([^"\']+)', body[:200_000])
    return next((g.decode("utf-8", "replace") for g in found.groups() if g), None) if found else None


def _extract_record(path: Path, processed) -> dict:
    record = processed.record or {}
    fields = ("text", "title", "authors", "published_at", "modified_at", "language", "description", "source_url",
              "is_relevant", "topic_score", "topic_terms")
    result = {"path": str(path), "outcome": processed.outcome, "message": processed.message}
    result.update({key: _iso(record[key]) if key.endswith("_at") else record.get(key) for key in fields} if record else dict.fromkeys(fields))
    return result


def main() -> None:
    try:
        app()
    except ArchiveError as exc:
        if _state["debug"]:
            raise
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into one line
        if _state["debug"]:
            raise
        fail(f"{type(exc).__name__}: {first_line(exc)}")


if __name__ == "__main__":
    main()
