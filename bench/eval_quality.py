"""Extraction quality on the shared corpus: our pipeline (extract + clean) vs. plain trafilatura.

    python bench/eval_quality.py [--corpus ../shared/corpus]

Scoring follows ../shared/corpus/README.md:
- trafilatura set: each `with` snippet found = TP, missing = FN; each `without` found = FP;
  micro precision/recall/F1 per language (whitespace-normalised).
- readability, newspaper and newspaper4k sets: word 4-gram shingle F1 of the text against the gold
  text (averaged P and R), per language.
- goose3 and postlight sets: the gold beginning of the body (goose3's cleaned_text, postlight's
  first 13 words) found in the text, per language.
- htmldate set: publication day exact-match accuracy per language.
Prints one JSON object; plain trafilatura runs with the reference options
(include_comments=False, include_tables=True).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import math
import multiprocessing
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402
from lxml import html as lxml_html  # noqa: E402

from bench.corpus import CORPUS as DEFAULT_CORPUS  # noqa: E402
from bench.corpus import manifest_languages
from bench.dedup_pairs import pairs as dedup_pairs  # noqa: E402
from bench.seed_pages import MARKERS as SEED_MARKERS  # noqa: E402
from bench.seed_pages import seed_pages
from crawler.config import load_settings  # noqa: E402
from crawler.settings import NEWSARCHIVE_RELEVANCE_THRESHOLD as RELEVANCE_THRESHOLD  # noqa: E402
from crawler.stages.classify import detect_language, relevance  # noqa: E402
from crawler.stages.clean import clean  # noqa: E402
from crawler.stages.dedup import content_hash, features, is_near_duplicate  # noqa: E402
from crawler.stages.encoding import decode_html  # noqa: E402
from crawler.stages.extract import extract  # noqa: E402
from crawler.stages.process import Options, Page, process_page  # noqa: E402
from crawler.stages.story import same_story  # noqa: E402
from db.dedup import DedupConfig  # noqa: E402

WORD = re.compile(r"\w+")


def read_html(path: Path) -> str:
    body = path.read_bytes()
    return decode_html(gzip.decompress(body) if path.name.endswith(".gz") else body, None)[0]


@dataclass
class Result:
    """What our pipeline keeps of a page: the record's text and metadata."""

    text: str = ""
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None


def ours(html: str, url: str | None) -> Result:
    """Extract + clean exactly as the crawl runs them (crawler/stages/process.py): the text scored is
    the text the archive stores, title line rule included."""
    extracted = extract(html, url or "https://example.invalid/")
    if extracted is None:
        return Result()
    return Result(
        clean(extracted.text, extracted.title).text,
        extracted.title,
        extracted.authors,
        extracted.published_at,
    )


def plain(html: str, url: str | None) -> str:
    return trafilatura.extract(html, url=url, include_comments=False, include_tables=True) or ""


def plain_metadata(html: str, url: str | None) -> Result:
    document = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=True, with_metadata=True
    )
    if document is None:
        return Result()
    authors = [a.strip() for a in (document.author or "").split(";") if a.strip()]
    published = datetime.fromisoformat(document.date) if document.date else None
    return Result(document.text or "", document.title, authors, published)


