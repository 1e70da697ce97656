"""Classify stage: language and relevance to AI infrastructure (pure)."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# Texts shorter than this many words are too short to identify reliably: the page's lang wins.
SHORT_TEXT_WORDS = 25
# Characters of text the language is identified from: ~300 words decide as well as the whole
# article, and identification cost grows with length (it was the costliest of our stages).
LANGUAGE_SAMPLE_CHARS = 2000
# How much more a term counts in the title than in the body.
TITLE_WEIGHT = 3.0
# Repetitions of one term that still add to the score (a press release repeating a name adds nothing).
MAX_REPEATS = 3
# The score is 1 - exp(-weight / SCORE_SCALE): about 0.5 for one core term plus some context.
SCORE_SCALE = 6.0


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, page_language: str | None = None) -> str | None:
    """ISO 639-1 of the text; the page's `lang` decides short texts and close calls."""
    words = len(text.split())
    if words == 0:
        return page_language
    if words < SHORT_TEXT_WORDS and page_language:
        return page_language
    ranked = _identifier().rank(text[:LANGUAGE_SAMPLE_CHARS])[:2]
    best, confidence = ranked[0]
    if page_language and any(lang == page_language for lang, _ in ranked) and confidence < 0.9:
        return page_language
    return best


@dataclass(frozen=True)
class Relevance:
    score: float
    terms: list[str]
    is_relevant: bool


@dataclass(frozen=True)
class Lexicon:
    """Per language: one regex over all its terms (the shared "any" terms included) and their weights."""

    patterns: dict[str | None, tuple[re.Pattern[str], dict[str, float]]]

    def for_language(self, language: str | None) -> tuple[re.Pattern[str], dict[str, float]]:
        return self.patterns.get(language) or self.patterns[None]


def _compile(weights: dict[str, float]) -> tuple[re.Pattern[str], dict[str, float]]:
    alternatives = "|".join(re.escape(t) for t in sorted(weights, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE), weights


@lru_cache(maxsize=4)
def load_lexicon(path: str | None = None) -> Lexicon:
    raw = open(path, "rb").read() if path else (resources.files("crawler") / "lexicon.toml").read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    shared = {term.casefold(): float(w) for term, w in data.pop("any", {}).items()}
    per_language = {lang: {term.casefold(): float(w) for term, w in terms.items()} for lang, terms in data.items()}
    # A text of unknown language is scored with every language's terms (the highest weight wins).
    everything = dict(shared)
    for terms in per_language.values():
        for term, weight in terms.items():
            everything[term] = max(weight, everything.get(term, 0.0))
    patterns = {lang: _compile(shared | terms) for lang, terms in per_language.items()}
    patterns[None] = _compile(everything)
    return Lexicon(patterns)


def relevance(title: str | None, text: str, language: str | None, threshold: float,
              lexicon: Lexicon | None = None) -> Relevance:
    """Score in 0..1 from weighted lexicon terms; title matches weigh TITLE_WEIGHT times."""
    pattern, weights = (lexicon or load_lexicon()).for_language(language)
    body_counts, title_counts = _counts(pattern, text), _counts(pattern, title or "")
    matched = {
        term: weights[term] * (min(body_counts.get(term, 0), MAX_REPEATS) + TITLE_WEIGHT * min(title_counts.get(term, 0), 1))
        for term in body_counts.keys() | title_counts.keys()
    }
    score = round(1.0 - math.exp(-sum(matched.values()) / SCORE_SCALE), 4)
    terms = sorted(matched, key=lambda t: (-matched[t], t))
    return Relevance(score, terms, score >= threshold)


def _counts(pattern: re.Pattern[str], text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for match in pattern.finditer(text):
        term = match.group(1).casefold()
        counts[term] = counts.get(term, 0) + 1
    return counts
