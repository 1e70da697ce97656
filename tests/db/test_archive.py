"""Storing a re-fetched article (db/archive.py): every version kept, on SQLite and PostgreSQL;
`newsarchive history` and `export --include-versions` show them."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select
from typer.testing import CliRunner

from crawler.cli import app
from crawler.config import load_settings
from crawler.stages.dedup import content_hash, features
from db.archive import PageResult, store_batch
from db.dedup import DedupConfig
from db.models import Article, ArticleVersion
from db.session import session_factory
from db.store import upsert_outlets

from ..factories import OUTLETS

CONFIG = DedupConfig.from_settings(load_settings())
URL = "https://olhardigital.com.br/2025/06/07/pro/oracle-openai/"
BODY = (
    "A Oracle fechou um contrato de computação com a OpenAI para fornecer capacidade de data center "
    "nos Estados Unidos, com entregas a partir do próximo ano e centenas de milhares de GPUs."
)


def _store(engine, title: str, text: str) -> None:
    with session_factory(engine, write=True).begin() as session:
        outlet_id = upsert_outlets(session, OUTLETS)["olhardigital"]
        record = {
            "outlet_id": outlet_id,
            "url": URL,
            "canonical_url": URL,
            "title": title,
            "text": text,
            "word_count": len(text.split()),
            "language": "pt",
            "content_hash": content_hash(text),
            "published_at": datetime(2025, 6, 7, 12, tzinfo=timezone.utc),
        }
        state = {"url": URL, "outlet_id": outlet_id, "outcome": "article"}
        store_batch(session, [PageResult(state, record, features(title, text, "pt"))], [], CONFIG)


def _versions(engine) -> tuple[int, int]:
    with session_factory(engine).begin() as session:
        current = session.scalar(select(Article.version))
        earlier = session.scalar(select(func.count()).select_from(ArticleVersion))
    return current, earlier


def test_a_page_edited_twice_gives_three_versions_and_an_unchanged_refetch_none(archive, archive_url):
    _store(archive, "Oracle e OpenAI fecham acordo", BODY)
    _store(archive, "Oracle e OpenAI fecham acordo", BODY.replace(" GPUs.", "  GPUs. "))  # whitespace only
    assert _versions(archive) == (1, 0)
    _store(archive, "Oracle e OpenAI fecham acordo", BODY.replace("centenas de milhares", "400 mil"))
    _store(
        archive,
        "Oracle e OpenAI fecham acordo de US$ 30 bilhões",
        BODY.replace("centenas de milhares", "400 mil"),
    )
    assert _versions(archive) == (3, 2)
    result = CliRunner().invoke(app, ["history", URL, "--db", archive_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(" ·")[0] for line in lines if line.startswith("v")] == ["v1", "v2", "v3"]
    assert "[-centenas de milhares-] {+400 mil+}" in result.output  # the text edit, word by word
    assert (
        "title: 'Oracle e OpenAI fecham acordo' -> 'Oracle e OpenAI fecham acordo de US$ 30 bilhões'"
        in result.output
    )
    missing = CliRunner().invoke(app, ["history", "https://olhardigital.com.br/nope/", "--db", archive_url])
    assert missing.exit_code == 1


def test_export_include_versions_adds_the_earlier_ones(archive, archive_url, tmp_path):
    _store(archive, "Oracle e OpenAI fecham acordo", BODY)
    _store(archive, "Oracle e OpenAI fecham acordo", BODY.replace("nos Estados Unidos", "no Texas"))
    out = tmp_path / "all.jsonl"
    args = ["export", "--format", "jsonl", "--out", str(out), "--include-versions", "--include-off-topic"]
    args += ["--db", archive_url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["version"] == 2 and "no Texas" in row["text"]
    assert [v["version"] for v in row["versions"]] == [1] and "nos Estados Unidos" in row["versions"][0][
        "text"
    ]
    refused = CliRunner().invoke(
        app, ["export", "--out", str(tmp_path / "t"), "--include-versions", "--db", archive_url]
    )
    assert refused.exit_code == 2
