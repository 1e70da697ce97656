"""Real crawls (subprocess `newsarchive crawl`) against the local fixture server."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from db.models import Article, CrawlRun, CrawlRunOutlet, Outlet, UrlState
from db.session import make_engine, session_factory

from ..conftest import crawl_command, summary_rows, truncate_postgres
from ..sites import EDGE, TEST_REGISTRY, latin1_marker


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'crawl.db'}"


def run_crawl(server, db_url: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(crawl_command(server, db_url, *args), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def articles(db_url: str, outlet: str) -> list[Article]:
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        rows = session.scalars(
            select(Article).join(Outlet).where(Outlet.slug == outlet).order_by(Article.url)
        ).all()
    engine.dispose()
    return list(rows)


def url_states(db_url: str) -> dict[str, UrlState]:
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        states = {state.url: state for state in session.scalars(select(UrlState))}
    engine.dispose()
    return states


def test_feed_only_discovery(fixture_server, registry, db_url):
    run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "feedonly")
    found = articles(db_url, "feedonly")
    assert len(found) == 3
    assert all(a.title and a.published_at and a.language == "pt" and a.is_relevant for a in found)


def test_sitemap_only_discovery_with_index_gzip_and_robots(fixture_server, registry, db_url):
    run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "sitemaponly")
    found = articles(db_url, "sitemaponly")
    assert sorted(a.url.rsplit("/", 2)[-2] for a in found) == ["story-0", "story-1", "story-2"]
    requested = [e["path"] for e in fixture_server.requests("sitemaponly.test")]
    assert "/post-sitemap1.xml.gz" in requested
    # listed in the sitemap, disallowed by robots.txt: recorded, never requested
    assert not any(p.startswith("/private/") for p in requested)
    assert (
        url_states(db_url)["https://sitemaponly.test/private/2025/06/01/pro/secret-story/"].outcome
        == "disallowed"
    )


@pytest.mark.parametrize("max_depth,found", [(0, 0), (1, 3), (2, 3)])
def test_sitemap_depth_counts_from_the_index_robots_txt_names(
    fixture_server, registry, tmp_path, max_depth, found
):
    """robots.txt -> sitemap index -> child sitemap -> articles: the index a robots.txt names is at
    depth 0, as one listed directly (Scrapy's DepthMiddleware owns meta["depth"]; ours is our own)."""
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    run_crawl(
        fixture_server,
        db_url,
        "--outlets",
        str(registry),
        "--outlet",
        "sitemaponly",
        "-s",
        f"NEWSARCHIVE_SITEMAP_MAX_DEPTH={max_depth}",
    )
    assert len(articles(db_url, "sitemaponly")) == found


def test_listing_pages_with_pagination(fixture_server, registry, db_url):
    run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "listingonly")
    found = articles(db_url, "listingonly")
    assert len(found) == 4  # two per page, page 2 reached through rel=next
    assert not any("/sobre/" in a.url for a in found)


@pytest.fixture(scope="module")
def edge_crawl(fixture_server, tmp_path_factory):
    """One crawl of the outlet whose feed lists every failure case."""
    folder = tmp_path_factory.mktemp("edge")
    registry = folder / "outlets.toml"
    registry.write_text(TEST_REGISTRY, encoding="utf-8")
    db_url = f"sqlite:///{folder / 'edge.db'}"
    before = len(fixture_server.requests())
    first = run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "edge")
    return db_url, registry, first, fixture_server.requests()[before:]


def _by_name(db_url: str) -> dict[str, Article]:
    return {a.url.rstrip("/").rsplit("/", 1)[-1]: a for a in articles(db_url, "edge")}


def test_tracking_variants_make_one_row(edge_crawl):
    db_url = edge_crawl[0]
    rows = [a for a in articles(db_url, "edge") if "plain-story" in a.url]
    assert len(rows) == 1 and rows[0].canonical_url == f"{EDGE}/2025/06/07/pro/plain-story/"


def test_retry_after_503_then_200(edge_crawl):
    assert "flaky-story" in _by_name(edge_crawl[0])


def test_redirect_chain_stores_final_url(edge_crawl):
    stored = _by_name(edge_crawl[0])["redirected-story"]
    assert stored.url == f"{EDGE}/2025/06/07/pro/redirected-story/"


