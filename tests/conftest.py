"""Shared fixtures: real SQLite files and a real PostgreSQL database (never mocks)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from db import migrate
from db.session import make_engine, session_factory

# Server the PostgreSQL tests use; CI starts it (see .ci/run).
PG_ADMIN_URL = os.environ.get("NEWSARCHIVE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _pg_unavailable_reason() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL.split('@')[-1]}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; its URL."""
    reason = _pg_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    name = f"newsarchive_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Redis the frontier tests use: a database of their own for each test worker (pytest-xdist's gw0 to
# gw3 get databases 12 to 15, so two workers never empty each other's); CI starts the server.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
REDIS_TEST_URL = os.environ.get("NEWSARCHIVE_TEST_REDIS", f"redis://127.0.0.1:6379/{12 + _WORKER}")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis database, emptied before and after."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {REDIS_TEST_URL}: {exc}"
        if IN_CI:
            pytest.fail(f"{reason} (CI must run the Redis tests)")
        pytest.skip(reason)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def pg_schema(pg_server: str) -> str:
    engine = make_engine(pg_server)
    migrate.upgrade(engine)
    engine.dispose()
    return pg_server


def truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE articles, outlets, crawl_runs, crawl_run_outlets, url_state RESTART "
                "IDENTITY CASCADE"
            )
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def archive_url(request, tmp_path: Path) -> str:
    """A migrated, empty archive on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'archive.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return url
    url = request.getfixturevalue("pg_schema")
    truncate_postgres(url)
    return url


@pytest.fixture
def archive(archive_url: str):
    engine = make_engine(archive_url)
    yield engine
    engine.dispose()


class FixtureServer:
    """The fixture-site server subprocess and its request log."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log

    @contextmanager
    def gate(self, host: str, after: int) -> Iterator[Callable[[], None]]:
        """Serve `host`'s first `after` HTML pages, hold the next ones; yields a wait() that returns
        once a page is held (the crawl is then stopped at a known point). Leaving opens the gate."""
        gates = self.log.parent / "gates"
        (gates / f"{host}.held").unlink(missing_ok=True)
        (gates / host).write_text(str(after))

        def wait(timeout: float = 120) -> None:
            deadline = time.monotonic() + timeout
            while not (gates / f"{host}.held").exists():
                assert time.monotonic() < deadline, f"no page of {host} reached the gate in {timeout} s"
                time.sleep(0.02)

        try:
            yield wait
        finally:
            (gates / host).unlink(missing_ok=True)

    def requests(self, host: str | None = None) -> list[dict]:
        import json

        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        entries = [json.loads(line) for line in lines]
        return [e for e in entries if host is None or e["host"] == host]


@pytest.fixture(scope="session")
def fixture_server(tmp_path_factory) -> Iterator[FixtureServer]:
    import subprocess
    import sys

    log = tmp_path_factory.mktemp("server") / "requests.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.mockserver", str(log)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    port = int(process.stdout.readline())
    yield FixtureServer(port, log)
    process.terminate()
    process.wait(timeout=10)


def crawl_command(
    server: FixtureServer, db_url: str, *args: str, refused: tuple[str, ...] = ("unreachable.test",)
) -> list[str]:
    """`newsarchive crawl` routed to the fixture server, politeness delays off."""
    import sys

    from crawler.devsite.loopback import loopback_settings, setting_arguments

    settings = loopback_settings(server.port, refused) | {
        "RETRY_TIMES": 2,
        "NEWSARCHIVE_EXTRACT_WORKERS": 1,
        "DOWNLOAD_TIMEOUT": 10,
    }
    return [sys.executable, "-m", "crawler.cli", "crawl", "--db", db_url, *args, *setting_arguments(settings)]


def scrapy_command(server: FixtureServer, registry: Path | str, db_url: str, *settings: str) -> list[str]:
    """`scrapy crawl news` of the feedonly outlet routed to the fixture server (Scrapy users, Scrapyd)."""
    import sys

    from crawler.devsite.loopback import loopback_settings, setting_arguments

    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "news",
        "-a",
        "outlet=feedonly",
        "-a",
        f"outlets_file={registry}",
        "-s",
        f"NEWSARCHIVE_DB={db_url}",
        *setting_arguments(loopback_settings(server.port)),
        *settings,
    ]


@pytest.fixture
def registry(tmp_path) -> Path:
    """The test registry (tests/sites.py) as a file."""
    from .sites import TEST_REGISTRY

    path = tmp_path / "outlets.toml"
    path.write_text(TEST_REGISTRY, encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crawl_db(request, tmp_path) -> str:
    """An archive URL on each backend, not yet migrated on SQLite (the crawl does it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crawl.db'}"
    url = request.getfixturevalue("pg_schema")
    truncate_postgres(url)
    return url


def run_demo(db_url: str, workdir: Path) -> None:
    """`newsarchive demo` into this archive, which then holds the demo's two outlets and 36 articles."""
    demo = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "--db", db_url, "demo"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]


def count_rows(db_url: str, model) -> int:
    from sqlalchemy import func, select

    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        value = session.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return value


def summary_rows(stdout: str) -> dict[str, list[str]]:
    """The rows of the crawl summary table `newsarchive crawl` prints: slug -> the other cells."""
    rows = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 7 and cells[0] != "outlet":
            rows[cells[0]] = cells[1:]
    return rows


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (children, their children...), read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A real 700 KB file system (tmpfs), to fill up; needs root, as CI has."""
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs: {mounted.stderr.strip()}"
        if IN_CI:
            pytest.fail(f"{reason} (CI runs as root and must run the disk-full test)")
        pytest.skip(reason)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=False)


# The served archive of the web app's tests (tests/web, tests/cli/test_serve.py), built once per backend.
from tests.web.archive import web_archive  # noqa: E402, F401
