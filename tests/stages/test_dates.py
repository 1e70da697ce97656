"""Dates in pt/fr/es/en (crawler/stages/dates.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bench.seed_pages import seed_files
from crawler.stages.dates import date_from_url, parse_date

from ..conftest import SHARED

SEEDS = seed_files()

FEEDS = SHARED / "corpus" / "feeds"
SITEMAPS = SHARED / "corpus" / "sitemaps"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2025-06-07T10:30:00-03:00", datetime(2025, 6, 7, 13, 30, tzinfo=timezone.utc)),
        ("Sat, 07 Jun 2025 13:30:00 -0300", datetime(2025, 6, 7, 16, 30, tzinfo=timezone.utc)),
        ("12 de março de 2025", datetime(2025, 3, 12, tzinfo=timezone.utc)),
        ("14 juin 2024 à 11h", datetime(2024, 6, 14, 11, tzinfo=timezone.utc)),
        ("7 de junio de 2025, 10:15", datetime(2025, 6, 7, 10, 15, tzinfo=timezone.utc)),
        ("June 7, 2025", datetime(2025, 6, 7, tzinfo=timezone.utc)),
        ("2099-01-01", None),
        ("1985-05-05", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_dates(text, expected):
    assert parse_date(text, now=datetime(2026, 1, 1, tzinfo=timezone.utc)) == expected


def test_date_from_url():
    assert date_from_url("https://olhardigital.com.br/2024/07/10/pro/x/") == datetime(
        2024, 7, 10, tzinfo=timezone.utc
    )
    assert date_from_url("https://a.test/2024/13/10/x/") is None
