"""Crawl memory over a 100,000-URL frontier, and the speed-up from one to two workers.

    python bench/scaleout.py [--urls 100000] [--pages 3000] [--redis redis://127.0.0.1:6379/14]

A loopback site publishes a sitemap index of `--urls` article URLs (10 child sitemaps); its pages
are real-size (50-150 KB, padded like bench/crawl_throughput.py's synthetic source; 400 bodies
cycled under distinct URLs, generated once). Every crawl stops after `--pages` responses
(CLOSESPIDER_PAGECOUNT), so the rest of the frontier stays queued while it runs.

1. Memory: one `newsarchive crawl`, the crawl process and its extraction workers sampled every
   0.5 s (RSS from /proc): the frontier in memory (Scrapy's default), on disk (`--resume DIR`),
   in Redis (`--frontier`).
2. Speed-up: pages/s of one worker (two extraction processes) against two workers sharing a Redis
   frontier (one extraction process each, and two each), on this 2-core machine.
Prints one JSON object per measurement.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.crawl_throughput import heavy_page  # noqa: E402
from crawler.devsite.siteserver import Resource, SiteServer  # noqa: E402

BODIES = 400
CHILDREN = 10


class LazySite(dict):
    """Article pages made on request from a pool of bodies; sitemaps made once."""

    def __init__(self, base: str, urls: int) -> None:
        super().__init__()
        self.bodies = [heavy_page(n, base)[1] for n in range(1, BODIES + 1)]
        per_child = urls // CHILDREN
        children = []
        for child in range(CHILDREN):
            locs = "".join(
                f"<url><loc>{base}{self.path(n)}</loc></url>"
                for n in range(child * per_child, (child + 1) * per_child)
            )
            self[f"/sitemap-{child}.xml"] = Resource(
                f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode(),
                "application/xml",
            )
            children.append(f"<sitemap><loc>{base}/sitemap-{child}.xml</loc></sitemap>")
        self["/sitemap.xml"] = Resource(
            (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
                'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(children) + "</sitemapindex>"
            ).encode(),
            "application/xml",
        )

    @staticmethod
    def path(number: int) -> str:
        return f"/2025/06/{number % 28 + 1:02d}/news/page-{number}/"

    def get(self, path, default=None):
        if path.startswith("/2025/06/") and "/page-" in path:
            number = int(path.rstrip("/").rsplit("-", 1)[1])
            return Resource(self.bodies[number % BODIES], "text/html")
        return super().get(path, default)


def command(db_url: str, registry: Path, pages: int, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--db",
        db_url,
        "--outlets",
        str(registry),
        *extra,
        "-s",
        "AUTOTHROTTLE_ENABLED=false",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s",
        "ROBOTSTXT_OBEY=false",
        "-s",
        f"CLOSESPIDER_PAGECOUNT={pages}",
        "-s",
        "NEWSARCHIVE_FRONTIER_IDLE_SECONDS=2",
    ]


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS of the crawl process, PSS of it and all its descendants): PSS shares the libraries the
    extraction workers map with the parent instead of counting them once per process."""
    main, total, pending = 0, 0, [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text().splitlines()
            fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:] if line.endswith("kB")}
            total += fields.get("Pss", 0)
            if current == pid:
                main = fields.get("Rss", 0)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return main / 1024, total / 1024


def run_sampled(argv: list[str]) -> tuple[float, list[tuple[float, float]]]:
    samples: list[tuple[float, float]] = []
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            samples.append(memory_mb(process.pid))

    threading.Thread(target=sample, daemon=True).start()
    _, stderr = process.communicate(timeout=7200)
    stop.set()
    if process.returncode != 0:
        raise RuntimeError(stderr[-2000:])
    return time.perf_counter() - started, samples


def fetched(db_path: Path) -> int:
    """Article pages the crawl runs fetched and processed (the 400 bodies share 400 canonical URLs,
    so rows would undercount)."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT coalesce(sum(pages), 0) FROM crawl_run_outlets").fetchone()[0]


def memory(server_url: str, urls: int, pages: int, mode: str, redis_url: str, scratch: Path) -> dict:
    registry = scratch / "outlets.toml"
    registry.write_text(
        f'[outlets.bench]\nname = "Bench"\nlanguage = "en"\nsitemaps = ["{server_url}/sitemap.xml"]\n'
    )
    extra = {"memory": [], "disk": ["--resume", str(scratch / "jobs")], "redis": ["--frontier", redis_url]}[
        mode
    ]
    seconds, samples = run_sampled(command(f"sqlite:///{scratch / 'bench.db'}", registry, pages, extra))
    quarter = max(1, len(samples) // 4)
    crawler_rss, all_pss = [s[0] for s in samples], [s[1] for s in samples]
    return {
        "measure": "memory",
        "frontier": mode,
        "urls": urls,
        "pages": pages,
        "seconds": round(seconds, 1),
        "fetched": fetched(scratch / "bench.db"),
        "crawler_peak_rss_mb": round(max(crawler_rss, default=0)),
        "crawler_rss_mb_by_quarter": [
            round(max(crawler_rss[i : i + quarter])) for i in range(0, len(samples), quarter)
        ][:4],
        "with_workers_peak_pss_mb": round(max(all_pss, default=0)),
    }


def speed(
    server_url: str, pages: int, workers: int, extract_processes: int, redis_url: str, scratch: Path
) -> dict:
    registry = scratch / "outlets.toml"
    registry.write_text(
        f'[outlets.bench]\nname = "Bench"\nlanguage = "en"\nsitemaps = ["{server_url}/sitemap.xml"]\n'
    )
    db_url = "sqlite:///" + str(scratch / "bench.db")
    extra = ["-s", f"NEWSARCHIVE_EXTRACT_WORKERS={extract_processes}"] + (
        ["--frontier", redis_url] if workers > 1 else []
    )
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            command(db_url, registry, pages // workers, extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=7200)
        if process.returncode != 0:
            raise RuntimeError(stderr[-2000:])
    seconds = time.perf_counter() - started
    done = fetched(scratch / "bench.db")
    return {
        "measure": "speed",
        "workers": workers,
        "extract_processes_each": extract_processes,
        "pages": pages,
        "fetched": done,
        "seconds": round(seconds, 1),
        "pages_per_s": round(done / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--only", choices=("memory", "speed"), help="One of the two measurements.")
    args = parser.parse_args()
    server = SiteServer({})
    server.sites["*"] = LazySite(server.url, args.urls)
    server.start()
    flush = redis.Redis.from_url(args.redis).flushdb
    for mode in ("memory", "disk", "redis") if args.only != "speed" else ():
        flush()
        with tempfile.TemporaryDirectory() as scratch:
            print(
                json.dumps(memory(server.url, args.urls, args.pages, mode, args.redis, Path(scratch))),
                flush=True,
            )
    # the speed runs seed a frontier twice their size, so seeding it (into Redis) stays a small share
    server.sites["*"] = LazySite(server.url, 2 * args.pages)
    for workers, extract_processes in ((1, 2), (2, 1), (2, 2)) if args.only != "memory" else ():
        flush()
        with tempfile.TemporaryDirectory() as scratch:
            print(
                json.dumps(
                    speed(server.url, args.pages, workers, extract_processes, args.redis, Path(scratch))
                ),
                flush=True,
            )
    flush()
    server.shutdown()


if __name__ == "__main__":
    main()
