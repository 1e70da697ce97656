"""Scale-out: real worker processes share one frontier in Redis and one archive in PostgreSQL."""

from __future__ import annotations

import subprocess
import time
from collections import Counter

import pytest
import redis
from scrapy import Request
from scrapy.settings import Settings
from sqlalchemy import select

from crawler.components.frontier import BloomDupeFilter, keys
from db import migrate
from db.models import Article, CrawlRunOutlet
from db.session import make_engine, session_factory

from ..conftest import crawl_command, truncate_postgres
from ..sites import BULK_ARTICLES

pytestmark = pytest.mark.redis


def test_bloom_filter_remembers_requests_in_fixed_memory(redis_url):
    settings = Settings(
        {
            "REDIS_URL": redis_url,
            "SCHEDULER_DUPEFILTER_KEY": "newsarchive:test:seen",
            "NEWSARCHIVE_FRONTIER_BLOOM_BITS": 2**20,
            "NEWSARCHIVE_FRONTIER_BLOOM_HASHES": 10,
        }
    )
    first, second = BloomDupeFilter.from_settings(settings), BloomDupeFilter.from_settings(settings)
    urls = [f"https://news.example/{n}/" for n in range(5000)]
    assert not any(first.request_seen(Request(url)) for url in urls)
    assert all(second.request_seen(Request(url)) for url in urls)  # another worker sees them
    assert (
        sum(second.request_seen(Request(f"https://other.example/{n}/")) for n in range(5000)) <= 5
    )  # ~0.1% at capacity 87k
    assert (
        redis.Redis.from_url(redis_url).strlen("newsarchive:test:seen") == 2**20 // 8
    )  # 128 KiB, whatever the count
    first.clear()
    assert not second.request_seen(Request(urls[0]))


@pytest.mark.postgres
def test_three_workers_split_one_crawl_without_fetching_a_url_twice(
    fixture_server, registry, pg_schema, redis_url
):
    truncate_postgres(pg_schema)
    engine = make_engine(pg_schema)
    migrate.upgrade(engine)
    before = len(fixture_server.requests("bulk.test"))
    slow = [
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        "-s",
        "DOWNLOAD_DELAY=0.1",
        "-s",
        "NEWSARCHIVE_FRONTIER_IDLE_SECONDS=3",
    ]
    command = (
        crawl_command(
            fixture_server, pg_schema, "--outlets", str(registry), "--outlet", "bulk", "--frontier", redis_url
        )
        + slow
    )
    workers = []
    for _ in range(3):
        workers.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        time.sleep(0.5)
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr[-2000:]
    fetched = Counter(r["path"] for r in fixture_server.requests("bulk.test")[before:])
    # no URL fetched twice, sitemaps included; robots.txt is each worker's own (Scrapy reads it per process)
    assert [path for path, count in fetched.items() if count > 1 and path != "/robots.txt"] == []
    articles = [path for path in fetched if "/pro/" in path]
    assert len(articles) == BULK_ARTICLES
    with session_factory(engine).begin() as session:
        urls = session.scalars(select(Article.url)).all()
        pages = session.scalars(select(CrawlRunOutlet.pages)).all()
    assert len(urls) == len(set(urls)) == BULK_ARTICLES
    assert (
        len(pages) == 3 and sum(pages) == BULK_ARTICLES and sum(1 for p in pages if p > 0) >= 2
    )  # the work was split
    assert redis.Redis.from_url(redis_url).zcard(keys("bulk")["queue"]) == 0
    engine.dispose()
