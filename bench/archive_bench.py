"""Archive ingest rate and full-text query latency at N articles, on SQLite and PostgreSQL.

    python bench/archive_bench.py --articles 100000 [--pg postgresql+psycopg://postgres@127.0.0.1/postgres]

Ingest goes through the same code the crawl uses (`db.store.insert_articles`, batched,
insert-or-ignore, FTS kept in sync by the migrations' triggers). Queries are a realistic mix
of single words, phrases, OR and exclusions, through `db.queries.search` with default filters.
Prints one JSON object per backend; the README quotes the numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.devsite.synthetic import article  # noqa: E402
from crawler.settings import NEWSARCHIVE_SEARCH_CANDIDATES
from db import migrate  # noqa: E402
from db.queries import ArticleFilter, search  # noqa: E402
from db.session import make_engine, session_factory  # noqa: E402
from db.store import insert_articles, upsert_outlets  # noqa: E402

QUERIES = [
    "oracle",
    "data center",
    '"centro de dados"',
    "nvidia OR amd",
    "openai -microsoft",
    "gigawatts",
    "refroidissement liquide",
    "GPU H100",
    "Texas",
    "stargate",
    "contrato bilhões",
    "energía nuclear",
    "coreweave capacity",
    "inferência",
    "Trainium",
    "calcul",
    "campus transmission",
    "Ohio OR Virginia",
]
BATCH = 1000


def rows(start: int, count: int, outlet_id: int):
    for number in range(start, start + count):
        story = article(number)
        url = f"https://bench.example/{story.published_at:%Y/%m/%d}/{story.slug}/"
        yield {
            "outlet_id": outlet_id,
            "url": url,
            "canonical_url": url,
            "title": story.title,
            "published_at": story.published_at,
            "language": story.language,
            "text": story.text,
            "content_hash": hashlib.sha256(story.text.encode()).hexdigest(),
            "is_relevant": story.relevant,
            "topic_score": 0.8 if story.relevant else 0.1,
        }


def bench(url: str, total: int) -> dict:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_factory(engine, write=True).begin() as session:
        outlet = upsert_outlets(session, [{"slug": "bench", "name": "Bench"}])["bench"]
    prepared = [list(rows(start, BATCH, outlet)) for start in range(0, total, BATCH)]
    started = time.perf_counter()
    for batch in prepared:
        with session_factory(engine, write=True).begin() as session:
            insert_articles(session, batch)
    ingest_seconds = time.perf_counter() - started
    with engine.begin() as conn:  # what autovacuum does after a bulk load
        conn.execute(text("ANALYZE"))
    result = {
        "backend": engine.dialect.name,
        "articles": total,
        "ingest_articles_per_s": round(total / ingest_seconds),
    }
    for label, candidates in (("search", NEWSARCHIVE_SEARCH_CANDIDATES), ("search_rank_all", 0)):
        latencies = query_latencies(engine, candidates)
        result[f"{label}_p50_ms"] = round(statistics.median(latencies), 1)
        result[f"{label}_p95_ms"] = round(latencies[int(0.95 * (len(latencies) - 1))], 1)
    engine.dispose()
    return result


def query_latencies(engine, candidates: int, rounds: int = 5) -> list[float]:
    latencies = []
    with session_factory(engine).begin() as session:
        for query in QUERIES:
            search(session, query, ArticleFilter(), limit=20, candidates=candidates)  # warm the cache
        for _ in range(rounds):
            for query in QUERIES:
                started = time.perf_counter()
                search(session, query, ArticleFilter(), limit=20, candidates=candidates)
                latencies.append((time.perf_counter() - started) * 1000)
    return sorted(latencies)


def run_on_both(measure: Callable[[str, int], dict], description: str) -> None:
    """A bench's command line: `measure(url, articles)` on a scratch SQLite archive, then on a scratch
    PostgreSQL database (created and dropped), each result printed as one JSON line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="admin URL of a PostgreSQL server; a scratch database is created and dropped",
    )
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        print(json.dumps(measure(f"sqlite:///{scratch}/bench.db", args.articles)), flush=True)
    if args.skip_pg:
        return
    name = f"newsarchive_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        print(json.dumps(measure(args.pg.rsplit("/", 1)[0] + f"/{name}", args.articles)), flush=True)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    run_on_both(bench, __doc__.splitlines()[0])
