"""The one path from settings to configuration: crawler/settings.py, then what the user set.

Every entry point (`newsarchive crawl`, `reextract`, `extract`, `dedup`, and `scrapy crawl` through
scrapy.cfg) reads its settings as a Scrapy `Settings` built here, and derives the stages' options
from it with `Options.from_settings` and `DedupConfig.from_settings`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from scrapy.settings import Settings


class SettingError(ValueError):
    """A NAME=VALUE the user gave is malformed; the message is one line."""


def load_settings(overrides: Mapping[str, Any] | None = None, db_url: str | None = None) -> Settings:
    """The project's settings with `overrides` (and the archive URL) on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if db_url:
        settings.set("NEWSARCHIVE_DB", db_url, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def parse_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """`-s NAME=VALUE` pairs; VALUE is JSON when it parses as JSON, else a string."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.isidentifier():
            raise SettingError(f"--set takes NAME=VALUE, got {pair!r}")
        try:
            overrides[name] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[name] = raw
    return overrides