def normalise(text: str) -> str:
    """Whitespace collapsed, and Unicode in composed form (NFC), for our text, trafilatura's and the
    gold alike: an "ü" stored as "u" plus a combining mark would otherwise split a word in two."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def snippet_counts(text: str, present: list[str], absent: list[str]) -> Counter:
    text = normalise(text)
    counts = Counter()
    for snippet in present:
        counts["tp" if normalise(snippet) in text else "fn"] += 1
    for snippet in absent:
        counts["fp"] += normalise(snippet) in text
    return counts


def prf(counts: Counter, exact: bool = False) -> dict[str, float]:
    """Precision, recall and F1 to 3 places; with `exact`, also the unrounded F1 (`f1_exact`), which
    the gate compares with plain trafilatura's."""
    precision = counts["tp"] / (counts["tp"] + counts["fp"]) if counts["tp"] + counts["fp"] else 0.0
    recall = counts["tp"] / (counts["tp"] + counts["fn"]) if counts["tp"] + counts["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    scores = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
    return scores | ({"f1_exact": f1} if exact else {})


def shingles(text: str) -> Counter:
    words = WORD.findall(unicodedata.normalize("NFC", text).lower())
    return Counter(tuple(words[i : i + 4]) for i in range(max(0, len(words) - 3)))


def shingle_pr(predicted: str, gold: str) -> tuple[float, float]:
    pred, truth = shingles(predicted), shingles(gold)
    tp = sum((pred & truth).values())
    fp, fn = sum(pred.values()) - tp, sum(truth.values()) - tp
    if fp == 0 and fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if pred else 0.0
    recall = tp / (tp + fn) if truth else 0.0
    return precision, recall


def trafilatura_set(root: Path) -> dict:
    gold = json.loads((root / "evaldata.subset.json").read_text(encoding="utf-8"))
    counts = {"ours": defaultdict(Counter), "trafilatura": defaultdict(Counter)}
    pages: dict[str, Counter] = defaultdict(Counter)
    for url, entry in gold.items():
        path = next(
            (
                root / folder / entry["file"]
                for folder in ("cache", "eval")
                if (root / folder / entry["file"]).exists()
            ),
            None,
        )
        if path is None:
            continue
        html = read_html(path)
        present, absent = _as_list(entry.get("with")), _as_list(entry.get("without"))
        texts = {"ours": ours(html, url).text, "trafilatura": plain(html, url)}
        found = {name: snippet_counts(text, present, absent) for name, text in texts.items()}
        for name in texts:
            counts[name][entry["lang"]] += found[name]
            counts[name]["all"] += found[name]
        # per page, a snippet found or wrongly kept counts one either way
        mine, theirs = (found[n]["tp"] - found[n]["fp"] for n in ("ours", "trafilatura"))
        for lang in (entry["lang"], "all"):
            pages[lang] += _versus(texts["ours"], texts["trafilatura"], mine, theirs)
    scores: dict[str, Any] = {
        name: {lang: prf(c, exact=True) for lang, c in sorted(per.items())} for name, per in counts.items()
    }
    return scores | {"pages": {lang: dict(c) for lang, c in sorted(pages.items())}}


def _as_list(value) -> list[str]:
    if isinstance(value, list):
        return value
    return ast.literal_eval(value) if value else []


def readability_set(root: Path, manifest: Path) -> dict:
    """Shingle F1 of the text against expected.html, per page language (expected-metadata.json's
    `lang`, else the manifest's)."""
    languages = manifest_languages(manifest, by="folder")
    pages = []
    for folder in sorted(p for p in root.iterdir() if (p / "source.html").exists()):
        html = read_html(folder / "source.html")
        gold = lxml_html.fromstring(
            (folder / "expected.html").read_bytes().decode("utf-8", "replace")
        ).text_content()
        metadata = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        language = (metadata.get("lang") or languages.get(folder.name) or "?").split("-")[0].lower()
        pages.append((language, gold, ours(html, None).text, plain(html, None)))
    return compared(pages, shingle_pr)


def compared(pages: list[tuple[str, str, str, str]], score) -> dict:
    """Ours against plain trafilatura on (language, gold, our text, trafilatura's text) pages: averaged
    precision, recall and F1 per language and over all pages, and how many pages' texts differ."""
    pairs: dict[str, dict[str, list]] = {"ours": defaultdict(list), "trafilatura": defaultdict(list)}
    pages_compared: dict[str, Counter] = defaultdict(Counter)
    for language, gold, our_text, plain_text in pages:
        mine, theirs = score(our_text, gold), score(plain_text, gold)
        for lang in (language, "all"):
            pairs["ours"][lang].append(mine)
            pairs["trafilatura"][lang].append(theirs)
            pages_compared[lang] += _versus(our_text, plain_text, _f1(mine), _f1(theirs))
    return {
        name: {lang: _averaged_f1(found) for lang, found in sorted(per.items())}
        for name, per in pairs.items()
    } | {"pages": {lang: dict(c) for lang, c in sorted(pages_compared.items())}}


def _f1(pair: tuple[float, float]) -> float:
    return 2 * pair[0] * pair[1] / (pair[0] + pair[1]) if pair[0] + pair[1] else 0.0


def _versus(our_text: str, plain_text: str, mine: float, theirs: float) -> Counter:
    """One page of ours against plain trafilatura: whether the texts differ, and which scores better."""
    return Counter(
        differs=normalise(our_text) != normalise(plain_text),
        better=mine > theirs + 1e-12,
        worse=mine < theirs - 1e-12,
    )


def newspaper_set(root: Path, manifest: Path, gold_folder: str) -> dict:
    """newspaper's and newspaper4k's tests: the plain-text body each project expects, shingle F1."""
    languages = manifest_languages(manifest)
    pages = []
    for page in sorted((root / "html").glob("*.html")):
        gold_path = root / gold_folder / f"{page.stem}.txt"
        if not gold_path.exists():
            continue
        html = read_html(page)
        pages.append(
            (
                languages.get(page.name, "?"),
                gold_path.read_text(encoding="utf-8", errors="replace"),
                ours(html, None).text,
                plain(html, None),
            )
        )
    return compared(pages, shingle_pr)


def prefix_set(pages: list[tuple[str, str, str, str]]) -> dict:
    """Sets whose gold is the beginning of the body (goose3's cleaned_text, postlight's first 13
    words): a page scores 1 when the gold's words appear, in order and together, in the text."""

    def found(text: str, gold: str) -> tuple[float, float]:
        hit = float(" ".join(WORD.findall(gold.lower())) in " ".join(WORD.findall(text.lower())))
        return hit, hit

    return compared(pages, found)


def goose3_set(root: Path, manifest: Path) -> dict:
    languages = manifest_languages(manifest)
    pages = []
    for gold_path in sorted((root / "content").glob("*.json")):
        page = gold_path.with_suffix(".html")
        expected = json.loads(gold_path.read_text(encoding="utf-8"))["expected"]
        expected = ast.literal_eval(expected) if isinstance(expected, str) else expected
        gold = (expected.get("cleaned_text") or "").strip()
        if not page.exists() or not gold:
            continue
        html, url = read_html(page), expected.get("final_url")
        language = languages.get(page.name) or expected.get("meta_lang") or "?"
        pages.append((language, gold[:300], ours(html, url).text, plain(html, url)))
    return prefix_set(pages)


def postlight_set(root: Path) -> dict:
    pages = []
    for fixture, entries in json.loads((root / "expected.json").read_text(encoding="utf-8")).items():
        page = root / fixture
        gold = entries[0]["expected"].get("first13") if entries else None
        if not page.exists() or not gold:
            continue
        html, url = read_html(page), entries[0].get("url")
        pages.append((entries[0].get("lang") or "?", gold, ours(html, url).text, plain(html, url)))
    return prefix_set(pages)


def htmldate_set(root: Path) -> dict:
    """Both gold files (99 pages); the French one has no `lang`. A NaN gold date means the page has
    none: the right answer is then no date."""
    hits: dict[str, Counter] = defaultdict(Counter)
    for gold_file, default_lang in (
        ("eval_mediacloud_2020.subset.json", None),
        ("eval_default.fr-subset.json", "fr"),
    ):
        for url, entry in json.loads((root / gold_file).read_text(encoding="utf-8")).items():
            path = next(
                (
                    root / d / entry["file"]
                    for d in ("cache", "test_set")
                    if (root / d / entry["file"]).exists()
                ),
                None,
            )
            if path is None:
                continue
            date = entry.get("date")
            found = ours(read_html(path), url).published_at
            expected_none = not isinstance(date, str) or (isinstance(date, float) and math.isnan(date))
            correct = found is None if expected_none else bool(found) and found.date().isoformat() == date
            for lang in (entry.get("lang") or default_lang or "?", "all"):
                hits[lang]["pages"] += 1
                hits[lang]["correct"] += correct
    return {
        lang: {"accuracy": round(c["correct"] / c["pages"], 3), "pages": c["pages"]}
        for lang, c in sorted(hits.items())
    }


def fundus_set(root: Path, manifest: Path) -> dict:
    """Body shingle F1 (gold: summary, section headlines and paragraphs), and exact title, authors
    and publication day, per language. Each publisher's gold versions match its pages in date order."""
    languages = manifest_languages(manifest)
    bodies: dict[str, dict[str, list]] = {"ours": defaultdict(list), "trafilatura": defaultdict(list)}
    pages_compared: dict[str, Counter] = defaultdict(Counter)
    fields: dict[str, dict[str, Counter]] = {
        "ours": defaultdict(Counter),
        "trafilatura": defaultdict(Counter),
    }
    for gold_file in sorted(root.glob("test_data/*/*.json")):
        pages = sorted(gold_file.parent.glob(f"{gold_file.stem}_*.html.gz"))
        urls = json.loads((gold_file.parent / "meta.info").read_text(encoding="utf-8"))
        for gold, page in zip(json.loads(gold_file.read_text(encoding="utf-8")).values(), pages, strict=True):
            html, url = read_html(page), urls.get(page.name, {}).get("url")
            language = languages.get(page.name, "?")
            results = {"ours": ours(html, url), "trafilatura": plain_metadata(html, url)}
            scored = {
                name: shingle_pr(result.text, _fundus_body(gold["body"])) for name, result in results.items()
            }
            for name, result in results.items():
                for lang in (language, "all"):
                    bodies[name][lang].append(scored[name])
                    fields[name][lang] += _metadata_hits(result, gold)
            versus = _versus(
                results["ours"].text,
                results["trafilatura"].text,
                _f1(scored["ours"]),
                _f1(scored["trafilatura"]),
            )
            for lang in (language, "all"):
                pages_compared[lang] += versus
    scores: dict[str, Any] = {
        name: {
            lang: {**_averaged_f1(pairs), **_accuracies(fields[name][lang], len(pairs))}
            for lang, pairs in sorted(per.items())
            if lang in REPORTED_LANGUAGES
        }
        for name, per in bodies.items()
    }
    return scores | {
        "pages": {lang: dict(c) for lang, c in sorted(pages_compared.items()) if lang in REPORTED_LANGUAGES}
    }


REPORTED_LANGUAGES = ("all", "pt", "fr", "en", "es")


def _fundus_body(body: dict) -> str:
    parts = list(body.get("summary", []))
    for section in body.get("sections", []):
        parts += section.get("headline", []) + section.get("paragraphs", [])
    return "\n".join(parts)


def _metadata_hits(result: Result, gold: dict) -> Counter:
    hits = Counter()
    hits["title"] += normalise(result.title or "") == normalise(gold.get("title") or "")
    hits["authors"] += {normalise(a) for a in result.authors} == {
        normalise(a) for a in gold.get("authors") or []
    }
    hits["date"] += _same_day(result.published_at, gold.get("publishing_date"))
    return hits


def _same_day(found: datetime | None, gold: str | None) -> bool:
    """By day in the gold's own time zone (a day-only date is taken as that local day)."""
    if not gold or found is None:
        return not gold and found is None
    expected = datetime.fromisoformat(gold)
    if found.tzinfo is not None and expected.tzinfo is not None:
        found = found.astimezone(expected.tzinfo)
    return found.date() == expected.date()


def _averaged_f1(pairs: list[tuple[float, float]]) -> dict[str, float]:
    precision = sum(p for p, _ in pairs) / len(pairs)
    recall = sum(r for _, r in pairs) / len(pairs)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "f1_exact": f1,
        "pages": len(pairs),
    }


