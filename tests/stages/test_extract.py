"""trafilatura with metadata fallbacks (crawler/stages/extract.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from bench.seed_pages import seed_files
from crawler.devsite import sitegen
from crawler.devsite.synthetic import article
from crawler.stages.extract import Hints, extract

from ..conftest import SHARED

SEEDS = seed_files()

FEEDS = SHARED / "corpus" / "feeds"
SITEMAPS = SHARED / "corpus" / "sitemaps"


def test_extract_uses_json_ld_then_hints_then_url_date():
    item = sitegen.SiteArticle(article(42, relevant=True), "https://a.test/2024/01/02/pro/x/")
    page = sitegen.article_page(item, "A")
    extracted = extract(page, item.url)
    assert extracted.title == item.story.title and extracted.published_at == item.story.published_at
    assert extracted.authors == ["Redação"] and extracted.page_language == item.story.language
    paragraphs = "".join(f"<p>{p}</p>" for p in item.story.text.split("\n"))
    bare = f"<html><body><article><h1>T</h1>{paragraphs}</article></body></html>"
    hinted = datetime(2024, 1, 2, 9, 30, tzinfo=timezone.utc)
    assert extract(bare, item.url, Hints("Feed title", hinted)).published_at == hinted
    assert extract(bare, item.url).published_at == datetime(2024, 1, 2, tzinfo=timezone.utc)
    assert extract("", item.url) is None and extract("<html></html>", item.url) is None


def test_title_entities_and_site_suffix_and_nfc_text():
    json_ld = '{"@type": "NewsArticle", "headline": "Nvidia&#8217;s &quot;AI factory&quot; - The Wire"}'
    body = "".join(
        f"<p>Paragraph {i} about the new cluster, written with cafe\u0301 in decomposed form.</p>"
        for i in range(8)
    )
    page = (
        f'<html><head><script type="application/ld+json">{json_ld}</script>'
        '<meta property="og:site_name" content="The '
        f'Wire"></head><body><article>{body}</article></body></html>'
    )
    extracted = extract(page, "https://example.com/a")
    assert extracted.title == 'Nvidia’s "AI factory"'
    assert "café" in extracted.text and "e\u0301" not in extracted.text


def test_a_dateline_of_the_same_day_gives_the_time_a_sidebar_date_does_not():
    body = "".join(
        f"<p>Paragraph {i} of the article, long enough to be the main text of the page.</p>" for i in range(8)
    )
    dateline = '<div class="post-meta">Por Ana | 13 de junho de 2024, às 09h30</div>'
    sidebar = '<aside><span class="date">2 de maio de 2019</span></aside>'
    url = "https://olhardigital.com.br/2024/06/13/pro/x/"
    with_dateline = extract(f"<html><body><article>{dateline}{body}</article></body></html>", url)
    assert with_dateline.published_at.isoformat() == "2024-06-13T09:30:00+00:00"
    with_sidebar = extract(f"<html><body><article>{body}</article>{sidebar}</body></html>", url)
    assert with_sidebar.published_at.date().isoformat() == "2024-06-13"
