"""One fetched page through extract -> clean -> classify -> hash (pure; runs in worker processes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timezone
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from crawler.outcomes import Outcome
from crawler.stages.classify import detect_language, relevance
from crawler.stages.clean import clean
from crawler.stages.dedup import Features, article_key, canonical_url, content_hash, features, same_site
from crawler.stages.encoding import decode_html, looks_binary
from crawler.stages.extract import Hints, extract

if TYPE_CHECKING:
    from crawler.outlets import Outlet


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    body: bytes = field(repr=False)  # never in a log line
    content_type: str | None
    hints: Hints = Hints()


class SettingsLike(Protocol):
    """What Options reads settings through: Scrapy's Settings, as crawler.config builds them."""

    def getfloat(self, name: str) -> float: ...
    def getint(self, name: str) -> int: ...
    def getbool(self, name: str) -> bool: ...


@dataclass(frozen=True)
class Options:
    """How pages are processed: the settings and one outlet's registry entry, built once by
    `from_settings` for every entry point (crawl, reextract, extract), so all process a page alike."""

    relevance_threshold: float
    min_words: int
    boilerplate_patterns: tuple[re.Pattern[str], ...] = ()
    fast_extraction: bool = False
    language: str | None = None  # the outlet's language, when the page does not say
    timezone: str | None = None  # the outlet's IANA zone, for dates written without an offset

    @classmethod
    def from_settings(cls, settings: SettingsLike, outlet: Outlet | None = None) -> Options:
        return cls(
            relevance_threshold=settings.getfloat("NEWSARCHIVE_RELEVANCE_THRESHOLD"),
            min_words=settings.getint("NEWSARCHIVE_MIN_WORDS"),
            fast_extraction=settings.getbool("NEWSARCHIVE_FAST_EXTRACTION"),
            boilerplate_patterns=outlet.boilerplate_patterns if outlet else (),
            language=outlet.language if outlet else None,
            timezone=outlet.timezone if outlet else None,
        )


@dataclass
class Processed:
    outcome: str  # Outcome.ARTICLE, OFF_TOPIC or NOT_ARTICLE
    record: dict[str, Any] | None = None
    message: str | None = None
    features: Features | None = None


def process_page(page: Page, options: Options) -> Processed:
    if looks_binary(page.body):
        return Processed(Outcome.NOT_ARTICLE, message="binary content")
    html, _ = decode_html(page.body, page.content_type)
    zone = ZoneInfo(options.timezone) if options.timezone else timezone.utc
    extracted = extract(html, page.url, page.hints, fast=options.fast_extraction, zone=zone)
    if extracted is None:
        return Processed(Outcome.NOT_ARTICLE, message="no main text")
    cleaned = clean(extracted.text, extracted.title, options.boilerplate_patterns)
    words = word_count(cleaned.text)
    if words < options.min_words:
        return Processed(Outcome.NOT_ARTICLE, message=f"{words} words of text")
    language = detect_language(cleaned.text, extracted.page_language or options.language)
    topic = relevance(extracted.title, cleaned.text, language, options.relevance_threshold)
    record = {
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
    return Processed(
        Outcome.ARTICLE if topic.is_relevant else Outcome.OFF_TOPIC,
        record,
        features=features(extracted.title, cleaned.text, language),
    )


# Scripts written without spaces between words: Han, Hiragana, Katakana, Hangul syllables, Thai, Lao,
# Khmer, Myanmar. Their characters are counted instead of their (missing) spaces.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
# Characters of those scripts per word, on average (a Chinese word is 1.5 to 2 characters).
CHARS_PER_WORD = 2


def word_count(text: str) -> int:
    """Words in any script: whitespace-separated words, plus the characters of scripts that do
    not separate words with spaces, CHARS_PER_WORD to a word (2,000 characters of Chinese are
    about 1,000 words, not the 18 its spaces suggest)."""
    unspaced = len(_UNSPACED.findall(text))
    if not unspaced:
        return len(text.split())
    spaced = len(_UNSPACED.sub(" ", text).split())
    return spaced + unspaced // CHARS_PER_WORD


def credited_url(page_url: str, credit: str | None, rel_canonical: str | None) -> str | None:
    """The original a copy credits, in canonical form: a "Fonte:" line's URL, else a rel=canonical
    that points to another site (syndication partners declare the original that way)."""
    if credit:
        return canonical_url(credit)
    if (
        rel_canonical
        and rel_canonical.startswith(("http://", "https://"))
        and not same_site(rel_canonical, page_url)
    ):
        return canonical_url(rel_canonical)
    return None
