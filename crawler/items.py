"""What the spider hands the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.stages.process import Page


@dataclass
class PageItem:
    """A fetched HTML page, to be extracted, classified, deduplicated and stored."""

    page: Page
    state_url: str
    http_status: int
    etag: str | None = None
    last_modified: str | None = None
    lastmod: datetime | None = None
    warc: tuple[str, int] | None = None  # WARC file and offset of the response, when captured


@dataclass
class UrlOutcome:
    """What became of a URL that yields no page to process (error, 304, disallowed, feed...)."""

    url: str
    kind: str
    outcome: str
    http_status: int | None = None
    message: str | None = None
    etag: str | None = None
    last_modified: str | None = None
