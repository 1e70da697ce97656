"""Dedup: pure signatures and fingerprints, then the archive's copy groups and stories on real
SQLite and PostgreSQL, whatever the crawl order, with concurrent writers, and `--rebuild`."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, update
from typer.testing import CliRunner

from crawler.cli import app
from crawler.config import load_settings
from crawler.stages.clean import clean
from crawler.stages.dedup import content_hash, features, is_near_duplicate, likeness, signature
from crawler.stages.story import fingerprint, same_story
from db.archive import PageResult, store_batch
from db.dedup import DedupConfig, original, rebuild
from db.models import Article, ArticleSignature, NearDupKey, StoryKey
from db.session import make_engine, session_factory
from db.store import upsert_outlets

from ..conftest import SHARED
from ..factories import OUTLETS

STORIES = Path(__file__).resolve().parents[2] / "bench" / "dedup" / "stories.jsonl"
SEEDS = SHARED / "seeds"
CONFIG = DedupConfig.from_settings(load_settings())
T0 = datetime(2025, 9, 22, 12, 0, tzinfo=timezone.utc)


def _stories() -> dict[str, dict]:
    return {
        f"{s['event']}-{s['kind']}-{s['lang']}": s
        for s in map(json.loads, STORIES.read_text(encoding="utf-8").splitlines())
    }


def _seed(number: str) -> str:
    path = next(SEEDS.glob(f"{number}_*.txt"))
    return clean(path.read_text(encoding="utf-8")).text


def record(
    url: str,
    text: str,
    *,
    title: str = "T",
    language: str = "en",
    published: datetime = T0,
    source_url: str | None = None,
    outlet_id: int = 1,
) -> dict:
    return {
        "outlet_id": outlet_id,
        "url": url,
        "canonical_url": url,
        "title": title,
        "text": text,
        "language": language,
        "content_hash": content_hash(text),
        "published_at": published,
        "source_url": source_url,
    }


def store(engine, *records: dict) -> None:
    results = [
        PageResult(
            {"url": r["url"], "outlet_id": r["outlet_id"], "outcome": "article"},
            r,
            features(r["title"], r["text"], r["language"]),
        )
        for r in records
    ]
    with session_factory(engine, write=True).begin() as session:
        store_batch(session, results, [], CONFIG)


def state(engine) -> dict[str, tuple[str | None, int | None]]:
    """canonical_url -> (canonical_url of its original, story_id)."""
    with session_factory(engine).begin() as session:
        rows = session.execute(
            select(Article.id, Article.canonical_url, Article.duplicate_of_id, Article.story_id)
        ).all()
    urls = {row.id: row.canonical_url for row in rows}
    return {row.canonical_url: (urls.get(row.duplicate_of_id), row.story_id) for row in rows}


def _outlets(engine) -> dict[str, int]:
    with session_factory(engine, write=True).begin() as session:
        return upsert_outlets(session, OUTLETS)


# --- pure stages ---


def test_signature_finds_syndicated_and_truncated_copies_not_other_articles():
    stories = _stories()
    text = stories["e04-report-en"]["text"] + "\n" + stories["e06-report-en"]["text"]
    copy = signature("By Staff Writer\n" + text.replace("Monday", "Tuesday") + "\nFollow us on Google News")
    truncated = signature(text[: len(text) // 2])
    other = signature(stories["e05-report-en"]["text"])
    base = signature(text)
    assert is_near_duplicate(base, copy, CONFIG.near) and likeness(base, copy).jaccard > 0.7
    assert is_near_duplicate(base, truncated, CONFIG.near) and likeness(base, truncated).containment > 0.8
    assert not is_near_duplicate(base, other, CONFIG.near) and likeness(base, other).jaccard < 0.1


def test_figures_agree_across_languages_and_number_formats():
    def figures(text: str, language: str) -> set[str]:
        return set(fingerprint(None, text, language).figures)

    assert (
        figures("A Microsoft investiu US$ 13 bilhões por 49% da empresa.", "pt")
        == figures("Microsoft a investi 13 milliards de dollars pour 49 % de l'entreprise.", "fr")
        == figures("Microsoft invested $13 billion for a 49% stake.", "en")
        == figures("Microsoft invirtió 13.000 millones de dólares por el 49 % de la empresa.", "es")
        == {"n:1.3e+10", "pct:49"}
    )
    assert (
        figures("Um campus de 1,2 gigawatt e 100.000 GPUs em 2026.", "pt")
        == figures("A 1.2 gigawatt campus with 100,000 GPUs in 2026.", "en")
        == {"w:1.2e+09", "n:1e+05"}
    )


def test_seed_translation_is_one_story_and_other_seeds_are_not():
    prints = {
        n: fingerprint(None, _seed(n), "fr" if n == "002" else "pt")
        for n in ("000", "001", "002", "003", "004")
    }
    assert same_story(prints["000"], T0, prints["002"], T0 + timedelta(hours=20), CONFIG.story)
    assert not same_story(prints["000"], T0, prints["002"], T0 + timedelta(days=8), CONFIG.story)
    for a, b in [
        ("000", "001"),
        ("000", "003"),
        ("000", "004"),
        ("001", "003"),
        ("001", "004"),
        ("003", "004"),
    ]:
        assert not same_story(prints[a], T0, prints[b], T0, CONFIG.story), (a, b)
    assert not is_near_duplicate(signature(_seed("000")), signature(_seed("002")), CONFIG.near)


def test_original_prefers_what_copies_credit_then_the_earliest():
    class Member:
        def __init__(self, id, url, source=None, published=T0):
            self.id, self.canonical_url, self.source_url, self.published_at, self.fetched_at = (
                id,
                url,
                source,
                published,
                T0,
            )

    early_copy = Member(
        1, "https://agg.example/a", source="https://orig.example/a", published=T0 - timedelta(hours=3)
    )
    credited = Member(2, "https://orig.example/a")
    later = Member(3, "https://other.example/a", published=T0 + timedelta(hours=1))
    assert original([early_copy, credited, later]) == 2
    assert (
        original(
            [
                Member(5, "https://x.example/1", published=T0 + timedelta(hours=1)),
                Member(9, "https://y.example/1"),
            ]
        )
        == 9
    )


# --- in the archive (SQLite and PostgreSQL) ---


def test_original_arriving_after_its_copies_is_credited(archive):
    outlet = _outlets(archive)["olhardigital"]
    text = _stories()["e06-report-pt"]["text"] + "\n" + _stories()["e07-report-pt"]["text"]
    original_url = "https://olhardigital.com.br/2025/11/03/pro/openai-aws/"
    # The aggregator's copy is stamped earlier than the original, but credits it.
    store(
        archive,
        record(
            "https://agg.example/openai-aws",
            "Por Redação\n" + text,
            language="pt",
            outlet_id=outlet,
            published=T0 - timedelta(hours=2),
            source_url=original_url,
        ),
    )
    # A second copy without credit, later, with one sentence dropped.
    store(
        archive,
        record(
            "https://other.example/openai-aws",
            text.replace("As ações da Amazon subiram 5% após o anúncio.", ""),
            language="pt",
            outlet_id=outlet,
            published=T0 + timedelta(hours=5),
        ),
    )
    assert state(archive)["https://other.example/openai-aws"][0] == "https://agg.example/openai-aws"
    store(archive, record(original_url, text, language="pt", outlet_id=outlet))
    after = state(archive)
    assert after[original_url][0] is None
    assert (
        after["https://agg.example/openai-aws"][0]
        == original_url
        == after["https://other.example/openai-aws"][0]
    )
    assert len({story for _, story in after.values()}) == 1


def test_chains_collapse_to_one_original(archive):
    outlet = _outlets(archive)["olhardigital"]
    base = _stories()["e01-report-en"]["text"] + "\n" + _stories()["e11-report-en"]["text"]
    middle = base + "\nThe post appeared first on Tech Wire."
    last = middle.replace("Nebius shares soared almost 50% in after-hours trading.", "")
    store(archive, record("https://b.example/1", middle, outlet_id=outlet, published=T0 + timedelta(hours=1)))
    store(archive, record("https://c.example/1", last, outlet_id=outlet, published=T0 + timedelta(hours=2)))
    store(archive, record("https://a.example/1", base, outlet_id=outlet, published=T0))
    after = state(archive)
    assert after == {
        "https://a.example/1": (None, after["https://a.example/1"][1]),
        "https://b.example/1": ("https://a.example/1", after["https://a.example/1"][1]),
        "https://c.example/1": ("https://a.example/1", after["https://a.example/1"][1]),
    }
    with session_factory(archive).begin() as session:
        pointed = select(Article.duplicate_of_id).where(Article.duplicate_of_id.is_not(None))
        assert (
            session.scalar(
                select(func.count()).where(Article.id.in_(pointed), Article.duplicate_of_id.is_not(None))
            )
            == 0
        )


def test_translations_share_a_story_and_stay_originals(archive):
    outlet = _outlets(archive)["olhardigital"]
    stories = _stories()
    rows = [
        record(
            f"https://news.example/{key}",
            s["text"],
            title=s["title"],
            language=s["lang"],
            outlet_id=outlet,
            published=datetime.fromisoformat(s["published"]),
        )
        for key, s in stories.items()
        if key.startswith(("e04-", "e05-"))
    ]
    store(archive, *rows[:4])
    store(archive, *rows[4:])
    after = state(archive)
    assert all(pointer is None for pointer, _ in after.values())
    story = {
        key: after[f"https://news.example/{key}"][1] for key in stories if key.startswith(("e04-", "e05-"))
    }
    reports_04 = {story[k] for k in story if k.startswith("e04-") and "followup" not in k}
    reports_05 = {story[k] for k in story if k.startswith("e05-")}
    assert len(reports_04) == 1 and len(reports_05) == 1 and reports_04 != reports_05
    assert story["e04-followup-en"] not in reports_04


def test_index_persists_across_engines(archive_url):
    first = make_engine(archive_url)
    outlet = _outlets(first)["olhardigital"]
    text = _stories()["e12-report-en"]["text"] + "\n" + _stories()["e09-report-en"]["text"]
    store(first, record("https://one.example/x", text, outlet_id=outlet))
    first.dispose()
    second = make_engine(archive_url)
    store(
        second,
        record(
            "https://two.example/x",
            "Image: Getty Images\n" + text,
            outlet_id=outlet,
            published=T0 + timedelta(days=6),
        ),
    )
    assert state(second)["https://two.example/x"][0] == "https://one.example/x"
    second.dispose()


def test_concurrent_writers_agree_on_one_original(archive_url):
    """Three writers, each its own engine, store copies of the same five texts in different orders."""
    setup = make_engine(archive_url)
    outlet = _outlets(setup)["olhardigital"]
    stories = _stories()
    texts = [
        stories[f"e{n:02d}-report-en"]["text"] + "\n" + stories[f"e{n + 1:02d}-report-en"]["text"]
        for n in range(1, 11, 2)
    ]
    errors: list[BaseException] = []

    def writer(site: str, order: list[int]) -> None:
        engine = make_engine(archive_url)
        try:
            for index in order:
                copies = [
                    record(
                        f"https://{site}.example/{index}/{variant}",
                        f"{prefix}\n{texts[index]}",
                        outlet_id=outlet,
                        published=T0 + timedelta(minutes=index),
                    )
                    for variant, prefix in enumerate(("", "By Staff Writer"))
                ]
                store(
                    engine,
                    *copies,
                    record(
                        f"https://shared.example/{index}",
                        texts[index],
                        outlet_id=outlet,
                        published=T0 + timedelta(minutes=index),
                    ),
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    orders = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]]
    threads = [
        threading.Thread(target=writer, args=(site, order)) for site, order in zip("abc", orders, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with session_factory(setup).begin() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 5 * 7
        assert session.scalar(select(func.count(func.distinct(Article.canonical_url)))) == 5 * 7
        groups = session.execute(
            select(func.coalesce(Article.duplicate_of_id, Article.id), func.count()).group_by(
                func.coalesce(Article.duplicate_of_id, Article.id)
            )
        ).all()
        assert sorted(size for _, size in groups) == [7] * 5
        assert session.scalar(select(func.count(func.distinct(Article.story_id)))) == 5
    setup.dispose()


def _archive_for_rebuild(engine) -> None:
    outlet = _outlets(engine)["olhardigital"]
    stories = _stories()
    rows = [
        record(
            f"https://news.example/{key}",
            s["text"],
            title=s["title"],
            language=s["lang"],
            outlet_id=outlet,
            published=datetime.fromisoformat(s["published"]),
        )
        for key, s in stories.items()
    ]
    rows += [
        record(
            f"https://copy.example/{key}",
            "Por Redação\n" + s["text"],
            title=s["title"],
            language=s["lang"],
            outlet_id=outlet,
            published=datetime.fromisoformat(s["published"]) - timedelta(hours=1),
            source_url=f"https://news.example/{key}",
        )
        for key, s in list(stories.items())[:20]
    ]
    for start in range(0, len(rows), 25):
        store(engine, *rows[start : start + 25])


def test_rebuild_is_idempotent_and_matches_incremental(archive):
    _archive_for_rebuild(archive)
    incremental = state(archive)
    assert sum(pointer is not None for pointer, _ in incremental.values()) == 20
    assert (
        len({story for _, story in incremental.values()}) == 14 + 6
    )  # 14 events, 6 follow-ups a week or more later
    with session_factory(archive, write=True).begin() as session:
        session.execute(update(Article).values(duplicate_of_id=None, story_id=None))
        session.execute(NearDupKey.__table__.delete())
    for _ in range(2):
        with session_factory(archive, write=True).begin() as session:
            counts = rebuild(session, CONFIG, batch=16)
        assert state(archive) == incremental
        assert counts["articles"] == len(incremental)
    with session_factory(archive).begin() as session:
        assert session.scalar(select(func.count()).select_from(ArticleSignature)) == len(incremental)
        assert session.scalar(select(func.count()).select_from(StoryKey)) > 0


def test_dedup_rebuild_command(archive_url):
    engine = make_engine(archive_url)
    _archive_for_rebuild(engine)
    before = state(engine)
    result = CliRunner().invoke(app, ["dedup", "--rebuild", "--db", archive_url])
    assert result.exit_code == 0, result.output
    assert (
        "92 articles: 20 copies of 20 originals; 20 stories" in result.output
        and "not indexed" not in result.output
    )
    assert state(engine) == before
    stricter = CliRunner().invoke(
        app, ["dedup", "--rebuild", "--set", "NEWSARCHIVE_STORY_WINDOW_DAYS=0.01", "--db", archive_url]
    )
    assert stricter.exit_code == 0 and "20 copies" in stricter.output
    assert len({story for _, story in state(engine).values()}) > 20
    engine.dispose()


def test_a_rolled_back_batch_leaves_no_trace_in_the_key_index(archive):
    outlet = _outlets(archive)["olhardigital"]
    stories = _stories()
    first, gone, later = (
        stories[f"{e}-report-en"]["text"] + "\n" + stories[f"{e}-report-pt"]["text"]
        for e in ("e01", "e08", "e12")
    )
    store(archive, record("https://a.example/1", first, outlet_id=outlet))
    try:
        with session_factory(archive, write=True).begin() as session:
            store_batch(
                session,
                [
                    PageResult(
                        {"url": "https://b.example/1", "outlet_id": outlet, "outcome": "article"},
                        record("https://b.example/1", gone, outlet_id=outlet),
                        features("T", gone, "en"),
                    )
                ],
                [],
                CONFIG,
            )
            raise RuntimeError("the batch fails before it commits")
    except RuntimeError:
        pass
    # SQLite hands the rolled-back id to the next article; copies must still find their originals
    store(archive, record("https://c.example/1", later, outlet_id=outlet))
    store(
        archive,
        record(
            "https://copy.example/gone",
            "By Staff Writer\n" + gone,
            outlet_id=outlet,
            published=T0 + timedelta(hours=1),
        ),
        record(
            "https://copy.example/later",
            "By Staff Writer\n" + later,
            outlet_id=outlet,
            published=T0 + timedelta(hours=1),
        ),
    )
    after = state(archive)
    assert "https://b.example/1" not in after
    assert after["https://copy.example/later"][0] == "https://c.example/1"
    assert after["https://copy.example/gone"][0] is None
