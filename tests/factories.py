"""Build archive rows from the synthetic corpus for database tests."""

from __future__ import annotations

import hashlib
from typing import Any

from crawler.devsite.synthetic import article


def article_row(number: int, outlet_id: int, **overrides: Any) -> dict[str, Any]:
    story = article(number)
    url = f"https://news.example/{story.published_at:%Y/%m/%d}/{story.slug}/"
    row = {
        "outlet_id": outlet_id,
        "url": url,
        "canonical_url": url,
        "title": story.title,
        "authors": "Redação",
        "published_at": story.published_at,
        "language": story.language,
        "description": story.text.split(".")[0] + ".",
        "text": story.text,
        "content_hash": hashlib.sha256(story.text.encode()).hexdigest(),
        "is_relevant": story.relevant,
        "topic_score": 0.9 if story.relevant else 0.05,
        "topic_terms": ["data center"] if story.relevant else [],
    }
    row.update(overrides)
    return row


OUTLETS = [
    {
        "slug": "olhardigital",
        "name": "Olhar Digital",
        "homepage": "https://olhardigital.com.br/",
        "language": "pt",
        "country": "BR",
    },
    {
        "slug": "lemagit",
        "name": "LeMagIT",
        "homepage": "https://www.lemagit.fr/",
        "language": "fr",
        "country": "FR",
    },
]
