"""Export formats round-trip their rows; txt output matches the seed naming; filters apply."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from crawler.operations.export import FIELDS, ExportError, export, sequence_width, txt_name
from db.models import Article
from db.queries import ArticleFilter, count_articles, stream_articles
from db.session import session_factory
from db.store import insert_articles, upsert_outlets

from ..factories import OUTLETS, article_row

EVERYTHING = ArticleFilter(include_duplicates=True, include_off_topic=True)


@pytest.fixture
def filled(archive):
    with session_factory(archive, write=True).begin() as session:
        ids = upsert_outlets(session, OUTLETS)
        rows = [article_row(n, ids["olhardigital"] if n % 2 else ids["lemagit"]) for n in range(1, 26)]
        rows.append(
            article_row(99, ids["lemagit"], published_at=None, title='Quote "and" comma, newline\nhere')
        )
        insert_articles(session, rows)
    return archive


def _expected(engine, spec=EVERYTHING) -> list[dict]:
    with session_factory(engine).begin() as session:
        return [
            {key: getattr(a, key, None) for key in FIELDS} | {"outlet": o}
            for a, o in stream_articles(session, spec)
        ]


def _run_export(engine, fmt, out: Path, spec=EVERYTHING) -> int:
    with session_factory(engine).begin() as session:
        total = count_articles(session, spec)
        rows = (
            {key: getattr(a, key, None) for key in FIELDS} | {"outlet": o}
            for a, o in stream_articles(session, spec)
        )
        return export(rows, fmt, out, total)


def _jsonable(record: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in record.items()}


def test_jsonl_round_trips(filled, tmp_path):
    out = tmp_path / "a.jsonl"
    assert _run_export(filled, "jsonl", out) == 26
    back = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert back == [_jsonable(r) for r in _expected(filled)]


def test_csv_round_trips(filled, tmp_path):
    out = tmp_path / "a.csv"
    _run_export(filled, "csv", out)
    with open(out, newline="", encoding="utf-8") as stream:
        back = list(csv.DictReader(stream))
    expected = _expected(filled)
    assert len(back) == len(expected)
    for got, want in zip(back, expected, strict=True):
        assert got["canonical_url"] == want["canonical_url"]
        assert got["text"] == want["text"] and got["title"] == want["title"]
        assert json.loads(got["topic_terms"]) == want["topic_terms"]
        assert got["published_at"] == (want["published_at"].isoformat() if want["published_at"] else "")
        assert int(got["word_count"]) == want["word_count"]


def test_parquet_round_trips_with_types(filled, tmp_path):
    out = tmp_path / "a.parquet"
    _run_export(filled, "parquet", out)
    table = pq.read_table(out)
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    assert table.to_pylist() == _expected(filled)


def test_txt_files_hold_exactly_the_text_named_like_the_seeds(filled, tmp_path):
    out = tmp_path / "txt"
    _run_export(filled, "txt", out)
    expected = _expected(filled)
    manifest = [
        json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [m["canonical_url"] for m in manifest] == [r["canonical_url"] for r in expected]
    for index, (entry, record) in enumerate(zip(manifest, expected, strict=True)):
        digest = hashlib.sha256(record["canonical_url"].encode()).hexdigest()
        assert entry["file"] == f"{index:03d}_{digest[:16]}.txt"
        assert (out / entry["file"]).read_text(encoding="utf-8") == record["text"]
        assert entry["file_sha256"] == hashlib.sha256(record["text"].encode()).hexdigest()
        assert entry["content_hash"] == record["content_hash"] and entry["outlet"] == record["outlet"]
    # publication order, undated last
    assert manifest[-1]["published_at"] is None
    assert len(list(out.glob("*.txt"))) == 26


def test_txt_reexport_replaces_and_keeps_names(filled, tmp_path):
    out = tmp_path / "txt"
    _run_export(filled, "txt", out)
    before = sorted(p.name for p in out.glob("*.txt"))
    _run_export(
        filled,
        "txt",
        out,
        ArticleFilter(include_off_topic=True, include_duplicates=True, outlets=("lemagit",)),
    )
    after = sorted(p.name for p in out.glob("*.txt"))
    assert len(after) == 13 and {name[4:] for name in after} <= {name[4:] for name in before}


def test_txt_refuses_to_overwrite_a_foreign_directory(filled, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(ExportError, match="holds files this exporter did not write"):
        _run_export(filled, "txt", out)
    assert (out / "thesis.docx").read_text() == "precious"


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


def test_a_users_dataset_with_a_manifest_is_never_deleted(filled, tmp_path):
    """A folder that happens to hold a file named manifest.jsonl is not an export."""
    out = tmp_path / "dataset"
    (out / "labels").mkdir(parents=True)
    (out / "manifest.jsonl").write_text('{"split": "train"}\n')
    (out / "README.md").write_text("# my corpus")
    (out / "train-000.parquet").write_bytes(b"PAR1\x00\x01")
    (out / "labels" / "a.txt").write_text("label")
    before = _tree(out)
    with pytest.raises(ExportError, match="did not write"):
        _run_export(filled, "txt", out)
    assert _tree(out) == before


def test_a_reexport_replaces_only_what_the_exporter_wrote(filled, tmp_path):
    out = tmp_path / "txt"
    _run_export(filled, "txt", out)
    marker = json.loads((out / ".newsarchive-export.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == sorted([*marker["files"], ".newsarchive-export.json"])
    (out / "notes.md").write_text("mine")  # the user adds a file: the next export refuses
    with pytest.raises(ExportError, match="notes.md"):
        _run_export(filled, "txt", out)
    assert (out / "notes.md").read_text() == "mine"
    (out / "notes.md").unlink()
    marker["files"].append("../../etc")  # a hand-edited marker no longer carries our signature
    (out / ".newsarchive-export.json").write_text(json.dumps(marker))
    with pytest.raises(ExportError, match="did not write"):
        _run_export(filled, "txt", out)


def test_export_paths_symlinks_and_dot_dot(filled, tmp_path, monkeypatch):
    exports = tmp_path / "exports"
    real = exports / "real"
    _run_export(filled, "txt", real)
    link = exports / "link"
    link.symlink_to(real, target_is_directory=True)
    _run_export(filled, "txt", link)
    assert link.is_symlink() and (link / "manifest.jsonl").exists()
    assert sorted(p.name for p in exports.iterdir()) == ["link", "real"]  # nothing left behind
    _run_export(filled, "txt", real / "sub" / "..")
    assert not (real / "sub").exists()
    monkeypatch.chdir(real)
    with pytest.raises(ExportError, match="current directory"):
        _run_export(filled, "txt", Path("."))


def test_default_export_is_relevant_originals_only(filled, tmp_path):
    with session_factory(filled, write=True).begin() as session:
        first, second = session.scalars(
            select(Article.id).where(Article.is_relevant.is_(True)).order_by(Article.id).limit(2)
        )
        session.get(Article, second).duplicate_of_id = first
    rows = _expected(filled, ArticleFilter())
    assert rows and all(r["is_relevant"] and r["duplicate_of_id"] is None for r in rows)
    assert second not in {r["id"] for r in rows}


def test_filters_since_until_outlet_language(filled):
    spec = ArticleFilter(
        since=datetime(2024, 1, 1, 3, tzinfo=timezone.utc),
        until=datetime(2024, 1, 1, 10, tzinfo=timezone.utc),
        outlets=("olhardigital",),
        language="fr",
        include_off_topic=True,
    )
    rows = _expected(filled, spec)
    assert rows and all(r["outlet"] == "olhardigital" and r["language"] == "fr" for r in rows)
    assert all(spec.since <= r["published_at"] < spec.until for r in rows)


def test_sequence_width_widens_past_999():
    assert sequence_width(0) == 3 and sequence_width(1000) == 3 and sequence_width(1001) == 4
    assert (
        txt_name(7, 4, "https://x/").startswith("0007_")
        and len(txt_name(7, 4, "https://x/")) == 4 + 1 + 16 + 4
    )


def test_exports_get_the_users_umask_not_private_temp_modes(filled, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        _run_export(filled, "jsonl", tmp_path / "a.jsonl")
        _run_export(filled, "txt", tmp_path / "txt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.jsonl").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "txt").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "txt" / "manifest.jsonl").stat().st_mode) == 0o644
