"""Deploying to Scrapyd: the egg builds and crawls from the zip alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from db.models import Article
from db.session import make_engine, session_factory

from .conftest import scrapy_command

ROOT = Path(__file__).resolve().parents[1]


def test_scrapyd_egg_builds_and_crawls_from_the_zip(fixture_server, registry, tmp_path):
    """`scrapyd-deploy --build-egg`, then the spider run from the zipped egg alone, as Scrapyd runs it
    (an empty database is migrated with the scripts inside the egg)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, project / name)
    for package in ("crawler", "db", "migrations"):
        shutil.copytree(ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    egg = tmp_path / "newsarchive.egg"
    build = subprocess.run(
        [str(Path(sys.executable).with_name("scrapyd-deploy")), "--build-egg", str(egg)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        assert {
            "crawler/settings.py",
            "crawler/outlets.toml",
            "crawler/stages/lexicon.toml",
            "migrations/versions/0002_dedup_index.py",
        } <= names
        assert "settings = crawler.settings" in archive.read("EGG-INFO/entry_points.txt").decode()
    runner = tmp_path / "runner"
    runner.mkdir()
    db_url = f"sqlite:///{runner / 'archive.db'}"
    command = scrapy_command(fixture_server, registry, db_url, "-s", "LOG_LEVEL=WARNING")
    env = {
        "PYTHONPATH": str(egg),
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        "PATH": "/usr/bin:/bin",
        "PYTHONSAFEPATH": "1",
    }
    result = subprocess.run(command, cwd=runner, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
    engine.dispose()
