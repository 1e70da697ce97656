"""The web app (crawler/web/app.py) over a real archive on SQLite and PostgreSQL, through Starlette's
TestClient: pages, the JSON API's cursor pagination, bad input, and crawled text kept inert."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, text
from starlette.testclient import TestClient

from crawler.config import load_settings
from crawler.web.app import create_app
from db import migrate
from db.models import Article, CrawlRunOutlet
from db.runs import HEALTH_FIELDS
from db.session import make_engine, read_only, session_factory

from .archive import SCRIPT, WebArchive

SETTINGS = load_settings()


@pytest.fixture(scope="module")
def client(web_archive: WebArchive):
    engine = read_only(make_engine(web_archive.url))
    with TestClient(create_app(engine, SETTINGS), raise_server_exceptions=False) as client:
        yield client
    engine.dispose()


def _count(url: str, *conditions) -> int:
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        found = session.scalar(select(func.count()).select_from(Article).where(*conditions))
    engine.dispose()
    return found


def test_the_search_page_finds_filters_and_pages(client, web_archive):
    page = client.get("/", params={"q": "oracle"})
    assert page.status_code == 200
    assert "OpenAI" in page.text and page.text.count('class="title"') >= 2
    portuguese = client.get("/", params={"q": "oracle", "language": "pt"}).text
    titles = re.findall(r'class="title" href="/articles/\d+">([^<]+)<', portuguese)
    assert titles and all("Oracle" in t for t in titles)
    assert 'class="badge lang">en<' not in portuguese
    # browsing (no query): newest first, 20 a page, an "older" cursor to the rest
    first = client.get("/")
    relevant = _count(web_archive.url, Article.is_relevant.is_(True), Article.duplicate_of_id.is_(None))
    assert f"{relevant} articles about AI infrastructure" in first.text
    older = re.search(r'href="(/\?before=\d+)" rel="next"', first.text)
    assert older
    second = client.get(older.group(1))
    ids = [int(i) for i in re.findall(r'class="title" href="/articles/(\d+)"', first.text + second.text)]
    assert len(ids) == relevant and ids == sorted(ids, reverse=True)


def test_search_refuses_what_it_cannot_answer_with_a_message(client):
    long = client.get("/", params={"q": "gpus" * 2500})
    assert long.status_code == 400
    assert "the query is 10,000 characters long; at most 500 are searched" in long.text
    assert client.get("/", params={"q": "x", "outlet": "nope"}).status_code == 400
    bad_date = client.get("/", params={"since": "last tuesday"})
    assert bad_date.status_code == 400 and "since must be a date" in bad_date.text
    assert client.get("/api/search", params={"q": "-only"}).json()["error"]
    assert "Traceback" not in long.text + bad_date.text


def test_the_article_page_shows_versions_with_their_diff_copies_and_story(client, web_archive):
    page = client.get(f"/articles/{web_archive.revised_id}")
    assert page.status_code == 200
    assert "Versions (3)" in page.text
    assert re.search(r"Oracle\s*<ins>Cloud Infrastructure</ins>", page.text)
    assert re.search(r"title: <del>[^<]+</del> <ins>[^<]+\(corrected\)</ins>", page.text)
    original = client.get(f"/articles/{web_archive.original_id}").text
    assert "Copies of this article (1)" in original and "parceiro" in original
    api = client.get(f"/api/articles/{web_archive.original_id}").json()
    copy_id = api["copies"][0]["id"]
    assert (
        f'A copy of <a href="/articles/{web_archive.original_id}">' in client.get(f"/articles/{copy_id}").text
    )
    member = client.get("/api/stories/%d" % web_archive.story_id).json()["articles"][0]["id"]
    story_part = client.get(f"/articles/{member}").text
    assert (
        "The same story elsewhere" in story_part and f'href="/stories/{web_archive.story_id}"' in story_part
    )


def test_the_story_page_is_a_timeline_across_languages(client, web_archive):
    page = client.get(f"/stories/{web_archive.story_id}")
    assert page.status_code == 200
    languages = set(re.findall(r'class="badge lang">(\w+)<', page.text))
    assert len(languages) >= 2
    days = re.findall(r"<h3>(\d{4}-\d\d-\d\d)</h3>", page.text)
    assert days == sorted(days)


def test_the_outlets_page_charts_articles_per_day_and_runs(client, web_archive):
    page = client.get("/outlets")
    assert page.status_code == 200
    assert page.text.count('<section class="outlet"') == 2
    bars = re.findall(r'<rect class="count"[^>]*><title>(\d{4}-\d\d-\d\d): (\d+)</title>', page.text)
    assert len(bars) == 2 * SETTINGS.getint("NEWSARCHIVE_SERVE_CHART_DAYS")
    assert sum(int(n) for _, n in bars) > 0
    assert re.search(r'<rect class="share"[^>]*><title>run \d+', page.text)
    outlets = client.get("/api/outlets").json()["outlets"]
    assert {o["slug"] for o in outlets} == {"demo", "parceiro"}
    # the API lists what a crawl records (db.runs.HEALTH_FIELDS), each run's values as recorded
    engine = make_engine(web_archive.url)
    with session_factory(engine).begin() as session:
        recorded = list(session.scalars(select(CrawlRunOutlet.health)))
    engine.dispose()
    assert recorded and all(set(health) == set(HEALTH_FIELDS) for health in recorded)
    listed = [run["health"] for o in outlets for run in o["runs"]]
    assert sorted(json.dumps(h, sort_keys=True) for h in listed) == sorted(
        json.dumps(h, sort_keys=True) for h in recorded
    )
    # an article the outlet took down is not a broken source
    assert all(o["flags"] == [] for o in outlets), outlets


def test_the_api_pages_by_cursor_so_a_poller_gets_everything_once(client, web_archive):
    seen, after_id = [], 0
    while True:
        page = client.get("/api/articles", params={"after_id": after_id, "limit": 7}).json()
        seen += [a["id"] for a in page["articles"]]
        if not page["more"]:
            break
        after_id = page["after_id"]
        assert f"after_id={after_id}" in page["next"]
    relevant = _count(web_archive.url, Article.is_relevant.is_(True), Article.duplicate_of_id.is_(None))
    assert len(seen) == relevant == len(set(seen)) and seen == sorted(seen)
    everything = client.get("/api/articles", params={"limit": 500, "duplicates": 1, "off_topic": 1}).json()[
        "articles"
    ]
    assert len(everything) == _count(web_archive.url)
    quiet = client.get("/api/articles", params={"after_id": max(seen + [web_archive.hostile_id])}).json()
    assert quiet["articles"] == [] and quiet["after_id"] == max(seen + [web_archive.hostile_id])
    french = client.get(
        "/api/articles", params={"language": "fr", "outlet": "parceiro", "off_topic": 1}
    ).json()
    assert french["articles"] and {(a["language"], a["outlet"]) for a in french["articles"]} == {
        ("fr", "parceiro")
    }
    assert client.get("/api/articles", params={"limit": 501}).status_code == 400
    assert client.get("/api/articles", params={"after_id": "x"}).json() == {
        "error": "after_id must be a whole number, not 'x'"
    }


def test_the_api_gives_an_article_with_its_versions_and_search_hits(client, web_archive):
    article = client.get(f"/api/articles/{web_archive.revised_id}").json()
    assert [v["version"] for v in article["versions"]] == [1, 2, 3]
    assert article["version"] == 3 and article["text"] == article["versions"][-1]["text"]
    hits = client.get("/api/search", params={"q": '"compute deal"', "limit": 3}).json()["hits"]
    assert hits and all("compute deal" in h["title"].lower() or h["snippet"] for h in hits)


def test_unknown_ids_are_404_pages_and_writes_are_refused(client):
    missing = client.get("/articles/999999")
    assert missing.status_code == 404 and "no article 999999 in this archive" in missing.text
    assert client.get("/stories/999999").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/api/articles/999999").json() == {"error": "no article 999999 in this archive"}
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        refused = client.request(method, "/api/articles")
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    assert client.head("/").status_code == 200


def test_text_from_a_hostile_page_is_shown_as_text(client, web_archive):
    page = client.get(f"/articles/{web_archive.hostile_id}")
    assert page.status_code == 200
    assert "&lt;script&gt;window.__xss = 1; alert(&#39;xss&#39;)&lt;/script&gt;" in page.text
    assert "<script" not in page.text and "<img" not in page.text
    assert 'href="javascript:' not in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    listed = client.get("/", params={"q": "portal"}).text
    assert "&lt;img src=x onerror=alert(1)&gt;" in listed and "<img" not in listed
    assert SCRIPT in client.get(f"/api/articles/{web_archive.hostile_id}").json()["text"]


def test_a_failing_query_is_a_500_page_without_a_traceback(tmp_path):
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(read_only(empty), SETTINGS), raise_server_exceptions=False) as client:
        page = client.get("/outlets")
        api = client.get("/api/articles")
    assert page.status_code == 500 and "the archive could not answer this request" in page.text
    assert "Traceback" not in page.text and "sqlite3" not in page.text
    assert api.json() == {"error": "the archive could not answer this request (see the server's log)"}


def test_the_app_engine_refuses_writes(web_archive):
    engine = read_only(make_engine(web_archive.url))
    migrate.require_head(engine)
    with pytest.raises(Exception, match="(?i)read.?only|readonly"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM articles"))
    engine.dispose()
    assert _count(web_archive.url) > 0


def test_runs_that_recorded_no_health_still_show(tmp_path):
    """Runs from before schema 0007, or killed ones, have no health: the page shows dashes."""
    from sqlalchemy import insert

    from db.models import CrawlRun, CrawlRunOutlet
    from db.store import upsert_outlets

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine)
    with session_factory(engine, write=True).begin() as session:
        outlet_id = upsert_outlets(session, [{"slug": "old", "name": "Old"}])["old"]
        for _ in range(2):
            run_id = session.execute(insert(CrawlRun).values(status="ok").returning(CrawlRun.id)).scalar_one()
            session.execute(
                insert(CrawlRunOutlet).values(run_id=run_id, outlet_id=outlet_id, status="ok", health=None)
            )
    with TestClient(create_app(read_only(engine), SETTINGS), raise_server_exceptions=False) as client:
        page = client.get("/outlets")
        api = client.get("/api/outlets").json()
    engine.dispose()
    assert page.status_code == 200 and page.text.count("<td>–</td>") >= 2 * 4
    assert api["outlets"][0]["runs"][0]["health"]["missing_date"] is None
