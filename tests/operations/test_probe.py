"""`newsarchive outlets add` and `outlets check` against the fixture server (crawler/operations/probe.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from crawler import outlets as registry
from crawler.devsite.loopback import loopback_settings, setting_arguments
from crawler.operations.probe import verdict
from crawler.spiders.probe import ProbeReport, SourceReport

from ..sites import FRESH, NOTNEWS, SOURCES


def _outlets(fixture_server, tmp_path, *args: str) -> subprocess.CompletedProcess:
    settings = setting_arguments(
        loopback_settings(fixture_server.port, ["unreachable.test"]) | {"RETRY_TIMES": 0}
    )
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "outlets", *args, *settings],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_outlets_add_proposes_an_entry_that_validates_and_writes_it(fixture_server, tmp_path):
    target = tmp_path / "outlets.toml"
    target.write_text('[outlets.other]\nfeeds = ["https://other.test/feed/"]\n', encoding="utf-8")
    before = target.read_text()
    printed = _outlets(fixture_server, tmp_path, "add", f"{FRESH}/", "--outlets", str(target))
    assert printed.returncode == 0, printed.stderr
    assert "[outlets.fresh]" in printed.stdout and 'name = "Fresh News"' in printed.stdout
    assert 'language = "pt"' in printed.stdout and f'feeds = ["{FRESH}/feed/"]' in printed.stdout
    assert target.read_text() == before  # printed only
    written = _outlets(fixture_server, tmp_path, "add", f"{FRESH}/", "--outlets", str(target), "--write")
    assert written.returncode == 0, written.stderr
    added = registry.load(target)["fresh"]
    assert added.homepage == f"{FRESH}/" and added.feeds == (f"{FRESH}/feed/",)
    # the proposed pattern accepts the site's articles and not its homepage or feed
    assert added.wants(f"{FRESH}/noticias/2025/06/07/uma-noticia-1234/")
    assert not added.wants(f"{FRESH}/feed/") and not added.wants(f"{FRESH}/")
    again = _outlets(fixture_server, tmp_path, "add", f"{FRESH}/", "--outlets", str(target), "--write")
    assert again.returncode == 2 and "already has an outlet 'fresh'" in again.stderr


def test_outlets_add_on_an_unreachable_or_non_news_site_says_why_in_one_line(fixture_server, tmp_path):
    target = tmp_path / "outlets.toml"
    target.write_text('[outlets.other]\nfeeds = ["https://other.test/feed/"]\n', encoding="utf-8")
    before = target.read_text()
    for url, says in (("https://unreachable.test/", "cannot read"), (f"{NOTNEWS}/", "not a news site")):
        result = _outlets(fixture_server, tmp_path, "add", url, "--outlets", str(target), "--write")
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and len(lines) == 1 and says in lines[0], result.stderr
        assert target.read_text() == before


def test_outlets_check_reports_sources_articles_and_a_verdict(fixture_server, tmp_path):
    target = tmp_path / "outlets.toml"
    target.write_text(
        f"""[outlets.fresh]
name = "Fresh News"
language = "pt"
homepage = "{FRESH}/"
feeds = ["{FRESH}/feed/"]
article_url_pattern = '/noticias/\\d{{4}}/\\d{{2}}/\\d{{2}}/[\\w-]+/$'

[outlets.narrow]
name = "Narrow"
feeds = ["{FRESH}/feed/"]
article_url_pattern = '/opiniao/'

[outlets.sources]
name = "Sources"
feeds = ["{SOURCES}/broken-feed/", "{SOURCES}/news/feed/"]
""",
        encoding="utf-8",
    )
    fresh = _outlets(fixture_server, tmp_path, "check", "fresh", "--outlets", str(target))
    assert fresh.returncode == 0, fresh.stderr + fresh.stdout
    assert f"{FRESH}/feed/" in fresh.stdout and "pattern accepts 100% of 4 links" in fresh.stdout
    assert fresh.stdout.count(" words · relevant") == 3 and "fresh: ok" in fresh.stdout
    failing = _outlets(fixture_server, tmp_path, "check", "narrow", "sources", "--outlets", str(target))
    assert failing.returncode == 1
    assert "narrow: pattern rejects most (it accepts 0% of 4 links)" in failing.stdout
    assert "sources: source broken" in failing.stdout and "broken-feed" in failing.stdout
    unknown = _outlets(fixture_server, tmp_path, "check", "nosuch", "--outlets", str(target))
    assert unknown.returncode == 2


def test_a_verdict_is_the_worst_finding():
    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    fresh = SourceReport("https://a.test/feed/", "feed", 200, 10, now - timedelta(hours=2))
    old = SourceReport("https://a.test/feed/", "feed", 200, 10, now - timedelta(days=30))
    assert verdict(ProbeReport(sources=[fresh], share=0.9), 7, now).word == "ok"
    assert verdict(ProbeReport(sources=[old], share=0.9), 7, now).word == "stale"
    assert verdict(ProbeReport(sources=[old], share=0.1), 7, now).word == "pattern rejects most"
    broken = SourceReport("https://a.test/s.xml", "sitemap", 404, None, None, "HTTP 404")
    assert verdict(ProbeReport(sources=[fresh, broken], share=0.1), 7, now).word == "source broken"
