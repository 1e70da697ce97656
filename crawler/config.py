"""The one path from settings to configuration: crawler/settings.py, then what the user set.

Every entry point (`newsarchive crawl`, `reextract`, `extract`, `dedup`, and `scrapy crawl` through
scrapy.cfg) reads its settings as a Scrapy `Settings` built here, and derives the stages' options
from it with `Options.from_settings` and `DedupConfig.from_settings`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from scrapy.settings import Settings


class SettingError(ValueError):
    """A NAME=VALUE the user gave is malformed; the message is one line."""


# Scrapy priority of NEWSARCHIVE_* settings read from the environment: above crawler/settings.py
# ("project", 20), below what the user gives with -s ("cmdline", 40).
ENVIRONMENT_PRIORITY = 30


def load_settings(overrides: Mapping[str, Any] | None = None, db_url: str | None = None) -> Settings:
    """The project's settings, then NEWSARCHIVE_* environment variables, then `overrides` (and the
    archive URL) on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in environment_settings(os.environ).items():
        settings.set(name, value, priority=ENVIRONMENT_PRIORITY)
    if db_url:
        settings.set("NEWSARCHIVE_DB", db_url, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def parse_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """`-s NAME=VALUE` pairs; VALUE is JSON when it parses as JSON, else a string. A name that is no
    setting (of crawler/settings.py or Scrapy's) or a value of the wrong kind is refused, naming it."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.isidentifier():
            raise SettingError(f"--set takes NAME=VALUE, got {pair!r}")
        overrides[name] = checked(name, _value(raw))
    return overrides


def environment_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every NEWSARCHIVE_* setting of crawler/settings.py found in `environ` (JSON values allowed),
    checked like -s values. NEWSARCHIVE_DB is read by the commands' --db option."""
    found = {}
    for name in _defaults():
        if name.startswith("NEWSARCHIVE_") and name != "NEWSARCHIVE_DB" and name in environ:
            found[name] = checked(name, _value(environ[name]))
    return found


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _defaults() -> Settings:
    defaults = Settings()
    defaults.setmodule("crawler.settings", priority="project")
    return defaults


def checked(name: str, value: Any) -> Any:
    """`value` if it suits the setting `name` (judged by the kind of its default)."""
    defaults = _defaults()
    if name not in defaults:
        raise SettingError(f"unknown setting {name} (see crawler/settings.py and Scrapy's settings)")
    default = defaults[name]
    probe = Settings({name: value})
    try:
        if isinstance(default, bool):
            probe.getbool(name)
        elif isinstance(default, (int, float)):
            probe.getfloat(name)
        elif isinstance(default, (list, tuple)):
            probe.getlist(name)
        elif isinstance(default, dict):
            probe.getdict(name)
    except (ValueError, TypeError):
        raise SettingError(f"{name} takes {_kind(default)}, got {value!r}") from None
    return value


def _kind(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (int, float)):
        return "a number"
    return "a list" if isinstance(default, (list, tuple)) else "a JSON object"
