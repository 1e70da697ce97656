"""Full-text search: kept in sync on insert/update/delete, ranked, safe against hostile input."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from crawler.settings import NEWSARCHIVE_SEARCH_CANDIDATES
from db.models import Article
from db.queries import ArticleFilter, search
from db.search_query import QueryError, parse, to_fts5
from db.session import make_engine, session_factory
from db.store import insert_articles, upsert_outlets

from ..conftest import truncate_postgres
from ..factories import OUTLETS, article_row

EVERYTHING = ArticleFilter(include_duplicates=True, include_off_topic=True)


def _seed(engine, rows_for):
    with session_factory(engine, write=True).begin() as session:
        outlet = upsert_outlets(session, OUTLETS)["olhardigital"]
        return insert_articles(session, rows_for(outlet))


def _titles(engine, query, spec=EVERYTHING):
    with session_factory(engine).begin() as session:
        return [
            hit.article.title
            for hit in search(session, query, spec, limit=20, candidates=NEWSARCHIVE_SEARCH_CANDIDATES)
        ]


def test_fts_follows_insert_update_and_delete(archive):
    ids = _seed(
        archive,
        lambda o: [
            article_row(
                1,
                o,
                title="Oracle e OpenAI fecham acordo",
                text="A Oracle vai fornecer capacidade de computação.",
            ),
            article_row(2, o, title="Receita de bolo", text="Misture a farinha com ovos."),
        ],
    )
    assert _titles(archive, "oracle") == ["Oracle e OpenAI fecham acordo"]
    first = ids[article_row(1, 0)["canonical_url"]]
    with session_factory(archive, write=True).begin() as session:
        session.execute(
            update(Article)
            .where(Article.id == first)
            .values(title="Nvidia vende GPUs", text="Clusters de GPUs H100.")
        )
    assert _titles(archive, "oracle") == []
    assert _titles(archive, "nvidia") == ["Nvidia vende GPUs"]
    with session_factory(archive, write=True).begin() as session:
        session.execute(delete(Article).where(Article.id == first))
    assert _titles(archive, "nvidia") == []
    assert _titles(archive, "farinha") == ["Receita de bolo"]


def test_title_match_ranks_above_body_match(archive):
    _seed(
        archive,
        lambda o: [
            article_row(1, o, title="Mercado de nuvem cresce", text="Analistas citam a Oracle uma vez. " * 3),
            article_row(2, o, title="Oracle amplia data centers", text="A empresa investe em capacidade."),
        ],
    )
    assert _titles(archive, "oracle")[0] == "Oracle amplia data centers"


def test_phrases_or_and_exclusions(archive):
    _seed(
        archive,
        lambda o: [
            article_row(1, o, title="A", text="novo data center da Oracle em Ohio"),
            article_row(2, o, title="B", text="center data invertido com Nvidia"),
            article_row(3, o, title="C", text="a xAI e a Oracle encerraram conversas"),
        ],
    )
    assert _titles(archive, '"data center"') == ["A"]
    assert sorted(_titles(archive, "ohio OR nvidia")) == ["A", "B"]
    assert _titles(archive, "oracle -xai") == ["A"]


def test_diacritics_and_language_filters(archive):
    _seed(
        archive,
        lambda o: [
            article_row(1, o, title="Computação em nuvem", text="A computação cresce.", language="pt"),
            article_row(2, o, title="Calcul dans le cloud", text="Le calcul progresse.", language="fr"),
        ],
    )
    assert _titles(archive, "computação") == ["Computação em nuvem"]
    assert (
        _titles(
            archive, "calcul", ArticleFilter(language="pt", include_off_topic=True, include_duplicates=True)
        )
        == []
    )


def test_default_filter_hides_off_topic_and_duplicates(archive):
    ids = _seed(
        archive,
        lambda o: [
            article_row(1, o, title="Original", text="oracle capacity deal", is_relevant=True),
            article_row(2, o, title="Recipe", text="oracle cake", is_relevant=False),
        ],
    )
    original = ids[article_row(1, 0)["canonical_url"]]
    _seed(
        archive,
        lambda o: [
            article_row(
                3, o, title="Copy", text="oracle capacity deal", is_relevant=True, duplicate_of_id=original
            )
        ],
    )
    assert _titles(archive, "oracle", ArticleFilter()) == ["Original"]
    assert sorted(_titles(archive, "oracle")) == ["Copy", "Original", "Recipe"]


@pytest.mark.postgres
def test_postgres_stems_in_the_article_language(pg_schema):
    """Stemming per article language is PostgreSQL's; SQLite FTS5 matches whole words."""
    archive = make_engine(pg_schema)
    truncate_postgres(pg_schema)
    _seed(
        archive,
        lambda o: [article_row(1, o, title="Os centros de dados", text="Novos centros.", language="pt")],
    )
    assert _titles(archive, "centro") == ["Os centros de dados"]