def test_404_in_feed_is_recorded_not_stored(edge_crawl):
    db_url = edge_crawl[0]
    assert "missing-story" not in _by_name(db_url)
    state = url_states(db_url)[f"{EDGE}/2025/06/07/pro/missing-story/"]
    assert (state.outcome, state.http_status) == ("error", 404)


def test_oversized_binary_pdf_and_malformed_pages(edge_crawl):
    db_url = edge_crawl[0]
    names, states = _by_name(db_url), url_states(db_url)
    for name in ("oversized-story", "gzip-bomb-story", "unannounced-huge-story"):
        # too large, not an error: never downloaded again unless it changes
        assert name not in names and states[f"{EDGE}/2025/06/07/pro/{name}/"].outcome == "too_large", name
    assert (
        "binary-story" not in names
        and states[f"{EDGE}/2025/06/07/pro/binary-story/"].outcome == "not_article"
    )
    assert "pdf-story" not in names and states[f"{EDGE}/2025/06/07/pro/pdf-story/"].outcome == "not_article"
    # truncated, unclosed markup still yields the article's text
    assert names["malformed-story"].word_count > 100


def test_windows_1252_labelled_iso_8859_1_in_header(edge_crawl):
    text = _by_name(edge_crawl[0])["latin1-story"].text
    assert latin1_marker() in text and "\ufffd" not in text and "Ã" not in text


def test_articles_are_clean_and_off_topic_is_flagged(edge_crawl):
    names = _by_name(edge_crawl[0])
    assert names["off-topic-story"].is_relevant is False
    for article in names.values():
        assert "PUBLICIDADE" not in article.text and "Leia mais" not in article.text
        assert "Deixe um comentário" not in article.text and "Compartilhe" not in article.text


def test_crawl_run_is_recorded(edge_crawl):
    engine = make_engine(edge_crawl[0])
    with session_factory(engine).begin() as session:
        run = session.scalars(select(CrawlRun)).first()
        per_outlet = session.scalars(select(CrawlRunOutlet)).one()
        assert (
            run.status == "finished" and run.finished_at and run.articles_new == per_outlet.articles_new > 0
        )
        assert per_outlet.status == "ok"
    engine.dispose()


def test_second_crawl_adds_nothing_and_downloads_no_article(fixture_server, edge_crawl):
    db_url, registry = edge_crawl[:2]
    before = len(articles(db_url, "edge"))
    seen = len(fixture_server.requests())
    run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "edge")
    assert len(articles(db_url, "edge")) == before
    second = [e for e in fixture_server.requests()[seen:] if e["host"] == "edge.test"]
    article_fetches = [e for e in second if "/pro/" in e["path"] and e["status"] == 200]
    assert article_fetches == []
    feed = [e for e in second if e["path"] == "/feed/"]
    assert feed and all(e["conditional"] and e["status"] == 304 for e in feed)


def test_unreachable_outlet_is_reported(fixture_server, registry, db_url):
    result = run_crawl(
        fixture_server, db_url, "--outlets", str(registry), "--outlet", "unreachable", "--outlet", "feedonly"
    )
    assert "unreachable" in result.stdout
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        statuses = dict(session.execute(select(Outlet.slug, CrawlRunOutlet.status).join(Outlet)).all())
    engine.dispose()
    assert statuses == {"unreachable": "unreachable", "feedonly": "ok"}


