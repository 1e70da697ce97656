"""The shipped registry, crawled unchanged against fixture copies of each outlet's site."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler import outlets as registry
from db.models import Article, Outlet
from db.session import make_engine, session_factory

from .conftest import crawl_command
from .sites import SHIPPED, outlet_articles

SHIPPED_SLUGS = [spec.slug for spec in SHIPPED]


def test_every_shipped_outlet_has_a_fixture_site():
    shipped = registry.load()
    missing = sorted(set(shipped) - set(SHIPPED_SLUGS))
    assert not missing, f"outlets without a fixture site in tests/sites.py: {missing}"
    assert {o.language for o in shipped.values()} >= {"pt", "fr", "en", "es"}


@pytest.fixture(scope="module")
def shipped_crawl(fixture_server, tmp_path_factory) -> str:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('shipped') / 'shipped.db'}"
    result = subprocess.run(
        crawl_command(fixture_server, db_url), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return db_url


@pytest.mark.parametrize("index,slug", list(enumerate(SHIPPED_SLUGS)))
def test_shipped_outlet_yields_clean_dated_articles(shipped_crawl, index, slug):
    engine = make_engine(shipped_crawl)
    with session_factory(engine).begin() as session:
        found = {a.url: a for a in session.scalars(select(Article).join(Outlet).where(Outlet.slug == slug))}
    engine.dispose()
    expected = outlet_articles(SHIPPED[index], index)
    assert set(found) == {item.url for item in expected}
    for item in expected:
        stored = found[item.url]
        assert stored.title == item.story.title
        assert stored.published_at == item.story.published_at
        assert stored.language == item.story.language
        assert stored.is_relevant == item.story.relevant
        assert stored.text.split("\n")[0] == item.story.text.split("\n")[0]
        assert stored.text == item.story.text  # the whole body, nothing else


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "outlets.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body,problem",
    [
        ('[outlets.x]\nfeeds = ["https://x.test/f"]\ncolour = "red"\n', "unknown key 'colour'"),
        (
            '[outlets.x]\nfeeds = ["https://x.test/f"]\ntimezone = "Brasil/Bahia"\n',
            "unknown timezone 'Brasil/Bahia'",
        ),
        ('[outlets.x]\nfeeds = ["https://x.test/f"]\narticle_url_pattern = "(unclosed"\n', "bad regex"),
        ('[outlets.x]\nname = "X"\n', "no source"),
        ('[outlets.x]\nfeeds = "https://x.test/f"\n', "must be a list"),
        ('[outlets.x]\nfeeds = ["ftp://x.test/f"]\n', "not an http(s) URL"),
        ('[outlets."Bad Slug"]\nfeeds = ["https://x.test/f"]\n', "slug must be"),
        ("[outlets.x\n", "not valid TOML"),
    ],
)
def test_bad_registry_names_file_outlet_and_problem(tmp_path, body, problem):
    path = _write(tmp_path, body)
    with pytest.raises(registry.RegistryError) as info:
        registry.load(path)
    message = str(info.value)
    assert str(path) in message and problem in message and "\n" not in message


def test_allowed_domains_default_to_source_hosts(tmp_path):
    path = _write(
        tmp_path,
        '[outlets.t]\nfeeds = ["https://rss.t.test/feed"]\nsitemaps = ["https://www.t.test/sitemap.xml"]\n',
    )
    outlet = registry.load(path)["t"]
    assert outlet.allowed_domains == ("rss.t.test", "www.t.test")
    assert outlet.wants("https://www.t.test/2025/a/") and not outlet.wants("https://evil.test/a/")


def _real_urls() -> list[tuple[str, str, bool]]:
    examples = tomllib.loads(
        (Path(__file__).parent / "fixtures" / "outlet_urls.toml").read_text(encoding="utf-8")
    )
    return [
        (slug, url, wanted)
        for slug, table in examples.items()
        for wanted, key in ((True, "accept"), (False, "reject"))
        for url in table[key]
    ]


def test_every_shipped_outlet_has_real_url_examples():
    examples = {slug for slug, _, _ in _real_urls()}
    assert examples == set(registry.load())


@pytest.mark.parametrize("slug,url,wanted", _real_urls())
def test_the_shipped_patterns_accept_real_articles_and_reject_the_rest(slug, url, wanted):
    """Real URLs of each outlet (tests/fixtures/outlet_urls.toml says where they were found)."""
    from crawler.stages.dedup import canonical_url

    outlet = registry.load()[slug]
    assert outlet.wants(canonical_url(url)) == wanted
