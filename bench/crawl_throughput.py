"""End-to-end crawl throughput vs. the bound of trafilatura alone, in the same run.

    python bench/crawl_throughput.py [--pages 2000]

1. Serves N article pages of 50-150 KB on loopback with a sitemap: by default real news pages
   from ../shared/corpus (the 320 in that size range, cycled under distinct URLs); with
   `--source synthetic`, generated pages padded to size with mega-menus, scripts and teasers.
2. Bound: trafilatura alone (the crawl's options) extracting the same pages with both cores.
3. Crawl: `newsarchive crawl` into a fresh SQLite archive, politeness delays off.
Prints one JSON line; the README reports the ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.devsite import sitegen  # noqa: E402
from crawler.devsite.siteserver import Resource, SiteServer  # noqa: E402
from crawler.devsite.synthetic import article  # noqa: E402
from crawler.stages.encoding import decode_html  # noqa: E402
from crawler.stages.extract import TRAFILATURA_OPTIONS, parse_html  # noqa: E402


def heavy_page(number: int, base: str) -> tuple[str, bytes]:
    """An article page padded to 50-150 KB with the non-article weight real pages carry."""
    rng = random.Random(number)
    story = article(number)
    url = f"{base}/{story.published_at:%Y/%m/%d}/pro/{story.slug}/"
    page = sitegen.article_page(sitegen.SiteArticle(story, url), "Bench News")
    target = rng.randint(50_000, 150_000)
    menu = "".join(
        f'<li class="menu-item"><a href="{base}/category/section-{i}/">Section {i}</a></li>'
        for i in range(250)
    )
    teasers = "".join(
        f'<div class="teaser"><a href="{base}/2024/02/0{i % 9 + 1}/pro/teaser-{i}/"><img '
        f'src="/img/{i}.webp" alt="">'
        f"<h3>{article(number * 31 + i).title}</h3></a><p>{article(number * 31 + i).text[:160]}</p></div>"
        for i in range(24)
    )
    padding = f'<nav class="mega-menu"><ul>{menu}</ul></nav><section class="more">{teasers}</section>'
    script = "<script>window.__APP_STATE__=" + json.dumps({"k": ["x" * 80] * 40}) + ";</script>"
    while len(page) + len(padding) < target:
        padding += script
    return url, page.replace("</main>", padding + "</main>", 1).encode("utf-8")


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "benchmarks"


def corpus_pages(count: int, base: str) -> dict[str, bytes]:
    """Real pages of 50-150 KB from the shared corpus, cycled under distinct URLs."""
    bodies = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and (path.suffix in (".html", ".htm") or path.name.endswith(".html.gz")):
            body = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
            if 50_000 <= len(body) <= 150_000:
                bodies.append(body)
    return {f"{base}/2025/06/{n % 28 + 1:02d}/news/page-{n}/": bodies[n % len(bodies)] for n in range(count)}


def extract_only(body: bytes, fast: bool) -> int:
    """The bound: trafilatura exactly as the crawl calls it (on a parsed tree of the decoded page,
    in the same mode), with none of the crawl's other work."""
    import trafilatura

    tree = parse_html(decode_html(body, None)[0])
    document = (
        trafilatura.bare_extraction(tree, fast=fast, **TRAFILATURA_OPTIONS) if tree is not None else None
    )
    return len(document.text) if document is not None else 0


def bound(bodies: list[bytes], workers: int, fast: bool) -> float:
    modes = [fast] * len(bodies)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(extract_only, bodies[:20], modes[:20]))  # warm the workers (imports)
        started = time.perf_counter()
        list(pool.map(extract_only, bodies, modes, chunksize=8))
        return len(bodies) / (time.perf_counter() - started)


def crawl(server_url: str, pages: int, scratch: Path, fast: bool) -> tuple[float, dict]:
    registry = scratch / "outlets.toml"
    registry.write_text(
        f'[outlets.bench]\nname = "Bench"\nlanguage = "pt"\nsitemaps = ["{server_url}/sitemap.xml"]\n'
    )
    db_url = f"sqlite:///{scratch / 'bench.db'}"
    command = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--db",
        db_url,
        "--outlets",
        str(registry),
        "-s",
        "AUTOTHROTTLE_ENABLED=false",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s",
        "ROBOTSTXT_OBEY=false",
        "-s",
        f"NEWSARCHIVE_FAST_EXTRACTION={fast}",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=3600)
    seconds = time.perf_counter() - started
    import sqlite3

    with sqlite3.connect(scratch / "bench.db") as conn:
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        run_seconds = conn.execute(
            "SELECT (julianday(finished_at) - julianday(started_at)) * 86400 FROM crawl_runs"
        ).fetchone()[0]
    return pages / seconds, {
        "stored": stored,
        "wall_seconds": round(seconds, 1),
        "crawl_run_seconds": round(run_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--source", choices=("corpus", "synthetic"), default="corpus")
    parser.add_argument(
        "--fast", action="store_true", help="trafilatura's fast mode (NEWSARCHIVE_FAST_EXTRACTION)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="bound and crawl measured alternately this many times"
    )
    args = parser.parse_args()
    server = SiteServer({})
    if args.source == "corpus":
        pages = corpus_pages(args.pages, server.url)
    else:
        pages = dict(heavy_page(n, server.url) for n in range(1, args.pages + 1))
    # no charset in the header: real pages declare their own (and some are not UTF-8)
    site = {url[len(server.url) :]: Resource(body, "text/html") for url, body in pages.items()}
    site["/sitemap.xml"] = Resource(
        (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{u}</loc></url>" for u in pages)
            + "</urlset>"
        ).encode(),
        "application/xml",
    )
    server.sites["*"] = site
    server.start()
    sizes = sorted(len(b) for b in pages.values())
    workers = os.cpu_count() or 2
    rounds = []
    for _ in range(args.rounds):  # alternating, so a slow spell of the machine hits both sides
        bound_rate = bound(list(pages.values()), workers, args.fast)
        with tempfile.TemporaryDirectory() as scratch:
            crawl_rate, details = crawl(server.url, args.pages, Path(scratch), args.fast)
        rounds.append(
            {
                "bound": round(bound_rate, 1),
                "crawl": round(crawl_rate, 1),
                "ratio": round(crawl_rate / bound_rate, 2),
                **details,
            }
        )
    server.shutdown()
    print(
        json.dumps(
            {
                "source": args.source,
                "fast_extraction": args.fast,
                "pages": args.pages,
                "page_kb_min": sizes[0] // 1024,
                "page_kb_median": sizes[len(sizes) // 2] // 1024,
                "page_kb_max": sizes[-1] // 1024,
                "cores": workers,
                "median_ratio": statistics.median(r["ratio"] for r in rounds),
                "rounds": rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
