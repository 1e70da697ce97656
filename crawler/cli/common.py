"""What every `newsarchive` command shares: the app, the consoles, one-line errors, common options.

Exit status: 0 success, 1 runtime error, 2 usage error. Errors are one line on stderr (`--debug`
shows the traceback); data goes to stdout.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from scrapy.settings import Settings
from sqlalchemy import Engine

from crawler import __version__, settings
from crawler.config import SettingError, load_settings, parse_overrides
from db import migrate, queries
from db.session import display_url, redact

app = typer.Typer(
    name="newsarchive",
    help="Crawl news about AI infrastructure into a SQL archive; search and export it.",
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help (rich panels cut long values at 80 columns and label every flag `<bool>`).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)

out_console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)
state: dict[str, Any] = {
    "debug": os.environ.get("NEWSARCHIVE_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"),
    # The root's --db (or NEWSARCHIVE_DB); a command's own --db wins over it.
    "db": os.environ.get("NEWSARCHIVE_DB") or settings.NEWSARCHIVE_DB,
}


def _database(value: Optional[str]) -> str:
    return value or state["db"]


DB_HELP = "Database URL (sqlite:///file.db or postgresql+psycopg://user@host/db)"
DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        metavar="URL",
        callback=_database,
        show_default=False,
        help=f"{DB_HELP}; also accepted before the command. Default: $NEWSARCHIVE_DB, else sqlite:///archive.db.",
    ),
]


def parse_when(value: Optional[str]) -> Optional[datetime]:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD or an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


SinceOption = Annotated[
    Optional[datetime],
    typer.Option(
        parser=parse_when,
        metavar="DATE",
        help="Published at or after DATE (UTC unless the time has an offset).",
    ),
]
UntilOption = Annotated[
    Optional[datetime], typer.Option(parser=parse_when, metavar="DATE", help="Published before DATE.")
]
OutletOption = Annotated[
    Optional[list[str]], typer.Option("--outlet", metavar="SLUG", help="Only this outlet (repeatable).")
]
LanguageOption = Annotated[Optional[str], typer.Option(metavar="CODE", help="Only this ISO 639-1 language.")]
DuplicatesOption = Annotated[
    bool, typer.Option("--include-duplicates", help="Also copies of other articles.")
]
OffTopicOption = Annotated[
    bool, typer.Option("--include-off-topic", help="Also articles not about AI infrastructure.")
]


def make_filter(
    since, until, outlet, language, include_duplicates, include_off_topic
) -> queries.ArticleFilter:
    return queries.ArticleFilter(
        since=since,
        until=until,
        outlets=tuple(outlet or ()),
        language=language,
        include_duplicates=include_duplicates,
        include_off_topic=include_off_topic,
    )


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, secrets removed, then exit with `code`."""
    err_console.print(f"newsarchive: error: {redact(message)}", markup=False, highlight=False)
    raise SystemExit(code)


def notice(message: str) -> None:
    err_console.print(message, markup=False, highlight=False)


def open_db(db: str, create: bool = True, upgrade: bool = True) -> Engine:
    """The archive at `db`, migrated to the newest schema (saying so). Commands that only read it
    (create=False) refuse a SQLite path that does not exist, or a database without the schema,
    instead of creating an empty archive; upgrade=False leaves an older schema as it is."""
    db = db or state["db"]
    if not create:
        if path := migrate.missing_file(db):
            fail(f"no archive at {path} (`newsarchive crawl` or `newsarchive demo` creates one)")
        engine = migrate.make_engine(db)
        migrate.check_connection(engine)
        if migrate.current_revision(engine) is None:
            fail(f"no archive in {display_url(engine.url)} yet (`newsarchive db upgrade` creates its schema)")
        if not upgrade:
            return engine
    return migrate.open_database(db, notify=notice)


def check_outlets(session, spec: queries.ArticleFilter) -> None:
    """A mistyped --outlet is a usage error, not an empty export written over a good one."""
    known = queries.outlet_slugs(session)
    unknown = [slug for slug in spec.outlets if slug not in known]
    if unknown:
        fail(
            f"no outlet {unknown[0]!r} in this archive (known: {', '.join(sorted(known)) or 'none yet'})",
            code=2,
        )


