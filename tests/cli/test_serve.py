"""`newsarchive serve` (crawler/cli/serve.py) as a user runs it: it listens where it says, answers,
logs requests to a file, stops on Ctrl-C, and refuses an archive it cannot show, in one line."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import urllib.request

from sqlalchemy import text

from db import migrate
from db.session import make_engine
from tests.web.archive import WebArchive, serving


def _serve(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "--db", db_url, "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_answers_logs_to_a_file_and_stops_on_ctrl_c(web_archive: WebArchive):
    with serving(web_archive.url) as (base, process):
        with urllib.request.urlopen(base + "api/outlets", timeout=10) as response:
            assert response.status == 200 and b'"slug":"demo"' in response.read()
        with urllib.request.urlopen(base + "?q=oracle", timeout=10) as response:
            assert b"OpenAI" in response.read()
    rest = process.stderr.read()
    assert process.returncode == 0
    log = next(line.removeprefix("log: ") for line in rest.splitlines() if line.startswith("log: "))
    assert '"GET /api/outlets HTTP/1.1" 200' in open(log, encoding="utf-8").read()
    assert rest.splitlines()[-1] == "stopped" and "Traceback" not in rest
    assert process.stdout.read() == ""


def test_serve_refuses_a_missing_newer_or_older_archive_in_one_line(tmp_path, web_archive: WebArchive):
    missing = _serve(f"sqlite:///{tmp_path / 'nope.db'}")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"newsarchive: error: no archive at {tmp_path / 'nope.db'} "
        "(`newsarchive crawl` or `newsarchive demo` creates one)"
    ]
    if web_archive.backend != "sqlite":
        return
    newer = tmp_path / "newer.db"
    shutil.copy(web_archive.url.removeprefix("sqlite:///"), newer)
    engine = make_engine(f"sqlite:///{newer}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    refused = _serve(f"sqlite:///{newer}")
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "schema revision 9999, which this version of newsarchive does not know" in refused.stderr
    older = tmp_path / "older.db"
    engine = make_engine(f"sqlite:///{older}")
    migrate.upgrade(engine, "0006")
    engine.dispose()
    refused = _serve(f"sqlite:///{older}")
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "older than this newsarchive's" in refused.stderr and "newsarchive db upgrade" in refused.stderr


def test_a_port_in_use_is_one_line(web_archive: WebArchive):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _serve(web_archive.url, "--port", str(port))
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"newsarchive: error: cannot listen on 127.0.0.1:{port}:")
    )
