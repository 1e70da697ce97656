"""How the discover stage does on other projects' feed and sitemap test suites, against their gold.

Cases (all in ../shared/corpus, origins and licences in its MANIFEST.tsv):
- feeds/feed-rs/**.xml|json with `.serde.json` gold (feed-rs, MIT/Apache-2.0): each entry's page link
  is its first link with no `rel` or rel="alternate" that is not an audio, video or image file;
- feeds/rss-parser/input/* with output/*.json gold (rss-parser, MIT): each item's `link`;
- sitemaps: the counts and URLs the crawler-commons and advertools tests assert (SITEMAP_GOLD below),
  plus, for every sitemap, the rule the issue tracker asked for: no image or video URL as a page.

A case passes when the links come out exactly, in order. Run: .venv/bin/python -m bench.discovery_peers
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from crawler.stages import discover

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

# What the peer projects' own tests assert for these files: (base URL, page URLs, child sitemaps).
SITEMAP_GOLD: dict[str, tuple[str, int, int]] = {
    "sitemaps/crawler-commons/sitemap.ns.xml": ("http://www.example.com/sitemap.ns.xml", 2, 0),
    "sitemaps/crawler-commons/sitemap.badns.xml": ("http://www.example.com/sitemap.badns.xml", 2, 0),
    "sitemaps/crawler-commons/sitemap.index.xml": ("http://www.example.com/sitemap.index.xml", 0, 15),
    "sitemaps/crawler-commons/xmlSitemap.gz": ("http://www.example.com/sitemap.xml.gz", 5, 0),
    "sitemaps/crawler-commons/sitemap.txt.gz": ("http://www.example.com/sitemap.txt.gz", 5, 0),
    "sitemaps/crawler-commons/sitemap.txt": ("http://www.domain.com/sitemap.txt", 2, 0),
    "sitemaps/crawler-commons/sitemap-with-bom.txt": ("http://www.domain.com/sitemap.txt", 2, 0),
    "sitemaps/crawler-commons/atom.xml": ("http://example.org/atom.xml", 1, 0),
    "sitemaps/crawler-commons/extension/sitemap-news.xml": ("http://www.example.org/sitemap-news.xml", 2, 0),
    "sitemaps/crawler-commons/extension/sitemap-images.xml": (
        "http://www.example.com/sitemap-images.xml",
        1,
        0,
    ),
    "sitemaps/crawler-commons/extension/sitemap-videos.xml": (
        "http://www.example.com/sitemap-videos.xml",
        3,
        0,
    ),
    "sitemaps/crawler-commons/extension/sitemap-mobile.xml": (
        "http://www.example.com/sitemap-mobile.xml",
        3,
        0,
    ),
    "sitemaps/crawler-commons/extension/sitemap-links.xml": (
        "http://www.example.com/sitemap-links.xml",
        3,
        0,
    ),
    "sitemaps/crawler-commons/extension/hebdenbridgetimes-articles-sitemap.xml": (
        "http://www.hebdenbridgetimes.co.uk/sitemap.xml",
        74,
        0,
    ),
    "sitemaps/crawler-commons/extension/shinpaideshou-news-sitemap.xml": (
        "https://shinpaideshou.wordpress.com/news-sitemap.xml",
        3,
        0,
    ),
    "sitemaps/advertools/news_sitemap.xml": ("https://www.nytimes.com/sitemaps/news.xml", 6, 0),
    "sitemaps/advertools/video_sitemap.xml": ("https://www.washingtonpost.com/video-sitemap.xml", 6, 0),
    "sitemaps/advertools/image_sitemap.xml": ("http://example.com/image-sitemap.xml", 2, 0),
    "sitemaps/advertools/regular_sitemap.xml": ("http://www.example.com/sitemap.xml", 5, 0),
    "sitemaps/advertools/sitemap_index.xml": ("https://advertools.readthedocs.io/sitemap_index.xml", 0, 4),
    "sitemaps/trafilatura/sitemap.xml": ("https://www.sitemaps.org/sitemap.xml", 84, 0),
    "sitemaps/trafilatura/sitemap2.xml": ("http://www.example.com/sitemap2.xml", 0, 2),
}


def _page_link(entry: dict, base: str) -> str | None:
    for link in entry.get("links") or []:
        kind = (link.get("media_type") or "").split("/", 1)[0]
        if (
            link.get("rel") in (None, "alternate")
            and kind not in ("audio", "video", "image")
            and link.get("href")
        ):
            href = urljoin(base, link["href"])
            if not discover._MEDIA_PATH.search(href.split("?", 1)[0]):
                return href
    return None


def feed_cases() -> list[tuple[str, bytes, str, list[str]]]:
    cases = []
    for gold in sorted((CORPUS / "feeds" / "feed-rs").rglob("*.serde.json")):
        source = next(
            (
                gold.with_name(gold.name.replace(".serde.json", ext))
                for ext in (".xml", ".json")
                if gold.with_name(gold.name.replace(".serde.json", ext)).exists()
            ),
            None,
        )
        if source is None:
            continue
        model = json.loads(gold.read_text(encoding="utf-8"))
        base = "https://example.test/feed"
        expected = [link for entry in model.get("entries", []) if (link := _page_link(entry, base))]
        cases.append((str(source.relative_to(CORPUS)), source.read_bytes(), base, expected))
    for gold in sorted((CORPUS / "feeds" / "rss-parser" / "output").glob("*.json")):
        sources = list((CORPUS / "feeds" / "rss-parser" / "input").glob(gold.stem + ".*"))
        if not sources:
            continue
        model = json.loads(gold.read_bytes().decode("utf-8", "replace"))
        expected = [item["link"] for item in model.get("feed", {}).get("items", []) if item.get("link")]
        cases.append(
            (
                str(sources[0].relative_to(CORPUS)),
                sources[0].read_bytes(),
                "https://example.test/feed",
                expected,
            )
        )
    return cases


# Where we part from a peer's gold on purpose, and why.
DISAGREEMENTS = {
    "feeds/feed-rs/rss2/rss_2.0_spec_1.xml": "an RSS <guid> is a permalink unless isPermaLink=false "
    "(RSS 2.0 spec; crawler-commons' feed test agrees): we take it as the item's page, feed-rs does not",
}


def _same(url: str, base: str) -> str:
    """Equal URLs compare equal: resolved against the feed's URL, host in lower case, empty path as /."""
    parts = urlsplit(urljoin(base, url))
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment)
    )


