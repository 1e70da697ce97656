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
# Beyond this many words, evidence is divided by sqrt(words / LONG_TEXT_WORDS): a long piece on
# another beat (a newsletter, a book chapter) that mentions data centers once stays off-topic.
LONG_TEXT_WORDS = 700


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


GROUPS = ("subject", "name", "hpc", "context", "ai", "against")
# Groups that weigh like context: once in a title, and adding at most as much as the subject.
CONTEXT_GROUPS = ("context", "ai")


@dataclass(frozen=True)
class Term:
    group: str
    weight: float


@dataclass(frozen=True)
class Lexicon:
    """Per language: one regex over all its terms (the shared "any" terms included) and what each means."""

    patterns: dict[str | None, tuple[re.Pattern[str], dict[str, Term]]]

    def for_language(self, language: str | None) -> tuple[re.Pattern[str], dict[str, Term]]:
        return self.patterns.get(language) or self.patterns[None]


def _compile(terms: dict[str, Term]) -> tuple[re.Pattern[str], dict[str, Term]]:
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE), terms


@lru_cache(maxsize=4)
def load_lexicon(path: str | None = None) -> Lexicon:
    raw = (
        open(path, "rb").read() if path else (resources.files("crawler.stages") / "lexicon.toml").read_bytes()
    )
    data = tomllib.loads(raw.decode("utf-8"))
    if unknown := sorted(set(data) - set(GROUPS)):
        raise ValueError(f"lexicon: unknown group {', '.join(unknown)} (groups: {', '.join(GROUPS)})")
    groups_of: dict[tuple[str, str], set[str]] = {}
    per_language: dict[str, dict[str, Term]] = {}
    for group in GROUPS:
        for language, terms in data.get(group, {}).items():
            for term, weight in terms.items():
                per_language.setdefault(language, {})[term.casefold()] = Term(group, float(weight))
                groups_of.setdefault((language, term.casefold()), set()).add(group)
    # A term in two groups would mean whichever is read last (a language's over "any"): refuse it.
    for (language, term), groups in sorted(groups_of.items()):
        both = groups | groups_of.get(("any", term), set())
        if len(both) > 1:
            raise ValueError(
                f"lexicon: {term!r} ({language}) is in more than one group: {', '.join(sorted(both))}"
            )
    shared = per_language.pop("any", {})
    # A text of unknown language is scored with every language's terms (the first one read wins).
    everything = dict(shared)
    for terms in per_language.values():
        for term, meaning in terms.items():
            everything.setdefault(term, meaning)
    patterns: dict[str | None, tuple[re.Pattern[str], dict[str, Term]]] = {
        language: _compile(shared | terms) for language, terms in per_language.items()
    }
    patterns[None] = _compile(everything)
    return Lexicon(patterns)


def relevance(
    title: str | None, text: str, language: str | None, threshold: float, lexicon: Lexicon | None = None
) -> Relevance:
    """Score in 0..1: subject terms (names only beside other evidence, supercomputers only in an
    article about AI), plus context and AI terms up to as much again, minus consumer cues."""
    pattern, terms = (lexicon or load_lexicon()).for_language(language)
    body_counts, title_counts = _counts(pattern, text), _counts(pattern, title or "")
    # A context term in the title (a vendor's name in "Nvidia shares jump") counts as in the body: the
    # title says what the story is about only through its subject and against terms.
    evidence = {
        term: terms[term].weight
        * (
            min(body_counts.get(term, 0), MAX_REPEATS)
            + (1.0 if terms[term].group in CONTEXT_GROUPS else TITLE_WEIGHT)
            * min(title_counts.get(term, 0), 1)
        )
        for term in body_counts.keys() | title_counts.keys()
    }
    by_group = {group: sum(w for t, w in evidence.items() if terms[t].group == group) for group in GROUPS}
    context = by_group["context"] + by_group["ai"]
    # A name ("Stargate") is a subject only beside other evidence: alone it is as likely the film. A
    # supercomputer is one only in an article about AI: alone it may forecast the weather.
    counted = {
        "subject": True,
        "name": bool(by_group["subject"] or context),
        "hpc": bool(by_group["ai"]),
    }
    subject = sum(by_group[group] for group, counts in counted.items() if counts)
    weight = max(0.0, subject + min(context, subject) - by_group["against"])
    weight /= math.sqrt(max(1.0, len(text.split()) / LONG_TEXT_WORDS))
    score = round(1.0 - math.exp(-weight / SCORE_SCALE), 4)
    matched = [
        t
        for t in evidence
        if terms[t].group != "against"
        and counted.get(terms[t].group, True)
        and (subject > 0 or terms[t].group == "subject")
    ]
    matched.sort(key=lambda t: (-evidence[t], t))
    return Relevance(score, matched, score >= threshold)


def _counts(pattern: re.Pattern[str], text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for match in pattern.finditer(text):
        term = match.group(1).casefold()
        counts[term] = counts.get(term, 0) + 1
    return counts
