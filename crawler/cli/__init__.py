"""The `newsarchive` command: one module per command group, all on the app of crawler.cli.common."""

from __future__ import annotations

from crawler.cli import archive, crawl, db, extract, outlets  # noqa: F401 - each registers its commands
from crawler.cli.common import app, fail, state
from db.session import ArchiveError, first_line


def main() -> None:
    try:
        app()
    except ArchiveError as exc:
        if state["debug"]:
            raise
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into one line
        if state["debug"]:
            raise
        fail(f"{type(exc).__name__}: {first_line(exc)}")


if __name__ == "__main__":
    main()