def test_bad_registry_is_a_usage_error_on_one_line(tmp_path, fixture_server, db_url):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[outlets.x]\nfeeds = ["https://x.test/feed"]\narticle_url_pattern = "("\n', encoding="utf-8"
    )
    result = subprocess.run(
        crawl_command(fixture_server, db_url, "--outlets", str(bad)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2  # the user's file: something typed wrong
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "bad.toml" in lines[0] and "'x'" in lines[0] and "bad regex" in lines[0]


def test_since_bounds_a_backfill_by_feed_dates(fixture_server, registry, db_url):
    seen = len(fixture_server.requests())
    run_crawl(
        fixture_server, db_url, "--outlets", str(registry), "--outlet", "feedonly", "--since", "2026-01-01"
    )
    assert articles(db_url, "feedonly") == []
    during = [e["path"] for e in fixture_server.requests()[seen:] if e["host"] == "feedonly.test"]
    assert "/feed/" in during and not [p for p in during if "/pro/" in p]


def test_max_pages_limits_article_requests(fixture_server, registry, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'max.db'}"
    run_crawl(
        fixture_server, db_url, "--outlets", str(registry), "--outlet", "listingonly", "--max-pages", "2"
    )
    assert len(articles(db_url, "listingonly")) == 2


def test_gzip_content_encoding(edge_crawl):
    assert _by_name(edge_crawl[0])["gzipped-story"].word_count > 100


def test_newer_sitemap_lastmod_triggers_only_a_conditional_refetch(fixture_server, registry, db_url):
    run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "lastmod")
    assert len(articles(db_url, "lastmod")) == 2
    seen = len(fixture_server.requests())
    run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "lastmod")
    second = [
        e for e in fixture_server.requests()[seen:] if e["host"] == "lastmod.test" and "/pro/" in e["path"]
    ]
    assert [(e["path"], e["conditional"], e["status"]) for e in second] == [
        ("/2025/06/01/pro/changed-story/", True, 304)
    ]
    assert len(articles(db_url, "lastmod")) == 2


@pytest.mark.postgres
def test_crawl_into_postgres_twice(fixture_server, registry, pg_schema):
    truncate_postgres(pg_schema)
    run_crawl(fixture_server, pg_schema, "--outlets", str(registry), "--outlet", "edge")
    first = {a.canonical_url: a.id for a in articles(pg_schema, "edge")}
    # plain, flaky, slow-down, malformed, latin1, gzipped, off-topic, redirected; not oversized, binary,
    # pdf, missing, come-back-tomorrow
    assert len(first) == 8 and all(url.startswith(EDGE) for url in first)
    run_crawl(fixture_server, pg_schema, "--outlets", str(registry), "--outlet", "edge")
    assert {a.canonical_url: a.id for a in articles(pg_schema, "edge")} == first
    engine = make_engine(pg_schema)
    with session_factory(engine).begin() as session:
        runs = session.execute(select(CrawlRun.status, CrawlRun.articles_new).order_by(CrawlRun.id)).all()
    engine.dispose()
    assert [status for status, _ in runs] == ["finished", "finished"] and runs[1][1] == 0


