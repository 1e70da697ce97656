"""The `newsarchive` command as users run it: exit codes, one-line errors, no secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from db.session import make_engine, session_factory
from db.store import insert_articles, upsert_outlets

from .factories import OUTLETS, article_row

SECRET = "s3cr3t-Pa55"


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("newsarchive: error: ")
    return lines[0]


@pytest.fixture
def sqlite_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    engine = make_engine(url)
    from db import migrate

    migrate.upgrade(engine)
    with session_factory(engine, write=True).begin() as session:
        ids = upsert_outlets(session, OUTLETS)
        insert_articles(session, [article_row(n, ids["olhardigital"]) for n in range(1, 9)])
    engine.dispose()
    return url


def test_default_database_is_archive_db_in_working_directory(tmp_path):
    result = run("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "archive.db").exists()
    assert "sqlite:///archive.db: schema at" in result.stdout


@pytest.mark.parametrize("command", [["stats"], ["export", "--out", "out.jsonl", "--format", "jsonl"]])
def test_db_is_accepted_before_or_after_the_command(sqlite_db, tmp_path, command):
    before = run("--db", sqlite_db, *command, cwd=tmp_path)
    after = run(*command, "--db", sqlite_db, cwd=tmp_path)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout
    assert not (tmp_path / "archive.db").exists()  # neither used the default archive


def test_the_command_s_db_wins_over_the_root_s_and_the_environment(sqlite_db, tmp_path):
    elsewhere = f"sqlite:///{tmp_path / 'other.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "--db", elsewhere, "db", "current", "--db", sqlite_db],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "NEWSARCHIVE_DB": elsewhere},
        timeout=120,
    )
    assert result.returncode == 0 and "a.db: " in result.stdout and "(head)" in result.stdout
    with_env = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "db", "current"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "NEWSARCHIVE_DB": sqlite_db},
        timeout=120,
    )
    assert with_env.returncode == 0 and "(head)" in with_env.stdout


@pytest.mark.parametrize("command", [["search", "x"], ["db", "backup", "b.db"]])
def test_commands_that_read_the_archive_never_create_one_at_a_mistyped_path(tmp_path, command):
    result = run(*command, "--db", f"sqlite:///{tmp_path / 'typo.db'}", cwd=tmp_path)
    assert result.returncode == 1 and "no archive at" in one_line_error(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args,says",
    [
        (["crawl", "--nosuch"], "No such option: --nosuch"),
        (["crawl", "--max-pages", "many"], "Invalid value for '--max-pages'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["db", "current", "extra"], "Got unexpected extra argument"),
    ],
)
def test_usage_errors_are_one_line_naming_the_help(tmp_path, args, says):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    line = one_line_error(result)
    assert says in line and "(see `newsarchive " in line


def test_a_bare_command_prints_its_help_and_exits_2(tmp_path):
    for args in ([], ["db"]):
        result = run(*args, cwd=tmp_path)
        assert (
            result.returncode == 2 and "Usage: newsarchive" in result.stdout and "Commands:" in result.stdout
        )


def test_piped_help_is_plain_and_whole():
    result = run("crawl", "--help")
    assert result.returncode == 0
    assert "<bool>" not in result.stdout and "…" not in result.stdout and "╭" not in result.stdout
    # every option is there, with its metavar, and the long default text is not cut
    for option in ("--verbose", "--log-file FILE", "--max-pages N", "--db URL", "sqlite:///archive.db"):
        assert option in result.stdout, option


def test_an_unknown_outlet_is_a_usage_error_for_crawl_as_for_search(sqlite_db, tmp_path):
    crawl = run("crawl", "--outlet", "nosuch", "--db", sqlite_db, cwd=tmp_path)
    search = run("search", "x", "--outlet", "nosuch", "--db", sqlite_db, cwd=tmp_path)
    assert crawl.returncode == search.returncode == 2
    assert "nosuch" in one_line_error(crawl) and "nosuch" in one_line_error(search)


def test_bad_database_url_is_one_line(tmp_path):
    result = run("stats", "--db", f"nonsense://user:{SECRET}@@/", cwd=tmp_path)
    assert result.returncode == 1
    assert SECRET not in result.stderr + result.stdout
    assert "database URL" in one_line_error(result)


@pytest.mark.parametrize("debug", [False, True])
def test_unreachable_server_never_prints_the_password(tmp_path, debug):
    args = ["--debug"] if debug else []
    result = run(
        *args, "stats", "--db", f"postgresql://newsarchive:{SECRET}@127.0.0.1:1/archive", cwd=tmp_path
    )
    assert result.returncode == 1
    assert SECRET not in result.stderr + result.stdout
    assert "cannot open database" in result.stderr and "***" in result.stderr
    if not debug:
        one_line_error(result)
    else:
        assert "Traceback" in result.stderr


@pytest.mark.postgres
def test_wrong_password_or_missing_database_is_one_line(pg_server):
    url = pg_server.replace("postgres@", f"postgres:{SECRET}@").rsplit("/", 1)[0] + "/no_such_database"
    result = run("search", "oracle", "--db", url)
    assert result.returncode == 1 and SECRET not in result.stderr + result.stdout
    assert "no_such_database" in one_line_error(result)


def test_unwritable_output_is_one_line(sqlite_db, tmp_path):
    result = run("export", "--db", sqlite_db, "--format", "jsonl", "--out", "/proc/newsarchive/out.jsonl")
    assert result.returncode == 1
    assert "cannot write /proc/newsarchive/out.jsonl" in one_line_error(result)


def test_export_writes_and_reports(sqlite_db, tmp_path):
    result = run("export", "--db", sqlite_db, "--out", str(tmp_path / "out"), "--include-off-topic")
    assert result.returncode == 0, result.stderr
    assert "exported 8 articles" in result.stderr
    assert len(list((tmp_path / "out").glob("*.txt"))) == 8


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "docx", "--out", "x"],
        ["export", "--out", "x", "--since", "last tuesday"],
        ["search", "--limit", "0", "oracle"],
        ["frobnicate"],
        ["export", "--format", "csv", "--out", "x.csv", "--outlet", "olhardigtal"],
        ["search", "oracle", "--outlet", "nosuch"],
        ["crawl", "--since", "2025-06-01", "--until", "2025-05-01"],
    ],
)
def test_usage_errors_exit_2(sqlite_db, tmp_path, args):
    result = run(*args, "--db", sqlite_db, cwd=tmp_path)
    assert result.returncode == 2, result.stderr


@pytest.mark.parametrize("query", ['oracle "openai', "OR", "-xai", "***"])
def test_unsearchable_query_is_a_usage_error_on_one_line(sqlite_db, query):
    result = run("search", "--db", sqlite_db, "--", query)
    assert result.returncode == 2
    one_line_error(result)


def test_search_json_hits(sqlite_db):
    result = run(
        "search", "data OR center OR calcul OR centro", "--json", "--include-off-topic", "--db", sqlite_db
    )
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits and all({"title", "url", "outlet", "rank", "snippet"} <= hit.keys() for hit in hits)
    assert [h["rank"] for h in hits] == sorted((h["rank"] for h in hits), reverse=True)


def test_stats_table_lists_outlets(sqlite_db):
    result = run("stats", "--db", sqlite_db)
    assert result.returncode == 0
    assert "olhardigital" in result.stdout and "lemagit" in result.stdout and "never" in result.stdout


def test_db_current_and_newer_revision_refused(sqlite_db):
    assert "(head)" in run("db", "current", "--db", sqlite_db).stdout
    engine = make_engine(sqlite_db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = run("stats", "--db", sqlite_db)
    assert result.returncode == 1 and "does not know" in one_line_error(result)
    current = run("db", "current", "--db", sqlite_db)
    assert current.returncode == 0 and "newer than this newsarchive knows" in current.stdout
    assert "db upgrade" not in current.stdout  # which would refuse


def test_db_upgrade_on_postgres(pg_server):
    result = run("db", "upgrade", "--db", pg_server)
    assert result.returncode == 0, result.stderr
    assert "(head)" in result.stdout


@pytest.mark.parametrize(
    "pair,named",
    [
        ("DOWNLOAD_TIMEOUT=abc", "DOWNLOAD_TIMEOUT takes a number"),
        ("FOO=1", "unknown setting FOO"),
        ("NEWSARCHIVE_FAST_EXTRACTION=maybe", "NEWSARCHIVE_FAST_EXTRACTION takes true or false"),
    ],
)
def test_a_setting_of_the_wrong_kind_is_a_usage_error_naming_it(tmp_path, pair, named):
    result = run("crawl", "--db", f"sqlite:///{tmp_path / 'a.db'}", "-s", pair, cwd=tmp_path)
    assert result.returncode == 2 and named in one_line_error(result)
    assert not (tmp_path / "a.db").exists()  # refused before anything was touched


def test_an_export_over_a_directory_that_is_not_an_export_is_a_usage_error(sqlite_db, tmp_path):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.md").write_text("mine")
    result = run("export", "--out", str(mine), "--db", sqlite_db, cwd=tmp_path)
    assert result.returncode == 2 and "did not write" in one_line_error(result)
    assert (mine / "thesis.md").read_text() == "mine"


def test_an_incremental_export_takes_only_what_is_new_or_changed(sqlite_db, tmp_path):
    """A nightly job: export, then --after-id (new articles) or --changed-since (new or changed),
    from the resume point the previous export printed."""
    first = run(
        "export",
        "--format",
        "jsonl",
        "--out",
        "all.jsonl",
        "--include-off-topic",
        "--db",
        sqlite_db,
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    resume = first.stderr.split("resume with: ", 1)[1]
    after_id = resume.split("--after-id ", 1)[1].split(" ", 1)[0]
    changed_since = resume.split("--changed-since ", 1)[1].strip()
    exported = [json.loads(line)["id"] for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert int(after_id) == max(exported)
    engine = make_engine(sqlite_db)
    with session_factory(engine, write=True).begin() as session:
        outlet_id = session.execute(text("SELECT id FROM outlets WHERE slug = 'olhardigital'")).scalar_one()
        insert_articles(session, [article_row(99, outlet_id)])
        session.execute(
            text("UPDATE articles SET title = 'Corrected', updated_at = :now WHERE id = :id"),
            {"now": datetime.now(timezone.utc), "id": exported[0]},
        )
    engine.dispose()
    new = run(
        "export",
        "--format",
        "jsonl",
        "--out",
        "new.jsonl",
        "--include-off-topic",
        "--after-id",
        after_id,
        "--db",
        sqlite_db,
        cwd=tmp_path,
    )
    changed = run(
        "export",
        "--format",
        "jsonl",
        "--out",
        "changed.jsonl",
        "--include-off-topic",
        "--changed-since",
        changed_since,
        "--db",
        sqlite_db,
        cwd=tmp_path,
    )
    assert new.returncode == changed.returncode == 0, new.stderr + changed.stderr
    new_ids = [json.loads(line)["id"] for line in (tmp_path / "new.jsonl").read_text().splitlines()]
    changed_rows = [json.loads(line) for line in (tmp_path / "changed.jsonl").read_text().splitlines()]
    assert len(new_ids) == 1 and new_ids[0] > int(after_id)
    assert {row["id"] for row in changed_rows} == {exported[0], new_ids[0]}
    assert any(row["title"] == "Corrected" for row in changed_rows)
