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
from db.session import redact

app = typer.Typer(
    name="newsarchive",
    help="Crawl news about AI infrastructure into a SQL archive; search and export it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

out_console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, soft_wrap=True)
state = {"debug": os.environ.get("NEWSARCHIVE_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")}

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="NEWSARCHIVE_DB",
        metavar="URL",
        help="Database URL (sqlite:///file.db or postgresql+psycopg://user@host/db).",
    ),
]


def _parse_when(value: Optional[str]) -> Optional[datetime]:
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
        parser=_parse_when,
        metavar="DATE",
        help="Published at or after DATE (UTC unless the time has an offset).",
    ),
]
UntilOption = Annotated[
    Optional[datetime], typer.Option(parser=_parse_when, metavar="DATE", help="Published before DATE.")
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


def open_db(db: str) -> Engine:
    return migrate.open_database(db or settings.NEWSARCHIVE_DB, notify=notice)


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


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    state["debug"] = state["debug"] or debug


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
        fail(str(exc))


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


def configure_logging(verbose: bool) -> None:
    from crawler.operations.run import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    # On the handler, not the root logger: Scrapy resets the root logger's level. Without --verbose,
    # our own warnings (a database retry) show, Scrapy's only from ERROR up.
    handler.setLevel(logging.INFO if verbose or state["debug"] else logging.WARNING)
    if not (verbose or state["debug"]):
        handler.addFilter(
            lambda record: record.levelno >= logging.ERROR or record.name.startswith(("crawler", "db"))
        )
    logging.getLogger().handlers[:] = [handler]


def iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None