def _accuracies(hits: Counter, pages: int) -> dict[str, float]:
    return {
        f"{field_name}_accuracy": round(hits[field_name] / pages, 3)
        for field_name in ("title", "authors", "date")
    }


def confusion(label: bool, predicted: bool) -> str:
    return ("tp" if predicted else "fn") if label else ("fp" if predicted else "tn")


def relevance_set(root: Path, threshold: float = RELEVANCE_THRESHOLD) -> dict:
    """Relevance precision/recall and language accuracy per language on the labelled set, with the
    language identified from the text alone (no page hint), as for a page that declares none."""
    counts: dict[str, Counter] = defaultdict(Counter)
    errors = []
    for path in sorted(root.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            language = detect_language(item["text"])
            predicted = relevance(item["title"], item["text"], language, threshold).is_relevant
            outcome = confusion(item["label"], predicted)
            for lang in (path.stem, "all"):
                counts[lang][outcome] += 1
                counts[lang]["language_ok"] += language == path.stem
            if outcome in ("fp", "fn"):
                errors.append(f"{outcome} {item['id']}: {item['title']}")
    scores = {
        lang: {
            **prf(c),
            "articles": sum(c[k] for k in ("tp", "fp", "fn", "tn")),
            "language_accuracy": round(c["language_ok"] / sum(c[k] for k in ("tp", "fp", "fn", "tn")), 3),
        }
        for lang, c in sorted(counts.items())
    }
    return {"scores": scores, "errors": errors}


def seed_set() -> dict:
    """The seeds rendered as outlet pages (bench/seed_pages.py) through the whole pipeline: token F1
    of the text against the seed's content lines, boilerplate markers left, metadata accuracy."""
    pairs, hits, markers_left = [], Counter(), 0
    for page in seed_pages():
        processed = process_page(
            Page(page.url, page.html.encode("utf-8"), "text/html"),
            replace(SEED_OPTIONS, timezone=page.timezone),
        )
        record = processed.record or {}
        pairs.append(token_pr(record.get("text", ""), "\n".join(page.content)))
        markers_left += sum(record.get("text", "").count(marker) for marker in SEED_MARKERS)
        hits["title"] += record.get("title") == page.gold.title
        hits["authors"] += record.get("authors") == page.gold.author
        published = record.get("published_at")
        hits["date"] += (
            published is not None
            and published.astimezone(page.gold.published_at.tzinfo).date() == page.gold.published_at.date()
        )
        hits["time"] += published == page.gold.published_at
        hits["relevant"] += bool(record.get("is_relevant"))
        hits["language"] += record.get("language") == page.gold.language
    pages = len(pairs)
    return {
        **_averaged_f1(pairs),
        "boilerplate_markers_left": markers_left,
        "boilerplate_free": int(markers_left == 0),
        **{
            f"{name}_accuracy": round(hits[name] / pages, 3)
            for name in ("title", "authors", "date", "time", "relevant", "language")
        },
    }


# As a crawl of an outlet without registry entry would process pages (the time zone is per page).
SEED_OPTIONS = Options.from_settings(load_settings())


def token_pr(predicted: str, gold: str) -> tuple[float, float]:
    """Bag-of-words precision and recall (\\w+ tokens, case-folded)."""
    pred, truth = Counter(WORD.findall(predicted.lower())), Counter(WORD.findall(gold.lower()))
    shared = sum((pred & truth).values())
    return (shared / sum(pred.values()) if pred else 0.0), (shared / sum(truth.values()) if truth else 0.0)


def corpus_relevance(corpus: Path, positives_file: Path) -> dict:
    """The classifier on every article page of the corpus through the whole pipeline: the pages
    listed in positives_file are about AI infrastructure, every other one is not."""
    positives = {
        line.strip()
        for line in positives_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    counts, wrong = Counter(), []
    for path in sorted((corpus / "benchmarks").rglob("*")):
        if not path.name.endswith((".html", ".htm", ".html.gz")):
            continue
        body = path.read_bytes()
        record = process_page(
            Page(
                "https://example.invalid/page",
                gzip.decompress(body) if path.name.endswith(".gz") else body,
                "text/html",
            ),
            SEED_OPTIONS,
        ).record
        if record is None:
            continue
        name = str(path.relative_to(corpus))
        outcome = confusion(name in positives, record["is_relevant"])
        counts[outcome] += 1
        if outcome in ("fp", "fn"):
            wrong.append(f"{outcome} {name}: {record['title']}")
    negatives = counts["tn"] + counts["fp"]
    return {
        "articles": sum(counts.values()),
        "flagged": counts["tp"] + counts["fp"],
        "false_positives": counts["fp"],
        "missed": counts["fn"],
        "negative_accuracy": round(counts["tn"] / negatives, 4) if negatives else 1.0,
        "errors": wrong,
    }


def dedup_set() -> dict:
    """Duplicate and story precision/recall on the labelled pairs of bench/dedup_pairs.py, with the
    archive's rules and default thresholds: a copy is an exact hash match or an LSH candidate the
    MinHash estimate confirms; a story is a copy or a fingerprint match within the time window."""
    config = DedupConfig.from_settings(load_settings())
    counts: dict[str, Counter] = {"duplicates": Counter(), "stories": Counter()}
    per_kind: dict[str, Counter] = defaultdict(Counter)
    errors, cache = [], {}
    for pair in dedup_pairs():
        a, b = (
            cache.setdefault((t.id, t.text), features(t.title, t.text, t.language)) for t in (pair.a, pair.b)
        )
        duplicate = content_hash(pair.a.text) == content_hash(pair.b.text) or is_near_duplicate(
            a.signature, b.signature, config.near
        )
        story = duplicate or same_story(
            a.fingerprint, pair.a.published, b.fingerprint, pair.b.published, config.story
        )
        for name, label, predicted in (
            ("duplicates", pair.duplicate, duplicate),
            ("stories", pair.story, story),
        ):
            outcome = confusion(label, predicted)
            counts[name][outcome] += 1
            per_kind[pair.kind][f"{name}_right"] += label == predicted
            if outcome in ("fp", "fn"):
                errors.append(f"{name} {outcome} {pair.kind}: {pair.a.id} / {pair.b.id}")
        per_kind[pair.kind]["pairs"] += 1
    return {
        **{name: prf(c) | {"pairs": sum(c.values())} for name, c in counts.items()},
        "kinds": {
            kind: {
                "pairs": c["pairs"],
                "duplicates_accuracy": round(c["duplicates_right"] / c["pairs"], 3),
                "stories_accuracy": round(c["stories_right"] / c["pairs"], 3),
            }
            for kind, c in sorted(per_kind.items())
        },
        "errors": errors,
    }


def report(corpus: Path = DEFAULT_CORPUS) -> dict:
    """Every set's scores; the sets are independent, so they are scored on all cores at once."""
    benchmarks = corpus / "benchmarks"
    relevance = Path(__file__).with_name("relevance")
    sections: dict[str, tuple[Any, tuple[Any, ...]]] = {
        "seed_pages": (seed_set, ()),
        "trafilatura_set_snippets": (trafilatura_set, (benchmarks / "trafilatura",)),
        "readability_set_shingles": (readability_set, (benchmarks / "readability", corpus / "MANIFEST.tsv")),
        "newspaper_set_shingles": (
            newspaper_set,
            (benchmarks / "newspaper", corpus / "MANIFEST.tsv", "text"),
        ),
        "newspaper4k_set_shingles": (
            newspaper_set,
            (benchmarks / "newspaper4k", corpus / "MANIFEST.tsv", "txt"),
        ),
        "goose3_set_prefix": (goose3_set, (benchmarks / "goose3", corpus / "MANIFEST.tsv")),
        "postlight_set_first13": (postlight_set, (benchmarks / "postlight",)),
        "fundus_set": (fundus_set, (benchmarks / "fundus", corpus / "MANIFEST.tsv")),
        "htmldate_set_dates_ours": (htmldate_set, (benchmarks / "htmldate",)),
        "relevance_set": (relevance_set, (relevance,)),
        "dedup_set": (dedup_set, ()),
        "corpus_relevance": (corpus_relevance, (corpus, relevance / "corpus_positives.txt")),
    }
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=spawn) as pool:
        # The longest first (measured: corpus relevance 27 s, fundus 16 s, trafilatura 12 s, the rest
        # under 4 s each), so the cores finish together.
        longest_first = ["corpus_relevance", "fundus_set", "trafilatura_set_snippets"]
        order = longest_first + [name for name in sections if name not in longest_first]
        running = {name: pool.submit(sections[name][0], *sections[name][1]) for name in order}
        return {name: running[name].result() for name in sections}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    print(json.dumps(report(args.corpus), indent=1))


if __name__ == "__main__":
    main()
