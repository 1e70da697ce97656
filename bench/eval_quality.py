"""Extraction quality on the shared corpus: our pipeline (extract + clean) vs. plain trafilatura.

    python bench/eval_quality.py [--corpus ../shared/corpus]

Scoring follows ../shared/corpus/README.md:
- trafilatura set: each `with` snippet found = TP, missing = FN; each `without` found = FP;
  micro precision/recall/F1 per language (whitespace-normalised).
- readability set: word 4-gram shingle F1 of the text against expected.html (averaged P and R).
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
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402
from lxml import html as lxml_html  # noqa: E402

from crawler.clean import clean  # noqa: E402
from crawler.encoding import decode_html  # noqa: E402
from crawler.extract import extract  # noqa: E402

WORD = re.compile(r"\w+")


def read_html(path: Path) -> str:
    body = path.read_bytes()
    return decode_html(gzip.decompress(body) if path.name.endswith(".gz") else body, None)[0]


def ours(html: str, url: str | None) -> tuple[str, object]:
    extracted = extract(html, url or "https://example.invalid/")
    if extracted is None:
        return "", None
    return clean(extracted.text, extracted.title).text, extracted.published_at


def plain(html: str, url: str | None) -> str:
    return trafilatura.extract(html, url=url, include_comments=False, include_tables=True) or ""


def normalise(text: str) -> str:
    return " ".join(text.split())


def snippet_counts(text: str, present: list[str], absent: list[str]) -> Counter:
    text = normalise(text)
    counts = Counter()
    for snippet in present:
        counts["tp" if normalise(snippet) in text else "fn"] += 1
    for snippet in absent:
        counts["fp"] += normalise(snippet) in text
    return counts


def prf(counts: Counter) -> dict[str, float]:
    precision = counts["tp"] / (counts["tp"] + counts["fp"]) if counts["tp"] + counts["fp"] else 0.0
    recall = counts["tp"] / (counts["tp"] + counts["fn"]) if counts["tp"] + counts["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def shingles(text: str) -> Counter:
    words = WORD.findall(text.lower())
    return Counter(tuple(words[i:i + 4]) for i in range(max(0, len(words) - 3)))


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
    for url, entry in gold.items():
        path = next((root / folder / entry["file"] for folder in ("cache", "eval") if (root / folder / entry["file"]).exists()), None)
        if path is None:
            continue
        html = read_html(path)
        present, absent = _as_list(entry.get("with")), _as_list(entry.get("without"))
        for name, text in (("ours", ours(html, url)[0]), ("trafilatura", plain(html, url))):
            counts[name][entry["lang"]] += snippet_counts(text, present, absent)
            counts[name]["all"] += snippet_counts(text, present, absent)
    return {name: {lang: prf(c) for lang, c in sorted(per.items())} for name, per in counts.items()}


def _as_list(value) -> list[str]:
    if isinstance(value, list):
        return value
    return ast.literal_eval(value) if value else []


def readability_set(root: Path) -> dict:
    scores = {"ours": [], "trafilatura": []}
    for folder in sorted(p for p in root.iterdir() if (p / "source.html").exists()):
        html = read_html(folder / "source.html")
        gold = lxml_html.fromstring((folder / "expected.html").read_bytes().decode("utf-8", "replace")).text_content()
        scores["ours"].append(shingle_pr(ours(html, None)[0], gold))
        scores["trafilatura"].append(shingle_pr(plain(html, None), gold))
    result = {}
    for name, pairs in scores.items():
        precision = sum(p for p, _ in pairs) / len(pairs)
        recall = sum(r for _, r in pairs) / len(pairs)
        result[name] = {"precision": round(precision, 3), "recall": round(recall, 3),
                        "f1": round(2 * precision * recall / (precision + recall), 3), "pages": len(pairs)}
    return result


def htmldate_set(root: Path) -> dict:
    """Both gold files (99 pages); the French one has no `lang`. A NaN gold date means the page has
    none: the right answer is then no date."""
    hits: dict[str, Counter] = defaultdict(Counter)
    for gold_file, default_lang in (("eval_mediacloud_2020.subset.json", None), ("eval_default.fr-subset.json", "fr")):
        for url, entry in json.loads((root / gold_file).read_text(encoding="utf-8")).items():
            path = next((root / d / entry["file"] for d in ("cache", "test_set") if (root / d / entry["file"]).exists()), None)
            if path is None:
                continue
            date = entry.get("date")
            found = ours(read_html(path), url)[1]
            expected_none = not isinstance(date, str) or (isinstance(date, float) and math.isnan(date))
            correct = found is None if expected_none else bool(found) and found.date().isoformat() == date
            for lang in (entry.get("lang") or default_lang or "?", "all"):
                hits[lang]["pages"] += 1
                hits[lang]["correct"] += correct
    return {lang: {"accuracy": round(c["correct"] / c["pages"], 3), "pages": c["pages"]} for lang, c in sorted(hits.items())}


DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def report(corpus: Path = DEFAULT_CORPUS) -> dict:
    benchmarks = corpus / "benchmarks"
    return {
        "trafilatura_set_snippets": trafilatura_set(benchmarks / "trafilatura"),
        "readability_set_shingles": readability_set(benchmarks / "readability"),
        "htmldate_set_dates_ours": htmldate_set(benchmarks / "htmldate"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    print(json.dumps(report(args.corpus), indent=1))


if __name__ == "__main__":
    main()
