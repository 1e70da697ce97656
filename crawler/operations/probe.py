"""`newsarchive outlets add` and `outlets check`: probe outlets live and judge what they give.

Both run crawler.spiders.probe.ProbeSpider (robots.txt obeyed, nothing stored) in one Scrapy
process, one spider per outlet.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess

from crawler import outlets as registry
from crawler.config import load_settings
from crawler.spiders.probe import ProbeReport, ProbeSpider
from crawler.stages.patterns import COMMON_EXCLUDES

# What a probe leaves out of a crawl's configuration: nothing is stored, no crawl run is recorded.
PROBE_SETTINGS: dict[str, Any] = {
    "ITEM_PIPELINES": {},
    "EXTENSIONS": {
        "crawler.components.extensions.RunRecorder": None,
        "crawler.components.warc.WarcRecorder": None,
        "crawler.components.frontier.FrontierIdle": None,
    },
    "SPIDER_MIDDLEWARES": {
        "crawler.components.middlewares.IncrementalMiddleware": None,
        "crawler.components.middlewares.MaxPagesMiddleware": None,
    },
    "LOG_INSTALL_ROOT_HANDLER": False,
}


def probe(
    outlets: dict[str, registry.Outlet], overrides: dict[str, Any] | None = None
) -> dict[str, ProbeReport]:
    settings = load_settings(overrides or {})
    for name, value in PROBE_SETTINGS.items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = {}
    for slug, outlet in outlets.items():
        crawler = process.create_crawler(ProbeSpider)
        crawlers[slug] = crawler
        process.crawl(crawler, outlet=outlet)
    process.start()
    return {slug: crawler.spider.report for slug, crawler in crawlers.items()}  # type: ignore[union-attr]


@dataclass(frozen=True)
class Verdict:
    word: str  # ok, stale, pattern rejects most, source broken
    why: str


def verdict(report: ProbeReport, stale_days: float, now: datetime | None = None) -> Verdict:
    """The worst of: a source broken; the pattern rejecting most links; nothing new for a while."""
    broken = [s for s in report.sources if s.error or s.entries is None or (s.status or 200) >= 400]
    if broken or not report.sources:
        what = (
            f"{broken[0].url}: {broken[0].error or f'HTTP {broken[0].status}'}"
            if broken
            else "no source answered"
        )
        return Verdict("source broken", what)
    if report.share is not None and report.share < 0.5:
        return Verdict("pattern rejects most", f"it accepts {report.share:.0%} of {len(report.links)} links")
    dates = [s.newest for s in report.sources if s.newest is not None]
    now = now or datetime.now(timezone.utc)
    if dates and now - max(dates) > timedelta(days=stale_days):
        return Verdict("stale", f"newest entry {max(dates):%Y-%m-%d}, over {stale_days:g} days ago")
    return Verdict(
        "ok", f"{len(report.links)} links, newest {max(dates):%Y-%m-%d %H:%M} UTC" if dates else ""
    )


def slug_for(url: str) -> str:
    """tecnoblog.net -> tecnoblog; www.lemondeinformatique.fr -> lemondeinformatique."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    label = host.split(".")[0] if host else "outlet"
    return re.sub(r"[^a-z0-9_-]", "", label.lower())[:64] or "outlet"


def registry_entry(slug: str, homepage: str, report: ProbeReport, language: str | None) -> str:
    """The TOML table `outlets add` proposes, from what the probe found."""
    feeds = [s.url for s in report.sources if s.kind == "feed" and s.entries and "paged=" not in s.url]
    sitemaps = [s.url for s in report.sources if s.kind == "sitemap" and s.entries]
    lines = [f"[outlets.{slug}]", f"name = {_toml(report.name or slug)}", f"homepage = {_toml(homepage)}"]
    if language or report.language:
        lines.append(f"language = {_toml(language or report.language or '')}")
    lines.append(f"feeds = {_toml_list(feeds)}")
    if sitemaps:
        lines.append(f"sitemaps = {_toml_list(sitemaps[:1])}")
    if report.wordpress_api:
        lines.append("wordpress = true")
    if report.pattern:
        lines.append(f"article_url_pattern = '{report.pattern}'")
        excludes = ", ".join("'" + pattern + "'" for pattern in COMMON_EXCLUDES)  # TOML literal strings
        lines.append(f"exclude_url_patterns = [{excludes}]")
    return "\n".join(lines) + "\n"


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml(v) for v in values) + "]"


def append_entry(path: Path, entry: str) -> None:
    """Append `entry` to the registry at `path`, only if the result still validates (a crash or a
    bad entry leaves the file as it was)."""
    current = path.read_text(encoding="utf-8")
    combined = current.rstrip("\n") + "\n\n" + entry
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, suffix=".toml", delete=False
    ) as out:
        out.write(combined)
    try:
        registry.load(Path(out.name))
        os.replace(out.name, path)
    finally:
        Path(out.name).unlink(missing_ok=True)
