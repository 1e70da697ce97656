"""Canonical URLs and content hashes (crawler/stages/dedup.py)."""

from __future__ import annotations

from bench.seed_pages import seed_files
from crawler.stages.dedup import article_key, canonical_url, content_hash

from ..conftest import SHARED

SEEDS = seed_files()

FEEDS = SHARED / "corpus" / "feeds"
SITEMAPS = SHARED / "corpus" / "sitemaps"


def test_canonical_urls_collapse_variants():
    variants = [
        "https://Olhardigital.com.br:443/2025/06/07/pro/x/?utm_source=rss&utm_medium=feed#comments",
        "https://olhardigital.com.br/2025/06/07/pro/x/?fbclid=abc",
        "https://olhardigital.com.br/2025/06/07/pro/x/amp/",
    ]
    assert {canonical_url(v) for v in variants} == {"https://olhardigital.com.br/2025/06/07/pro/x/"}
    assert canonical_url("https://a.test/?p=123&utm_campaign=z") == "https://a.test/?p=123"
    assert (
        article_key("https://a.test/x?utm_source=1", "https://www.a.test/canonical/")
        == "https://www.a.test/canonical/"
    )
    assert article_key("https://a.test/x", "https://aggregator.test/x") == "https://a.test/x"


def test_content_hash_ignores_case_punctuation_and_spacing():
    assert content_hash("A Oracle, hoje:  “US$ 10 bi”.") == content_hash("a oracle hoje us 10 bi")
    assert content_hash("ﬁnal") == content_hash("final")  # NFKC
    assert content_hash("Oracle") != content_hash("Nvidia")
