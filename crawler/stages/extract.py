"""Extract stage: decoded HTML + URL + discovery hints -> article text and metadata (pure)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Any, cast

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.settings import Document

from crawler.stages.dates import date_from_url, parse_date
from crawler.stages.metadata import PageMeta, read_meta

# trafilatura's options, chosen by measurement (bench/eval_quality.py). Full mode (fast=False, its
# fallback extractors on) is the default: fast mode picks the wrong block on some pages (fundus
# set body F1 0.936 vs 0.944, Spanish 0.910 vs 0.966), and on real article pages full mode costs
# ~11% of crawl throughput (bench/crawl_throughput.py). Comments are never article text.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "with_metadata": True,
}


@dataclass(frozen=True)
class Hints:
    """What discovery knew about the page before fetching it."""

    title: str | None = None
    published: datetime | None = None


@dataclass
class Extracted:
    text: str
    title: str | None
    authors: list[str]
    published_at: datetime | None
    modified_at: datetime | None
    description: str | None
    image_url: str | None
    tags: list[str]
    site_name: str | None
    page_language: str | None
    canonical_href: str | None
    looks_like_article: bool


def parse_html(html: str) -> lxml_html.HtmlElement | None:
    """trafilatura's loader: it repairs common markup faults first (measured: +0.007 snippet F1
    on the trafilatura set over a plain lxml parse)."""
    try:
        return trafilatura.load_html(html)
    except (etree.ParserError, ValueError, TypeError):
        return None


def extract(
    html: str, url: str, hints: Hints = Hints(), fast: bool = False, zone: tzinfo = timezone.utc
) -> Extracted | None:
    """None when the page has no main text at all (empty, binary junk, a bare frame)."""
    tree = parse_html(html)
    if tree is None:
        return None
    meta = read_meta(tree)
    # The parsed tree goes to trafilatura (which prunes it in place) to spare a second parse.
    document = cast(
        "Document | None", trafilatura.bare_extraction(tree, url=url, fast=fast, **TRAFILATURA_OPTIONS)
    )
    if document is None or not document.text or not document.text.strip():
        return None
    # trafilatura's own extract() returns NFC; bare_extraction does not.
    text = unicodedata.normalize("NFC", document.text)
    site_name = _first(meta.site_name, document.sitename)
    return Extracted(
        text=text,
        title=_without_site_name(_first(meta.title, document.title, hints.title), site_name),
        authors=meta.authors or _split_authors(document.author),
        published_at=published_date(meta, document.date, hints, url, zone),
        modified_at=_first_date(meta.modified, zone),
        description=_first(meta.description, document.description),
        image_url=_first(meta.image, document.image),
        tags=meta.tags or list(document.tags or []) + list(document.categories or []),
        site_name=site_name,
        page_language=meta.language,
        canonical_href=meta.canonical,
        looks_like_article=meta.is_article,
    )


def published_date(
    meta: PageMeta, trafilatura_day: str | None, hints: Hints, url: str, zone: tzinfo = timezone.utc
) -> datetime | None:
    """JSON-LD, then article meta, then <time>; then the feed/sitemap hint; then the day
    trafilatura found, with the time of a visible dateline of that same day; then the URL's date path.
    A dateline alone is not trusted: sidebars list other articles' dates in the same markup."""
    declared = _first_date(meta.published, zone) or hints.published
    if declared is not None:
        return declared
    day, dateline = parse_date(trafilatura_day, zone=zone), _first_date(meta.datelines, zone)
    if day is not None:
        same_day = dateline is not None and dateline.astimezone(zone).date() == day.astimezone(zone).date()
        return dateline if same_day else day
    return date_from_url(url, zone=zone)


def _without_site_name(title: str | None, site_name: str | None) -> str | None:
    """ "Headline - The Namibian" -> "Headline": pages often append their name to og:title."""
    if not title or not site_name:
        return title
    for separator in (" - ", " | ", " – ", " — ", " · "):
        head, found, tail = title.rpartition(separator)
        if found and head and tail.casefold() == site_name.casefold():
            return head.strip()
    return title


def _first_date(candidates: list[str], zone: tzinfo = timezone.utc) -> datetime | None:
    for candidate in candidates:
        value = parse_date(candidate, zone=zone)
        if value is not None:
            return value
    return None


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return " ".join(value.split())
    return None


def _split_authors(value: str | None) -> list[str]:
    return [a.strip() for a in (value or "").replace(" and ", ";").split(";") if a.strip()]