def _version(value: bool) -> None:
    if value:
        out_console.print(f"newsarchive {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: Annotated[
        str, typer.Option("--db", envvar="NEWSARCHIVE_DB", metavar="URL", help=f"{DB_HELP}.")
    ] = settings.NEWSARCHIVE_DB,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    state["debug"] = state["debug"] or debug
    state["db"] = db
    show_help_without_command(ctx)


def show_help_without_command(ctx: typer.Context) -> None:
    """A bare `newsarchive` (or `newsarchive db`) prints its help and exits 2, as a usage error."""
    if ctx.invoked_subcommand is None:
        out_console.print(ctx.get_help(), markup=False, highlight=False)
        raise typer.Exit(2)


SetOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--set",
        "-s",
        metavar="NAME=VALUE",
        help="Override a setting of crawler/settings.py (JSON values allowed).",
    ),
]
OutletsFileOption = Annotated[
    Optional[Path],
    typer.Option("--outlets", metavar="FILE", help="Outlet registry (TOML); default: the shipped one."),
]


def overrides_of(pairs: Optional[list[str]]) -> dict[str, Any]:
    """`--set NAME=VALUE` pairs; a malformed one is a usage error."""
    try:
        return parse_overrides(pairs or [])
    except SettingError as exc:
        fail(str(exc), code=2)


def settings_of(pairs: Optional[list[str]]) -> Settings:
    """crawler/settings.py, the NEWSARCHIVE_* environment and the user's `--set` overrides: what
    every command configures from. A bad name or value anywhere is a usage error."""
    try:
        return load_settings(overrides_of(pairs))
    except SettingError as exc:
        fail(str(exc), code=2)


def load_registry(outlets_file: Optional[Path]) -> dict[str, Any]:
    from crawler import outlets as registry

    try:
        return registry.load(outlets_file)
    except registry.RegistryError as exc:
        fail(str(exc), code=2)


class progress_bar:
    """A rich progress bar on stderr that hands out a tick() callable."""

    def __init__(self, label: str, total: int) -> None:
        self.bar = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        )
        self.task = self.bar.add_task(label, total=total)

    def __enter__(self):
        self.bar.start()
        return lambda steps=1: self.bar.advance(self.task, steps)

    def __exit__(self, *exc_info) -> None:
        self.bar.stop()


LogFileOption = Annotated[
    Optional[Path],
    typer.Option(
        "--log-file",
        metavar="FILE",
        help="Where this run's full log goes (default: a new file in the archive's state directory, "
        "<archive>-state/logs/ beside a SQLite file, else $XDG_STATE_HOME/newsarchive/logs/).",
    ),
]


def configure_logging(
    command: str, db: str, verbose: bool, log_file: Optional[Path], configured: Settings
) -> Path:
    """Every record goes to the run's log file. The terminal gets, without --verbose, only our own
    warnings about the run as a whole (a database retry, a busy outlet): Scrapy's and Twisted's
    records, tracebacks and per-page failures stay in the file, and the summary counts them."""
    from crawler.operations.run import RedactingFilter

    path = log_file or _new_log_path(command, db, configured.getint("NEWSARCHIVE_LOGS_KEPT"))
    path.parent.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setLevel(logging.DEBUG if state["debug"] else logging.INFO)
    to_terminal = logging.StreamHandler(sys.stderr)
    # On the handlers, not the root logger: Scrapy resets the root logger's level.
    to_terminal.setLevel(logging.INFO if verbose or state["debug"] else logging.WARNING)
    if not (verbose or state["debug"]):
        to_terminal.addFilter(
            lambda record: (
                record.name.startswith(("crawler", "db")) and not getattr(record, "per_page", False)
            )
        )
    for handler in (to_file, to_terminal):
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
    logging.getLogger().handlers[:] = [to_file, to_terminal]
    logging.captureWarnings(True)
    return path


def _new_log_path(command: str, db: str, kept: int) -> Path:
    from db.session import parse_url, state_dir

    directory = state_dir(parse_url(db)) / "logs"
    if kept > 0 and directory.is_dir():
        earlier = sorted(directory.glob(f"{command}-*.log"))  # the UTC stamp in the name sorts by age
        for stale in earlier[: max(len(earlier) - (kept - 1), 0)]:
            stale.unlink(missing_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return directory / f"{command}-{stamp}-{os.getpid()}.log"


def iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None
