"""Commands that fetch or rebuild articles: crawl, schedule, reextract, demo."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table
from sqlalchemy import func, select

from crawler import settings
from crawler.cli.archive import export_command, print_dedup_summary, search_command
from crawler.cli.common import (
    DbOption,
    LogFileOption,
    OutletOption,
    OutletsFileOption,
    SetOption,
    SinceOption,
    UntilOption,
    app,
    configure_logging,
    err_console,
    fail,
    load_registry,
    notice,
    open_db,
    out_console,
    overrides_of,
    progress_bar,
    settings_of,
)
from db.models import Article
from db.runs import OutletResult
from db.session import session_factory


@app.command("crawl")
def crawl_command(
    outlets_file: OutletsFileOption = None,
    outlet: OutletOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    max_pages: Annotated[
        int, typer.Option(min=0, metavar="N", help="Article pages per outlet (0: no limit).")
    ] = 0,
    verbose: Annotated[bool, typer.Option("--verbose", help="Also show the full log on stderr.")] = False,
    log_file: LogFileOption = None,
    set_: SetOption = None,
    warc: Annotated[
        Optional[Path],
        typer.Option(
            "--warc", metavar="DIR", help="Also write every request and response to WARC files in DIR."
        ),
    ] = None,
    frontier: Annotated[
        Optional[str],
        typer.Option(
            "--frontier",
            metavar="redis://HOST:PORT/DB",
            help="Share the request queue and duplicate filter with other workers through Redis.",
        ),
    ] = None,
    resume: Annotated[
        Optional[Path],
        typer.Option(
            "--resume",
            metavar="DIR",
            help="Keep the request queue in DIR (Scrapy JOBDIR, one per outlet): "
            "a stopped backfill continues where it was.",
        ),
    ] = None,
    db: DbOption = "",
) -> None:
    """Crawl outlets into the archive, with live progress and a summary."""
    if since and until and until <= since:
        fail(f"--until {until.isoformat()} is not after --since {since.isoformat()}", code=2)
    # A bad setting, in -s or the environment, is refused before anything starts.
    configured = settings_of(set_)
    overrides = overrides_of(set_)
    if warc is not None:
        overrides["NEWSARCHIVE_WARC_DIR"] = str(warc.resolve())
    if frontier is not None:
        if not frontier.startswith(("redis://", "rediss://", "unix://")):
            fail(f"--frontier takes a Redis URL (redis://HOST:6379/0), got {frontier!r}", code=2)
        overrides["NEWSARCHIVE_FRONTIER"] = frontier
    _check_outlets(outlets_file, outlet or [])
    open_db(db)  # creates or upgrades the archive, saying so
    log = configure_logging("crawl", db, verbose, log_file, configured)
    _crawl(
        db,
        outlets_file,
        outlet or [],
        since,
        max_pages,
        overrides,
        resume.resolve() if resume else None,
        until,
    )
    notice(f"log: {log}")


@app.command("schedule")
def schedule_command(
    outlets_file: OutletsFileOption = None,
    outlet: OutletOption = None,
    start_interval: Annotated[
        float, typer.Option(min=0.1, metavar="SECONDS", help="Seconds between an outlet's first two crawls.")
    ] = settings.NEWSARCHIVE_SCHEDULE_START_INTERVAL,
    min_interval: Annotated[
        float, typer.Option(min=0.1, metavar="SECONDS", help="Shortest interval (seconds).")
    ] = settings.NEWSARCHIVE_SCHEDULE_MIN_INTERVAL,
    max_interval: Annotated[
        float, typer.Option(min=0.1, metavar="SECONDS", help="Longest interval (seconds).")
    ] = settings.NEWSARCHIVE_SCHEDULE_MAX_INTERVAL,
    tick: Annotated[
        float, typer.Option(min=0.05, metavar="SECONDS", help="Seconds between looks for due outlets.")
    ] = settings.NEWSARCHIVE_SCHEDULE_TICK,
    rounds: Annotated[
        int, typer.Option(min=0, metavar="N", help="Stop after N crawls (0: run until SIGTERM/SIGINT).")
    ] = 0,
    log_file: LogFileOption = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option(
            "--set",
            "-s",
            metavar="NAME=VALUE",
            help="A setting for every crawl (passed to `newsarchive crawl -s`).",
        ),
    ] = None,
    db: DbOption = "",
) -> None:
    """Crawl each outlet at its own interval, adapted to how often it publishes, until SIGTERM/SIGINT."""
    from crawler import outlets as registry
    from crawler.operations.schedule import Bounds, Scheduler

    if min_interval > max_interval:
        fail(f"--min-interval {min_interval:g} is above --max-interval {max_interval:g}", code=2)
    configured = settings_of(set_)  # refuse a bad setting (in -s or the environment) now, not in every crawl
    engine = open_db(db)
    notice(f"log: {configure_logging('schedule', db, False, log_file, configured)}")
    try:
        scheduler = Scheduler(
            engine,
            db,
            outlets_file,
            outlet or [],
            Bounds(start_interval, min_interval, max_interval),
            tick,
            [arg for pair in set_ or [] for arg in ("-s", pair)],
            report=notice,
            show=lambda summary: out_console.print(summary, markup=False, highlight=False),
        )
    except registry.RegistryError as exc:
        fail(str(exc), code=2)
    crawls = scheduler.run(rounds)
    notice(f"scheduler stopped after {crawls} crawl(s)")


@app.command("reextract")
def reextract_command(
    outlets_file: OutletsFileOption = None,
    warc_dir: Annotated[
        Optional[Path],
        typer.Option("--warc-dir", metavar="DIR", help="Where the WARC files are now, if they were moved."),
    ] = None,
    set_: SetOption = None,
    log_file: LogFileOption = None,
    db: DbOption = "",
) -> None:
    """Rebuild every captured article from its WARC record (no network): text, metadata, relevance, dedup."""
    from crawler.operations.reextract import reextract

    outlets = load_registry(outlets_file)
    configured = settings_of(set_)
    engine = open_db(db, create=False)
    with session_factory(engine).begin() as session:
        total = session.scalar(select(func.count()).where(Article.warc_file.is_not(None))) or 0
    log = configure_logging("reextract", db, False, log_file, configured)
    with progress_bar("reextract", total) as tick:
        counts = reextract(engine, configured, outlets, warc_dir, on_progress=tick)
    notice(
        f"reextracted {counts['reextracted']} of {total} captured articles"
        + (
            f"; {counts['no_longer_article']} no longer pass as articles (rows kept)"
            if counts["no_longer_article"]
            else ""
        )
        + (f"; {counts['capture_unreadable']} captures unreadable" if counts["capture_unreadable"] else "")
        + (f"; {counts['without_capture']} articles have no capture" if counts["without_capture"] else "")
    )
    print_dedup_summary(engine)
    notice(f"log: {log}")


def _check_outlets(outlets_file: Optional[Path], slugs: list[str]) -> None:
    """A registry that does not validate, or an unknown --outlet, is refused before anything starts."""
    from crawler import outlets as registry
    from crawler.operations.run import select_outlets

    try:
        select_outlets(outlets_file, slugs)
    except registry.RegistryError as exc:
        fail(str(exc), code=2)


def _crawl(
    db: str,
    outlets_file: Optional[Path],
    slugs: list[str],
    since: Optional[datetime],
    max_pages: int,
    overrides: dict[str, Any],
    resume_dir: Optional[Path] = None,
    until: Optional[datetime] = None,
) -> list[OutletResult]:
    from crawler import outlets as registry
    from crawler.operations.run import AlreadyRunning, run_crawl

    live = _LiveProgress()
    try:
        with live:
            run_id, results = run_crawl(
                db,
                outlets_file,
                slugs,
                since,
                max_pages,
                overrides,
                on_progress=live.update,
                resume_dir=resume_dir,
                until=until,
            )
    except registry.RegistryError as exc:
        fail(str(exc), code=2)
    except AlreadyRunning as exc:
        # Under cron or a systemd timer an overlapping run is normal, not a failure.
        notice(f"newsarchive: {exc}")
        return []
    _print_summary(run_id, results)
    return results


class _LiveProgress:
    """A per-outlet table refreshed while the crawl runs (on a terminal only)."""

    def __init__(self) -> None:
        from rich.live import Live

        self.live = (
            Live(console=err_console, refresh_per_second=4, transient=True)
            if err_console.is_terminal
            else None
        )

    def __enter__(self):
        if self.live:
            self.live.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.live:
            self.live.stop()

    def update(self, rows: list[OutletResult]) -> None:
        if self.live:
            self.live.update(_outlet_table("crawling…", rows))


def _outlet_table(title: str, rows: list[OutletResult]) -> Table:
    table = Table(title=title)
    for header in ("outlet", "status", "pages", "articles", "duplicates", "off-topic", "errors"):
        table.add_column(header, justify="left" if header in ("outlet", "status") else "right", no_wrap=True)
    for row in rows:
        table.add_row(
            row.slug,
            row.status,
            str(row.pages),
            str(row.articles_new),
            str(row.duplicates),
            str(row.off_topic),
            str(row.errors),
        )
    return table


def _print_summary(run_id: int, results: list[OutletResult]) -> None:
    out_console.print(_outlet_table(f"crawl run {run_id}", results))
    for row in results:
        if row.message:
            out_console.print(f"{row.slug}: {row.status}: {row.message}", markup=False, highlight=False)


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Where the demo export goes.")] = Path(
        "demo-export"
    ),
    db: DbOption = "",
) -> None:
    """Serve a sample outlet on loopback, crawl it, then show a search and an export."""
    from crawler.devsite.demo import (
        DEMO_BASE,
        DEMO_OUTLETS,
        PARTNER_BASE,
        crawl_overrides,
        registry_toml,
        start_demo_server,
    )

    server = start_demo_server()
    notice(f"demo outlets {DEMO_BASE} and {PARTNER_BASE} served on {server.url}")
    with tempfile.TemporaryDirectory() as scratch:
        registry_file = Path(scratch) / "outlets.toml"
        registry_file.write_text(registry_toml(DEMO_BASE, PARTNER_BASE), encoding="utf-8")
        open_db(db)
        log = configure_logging("demo", db, False, None, settings_of(None))
        _crawl(db, registry_file, DEMO_OUTLETS, None, 0, crawl_overrides(server))
    server.shutdown()
    out_console.print("\n[bold]newsarchive search 'data center OR gpu' --limit 3[/bold]")
    search_command("data center OR gpu", limit=3, db=db)
    out_console.print(f"\n[bold]newsarchive export --out {out}[/bold]", highlight=False)
    export_command(out=out, db=db)
    notice(f"log: {log}")