def score() -> dict[str, object]:
    results: dict[str, list[tuple[str, bool, str]]] = {"feeds": [], "sitemaps": []}
    for name, body, base, expected in feed_cases():
        try:
            got = [link.url for link in discover.parse_feed(body, base).links]
        except Exception as exc:  # noqa: BLE001 - a crash is a failed case, reported
            results["feeds"].append((name, False, f"crash: {type(exc).__name__}: {exc}"))
            continue
        ok = [_same(u, base) for u in got] == [_same(u, base) for u in expected]
        detail = DISAGREEMENTS.get(name, f"expected {expected[:3]}…, got {got[:3]}…")
        results["feeds"].append((name, ok, "" if ok else detail))
    for name, (base, pages, children) in SITEMAP_GOLD.items():
        try:
            info = discover.parse_sitemap((CORPUS / name).read_bytes(), base)
        except Exception as exc:  # noqa: BLE001
            results["sitemaps"].append((name, False, f"crash: {type(exc).__name__}: {exc}"))
            continue
        media = [link.url for link in info.links if discover._MEDIA_PATH.search(link.url.split("?", 1)[0])]
        ok = len(info.links) == pages and len(info.children) == children and not media
        detail = f"{len(info.links)} pages, {len(info.children)} children, {len(media)} media"
        results["sitemaps"].append((name, ok, "" if ok else detail))
    return {
        kind: {
            "cases": len(rows),
            "passed": sum(ok for _, ok, _ in rows),
            "failed": [r for r in rows if not r[1]],
        }
        for kind, rows in results.items()
    }


if __name__ == "__main__":
    report = score()
    for kind, summary in report.items():
        print(f"{kind}: {summary['passed']}/{summary['cases']}")  # type: ignore[index]
        for name, _, detail in summary["failed"]:  # type: ignore[index]
            print(f"  FAIL {name}: {detail}")
    sys.exit(0)
