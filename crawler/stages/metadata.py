"""Article metadata from the page's own markup: JSON-LD, OpenGraph/article meta, <time> (pure)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import html as lxml_html

ARTICLE_TYPES = {
    "NewsArticle",
    "Article",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "TechArticle",
    "OpinionNewsArticle",
    "LiveBlogPosting",
}
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "date",
    "DC.date.issued",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
)
MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "dateModified",
    "dcterms.modified",
    "last-modified",
)


@dataclass
class PageMeta:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # candidates, best first
    modified: list[str] = field(default_factory=list)
    datelines: list[str] = field(default_factory=list)  # visible bylines that may hold a local date
    description: str | None = None
    image: str | None = None
    site_name: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    canonical: str | None = None
    is_article: bool = False


def read_meta(tree: lxml_html.HtmlElement) -> PageMeta:
    meta = PageMeta()
    for node in _json_ld_articles(tree):
        meta.is_article = True
        meta.title = meta.title or _text(node.get("headline"))
        meta.published += _texts(node.get("datePublished"))
        meta.modified += _texts(node.get("dateModified"))
        meta.authors += _names(node.get("author"))
        meta.description = meta.description or _text(node.get("description"))
        meta.image = meta.image or _url(node.get("image"))
        meta.tags += [t.strip() for t in _keywords(node.get("keywords"))]
        meta.site_name = meta.site_name or _text(
            (node.get("publisher") or {}).get("name") if isinstance(node.get("publisher"), dict) else None
        )
    tags = _meta_tags(tree)
    meta.published += [tags[k] for k in PUBLISHED_META if k in tags]
    meta.modified += [tags[k] for k in MODIFIED_META if k in tags]
    meta.published += [t for t in tree.xpath("//time[@datetime]/@datetime")[:1]]
    meta.datelines = _datelines(tree)
    meta.title = meta.title or _text(tags.get("og:title")) or _text(tags.get("twitter:title"))
    meta.description = meta.description or tags.get("og:description") or tags.get("description")
    meta.image = meta.image or tags.get("og:image")
    meta.site_name = meta.site_name or tags.get("og:site_name")
    if not meta.authors and tags.get("author"):
        meta.authors = [tags["author"]]
    meta.tags += [v for k, v in _meta_pairs(tree) if k in ("article:tag", "article:section", "news_keywords")]
    meta.is_article = meta.is_article or tags.get("og:type", "").lower() == "article"
    meta.language = (tree.get("lang") or tags.get("og:locale") or "").replace("_", "-").split("-")[
        0
    ].lower() or None
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    meta.canonical = canonical[0].strip() if canonical else None
    meta.authors = _unique(a for a in meta.authors if a)
    meta.tags = _unique(t for tag in meta.tags for t in tag.split(",") if t.strip())
    return meta


# Elements whose text is the visible dateline ("10 de julho de 2024, às 13h45", "14 juin 2024 à 11h").
BYLINE_XPATH = (
    "//*[contains(@class, 'date') or contains(@class, 'data') or contains(@class, 'time')"
    " or contains(@class, 'byline') or contains(@class, 'post-meta') or contains(@class, 'entry-meta')]"
)
# Longer elements are containers (a whole header), not a dateline.
BYLINE_MAX_CHARS = 200


def _datelines(tree) -> list[str]:
    texts = (" ".join(node.text_content().split()) for node in tree.xpath(BYLINE_XPATH)[:20])
    return [text for text in texts if 6 <= len(text) <= BYLINE_MAX_CHARS]


def _meta_pairs(tree) -> Iterator[tuple[str, str]]:
    for node in tree.iterfind(".//meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop")
        value = node.get("content")
        if key and value and value.strip():
            yield key.strip(), value.strip()


def _meta_tags(tree) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in _meta_pairs(tree):
        found.setdefault(key, value)
    return found


def _json_ld_articles(tree) -> Iterator[dict[str, Any]]:
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script)
        except (json.JSONDecodeError, ValueError):
            continue
        yield from (node for node in _walk(data) if _types(node) & ARTICLE_TYPES)


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk(item)
    elif isinstance(data, dict):
        yield data
        yield from _walk(data.get("@graph", []))


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    return {kind} if isinstance(kind, str) else {k for k in kind if isinstance(k, str)}


def _text(value: Any) -> str | None:
    texts = _texts(value)
    return texts[0] if texts else None


def _texts(value: Any) -> list[str]:
    """Strings as written; JSON-LD often carries HTML entities (`&#8216;`, `&quot;`), decoded here."""
    values = value if isinstance(value, list) else [value]
    return [html.unescape(v).strip() for v in values if isinstance(v, str) and v.strip()]


def _names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if isinstance(item, dict):
            names += _texts(item.get("name"))
        else:
            names += _texts(item)
    return names


def _url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url")
    return _text(value)


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split(",")
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _unique(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(" ".join(item.split()), None)
    return list(seen)
