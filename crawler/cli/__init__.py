"""The `newsarchive` command: one module per command group, all on the app of crawler.cli.common."""

from __future__ import annotations

import sys

import typer

from crawler.cli import archive, crawl, db, extract, outlets, serve  # noqa: F401 - each registers its commands
from crawler.cli.common import app, fail, state
from db.session import ArchiveError, first_line


def main() -> None:
    try:
        code = app(standalone_mode=False, prog_name="newsarchive")
    except typer.TyperException as exc:
        # Click's usage errors (an unknown option, a bad value) as one line, like every other error.
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "newsarchive"
        fail(f"{exc.format_message()} (see `{command} --help`)", code=exc.exit_code)
    except ArchiveError as exc:
        if state["debug"]:
            raise
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into one line
        if state["debug"]:
            raise
        fail(f"{type(exc).__name__}: {first_line(exc)}")
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
