"""User search syntax -> safe FTS5 / PostgreSQL queries (pure).

The syntax users get: words (all must match), "exact phrases", -excluded, and OR between
two terms. Everything else is taken as text: only `\\w+` word runs ever reach the database
engine's query language, each one quoted, so no input can inject FTS operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


class QueryError(ValueError):
    """The query cannot be searched; the message says why in one line."""


@dataclass(frozen=True)
class SearchQuery:
    """Required clauses (each a tuple of alternatives; each alternative a phrase of words)."""

    required: tuple[tuple[tuple[str, ...], ...], ...]
    excluded: tuple[tuple[str, ...], ...] = field(default=())


def parse(raw: str) -> SearchQuery:
    if raw.count('"') % 2:
        raise QueryError(f"unbalanced quote in search query {raw!r}: close the phrase or remove the quote")
    clauses: list[list[tuple[str, ...]]] = []
    excluded: list[tuple[str, ...]] = []
    pending_or = False
    for negated, quoted, bare in _TOKEN.findall(raw):
        if not quoted and bare in ("OR", "|"):
            if not clauses or pending_or:
                raise QueryError(f"'OR' needs a term on both sides in search query {raw!r}")
            pending_or = True
            continue
        if not quoted and bare == "AND":
            continue
        if not quoted and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        phrase = tuple(word.lower() for word in _WORD.findall(quoted or bare))
        if not phrase:
            continue
        if negated:
            excluded.append(phrase)
        elif pending_or:
            clauses[-1].append(phrase)
            pending_or = False
        else:
            clauses.append([phrase])
    if pending_or:
        raise QueryError(f"'OR' needs a term on both sides in search query {raw!r}")
    if not clauses:
        raise QueryError(f"no words to search for in query {raw!r}")
    return SearchQuery(tuple(tuple(c) for c in clauses), tuple(excluded))


def _fts5_phrase(phrase: tuple[str, ...]) -> str:
    return '"' + " ".join(phrase) + '"'


def to_fts5(query: SearchQuery) -> str:
    """An FTS5 MATCH expression; every word is inside a quoted string."""
    parts = []
    for alternatives in query.required:
        joined = " OR ".join(_fts5_phrase(p) for p in alternatives)
        parts.append(f"({joined})" if len(alternatives) > 1 else joined)
    expression = " AND ".join(parts)
    if query.excluded:
        expression = f"({expression}) NOT ({' OR '.join(_fts5_phrase(p) for p in query.excluded)})"
    return expression
