"""What can become of a URL: `url_state.outcome`, and the `fetch/*` and `extract/*` stats."""

from __future__ import annotations

from typing import Final


class Outcome:
    """What became of a URL (`url_state.outcome`, `fetch/<outcome>` and `extract/<outcome>` stats)."""

    ARTICLE: Final = "article"  # stored, about AI infrastructure
    OFF_TOPIC: Final = "off_topic"  # stored, not about AI infrastructure
    NOT_ARTICLE: Final = "not_article"  # a feed, sitemap or listing; or a page without article text
    ERROR: Final = "error"  # could not be fetched or read (HTTP error, timeout, unreadable source)
    TOO_LARGE: Final = "too_large"  # over DOWNLOAD_MAXSIZE, or over a worker's memory to extract
    TOO_SLOW: Final = "too_slow"  # took longer than NEWSARCHIVE_EXTRACT_TIMEOUT to extract
    DISALLOWED: Final = "disallowed"  # robots.txt forbids it: never requested


# `extra=` of a log record about one page: it goes to the run's log file only, since the summary
# counts such failures and a terminal line per page would bury the story.
PER_PAGE: Final = {"per_page": True}

# Outcomes after which an unchanged URL is never fetched again.
SETTLED: Final = frozenset(
    {
        Outcome.ARTICLE,
        Outcome.OFF_TOPIC,
        Outcome.NOT_ARTICLE,
        Outcome.TOO_LARGE,
        Outcome.TOO_SLOW,
        Outcome.DISALLOWED,
    }
)
