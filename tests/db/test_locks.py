"""Per-outlet crawl locks (db/locks.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from db import locks
from db.session import make_engine

ROOT = Path(__file__).resolve().parents[2]


def test_lock_is_exclusive_and_released(crawl_db):
    first, second = make_engine(crawl_db), make_engine(crawl_db)
    with locks.held(first, "crawl:feedonly"):
        with pytest.raises(locks.Busy):
            with locks.held(second, "crawl:feedonly"):
                pass
        with locks.held(second, "crawl:sitemaponly"):
            pass
    with locks.held(second, "crawl:feedonly"):
        pass
    first.dispose()
    second.dispose()
