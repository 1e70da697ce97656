"""One fetched page through extract -> clean -> classify -> hash (pure; runs in worker processes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timezone
from zoneinfo import ZoneInfo
from typing import Any

from crawler.classify import detect_language, relevance
from crawler.clean import clean
from crawler.dedup import Features, article_key, canonical_url, content_hash, features, same_site
from crawler.encoding import decode_html, looks_binary
from crawler.extract import Hints, extract


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    body: bytes
    content_type: str | None
    outlet_id: int
    hints: Hints = Hints()
    page_language_default: str | None = None
    timezone: str | None = None  # the outlet's IANA zone, for dates written without an offset


@dataclass(frozen=True)
class Options:
    relevance_threshold: float
    min_words: int
    boilerplate_patterns: tuple[re.Pattern[str], ...] = ()
    fast_extraction: bool = False


@dataclass
class Processed:
    outcome: str  # "article", "off_topic" or "not_article"
    record: dict[str, Any] | None = None
    message: str | None = None
    removed_lines: list[str] = field(default_factory=list)
    features: Features | None = None


def process_page(page: Page, options: Options) -> Processed:
    if looks_binary(page.body):
        return Processed("not_article", message="binary content")
    html, _ = decode_html(page.body, page.content_type)
    zone = ZoneInfo(page.timezone) if page.timezone else timezone.utc
    extracted = extract(html, page.url, page.hints, fast=options.fast_extraction, zone=zone)
    if extracted is None:
        return Processed("not_article", message="no main text")
    cleaned = clean(extracted.text, extracted.title, options.boilerplate_patterns)
    words = len(cleaned.text.split())
    if words < options.min_words:
        return Processed("not_article", message=f"{words} words of text")
    language = detect_language(cleaned.text, extracted.page_language or page.page_language_default)
    topic = relevance(extracted.title, cleaned.text, language, options.relevance_threshold)
    record = {
        "outlet_id": page.outlet_id,
        "url": page.url,
        "canonical_url": article_key(page.url, extracted.canonical_href),
        "title": extracted.title,
        "authors": "; ".join(extracted.authors) or None,
        "published_at": extracted.published_at,
        "modified_at": extracted.modified_at,
        "language": language,
        "description": extracted.description,
        "text": cleaned.text,
        "word_count": words,
        "content_hash": content_hash(cleaned.text),
        "is_relevant": topic.is_relevant,
        "topic_score": topic.score,
        "topic_terms": topic.terms,
        "source_url": credited_url(page.url, cleaned.source_url, extracted.canonical_href),
        "image_url": extracted.image_url,
        "tags": extracted.tags,
        "site_name": extracted.site_name,
    }
    return Processed("article" if topic.is_relevant else "off_topic", record, removed_lines=cleaned.removed,
                     features=features(extracted.title, cleaned.text, language))


def credited_url(page_url: str, credit: str | None, rel_canonical: str | None) -> str | None:
    """The original a copy credits, in canonical form: a "Fonte:" line's URL, else a rel=canonical
    that points to another site (syndication partners declare the original that way)."""
    if credit:
        return canonical_url(credit)
    if rel_canonical and rel_canonical.startswith(("http://", "https://")) and not same_site(rel_canonical, page_url):
        return canonical_url(rel_canonical)
    return None
