"""The README's claims that a test can check: its architecture tree names every module, and its
example queries return rows on the demo archive."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from .conftest import run_demo

ROOT = Path(__file__).resolve().parents[1]


def architecture_tree() -> set[str]:
    """The paths the README's architecture block names (nesting by two-space indentation)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1]
    block = section.split("```", 2)[1]
    paths: set[str] = set()
    parents: list[str] = []
    for line in block.splitlines():
        entry = line.split("#", 1)[0].rstrip()
        if not entry.strip():
            continue
        depth = (len(entry) - len(entry.lstrip())) // 2
        parents = parents[:depth]
        for name in re.split(r",\s*", entry.strip()):
            paths.add("".join(parents) + name)
        if entry.strip().endswith("/"):
            parents.append(entry.strip())
    return paths


def test_architecture_tree_names_every_module():
    modules = {
        str(path.relative_to(ROOT))
        for package in ("crawler", "db")
        for path in (ROOT / package).rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    }
    tree = architecture_tree()
    missing = sorted(modules - tree)
    assert not missing, f"README's architecture tree does not name: {', '.join(missing)}"
    gone = sorted(
        path
        for path in tree
        if path.endswith(".py") and path.startswith(("crawler/", "db/")) and not (ROOT / path).exists()
    )
    assert not gone, f"README's architecture tree names modules that do not exist: {', '.join(gone)}"


def sql_examples() -> list[tuple[str, str]]:
    """The README's example queries: (backend, SQL); a block marked `-- SQLite` or `-- PostgreSQL`
    is for that backend only, an unmarked one for both."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Example queries", 1)[1].split("\n## ", 1)[0]
    examples = []
    for block in re.findall(r"```sql\n(.*?)```", section, flags=re.S):
        first = block.splitlines()[0].strip()
        backends = {"-- SQLite": ["sqlite"], "-- PostgreSQL": ["postgresql"]}.get(
            first, ["sqlite", "postgresql"]
        )
        examples += [(backend, block) for backend in backends]
    return examples


def test_the_readme_has_example_queries_for_both_backends():
    examples = sql_examples()
    assert sum(backend == "sqlite" for backend, _ in examples) == 7
    assert sum(backend == "postgresql" for backend, _ in examples) == 7


def test_every_example_query_returns_rows_on_the_demo_archive(crawl_db, tmp_path):
    """What the README promises: after `newsarchive demo`, each example query returns rows."""
    from sqlalchemy import text

    from db.session import make_engine

    run_demo(crawl_db, tmp_path)
    backend = "sqlite" if crawl_db.startswith("sqlite") else "postgresql"
    engine = make_engine(crawl_db)
    with engine.connect() as connection:
        # an article whose story was told in more than one language, for the `:url` example
        url = connection.scalar(
            text(
                "SELECT canonical_url FROM articles WHERE story_id IN (SELECT story_id FROM articles "
                "GROUP BY story_id HAVING count(DISTINCT language) > 1) ORDER BY id LIMIT 1"
            )
        )
    engine.dispose()
    examples = [sql for for_backend, sql in sql_examples() if for_backend == backend]
    for sql in examples:
        if backend == "sqlite":
            # the sqlite3 module runs SQL as the sqlite3 shell does (FTS5, JSON, strftime)
            with sqlite3.connect(crawl_db.removeprefix("sqlite:///")) as connection:
                rows = connection.execute(sql, {"url": url} if ":url" in sql else {}).fetchall()
        else:
            engine = make_engine(crawl_db)
            with engine.connect() as connection:
                rows = connection.execute(text(sql.replace(":'url'", ":url")), {"url": url}).fetchall()
            engine.dispose()
        assert rows, f"no rows on {backend}:\n{sql}"
        assert all(any(value not in (None, 0) for value in row) for row in rows), sql
