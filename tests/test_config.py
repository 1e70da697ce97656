"""The one path from settings to configuration (crawler/config.py): crawler/settings.py, then
NEWSARCHIVE_* environment variables, then -s; a bad name or value is a usage error naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from crawler.config import SettingError, environment_settings, load_settings
from crawler.devsite import sitegen
from crawler.devsite.synthetic import article


def test_the_environment_sits_between_the_defaults_and_set():
    os.environ["NEWSARCHIVE_STORY_NAMES_ALONE"] = "0.3"
    try:
        assert load_settings().getfloat("NEWSARCHIVE_STORY_NAMES_ALONE") == 0.3
        assert (
            load_settings({"NEWSARCHIVE_STORY_NAMES_ALONE": 0.9}).getfloat("NEWSARCHIVE_STORY_NAMES_ALONE")
            == 0.9
        )
    finally:
        del os.environ["NEWSARCHIVE_STORY_NAMES_ALONE"]
    assert load_settings().getfloat("NEWSARCHIVE_STORY_NAMES_ALONE") == 0.7
    assert environment_settings({"NEWSARCHIVE_FAST_EXTRACTION": "true", "PATH": "/bin"}) == {
        "NEWSARCHIVE_FAST_EXTRACTION": True
    }
    with pytest.raises(SettingError, match="NEWSARCHIVE_NEARDUP_JACCARD takes a number"):
        environment_settings({"NEWSARCHIVE_NEARDUP_JACCARD": "abc"})


def _extract(tmp_path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    page = tmp_path / "page.html"
    item = sitegen.SiteArticle(article(78, language="pt"), "https://olhardigital.com.br/2024/01/03/pro/y/")
    page.write_bytes(sitegen.article_page(item, "Olhar Digital").encode())
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", "--json", str(page), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_commands_read_settings_from_the_environment_and_set_overrides_it(tmp_path):
    strict = {"NEWSARCHIVE_MIN_WORDS": "100000"}
    assert json.loads(_extract(tmp_path, strict).stdout)["outcome"] == "not_article"
    assert (
        json.loads(_extract(tmp_path, strict, "-s", "NEWSARCHIVE_MIN_WORDS=10").stdout)["outcome"]
        != "not_article"
    )
    bad = _extract(tmp_path, {"NEWSARCHIVE_MIN_WORDS": "many"})
    assert bad.returncode == 2 and "NEWSARCHIVE_MIN_WORDS takes a number" in bad.stderr


@pytest.mark.parametrize("debug,traceback", [("0", False), ("false", False), ("1", True)])
def test_newsarchive_debug_0_means_off(tmp_path, debug, traceback):
    command = [
        sys.executable,
        "-m",
        "crawler.cli",
        "db",
        "upgrade",
        "--db",
        f"sqlite:///{tmp_path}/no/such/dir/a.db",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env={**os.environ, "NEWSARCHIVE_DEBUG": debug}
    )
    assert result.returncode == 1 and ("Traceback" in result.stderr) == traceback
