"""Page latencies of `newsarchive serve` on a 100,000-article archive, SQLite and PostgreSQL.

    python bench/serve_latency.py [--articles 100000] [--pg postgresql+psycopg://postgres@127.0.0.1/postgres]

The archive is archive_bench.py's (synthetic articles in four languages, written by the crawl's
`insert_articles`), spread over 12 outlets with 10 crawl runs each, so the outlets page has runs
and a year of days to chart. `newsarchive serve --port 0` runs as a user starts it, and every page
is fetched over HTTP on loopback, one request at a time, after one warm-up round: search pages
(archive_bench.py's query mix), article pages (random ids), the outlets page, and the JSON API's
/api/articles pages (100 articles each, from random cursors). Prints one JSON object per backend.
"""

from __future__ import annotations

import random
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.archive_bench import BATCH, QUERIES, rows, run_on_both  # noqa: E402
from db import migrate  # noqa: E402
from db.models import CrawlRun, CrawlRunOutlet  # noqa: E402
from db.session import make_engine, session_factory  # noqa: E402
from db.store import insert_articles, upsert_outlets  # noqa: E402

OUTLETS = 12
RUNS = 10


def build(url: str, total: int) -> int:
    """The bench archive at `url`; its newest article id."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_factory(engine, write=True).begin() as session:
        ids = upsert_outlets(session, [{"slug": f"outlet{n}", "name": f"Outlet {n}"} for n in range(OUTLETS)])
    outlet_ids = list(ids.values())
    for start in range(0, total, BATCH):
        batch = [
            row | {"outlet_id": outlet_ids[(start + i) % OUTLETS]}
            for i, row in enumerate(rows(start, BATCH, outlet_ids[0]))
        ]
        with session_factory(engine, write=True).begin() as session:
            insert_articles(session, batch)
    now = datetime.now(timezone.utc)
    with session_factory(engine, write=True).begin() as session:
        for run in range(RUNS):
            started = now - timedelta(hours=RUNS - run)
            run_id = session.execute(
                insert(CrawlRun)
                .values(started_at=started, finished_at=started, status="ok")
                .returning(CrawlRun.id)
            ).scalar_one()
            for outlet_id in outlet_ids:
                health = {"articles": 40, "missing_date": 0.02, "missing_author": 0.1, "median_words": 350}
                session.execute(
                    insert(CrawlRunOutlet).values(
                        run_id=run_id, outlet_id=outlet_id, status="ok", articles_new=40, health=health
                    )
                )
    with engine.begin() as conn:  # what autovacuum does after a bulk load
        conn.execute(text("ANALYZE"))
    newest = engine.connect().execute(text("SELECT max(id) FROM articles")).scalar_one()
    engine.dispose()
    return newest


def timed(base: str, path: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(base + path, timeout=60) as response:
        response.read()
        assert response.status == 200, (path, response.status)
    return (time.perf_counter() - started) * 1000


def measure(url: str, total: int) -> dict:
    newest = build(url, total)
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "--db", url, "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = re.search(r"on (http://\S+/)", process.stderr.readline()).group(1)  # type: ignore[union-attr]
        picks = random.Random(7)
        pages = {
            "search": [f"?q={urllib.parse.quote(q)}" for q in QUERIES] * 5,
            "article": [f"articles/{picks.randint(1, newest)}" for _ in range(100)],
            "outlets": ["outlets"] * 20,
            "api_articles": [
                f"api/articles?limit=100&after_id={picks.randint(0, newest)}" for _ in range(50)
            ],
        }
        result: dict = {"backend": make_engine(url).dialect.name, "articles": total}
        for name, paths in pages.items():
            for path in paths[: len(paths) // 5]:  # warm-up round
                timed(base, path)
            latencies = sorted(timed(base, path) for path in paths)
            result[f"{name}_p50_ms"] = round(statistics.median(latencies), 1)
            result[f"{name}_p95_ms"] = round(latencies[int(0.95 * (len(latencies) - 1))], 1)
        return result
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


if __name__ == "__main__":
    run_on_both(measure, __doc__.splitlines()[0])
