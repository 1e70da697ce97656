"""The pure stages, one by one: discover, dates, encoding, extract, clean, classify, dedup."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.devsite import sitegen
from crawler.stages import discover
from crawler.stages.classify import detect_language, relevance
from crawler.stages.clean import clean
from crawler.stages.dates import date_from_url, parse_date
from crawler.stages.dedup import article_key, canonical_url, content_hash
from crawler.stages.encoding import decode_html, looks_binary
from crawler.stages.extract import Hints, extract
from crawler.devsite.synthetic import article

from .conftest import SHARED
from bench.seed_pages import SEED_BOILERPLATE, seed_files

SEEDS = seed_files()

FEEDS = SHARED / "corpus" / "feeds"
SITEMAPS = SHARED / "corpus" / "sitemaps"

@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_text_cleaned_as_it_stands(seed: Path):
    raw = seed.read_text(encoding="utf-8")
    boilerplate = set(SEED_BOILERPLATE[seed.name[:3]])
    cleaned = clean(raw)
    out_lines = set(cleaned.text.split("\n"))
    for line in raw.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped in boilerplate:
            assert stripped not in out_lines, f"boilerplate kept: {stripped!r}"
        else:
            # content survives (at most shorn of markup debris such as `Strong>` or a `date 2024-06` label)
            assert any(stripped[20:80] in out for out in out_lines), f"content lost: {stripped[:80]!r}"


def test_seed_004_credit_becomes_source_url():
    cleaned = clean((SHARED / "seeds").glob("004_*.txt").__next__().read_text(encoding="utf-8"))
    assert cleaned.source_url == "https://olhardigital.com.br/2024/07/10/pro/xai-e-oracle-negociacoes-de-us-10-bilhoes-chegam-ao-fim/"


def test_first_line_equal_to_title_is_dropped_not_later_mentions():
    text = "Oracle fecha acordo\nA Oracle fecha acordo com a OpenAI.\nOracle fecha acordo"
    assert clean(text, title="Oracle fecha acordo").text == "A Oracle fecha acordo com a OpenAI.\nOracle fecha acordo"


def test_article_sentences_mentioning_boilerplate_words_survive():
    text = "A publicidade digital financia o jornalismo.\nLeia também o relatório completo da Oracle, publicado ontem com detalhes sobre capacidade."
    assert clean(text).text == text


def test_rss_and_atom_feeds_from_the_corpus():
    for path in sorted((FEEDS).rglob("*.xml"))[:40]:
        info = discover.parse_feed(path.read_bytes(), "https://example.test/feed")
        assert all(link.url.startswith(("http://", "https://")) for link in info.links)
    wordpress = next(p for p in FEEDS.rglob("*.xml") if "wordpress" in p.name.lower() or "wp" in p.name.lower())
    assert discover.parse_feed(wordpress.read_bytes(), "https://example.test/").links


def test_feed_dates_titles_and_update_period():
    items = [sitegen.SiteArticle(article(n), f"https://a.test/{n}/") for n in range(3)]
    info = discover.parse_feed(sitegen.rss_feed("A", "https://a.test/", items, update_period="daily").encode(), "https://a.test/feed/")
    assert [l.url for l in info.links] == [i.url for i in items]
    assert info.links[0].title == items[0].story.title and info.links[0].published == items[0].story.published_at
    assert info.update_seconds == 86400


def test_hostile_feeds_give_no_links_and_no_crash():
    for body in (b"", b"<rss><channel><item><link>", b"\x00\x01binary", b"<!DOCTYPE x [<!ENTITY a 'b'>]><rss>&a;</rss>",
                 b"<html><body>not a feed</body></html>"):
        assert discover.parse_feed(body, "https://a.test/feed").links == []


def test_sitemap_index_urlset_gzip_and_google_news():
    items = [sitegen.SiteArticle(article(n), f"https://a.test/{n}/") for n in range(2)]
    index = discover.parse_sitemap(sitegen.sitemap_index(["https://a.test/s1.xml.gz"]).encode(), "https://a.test/sitemap.xml")
    assert [c.url for c in index.children] == ["https://a.test/s1.xml.gz"] and index.links == []
    gz = discover.parse_sitemap(sitegen.gz(sitegen.urlset(items)), "https://a.test/s1.xml.gz")
    assert [l.url for l in gz.links] == [i.url for i in items] and gz.links[0].lastmod == items[0].story.published_at
    news = discover.parse_sitemap(sitegen.news_sitemap("A", items).encode(), "https://a.test/news.xml")
    assert news.links[1].title == items[1].story.title and news.links[1].published == items[1].story.published_at


def test_sitemaps_from_the_corpus_parse():
    parsed = 0
    for path in sorted(SITEMAPS.rglob("*")):
        if path.is_file() and path.suffix in (".xml", ".gz", ".txt"):
            info = discover.parse_sitemap(path.read_bytes(), "https://example.test/sitemap.xml")
            parsed += bool(info.links or info.children)
    assert parsed >= 5


def test_xml_bomb_is_not_expanded():
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><urlset><url><loc>https://a.test/&b;</loc></url></urlset>'
    links = discover.parse_sitemap(bomb, "https://a.test/s.xml").links
    assert all(len(link.url) < 100 for link in links)


def test_gzip_bomb_is_refused():
    with pytest.raises(ValueError, match="larger than"):
        discover.maybe_gunzip(gzip.compress(b"<" + b" " * (51 * 1024 * 1024)))


def test_robots_sitemap_lines_and_listing_next_page():
    assert discover.robots_sitemaps("User-agent: *\nSitemap: /s.xml\nsitemap:https://b.test/x.xml", "https://a.test/robots.txt") == [
        "https://a.test/s.xml", "https://b.test/x.xml"]
    listing = discover.parse_listing('<a href="/a/#c">A</a><a href="mailto:x">m</a><a rel="next" href="?page=2">next</a>', "https://a.test/cat/")
    assert [l.url for l in listing.links] == ["https://a.test/a/", "https://a.test/cat/?page=2"]
    assert listing.next_page == "https://a.test/cat/?page=2"


@pytest.mark.parametrize("text,expected", [
    ("2025-06-07T10:30:00-03:00", datetime(2025, 6, 7, 13, 30, tzinfo=timezone.utc)),
    ("Sat, 07 Jun 2025 13:30:00 -0300", datetime(2025, 6, 7, 16, 30, tzinfo=timezone.utc)),
    ("12 de março de 2025", datetime(2025, 3, 12, tzinfo=timezone.utc)),
    ("14 juin 2024 à 11h", datetime(2024, 6, 14, 11, tzinfo=timezone.utc)),
    ("7 de junio de 2025, 10:15", datetime(2025, 6, 7, 10, 15, tzinfo=timezone.utc)),
    ("June 7, 2025", datetime(2025, 6, 7, tzinfo=timezone.utc)),
    ("2099-01-01", None), ("1985-05-05", None), ("yesterday", None), ("", None),
])
def test_dates(text, expected):
    assert parse_date(text, now=datetime(2026, 1, 1, tzinfo=timezone.utc)) == expected


def test_date_from_url():
    assert date_from_url("https://olhardigital.com.br/2024/07/10/pro/x/") == datetime(2024, 7, 10, tzinfo=timezone.utc)
    assert date_from_url("https://a.test/2024/13/10/x/") is None


def test_encoding_sniffing_and_whatwg_labels():
    text = "Informação é poder — “citação”"
    assert decode_html(text.encode("cp1252"), "text/html; charset=ISO-8859-1")[0] == text
    # UTF-8 bytes mislabelled as ISO-8859-1 (Olhar Digital, 2020) still decode as UTF-8
    assert decode_html(f'<meta charset="ISO-8859-1"><p>{text}</p>'.encode(), None)[0].endswith(f"{text}</p>")
    assert decode_html(f'<meta charset="windows-1252"><p>{text}</p>'.encode("cp1252"), None)[0].endswith(f"{text}</p>")
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00") and not looks_binary(b"<html>")


def test_extract_uses_json_ld_then_hints_then_url_date():
    item = sitegen.SiteArticle(article(42, relevant=True), "https://a.test/2024/01/02/pro/x/")
    page = sitegen.article_page(item, "A")
    extracted = extract(page, item.url)
    assert extracted.title == item.story.title and extracted.published_at == item.story.published_at
    assert extracted.authors == ["Redação"] and extracted.page_language == item.story.language
    bare = f"<html><body><article><h1>T</h1>{''.join(f'<p>{p}</p>' for p in item.story.text.split(chr(10)))}</article></body></html>"
    hinted = datetime(2024, 1, 2, 9, 30, tzinfo=timezone.utc)
    assert extract(bare, item.url, Hints("Feed title", hinted)).published_at == hinted
    assert extract(bare, item.url).published_at == datetime(2024, 1, 2, tzinfo=timezone.utc)
    assert extract("", item.url) is None and extract("<html></html>", item.url) is None


def test_language_with_page_hint_for_short_text():
    assert detect_language("A Oracle vai construir um novo data center no Brasil com capacidade de 200 megawatts para a OpenAI e outros clientes de nuvem.") == "pt"
    assert detect_language("OpenAI e Oracle", page_language="pt") == "pt"


def test_relevance_weights_title_and_ignores_passing_mentions():
    passing = relevance("Review: Galaxy S25", "A câmera é ótima. A Oracle patrocina o evento.", "pt", 0.5)
    assert not passing.is_relevant and passing.score == 0 and passing.terms == []
    infra = relevance("Oracle vai construir data center de 1 GW", "O centro de dados terá GPUs H100.", "pt", 0.5)
    assert infra.is_relevant and infra.terms[0] == "data center" and "oracle" in infra.terms
    assert relevance(None, "O centro de dados terá GPUs H100.", "pt", 0.5).score < infra.score


def test_context_strengthens_a_subject_but_never_makes_one():
    energy_alone = "A usina nuclear vai gerar 1.400 megawatts de eletricidade a partir de 2031, com reatores novos."
    assert relevance("Governo retoma obras de usina nuclear", energy_alone, "pt", 0.5).score == 0
    for_data_centers = energy_alone + " Toda a energia vai abastecer os data centers da Microsoft."
    assert relevance("Microsoft compra energia de usina nuclear", for_data_centers, "pt", 0.5).is_relevant
    subject_only = relevance(None, "Toda a energia vai abastecer os data centers da Microsoft.", "pt", 0.5)
    assert relevance(None, for_data_centers, "pt", 0.5).score > subject_only.score


def test_consumer_cues_outweigh_gpu_words():
    gaming = ("A Nvidia lançou a GeForce RTX 5090, GPU para gamers com DLSS 4, que gera quadros com IA em jogos. "
              "A placa de vídeo custa US$ 1.999.")
    assert not relevance("Nvidia lança GeForce RTX 5090 para gamers", gaming, "pt", 0.5).is_relevant


def test_a_long_piece_on_another_beat_is_not_relevant_for_one_mention():
    mention = "The company also runs two data centers with servers in Ohio."
    short = relevance(None, mention, "en", 0.5).score
    long_text = " ".join(["The city council debated the new budget for schools, parks and roads."] * 120) + " " + mention
    assert relevance(None, long_text, "en", 0.5).score < short


def test_canonical_urls_collapse_variants():
    variants = ["https://Olhardigital.com.br:443/2025/06/07/pro/x/?utm_source=rss&utm_medium=feed#comments",
                "https://olhardigital.com.br/2025/06/07/pro/x/?fbclid=abc", "https://olhardigital.com.br/2025/06/07/pro/x/amp/"]
    assert {canonical_url(v) for v in variants} == {"https://olhardigital.com.br/2025/06/07/pro/x/"}
    assert canonical_url("https://a.test/?p=123&utm_campaign=z") == "https://a.test/?p=123"
    assert article_key("https://a.test/x?utm_source=1", "https://www.a.test/canonical/") == "https://www.a.test/canonical/"
    assert article_key("https://a.test/x", "https://aggregator.test/x") == "https://a.test/x"


def test_content_hash_ignores_case_punctuation_and_spacing():
    assert content_hash("A Oracle, hoje:  “US$ 10 bi”.") == content_hash("a oracle hoje us 10 bi")
    assert content_hash("ﬁnal") == content_hash("final")  # NFKC
    assert content_hash("Oracle") != content_hash("Nvidia")


def test_title_entities_and_site_suffix_and_nfc_text():
    json_ld = '{"@type": "NewsArticle", "headline": "Nvidia&#8217;s &quot;AI factory&quot; - The Wire"}'
    body = "".join(f"<p>Paragraph {i} about the new cluster, written with cafe\u0301 in decomposed form.</p>" for i in range(8))
    page = (f'<html><head><script type="application/ld+json">{json_ld}</script>'
            f'<meta property="og:site_name" content="The Wire"></head><body><article>{body}</article></body></html>')
    extracted = extract(page, "https://example.com/a")
    assert extracted.title == "Nvidia’s \"AI factory\""
    assert "café" in extracted.text and "e\u0301" not in extracted.text


def test_a_dateline_of_the_same_day_gives_the_time_a_sidebar_date_does_not():
    body = "".join(f"<p>Paragraph {i} of the article, long enough to be the main text of the page.</p>" for i in range(8))
    dateline = '<div class="post-meta">Por Ana | 13 de junho de 2024, às 09h30</div>'
    sidebar = '<aside><span class="date">2 de maio de 2019</span></aside>'
    url = "https://olhardigital.com.br/2024/06/13/pro/x/"
    with_dateline = extract(f"<html><body><article>{dateline}{body}</article></body></html>", url)
    assert with_dateline.published_at.isoformat() == "2024-06-13T09:30:00+00:00"
    with_sidebar = extract(f"<html><body><article>{body}</article>{sidebar}</body></html>", url)
    assert with_sidebar.published_at.date().isoformat() == "2024-06-13"
