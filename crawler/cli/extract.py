"""`newsarchive extract`: the crawl's processing of a page, on saved pages."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from crawler.cli.common import (
    OutletsFileOption,
    SetOption,
    app,
    err_console,
    fail,
    iso,
    load_registry,
    out_console,
    settings_of,
)

if TYPE_CHECKING:
    from crawler.stages.process import Processed


@app.command("extract")
def extract_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Saved HTML pages (plain or .gz).")],
    url: Annotated[
        Optional[str], typer.Option(help="The page's address, when the file does not say it.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file instead of the clean text.")
    ] = False,
    outlet: Annotated[
        Optional[str],
        typer.Option(
            "--outlet",
            metavar="SLUG",
            help="Process as this outlet's crawl does (its time zone, language and boilerplate patterns).",
        ),
    ] = None,
    outlets_file: OutletsFileOption = None,
    set_: SetOption = None,
) -> None:
    """Run the crawl's extraction, cleaning and classification on saved pages."""
    from crawler.stages.process import Options, Page, process_page

    entry = None
    if outlet is not None:
        outlets = load_registry(outlets_file)
        if outlet not in outlets:
            fail(f"unknown outlet {outlet!r}; known: {', '.join(sorted(outlets))}", code=2)
        entry = outlets[outlet]
    options = Options.from_settings(settings_of(set_), entry)
    failed = 0
    for path in files:
        try:
            body = _read_page(path)
        except OSError as exc:
            err_console.print(f"newsarchive: error: cannot read {path}: {exc.strerror or exc}", markup=False)
            failed += 1
            continue
        page_url = url or _url_in_page(body) or path.resolve().as_uri()
        processed = process_page(Page(page_url, body, None), options)
        if as_json:
            out_console.print(
                json.dumps(_extract_record(path, processed), ensure_ascii=False),
                markup=False,
                highlight=False,
            )
        elif processed.record is None:
            err_console.print(f"{path}: not an article ({processed.message})", markup=False)
        else:
            out_console.print(processed.record["text"], markup=False, highlight=False)
    if failed:
        raise SystemExit(1)


def _read_page(path: Path) -> bytes:
    body = path.read_bytes()
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt: EOFError would read "Aborted."
        raise OSError(f"a damaged gzip file ({exc})") from None


def _url_in_page(body: bytes) -> Optional[str]:
    """A saved page often names itself: rel=canonical or og:url."""
    found = re.search(
        rb'<link[^>]+rel=["\']canonical["\'][^>]*href=["\']([^"\']+)|<meta[^>]+property=["\']og:url["\'][^>]*content=["\']([^"\']+)',
        body[:200_000],
    )
    return next((g.decode("utf-8", "replace") for g in found.groups() if g), None) if found else None


def _extract_record(path: Path, processed: Processed) -> dict[str, Any]:
    record = processed.record or {}
    fields = (
        "text",
        "title",
        "authors",
        "published_at",
        "modified_at",
        "language",
        "description",
        "source_url",
        "is_relevant",
        "topic_score",
        "topic_terms",
    )
    result = {"path": str(path), "outcome": processed.outcome, "message": processed.message}
    result.update(
        {key: iso(record[key]) if key.endswith("_at") else record.get(key) for key in fields}
        if record
        else dict.fromkeys(fields)
    )
    return result
