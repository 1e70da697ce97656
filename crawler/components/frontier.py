"""Scale-out: N crawl processes, on one machine or many, share one outlet's frontier in Redis.

`newsarchive crawl --frontier redis://HOST:6379/N` swaps Scrapy's scheduler for scrapy-redis's:
the request queue lives in Redis, so every worker takes the next request from the same queue.
What is ours:
- the duplicate filter is a Bloom filter in a Redis bitmap: fixed memory (32 MiB holds ~13 million
  URLs at a 0.1% false-positive rate) where a set of fingerprints grows without bound;
- one worker per crawl reads the outlet's feeds and sitemaps (the first to claim the seed key);
- a worker stops only after the shared queue has stayed empty for a while, so the ones that
  start while another is still reading a sitemap do not quit before there is work.
The archive (PostgreSQL) keeps rows unique by canonical URL, whoever stores them.
"""

from __future__ import annotations

import hashlib
import logging
import time

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.request import RequestFingerprinter

logger = logging.getLogger(__name__)

# SETBIT returns a bit's old value: the request is new when any of its bits was still 0.
_SEEN_SCRIPT = """
local seen = 1
for _, offset in ipairs(ARGV) do
  if redis.call('SETBIT', KEYS[1], offset, 1) == 0 then seen = 0 end
end
return seen
"""


def keys(slug: str) -> dict[str, str]:
    """The Redis keys of one outlet's frontier."""
    base = f"newsarchive:{slug}"
    return {"queue": f"{base}:requests", "seen": f"{base}:seen", "seed": f"{base}:seed"}


def frontier_settings(redis_url: str, slug: str) -> dict:
    """Settings of one outlet's crawler in a shared frontier."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": keys(slug)["queue"],
        "SCHEDULER_DUPEFILTER_KEY": keys(slug)["seen"],
        "DUPEFILTER_CLASS": "crawler.components.frontier.BloomDupeFilter",
        "REDIS_URL": redis_url,
    }


class BloomDupeFilter:
    """A Bloom filter over Scrapy request fingerprints, in a Redis bitmap shared by all workers."""

    def __init__(self, server: redis.Redis, key: str, bits: int, hashes: int) -> None:
        self.server, self.key, self.bits, self.hashes = server, key, bits, hashes
        self.seen_script = server.register_script(_SEEN_SCRIPT)
        self.fingerprinter = RequestFingerprinter()
        self.logged = False

    @classmethod
    def from_settings(cls, settings) -> "BloomDupeFilter":
        server = redis.Redis.from_url(settings.get("REDIS_URL"))
        return cls(
            server,
            settings.get("SCHEDULER_DUPEFILTER_KEY"),
            settings.getint("NEWSARCHIVE_FRONTIER_BLOOM_BITS"),
            settings.getint("NEWSARCHIVE_FRONTIER_BLOOM_HASHES"),
        )

    def offsets(self, fingerprint: bytes) -> list[int]:
        """Double hashing: k positions from two 64-bit halves of a hash of the fingerprint."""
        digest = hashlib.blake2b(fingerprint, digest_size=16).digest()
        first, second = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        return [(first + i * second) % self.bits for i in range(self.hashes)]

    def request_seen(self, request) -> bool:
        return bool(
            self.seen_script(keys=[self.key], args=self.offsets(self.fingerprinter.fingerprint(request)))
        )

    def open(self) -> None:
        pass

    def close(self, reason: str) -> None:
        pass

    def clear(self) -> None:
        self.server.delete(self.key)

    def log(self, request, spider) -> None:
        if not self.logged:
            logger.debug(
                "duplicate request filtered (shared frontier): %s; later ones are not logged", request.url
            )
            self.logged = True


def claim_seed(redis_url: str, slug: str, seconds: int) -> bool:
    """Whether this worker reads the outlet's feeds and sitemaps in this crawl (the first one does)."""
    return bool(redis.Redis.from_url(redis_url).set(keys(slug)["seed"], time.time(), nx=True, ex=seconds))


class FrontierIdle:
    """Keeps a worker alive while the shared queue has work, and for a grace period after it empties."""

    def __init__(self, server: redis.Redis, grace_seconds: float) -> None:
        self.server = server
        self.grace_seconds = grace_seconds
        self.empty_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler) -> "FrontierIdle":
        if not crawler.settings.get("NEWSARCHIVE_FRONTIER"):
            raise NotConfigured("no shared frontier")
        extension = cls(
            redis.Redis.from_url(crawler.settings.get("NEWSARCHIVE_FRONTIER")),
            crawler.settings.getfloat("NEWSARCHIVE_FRONTIER_IDLE_SECONDS"),
        )
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        return extension

    def spider_idle(self, spider) -> None:
        if self.server.zcard(
            keys(spider.outlet.slug)["queue"]
        ):  # scrapy-redis's default queue is a sorted set
            self.empty_since = None
            raise DontCloseSpider
        now = time.monotonic()
        self.empty_since = self.empty_since or now
        if now - self.empty_since < self.grace_seconds:
            raise DontCloseSpider
