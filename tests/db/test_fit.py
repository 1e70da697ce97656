"""Records made to fit the archive (db/fit.py): whatever strings a page carries (NUL, lone
surrogates, right-to-left marks, 10,000 characters), every record stored through `store_batch`
on both databases is stored or reported, never lost."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crawler.config import load_settings
from db.archive import PageResult, store_batch
from db.dedup import DedupConfig
from db.fit import fit
from db.models import Article, UrlState
from db.session import session_factory
from db.store import upsert_outlets

from ..factories import OUTLETS, article_row

CONFIG = DedupConfig.from_settings(load_settings())
PIECES = ["\x00", "\ud800", "\udfff", "\u202e", "\u200f", "\ufeff", "a" * 10_000, "Oracle", " ", "é", "𝔘"]
hostile = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=6).map("".join)
numbers = itertools.count(1)


def test_fit_cuts_cleans_and_says_so():
    row, notes = fit(
        {"title": "T\x00\ud800" + "x" * 2000, "etag": "e" * 600, "language": "pt"},
        {"title": 1000, "etag": 512, "language": 8},
    )
    assert row["title"].startswith("T\ufffd") and len(row["title"]) == 1000 and row["etag"] is None
    assert notes == ["title cut to 1,000 characters", "etag dropped (over 512 characters)"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=hostile,
    authors=hostile,
    description=hostile,
    site_name=hostile,
    image=hostile,
    tag=hostile,
    etag=hostile,
    message=hostile,
)
def test_hostile_metadata_is_stored_or_reported(
    archive, title, authors, description, site_name, image, tag, etag, message
):
    with session_factory(archive, write=True).begin() as session:
        outlet = upsert_outlets(session, OUTLETS)["olhardigital"]
    number = next(numbers)
    url = f"https://news.example/fuzz/{number}/"
    record = article_row(
        number,
        outlet,
        url=url,
        canonical_url=url,
        title=title,
        authors=authors,
        description=description,
        site_name=site_name,
        image_url=f"https://i.example/{image}",
        tags=[tag],
        text=f"{title} {description} texto {number}",
    )
    state = {
        "url": url,
        "outlet_id": outlet,
        "kind": "page",
        "outcome": "article",
        "etag": etag,
        "message": message,
    }
    with session_factory(archive, write=True).begin() as session:
        store_batch(session, [PageResult(state, record)], [], CONFIG)
    with session_factory(archive).begin() as session:
        stored = session.scalar(select(Article).where(Article.canonical_url == url))
        recorded = session.scalar(select(UrlState).where(UrlState.url == url))
        assert recorded is not None and (stored is not None or recorded.outcome == "error")
        if stored is not None:
            assert "\x00" not in (stored.title or "") and len(stored.title or "") <= 1000
            assert len(stored.site_name or "") <= 200
