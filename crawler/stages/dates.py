"""Dates as outlets write them -> timezone-aware UTC datetimes (pure).

ISO 8601, RFC 822 (feeds), and local forms such as "12 de março de 2025", "14 juin 2024 à 11h"
or "June 7, 2025". A date before 1990 or more than a day in the future is rejected (None): it is
a parsing accident or a placeholder, not a publication date. A time without an offset is in the
outlet's time zone (`zone`, from the registry), or UTC when the registry gives none.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
# How far ahead of now a date may be (clock skew, time zones) before it is rejected.
FUTURE_SLACK = timedelta(days=1)

MONTHS = {
    # pt
    "janeiro": 1,
    "fevereiro": 2,
    "março": 3,
    "marco": 3,
    "abril": 4,
    "maio": 5,
    "junho": 6,
    "julho": 7,
    "agosto": 8,
    "setembro": 9,
    "outubro": 10,
    "novembro": 11,
    "dezembro": 12,
    # fr
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "décembre": 12,
    "decembre": 12,
    # es
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
    # en
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "fév": 2,
    "févr": 2,
    "avr": 4,
    "juil": 7,
    "déc": 12,
    # the three- and four-letter abbreviations of pt, es and fr feeds ("qua, 05 fev 2025 …")
    "janv": 1,
    "fev": 2,
    "abr": 4,
    "ago": 8,
    "set": 9,
    "out": 10,
    "dez": 12,
    "ene": 1,
    "dic": 12,
}
_MONTH = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
_TIME = r"(?:\s*,?\s*(?:às|as|a las|à|at|-)?\s*(?P<hour>\d{1,2})\s*(?:h|:)\s*(?P<minute>\d{2})?)?"
# "12 de março de 2025", "14 juin 2024 à 11h", "7 June 2025 10:30"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:er|º)?\s+(?:de\s+)?(?P<month>{_MONTH})\.?\s+(?:de\s+)?(?P<year>\d{{4}}){_TIME}",
    re.IGNORECASE,
)
# "June 7, 2025", "Jun 7 2025 10:30"
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}}){_TIME}",
    re.IGNORECASE,
)
# "07/06/2025 10h30" (day first, as in pt/fr/es)
_NUMERIC = re.compile(rf"\b(?P<day>\d{{1,2}})/(?P<month>\d{{1,2}})/(?P<year>\d{{4}}){_TIME}")
_URL_DATE = re.compile(
    r"/(?P<year>(?:19|20)\d{2})[/-](?P<month>0?[1-9]|1[0-2])[/-](?P<day>0?[1-9]|[12]\d|3[01])(?:/|-|$)"
)


def plausible(
    value: datetime | None, now: datetime | None = None, zone: tzinfo = timezone.utc
) -> datetime | None:
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=zone)
    value = value.astimezone(timezone.utc)
    now = now or datetime.now(timezone.utc)
    return value if EARLIEST <= value <= now + FUTURE_SLACK else None


# RFC 822 with a localised day or month name: "mer, 16 nov 2022 00:38:15 +0100", "qua, 05 fev 2025
# 10:00:00 -0300" (the day name is dropped; the month is read from MONTHS; the offset is kept).
_LOCAL_RFC822 = re.compile(
    rf"^(?:[^\W\d]+\.?,?\s+)?(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH})\.?\s+(?P<year>\d{{4}})\s+"
    r"(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<zone>[+-]\d{4}|[A-Za-z]{1,5})?\s*$",
    re.IGNORECASE,
)
_ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_date(text: str | None, now: datetime | None = None, zone: tzinfo = timezone.utc) -> datetime | None:
    if not text or not text.strip():
        return None
    text = text.strip()
    for parse in (_iso, _rfc822, _local_rfc822, _local):
        value = parse(text)
        if value is not None:
            return plausible(value, now, zone)
    return None


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)  # naive only for "-0000", which RFC 5322 calls "no zone known"
    except (TypeError, ValueError, IndexError):
        return None


def _local_rfc822(text: str) -> datetime | None:
    match = _LOCAL_RFC822.match(text)
    if not match:
        return None
    month = _ENGLISH_MONTHS[MONTHS[match["month"].lower()] - 1]
    return _rfc822(f"{match['day']} {month} {match['year']} {match['time']} {match['zone'] or ''}".strip())


def _local(text: str) -> datetime | None:
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _NUMERIC):
        match = pattern.search(text)
        if match:
            month = match["month"]
            month_number = int(month) if month.isdigit() else MONTHS[month.lower()]
            try:
                return datetime(
                    int(match["year"]),
                    month_number,
                    int(match["day"]),
                    int(match["hour"] or 0),
                    int(match["minute"] or 0),
                )
            except ValueError:
                return None
    return None


def date_from_url(url: str, now: datetime | None = None, zone: tzinfo = timezone.utc) -> datetime | None:
    """`/2025/06/07/` in an article URL: the day, at midnight in the outlet's zone."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    try:
        return plausible(datetime(int(match["year"]), int(match["month"]), int(match["day"])), now, zone)
    except ValueError:
        return None
