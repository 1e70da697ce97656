"""Story layer (pure): a language-independent fingerprint of the news event an article reports.

Translations share almost no words but keep the event's names (OpenAI, Oracle, Abilene) and
its figures ("US$ 13 bilhões", "13 milliards de dollars", "$13 billion" are all 1.3e10;
"49 %" and "49%" are both 49 percent). Two articles published close together whose names
and figures agree report one event; the same companies with other figures are another event.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

# Words that multiply the number before them, per language (and the abbreviations outlets use).
SCALES = {
    "mil": 1e3,
    "thousand": 1e3,
    "milhares": 1e3,
    "milliers": 1e3,
    "k": 1e3,
    "milhão": 1e6,
    "milhões": 1e6,
    "mi": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "millón": 1e6,
    "millones": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "bilhão": 1e9,
    "bilhões": 1e9,
    "bi": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "md": 1e9,
    "mds": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "mil millones": 1e9,
    "mil milhões": 1e9,
    "trilhão": 1e12,
    "trilhões": 1e12,
    "trillion": 1e12,
    "billón": 1e12,
    "billones": 1e12,
    "tri": 1e12,
}
PERCENT = ("%", "por cento", "pour cent", "percent", "per cent", "por ciento")
POWER = {
    "kw": 1e3,
    "mw": 1e6,
    "gw": 1e9,
    "megawatt": 1e6,
    "megawatts": 1e6,
    "mégawatt": 1e6,
    "mégawatts": 1e6,
    "megavatio": 1e6,
    "megavatios": 1e6,
    "gigawatt": 1e9,
    "gigawatts": 1e9,
    "gigavatio": 1e9,
    "gigavatios": 1e9,
}
_UNIT = "|".join(re.escape(u) for u in sorted([*SCALES, *PERCENT, *POWER], key=len, reverse=True))
NUMBER = re.compile(
    r"(?<![\w.,])(?P<number>\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    rf"(?:\s?(?P<unit>{_UNIT})(?!\w))?",
    re.IGNORECASE,
)
# Capitalised names, names with an inner capital (OpenAI, xAI, CoreWeave) and acronyms.
NAME = re.compile(r"\b(?:[A-ZÀ-Ý][\w\-]*[\w]|[a-z]+[A-Z][\w]*)\b")
SENTENCE_START = re.compile(r"(?:^|[.!?:;»\"“”]\s+|\n\s*|[—–-]\s+)$")
# Capitalised words that name no event: generic acronyms and English calendar words, in every language.
GENERIC_NAMES = {
    "ia",
    "ai",
    "gpu",
    "gpus",
    "cpu",
    "ceo",
    "cfo",
    "cto",
    "coo",
    "vp",
    "evp",
    "svp",
    "gw",
    "mw",
    "kw",
    "ti",
    "it",
    "tic",
    "eua",
    "usa",
    "us",
    "uk",
    "ue",
    "eu",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "i",
}
# Bare numbers below this (3 anos, 10 data centers) are too common to tell events apart;
# years are not figures.
MIN_BARE_NUMBER = 1000
YEAR = range(1900, 2101)


@dataclass(frozen=True)
class Fingerprint:
    names: frozenset[str]
    figures: frozenset[str]

    def keys(self) -> list[int]:
        """Signed 64-bit keys for the archive's story index."""
        return [_key(token) for token in sorted(self.names | self.figures)]


@dataclass(frozen=True)
class StoryThresholds:
    window_days: float  # farther apart than this, two articles are two events (a follow-up is news again)
    names: float  # Dice overlap of names needed when the figures agree
    names_alone: float  # ... and when neither article gives a figure they share


def fingerprint(title: str | None, text: str, language: str | None) -> Fingerprint:
    body = f"{title}.\n{text}" if title else text
    return Fingerprint(frozenset(_names(body)), frozenset(_figures(body, language)))


def same_story(
    a: Fingerprint, a_time: datetime, b: Fingerprint, b_time: datetime, thresholds: StoryThresholds
) -> bool:
    if abs((a_time - b_time).total_seconds()) > thresholds.window_days * 86400:
        return False
    names = _dice(a.names, b.names)
    shared = sum(1.0 if _specific(figure) else 0.5 for figure in a.figures & b.figures)
    if shared:
        # Two agreeing figures (an amount and a share, a price and a capacity) are rarely a
        # coincidence; one round figure (1 GW, 10%) often is.
        return names >= thresholds.names / min(shared, 2.0)
    if a.figures and b.figures:
        return False  # both give figures and none agree: the same companies in another deal
    return names >= thresholds.names_alone


def _specific(figure: str) -> bool:
    """More than one significant digit (13 bilhões is 1.3e+10, 49%), not a round 4 GW (4e+09) or 10%."""
    mantissa = figure.split(":", 1)[1].split("e", 1)[0]
    return len(mantissa.replace(".", "").strip("0")) > 1


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c)).removesuffix("'s").removesuffix("’s")
    )


def _names(text: str) -> set[str]:
    found = set()
    for match in NAME.finditer(text):
        word = _fold(match.group(0))
        if word in GENERIC_NAMES or len(word) < 2:
            continue
        if SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]) and not _marked(
            match.group(0)
        ):
            continue
        found.add(word)
    return found


def _marked(word: str) -> bool:
    """A sentence-initial word still counts as a name when its shape says so (OpenAI, AWS)."""
    return any(c.isupper() for c in word[1:])


def _figures(text: str, language: str | None) -> set[str]:
    decimal = "." if language == "en" else ","
    found = set()
    for match in NUMBER.finditer(text):
        value = _number(match["number"], decimal)
        if value is None:
            continue
        unit = (match["unit"] or "").casefold()
        if unit in SCALES:
            found.add(f"n:{_round(value * SCALES[unit])}")
        elif unit in PERCENT:
            found.add(f"pct:{_round(value)}")
        elif unit in POWER:
            found.add(f"w:{_round(value * POWER[unit])}")
        elif value >= MIN_BARE_NUMBER and not (value.is_integer() and int(value) in YEAR):
            found.add(f"n:{_round(value)}")
    return found


def _number(raw: str, decimal: str) -> float | None:
    grouping = "," if decimal == "." else "."
    digits = re.sub(r"[\u00a0\u202f ]", "", raw).replace(grouping, "")
    if digits.count(decimal) > 1:
        return None
    try:
        return float(digits.replace(decimal, "."))
    except ValueError:
        return None


def _round(value: float) -> str:
    """Three significant digits: 351,000 and 353,000 GPUs are two orders, 11,9 and 11.900 one amount.
    (A translation that rounds, "nearly $15 billion" for 14,7 bilhões, loses that figure.)"""
    return f"{value:.3g}"


def _key(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little", signed=True)
