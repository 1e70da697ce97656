"""Records made to fit the archive before they reach SQL, so that one page's odd data never costs
another page's: NUL characters removed (PostgreSQL text cannot hold them), lone surrogates
replaced (they cannot be encoded), over-long values cut or dropped to fit their columns. What was
changed is said in the page's `url_state.message`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, Table

from crawler.outcomes import Outcome

from .models import Article, UrlState

# Lone surrogates (a JSON-LD "\ud800" decodes to one) and NUL.
_UNENCODABLE = re.compile("[\ud800-\udfff]")
# Free-text columns without a length of their own get these caps (characters).
TEXT_CAPS = {"title": 1000, "authors": 1000, "description": 10_000}
# Values that are wrong when cut (an address, an HTTP validator): an over-long one is dropped.
EXACT = {"url", "canonical_url", "source_url", "image_url", "warc_file", "etag", "last_modified"}


def clean_text(value: str) -> str:
    return _UNENCODABLE.sub("\ufffd", value.replace("\x00", ""))


def clean(value: Any) -> Any:
    """Strings (also inside lists) without NUL or lone surrogates; other values as they are."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def _limits(table: Table) -> dict[str, int]:
    found = {
        name: column.type.length
        for name, column in table.c.items()
        if isinstance(column.type, String) and column.type.length
    }
    return {**found, **{name: cap for name, cap in TEXT_CAPS.items() if name in table.c}}


ARTICLE_LIMITS = _limits(Article.__table__)  # type: ignore[arg-type]
STATE_LIMITS = _limits(UrlState.__table__)  # type: ignore[arg-type]


Row = dict[str, Any]
# url_state.message is text; a message longer than this says nothing more useful.
STATE_MESSAGE_CAP = 1000


def fit(row: Row, limits: dict[str, int]) -> tuple[Row, list[str]]:
    """The row cleaned and cut to `limits`, and one note per value changed beyond cleaning."""
    fitted, notes = {}, []
    for key, value in row.items():
        value = clean(value)
        limit = limits.get(key)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            if key in EXACT:
                notes.append(f"{key} dropped (over {limit:,} characters)")
                value = None
            else:
                notes.append(f"{key} cut to {limit:,} characters")
                value = value[:limit]
        fitted[key] = value
    return fitted, notes


def fit_page(record: Row | None, state: Row) -> tuple[Row | None, Row]:
    """An article record and its URL state, fitted; the state's message says what was changed. A
    record whose own address does not fit is not stored: its state says why."""
    notes: list[str] = []
    if record is not None:
        if len(record.get("canonical_url") or "") > ARTICLE_LIMITS["canonical_url"]:
            record = {**record, "canonical_url": record["url"]}  # an over-long rel=canonical: the page's own
        record, notes = fit(record, ARTICLE_LIMITS)
        if record["url"] is None or record["canonical_url"] is None:
            return None, fit_state({**state, "outcome": Outcome.ERROR, "message": "URL too long to store"})
    return record, fit_state(state, notes)


def fit_state(state: Row, notes: Sequence[str] = ()) -> Row:
    """A URL state: validators too long for their columns dropped (the next fetch is then
    unconditional), the message cleaned, capped, and saying what was changed."""
    fitted, dropped = fit(state, STATE_LIMITS)
    said = [*notes, *dropped]
    message = "; ".join(
        filter(None, [fitted.get("message"), "stored with " + ", ".join(said) if said else None])
    )
    fitted["message"] = message[:STATE_MESSAGE_CAP] or None
    return fitted
