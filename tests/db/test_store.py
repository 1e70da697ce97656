"""Archive writes: unique canonical URLs, insert-or-ignore under concurrency, UTC dates."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crawler.config import load_settings
from db.dedup import DedupConfig
from db.models import Article, Outlet, UrlState
from db.session import make_engine, session_factory
from db.store import insert_articles, record_urls, upsert_outlets

from ..factories import OUTLETS, article_row

CONFIG = DedupConfig.from_settings(load_settings())


def _outlet_ids(engine) -> dict[str, int]:
    with session_factory(engine, write=True).begin() as session:
        return upsert_outlets(session, OUTLETS)


def test_upsert_outlets_is_idempotent_and_refreshes(archive):
    first = _outlet_ids(archive)
    renamed = [dict(OUTLETS[0], name="Olhar Digital (BR)")]
    with session_factory(archive, write=True).begin() as session:
        again = upsert_outlets(session, renamed)
        assert again["olhardigital"] == first["olhardigital"]
        assert session.scalar(select(func.count()).select_from(Outlet)) == 2
        assert (
            session.scalar(select(Outlet.name).where(Outlet.slug == "olhardigital")) == "Olhar Digital (BR)"
        )


def test_insert_or_ignore_on_canonical_url(archive):
    outlet = _outlet_ids(archive)["olhardigital"]
    rows = [article_row(n, outlet) for n in range(5)]
    with session_factory(archive, write=True).begin() as session:
        inserted = insert_articles(session, rows)
    assert set(inserted) == {row["canonical_url"] for row in rows}
    with session_factory(archive, write=True).begin() as session:
        again = insert_articles(
            session,
            [article_row(1, outlet, url="https://news.example/other?utm_source=x"), article_row(9, outlet)],
        )
        assert list(again) == [article_row(9, outlet)["canonical_url"]]
        assert session.scalar(select(func.count()).select_from(Article)) == 6


def test_unique_constraint_holds_for_plain_inserts(archive):
    outlet = _outlet_ids(archive)["olhardigital"]
    with session_factory(archive, write=True).begin() as session:
        insert_articles(session, [article_row(1, outlet)])
    with pytest.raises(IntegrityError):
        with session_factory(archive, write=True).begin() as session:
            session.add(Article(**article_row(1, outlet)))


def test_foreign_keys_are_enforced(archive):
    with pytest.raises(IntegrityError):
        with session_factory(archive, write=True).begin() as session:
            session.add(Article(**article_row(1, outlet_id=424242)))


def test_concurrent_writers_create_no_duplicate_rows(archive_url):
    """Four threads, each with its own engine, insert the same 60 URLs in different orders."""
    setup = make_engine(archive_url)
    outlet = _outlet_ids(setup)["olhardigital"]
    numbers = list(range(60))
    counts: list[int] = []
    errors: list[BaseException] = []

    def writer(order: list[int]) -> None:
        engine = make_engine(archive_url)
        try:
            for start in range(0, len(order), 10):
                with session_factory(engine, write=True).begin() as session:
                    counts.append(
                        len(
                            insert_articles(
                                session, [article_row(n, outlet) for n in order[start : start + 10]]
                            )
                        )
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    orders = [numbers, numbers[::-1], numbers[30:] + numbers[:30], numbers[::2] + numbers[1::2]]
    threads = [threading.Thread(target=writer, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(counts) == 60
    with session_factory(setup, write=True).begin() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 60
        assert session.scalar(select(func.count(func.distinct(Article.canonical_url)))) == 60
    setup.dispose()


def test_dates_are_stored_as_utc_and_read_back_aware(archive):
    outlet = _outlet_ids(archive)["olhardigital"]
    brasilia = timezone(timedelta(hours=-3))
    published = datetime(2025, 6, 7, 21, 30, tzinfo=brasilia)
    with session_factory(archive, write=True).begin() as session:
        insert_articles(session, [article_row(1, outlet, published_at=published)])
    with session_factory(archive, write=True).begin() as session:
        stored = session.scalar(select(Article.published_at))
        assert stored == published and stored.utcoffset() == timedelta(0)
        assert stored.hour == 0 and stored.day == 8
        # plain SQL comparisons work against the stored UTC value on both backends
        assert (
            session.scalar(
                select(func.count())
                .select_from(Article)
                .where(Article.published_at >= datetime(2025, 6, 8, tzinfo=timezone.utc))
            )
            == 1
        )


def test_naive_datetimes_are_rejected(archive):
    outlet = _outlet_ids(archive)["olhardigital"]
    with pytest.raises(Exception, match="naive datetime"):
        with session_factory(archive, write=True).begin() as session:
            insert_articles(session, [article_row(1, outlet, published_at=datetime(2025, 1, 1))])


def test_url_state_upsert_keeps_article_link_and_counts_fetches(archive):
    outlet = _outlet_ids(archive)["olhardigital"]
    with session_factory(archive, write=True).begin() as session:
        article_id = insert_articles(session, [article_row(1, outlet)])[
            article_row(1, outlet)["canonical_url"]
        ]
        record_urls(
            session,
            [
                {
                    "url": "https://news.example/a",
                    "outlet_id": outlet,
                    "outcome": "article",
                    "http_status": 200,
                    "etag": '"v1"',
                    "article_id": article_id,
                }
            ],
        )
    with session_factory(archive, write=True).begin() as session:
        record_urls(
            session,
            [
                {
                    "url": "https://news.example/a",
                    "outlet_id": outlet,
                    "outcome": "article",
                    "http_status": 304,
                }
            ],
        )
        state = session.scalars(select(UrlState)).one()
        assert (state.article_id, state.http_status, state.fetch_count) == (article_id, 304, 2)


def test_store_batch_marks_exact_copies_and_refreshes_changed_pages(archive):
    from db.archive import PageResult, store_batch

    outlet = _outlet_ids(archive)["olhardigital"]
    original = article_row(1, outlet)
    later = original["published_at"] + timedelta(hours=2)

    def page(row):
        return PageResult({"url": row["canonical_url"], "outlet_id": outlet, "outcome": "article"}, dict(row))

    copy_in_batch = article_row(
        1, outlet, url="https://copy.example/a/", canonical_url="https://copy.example/a/", published_at=later
    )
    with session_factory(archive, write=True).begin() as session:
        counts = store_batch(session, [page(original), page(copy_in_batch)], [], CONFIG)
    assert (counts["inserted"], counts["duplicate"]) == (1, 1)
    later_copy = article_row(
        1, outlet, url="https://copy.example/b/", canonical_url="https://copy.example/b/", published_at=later
    )
    changed = article_row(1, outlet, text="Texto revisto.", content_hash="f" * 64)
    with session_factory(archive, write=True).begin() as session:
        counts = store_batch(session, [page(later_copy), page(changed)], [], CONFIG)
    assert (counts["duplicate"], counts["updated"]) == (1, 1)
    with session_factory(archive).begin() as session:
        rows = {a.canonical_url: a for a in session.scalars(select(Article))}
        first = rows[original["canonical_url"]]
        assert first.duplicate_of_id is None and first.text == "Texto revisto."
        assert (
            rows["https://copy.example/a/"].duplicate_of_id
            == first.id
            == rows["https://copy.example/b/"].duplicate_of_id
        )
        assert session.scalars(select(UrlState.article_id)).all()