@pytest.mark.postgres
def test_verbose_crawl_never_logs_the_database_password(fixture_server, registry, pg_schema):
    secret = "Sup3r-s3cret-pw"
    url = pg_schema.replace("postgres@", f"postgres:{secret}@")  # trust auth: any password connects
    result = subprocess.run(
        crawl_command(fixture_server, url, "--outlets", str(registry), "--outlet", "feedonly", "--verbose"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Spider closed" in result.stderr  # the verbose log really was on
    assert secret not in result.stdout + result.stderr


def test_a_sitemap_at_the_protocols_limit_is_read(fixture_server, registry, db_url):
    """50,000 URLs (19 MB) is over DOWNLOAD_MAXSIZE (10 MB) but within the sitemap protocol's 50 MB."""
    result = run_crawl(
        fixture_server, db_url, "--outlets", str(registry), "--outlet", "bigsitemap", "--max-pages", "3"
    )
    assert summary_rows(result.stdout)["bigsitemap"][:2] == ["ok", "3"]
    states = url_states(db_url)
    assert states["https://bigsitemap.test/sitemap.xml"].outcome == "not_article"


def test_a_sitemap_over_its_limit_is_an_error_in_the_summary(fixture_server, registry, db_url):
    result = run_crawl(
        fixture_server,
        db_url,
        "--outlets",
        str(registry),
        "--outlet",
        "bigsitemap",
        "-s",
        "NEWSARCHIVE_SITEMAP_MAXSIZE=1000000",
    )
    row = summary_rows(result.stdout)["bigsitemap"]
    assert (row[0], row[1], row[-1]) == ("ok", "0", "1")
    assert "bigsitemap: ok: https://bigsitemap.test/sitemap.xml: too_large" in result.stdout
    assert url_states(db_url)["https://bigsitemap.test/sitemap.xml"].outcome == "too_large"


def test_max_pages_also_bounds_the_sitemaps_read(fixture_server, registry, db_url):
    """A page budget spent on the first child sitemap leaves the other children unread."""
    before = len(fixture_server.requests("bulk.test"))
    result = run_crawl(
        fixture_server, db_url, "--outlets", str(registry), "--outlet", "bulk", "--max-pages", "5"
    )
    assert summary_rows(result.stdout)["bulk"][:3] == ["ok", "5", "5"]
    read = [r["path"] for r in fixture_server.requests("bulk.test")[before:] if "sitemap" in r["path"]]
    assert read == ["/sitemap_index.xml", "/post-sitemap1.xml"]
    assert "post-sitemap2" not in str(url_states(db_url))


def test_a_robots_txt_answering_5xx_disallows_the_site_for_this_crawl(fixture_server, registry, db_url):
    result = run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "robots503")
    assert summary_rows(result.stdout)["robots503"][:2] == ["ok", "0"]
    assert not any(r["path"] != "/robots.txt" for r in fixture_server.requests("robots503.test"))
    feed = url_states(db_url)["https://robots503.test/feed/"]
    assert feed.outcome == "error" and "robots.txt answered HTTP 503" in feed.message  # asked again next time
    assert "robots503: ok: https://robots503.test/feed/: error: robots.txt answered HTTP 503" in result.stdout


def test_retry_after_is_waited_and_a_long_one_defers_the_url(edge_crawl):
    db_url, requests = edge_crawl[0], edge_crawl[3]
    assert "slow-down-story" in _by_name(db_url)
    asked = [r["at"] for r in requests if r["path"].endswith("/slow-down-story/")]
    assert len(asked) >= 2 and asked[1] - asked[0] >= 1.0  # not before the server said
    state = url_states(db_url)[f"{EDGE}/2025/06/07/pro/come-back-tomorrow-story/"]
    assert state.outcome == "error" and "deferred to the next crawl" in state.message
    tomorrow = [r for r in requests if r["path"].endswith("/come-back-tomorrow-story/")]
    assert len(tomorrow) == 1  # not retried in this crawl


def test_redirect_loops_and_off_site_redirects_are_recorded(edge_crawl):
    states = url_states(edge_crawl[0])
    loop, offsite = (
        states[f"{EDGE}/2025/06/07/pro/loop-story/"],
        states[f"{EDGE}/2025/06/07/pro/offsite-story/"],
    )
    assert (loop.outcome, offsite.outcome) == ("error", "error")
    assert loop.message.startswith("redirect loop") and "off the outlet's site" in offsite.message


def test_an_outlet_whose_host_is_written_in_unicode_is_crawled(fixture_server, registry, db_url):
    result = run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "idn")
    assert summary_rows(result.stdout)["idn"][:3] == ["ok", "2", "2"]


def test_sources_as_outlets_get_them_wrong_each_sitemap_fetched_once(fixture_server, registry, db_url):
    """robots.txt naming an index twice and a feed as a sitemap, an index listing itself and a child
    another index lists again, images in the entries, a moved feed and one with a Content-Location
    (relative links), a feed that is HTML: every article found, each sitemap fetched once, and the
    broken feed one line in the summary."""
    from ..sites import sources_site

    expected = sources_site({})
    seen = len(fixture_server.requests())
    result = run_crawl(fixture_server, db_url, "--outlets", str(registry), "--outlet", "sources")
    assert sorted(a.url for a in articles(db_url, "sources")) == sorted(expected)
    log = fixture_server.requests()[seen:]
    requested = [e["path"] for e in log if e["host"] == "sources.test"]
    for path in (
        "/sitemap_index.xml",
        "/sitemap-a.xml",
        "/sitemap-b.xml",
        "/feed-as-sitemap.xml",
    ):  # (robots.txt is read twice: for its rules by the robots middleware, for its sitemaps here)
        assert requested.count(path) == 1, (path, requested)
    assert not any(e["host"] == "img.sources.test" for e in log)
    assert "broken-feed" in result.stdout and "not a feed" in result.stdout


def _discovered(db_url: str, slug: str) -> CrawlRunOutlet:
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        part = session.scalars(
            select(CrawlRunOutlet)
            .join(Outlet)
            .where(Outlet.slug == slug)
            .order_by(CrawlRunOutlet.run_id.desc())
        ).first()
    engine.dispose()
    return part