HOSTILE = [
    'oracle" OR 1=1 --',
    "NEAR(oracle openai)",
    "title:oracle",
    "oracle*",
    "^oracle",
    "'; DROP TABLE articles; --",
    "oracle AND",
    "(oracle",
    "oracle) OR (",
    '"""',
    "\\",
    "{oracle}",
    "oracle & | ! : *",
    "-",
    "NOT",
    "🙂 oracle",
    "a" * 5000,
    "oracle\x00openai",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_reach_the_engine_raw(archive, query):
    _seed(archive, lambda o: [article_row(1, o, title="Oracle", text="Oracle and OpenAI")])
    try:
        titles = _titles(archive, query)
    except QueryError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert titles in ([], ["Oracle"])
    # the table is intact whatever the input was
    assert _titles(archive, "oracle") == ["Oracle"]


def test_parse_is_pure_and_quotes_every_word():
    query = parse('oracle "data center" -xai nvidia OR amd')
    assert query.required == ((("oracle",),), (("data", "center"),), (("nvidia",), ("amd",)))
    assert query.excluded == (("xai",),)
    assert to_fts5(query) == '("oracle" AND "data center" AND ("nvidia" OR "amd")) NOT ("xai")'
    # FTS5 column filters and prefix operators become plain quoted words
    assert to_fts5(parse("title:x*")) == '"title x"'


@pytest.mark.parametrize("query", ['"open', "OR oracle", "oracle OR", "", "   ", "***", "-oracle"])
def test_unsearchable_queries_get_a_one_line_reason(query):
    with pytest.raises(QueryError) as info:
        parse(query)
    assert "\n" not in str(info.value)


def test_ranking_is_bounded_to_the_newest_candidates(archive):
    _seed(
        archive,
        lambda o: [
            article_row(1, o, title="Oracle Oracle Oracle", text="oracle", published_at=None),
            article_row(2, o, title="Mercado", text="oracle citada uma vez", published_at=None),
        ],
    )
    with session_factory(archive).begin() as session:
        newest = max(h.article.id for h in search(session, "oracle", EVERYTHING, limit=20, candidates=0))
        capped = search(session, "oracle", EVERYTHING, limit=20, candidates=1)
        exhaustive = search(session, "oracle", EVERYTHING, limit=20, candidates=0)
    assert [h.article.id for h in capped] == [newest]
    assert exhaustive[0].article.title == "Oracle Oracle Oracle"


def test_candidates_are_exactly_the_newest_matches_across_windows(archive):
    def rows(outlet: int) -> list[dict]:
        return [
            article_row(
                n,
                outlet,
                title=f"Nota {n}",
                text=("oracle capacidade" if n % 8 == 0 else "receita de bolo") + f" {n}",
            )
            for n in range(1, 121)
        ]

    ids = _seed(archive, rows)
    matching = sorted(ids[article_row(n, 0)["canonical_url"]] for n in range(1, 121) if n % 8 == 0)
    with session_factory(archive).begin() as session:
        hits = search(session, "oracle", EVERYTHING, limit=20, candidates=4)
        every = search(session, "oracle", EVERYTHING, limit=20, candidates=0)
    assert sorted(h.article.id for h in hits) == matching[-4:]
    assert sorted(h.article.id for h in every) == matching


def test_plural_and_singular_find_each_other(archive):
    _seed(
        archive,
        lambda o: [
            article_row(
                1,
                o,
                title="Nvidia ships AI chips",
                text="The new data centers use chips and clusters.",
                language="en",
            )
        ],
    )
    assert _titles(archive, "chip") == ["Nvidia ships AI chips"]
    assert _titles(archive, '"data center" cluster') == ["Nvidia ships AI chips"]


def test_a_query_of_hundreds_of_words_is_answered(archive):
    words = " ".join(f"palavra{n}" for n in range(300))
    _seed(archive, lambda o: [article_row(1, o, title="Oracle e OpenAI", text=f"Oracle e OpenAI. {words}")])
    assert _titles(archive, f"oracle {words}") == ["Oracle e OpenAI"]
    assert _titles(archive, f"oracle {words} -palavra7") == []
