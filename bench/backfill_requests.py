"""What a one-month backfill of a WordPress outlet costs, REST API against sitemaps.

    python bench/backfill_requests.py

Serves the fixture WordPress site of tests/sites.py (2,000 posts, one every 4 hours over 11
months; feed, Yoast-style sitemaps of 1,000 URLs with lastmod, REST API) on loopback and runs
`newsarchive crawl --since 2025-06-01 --until 2025-07-01` of it twice into fresh archives: as a
WordPress outlet (the REST API walk) and as a plain one (the sitemaps). Counts the requests and the
bytes the server sent, discovery (everything but article pages) apart. Prints one JSON line and
appends it to bench/results/backfill_requests.jsonl.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.devsite.loopback import loopback_settings, setting_arguments  # noqa: E402
from crawler.devsite.siteserver import SiteServer  # noqa: E402
from tests.sites import WINDOW, WP, all_sites  # noqa: E402

REGISTRY = """[outlets.wp]
name = "WP News"
language = "pt"
homepage = "{base}/"
feeds = ["{base}/feed/"]
sitemaps = ["{base}/sitemap_index.xml"]
wordpress = {wordpress}
article_url_pattern = '/\\d{{4}}/\\d{{2}}/\\d{{2}}/[\\w-]+/$'
"""


def crawl(server: SiteServer, log: Path, scratch: Path, wordpress: bool) -> dict[str, int]:
    registry = scratch / f"wp-{wordpress}.toml"
    registry.write_text(REGISTRY.format(base=WP, wordpress=str(wordpress).lower()), encoding="utf-8")
    before = len(log.read_text().splitlines()) if log.exists() else 0
    since, until = (day.date().isoformat() for day in WINDOW)
    command = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--db",
        f"sqlite:///{scratch / f'{wordpress}.db'}",
    ]
    command += ["--outlets", str(registry), "--since", since, "--until", until]
    command += setting_arguments(loopback_settings(server.server_address[1]))
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    entries = [json.loads(line) for line in log.read_text().splitlines()[before:]]
    sites = server.sites["wp.test"]
    sent = [
        (e, len(sites[e["path"]].body) if e["path"] in sites else 0)
        for e in entries
        if e["host"] == "wp.test"
    ]
    discovery = [
        (e, size)
        for e, size in sent
        if not sites.get(e["path"], None) or "html" not in sites[e["path"]].content_type
    ]
    return {
        "requests": len(sent),
        "discovery_requests": len(discovery),
        "discovery_bytes": sum(size for _, size in discovery),
        "article_pages": len(sent) - len(discovery),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "requests.jsonl"
        server = SiteServer(all_sites(), log_path=log).start()
        result = {
            "window": [day.date().isoformat() for day in WINDOW],
            "rest_api": crawl(server, log, Path(scratch), True),
            "sitemaps": crawl(server, log, Path(scratch), False),
        }
        server.shutdown()
    line = json.dumps(result)
    print(line)
    with open(ROOT / "bench" / "results" / "backfill_requests.jsonl", "a", encoding="utf-8") as out:
        out.write(line + "\n")


if __name__ == "__main__":
    main()