def test_an_outlet_declared_with_its_homepage_only_is_autodiscovered(fixture_server, registry, db_url):
    """Its feeds from <link rel=alternate> (not the comments feed), else WordPress's /feed/; its
    sitemaps from robots.txt, else the conventional paths in turn; all recorded for the operator."""
    from ..sites import AUTO, AUTOWP, autodiscovery_sites

    expected = autodiscovery_sites({})
    result = run_crawl(
        fixture_server, db_url, "--outlets", str(registry), "--outlet", "auto", "--outlet", "autowp"
    )
    for slug, base in (("auto", AUTO), ("autowp", AUTOWP)):
        assert sorted(a.url for a in articles(db_url, slug)) == sorted(expected[base])
    auto, autowp = _discovered(db_url, "auto"), _discovered(db_url, "autowp")
    assert auto.discovered == {"feeds": [f"{AUTO}/rss.xml"], "sitemaps": [f"{AUTO}/sitemap.xml"]}
    assert autowp.discovered == {"feeds": [f"{AUTOWP}/feed/"], "wordpress_api": f"{AUTOWP}/wp-json/"}
    # a guess that missed (a sitemap path that is not there) is no problem of the outlet's
    assert auto.message is None and autowp.message is None and "auto:" not in result.stdout


def _wp_registry(tmp_path, base: str, wordpress: bool) -> str:
    path = tmp_path / f"wp-{wordpress}.toml"
    path.write_text(
        f"""[outlets.wp]
name = "WP News"
language = "pt"
homepage = "{base}/"
feeds = ["{base}/feed/"]
sitemaps = ["{base}/sitemap_index.xml"]
wordpress = {str(wordpress).lower()}
article_url_pattern = '/\\d{{4}}/\\d{{2}}/\\d{{2}}/[\\w-]+/$'
""",
        encoding="utf-8",
    )
    return str(path)


def _window_crawl(fixture_server, tmp_path, base: str, wordpress: bool, name: str):
    from ..sites import WINDOW

    db = f"sqlite:///{tmp_path / name}"
    host = base.removeprefix("https://")
    seen = len(fixture_server.requests())
    since, until = (day.date().isoformat() for day in WINDOW)
    result = run_crawl(
        fixture_server,
        db,
        "--outlets",
        _wp_registry(tmp_path, base, wordpress),
        "--since",
        since,
        "--until",
        until,
    )
    requests = [e for e in fixture_server.requests()[seen:] if e["host"] == host]
    return db, result, requests


def test_a_wordpress_backfill_walks_the_rest_api_instead_of_the_sitemaps(fixture_server, tmp_path):
    """2,000 posts; a one-month window. The REST API gives the window's posts in 2 requests and no
    sitemap is read."""
    from ..sites import WP, wordpress_sites

    expected = sorted(wordpress_sites({})[WP])
    api_db, _, api_requests = _window_crawl(fixture_server, tmp_path, WP, True, "api.db")
    assert sorted(a.url for a in articles(api_db, "wp")) == expected and len(expected) == 180
    api_paths = [e["path"] for e in api_requests]
    assert sum("/wp-json/wp/v2/posts" in p for p in api_paths) == 2
    assert not any("sitemap" in p for p in api_paths)
    assert _discovered(api_db, "wp").discovered["backfill"] == "WordPress API, 2 page(s)"
    # (bench/backfill_requests.py compares this with a sitemap crawl of the same window)


def test_a_wordpress_api_that_refuses_falls_back_to_the_sitemaps_with_one_line(fixture_server, tmp_path):
    from ..sites import WP403, wordpress_sites

    expected = sorted(wordpress_sites({})[WP403])
    db, result, requests = _window_crawl(fixture_server, tmp_path, WP403, True, "refused.db")
    assert sorted(a.url for a in articles(db, "wp")) == expected
    line = [row for row in result.stdout.splitlines() if row.startswith("wp:")]
    assert len(line) == 1 and "WordPress API unavailable (HTTP 403): backfilled from the sitemaps" in line[0]
    # the feed's past pages were walked too, until they reached the window's start, and no further
    paged = sorted(int(e["path"].rsplit("=", 1)[1]) for e in requests if "paged=" in e["path"])
    assert paged == list(range(2, paged[-1] + 1)) and len(paged) < 30
