"""The dedup evaluation set: labelled article pairs built from realistic texts (deterministic).

    python bench/dedup_pairs.py > pairs.jsonl    # to read them

Texts: the 72 hand-written reports of 14 AI-infrastructure events in `dedup/stories.jsonl`
(each event in pt, fr, en and es; for some a second outlet's independent report and a follow-up
a week or more later), the 306 articles of `relevance/`, the 172 real fundus articles of the
shared corpus and the five seeds. Each pair is labelled `duplicate` (one is a copy of the other)
and `story` (both report the same news event):

| kind | duplicate | story |
|---|---|---|
| syndicated: a copy with an aggregator's header, footer, credit and "read also" lines | yes | yes |
| truncated: the opening 35-65% of the text and a "continue reading" line | yes | yes |
| retitled: a new title and standfirst sentence, the last paragraph dropped | yes | yes |
| light_edit: one sentence dropped, typos fixed or made, an update note | yes | yes |
| translation: the same report in another language | no | yes |
| independent: another outlet's own report of the same announcement | no | yes |
| followup: a later article on the same event, 7+ days on | no | no |
| same_actors: another event with the same companies, published the same day | no | no |
| other_article: two distinct articles in one language sharing two or more names, same day | no | no |
| same_publisher: two articles of one publisher (shared house style), same day | no | no |
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import CORPUS, manifest_languages  # noqa: E402
from crawler.stages.clean import clean  # noqa: E402
from crawler.stages.story import fingerprint  # noqa: E402

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parents[1] / "shared" / "seeds"
BASE_TIME = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Text:
    id: str
    language: str
    title: str
    text: str
    published: datetime


@dataclass(frozen=True)
class Pair:
    kind: str
    duplicate: bool
    story: bool
    a: Text
    b: Text


AGGREGATOR = {
    "pt": {
        "header": ["Por Redação", "Imagem: Shutterstock"],
        "credit": "O post {title} apareceu primeiro em Olhar Digital.",
        "source": "Fonte: {url}",
        "also": "Leia também: {title}",
        "more": "Continue lendo em {url}",
        "follow": "Siga o Portal Tech no Google News",
        "update": "(Atualizado às 14h20)",
        "lede": "Entenda o que está em jogo.",
    },
    "fr": {
        "header": ["Par La Rédaction", "Photo : AFP"],
        "credit": "L'article {title} est apparu en premier sur Tech Actu.",
        "source": "Source : {url}",
        "also": "Lire aussi : {title}",
        "more": "Lire la suite sur {url}",
        "follow": "Suivez-nous sur Google Actualités",
        "update": "(Mis à jour à 14h20)",
        "lede": "Voici ce qu'il faut retenir.",
    },
    "en": {
        "header": ["By Staff Writer", "Image: Getty Images"],
        "credit": "The post {title} appeared first on Tech Wire.",
        "source": "Source: {url}",
        "also": "Read also: {title}",
        "more": "Continue reading at {url}",
        "follow": "Follow us on Google News",
        "update": "(Updated at 2:20 p.m.)",
        "lede": "Here is what it means.",
    },
    "es": {
        "header": ["Por Redacción", "Imagen: EFE"],
        "credit": "La entrada {title} se publicó primero en Tech Diario.",
        "source": "Fuente: {url}",
        "also": "Lee también: {title}",
        "more": "Sigue leyendo en {url}",
        "follow": "Síguenos en Google Noticias",
        "update": "(Actualizado a las 14.20)",
        "lede": "Esto es lo que hay que saber.",
    },
}
SENTENCE_END = re.compile(r"(?<=[.!?»”])\s+(?=[A-ZÀ-Ý«“\"])")


def stories() -> list[Text]:
    return [
        Text(
            f"{item['event']}-{item['kind']}-{item['lang']}",
            item["lang"],
            item["title"],
            item["text"],
            datetime.fromisoformat(item["published"]),
        )
        for item in map(
            json.loads, (HERE / "dedup" / "stories.jsonl").read_text(encoding="utf-8").splitlines()
        )
    ]


def relevance_articles() -> list[Text]:
    texts = []
    for path in sorted((HERE / "relevance").glob("*.jsonl")):
        for index, item in enumerate(map(json.loads, path.read_text(encoding="utf-8").splitlines())):
            texts.append(
                Text(item["id"], path.stem, item["title"], item["text"], BASE_TIME + timedelta(days=index))
            )
    return texts


def fundus_articles(corpus: Path = CORPUS) -> list[Text]:
    texts, languages = [], manifest_languages(corpus / "MANIFEST.tsv")
    for gold_file in sorted((corpus / "benchmarks" / "fundus").glob("test_data/*/*.json")):
        page = next(gold_file.parent.glob(f"{gold_file.stem}_*.html.gz"), None)
        language = languages.get(page.name) if page else None
        if language not in AGGREGATOR:
            continue
        for index, gold in enumerate(json.loads(gold_file.read_text(encoding="utf-8")).values()):
            paragraphs = [
                p for section in gold["body"].get("sections", []) for p in section.get("paragraphs", [])
            ]
            text = "\n".join(paragraphs)
            if len(text.split()) >= 150:
                texts.append(
                    Text(
                        f"fundus-{gold_file.stem}-{index}",
                        language,
                        gold.get("title") or "",
                        text,
                        BASE_TIME + timedelta(days=index),
                    )
                )
    return texts


def seed_articles() -> list[Text]:
    texts = []
    for index, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        lines = path.read_text(encoding="utf-8").strip().splitlines()
        language = "fr" if path.name.startswith("002") else "pt"
        texts.append(
            Text(
                f"seed-{path.stem}",
                language,
                lines[0],
                clean("\n".join(lines[1:]), lines[0]).text,
                BASE_TIME + timedelta(days=index),
            )
        )
    return texts


def _paragraphs(text: str) -> list[str]:
    parts = [p for p in text.split("\n") if p.strip()]
    if len(parts) >= 3:
        return parts
    return [s for p in parts for s in SENTENCE_END.split(p)]


def _copy(original: Text, kind: str, text: str, rng: random.Random) -> Text:
    """A copy as our pipeline sees it: cleaned like any page, published hours after the original."""
    cleaned = clean(text, original.title).text
    return Text(
        f"{original.id}~{kind}",
        original.language,
        original.title,
        cleaned,
        original.published + timedelta(hours=rng.uniform(0.5, 20)),
    )


def syndicated(original: Text, rng: random.Random) -> Text:
    words = AGGREGATOR[original.language]
    url = f"https://origin.example/{original.id}/"
    parts = _paragraphs(original.text)
    middle = len(parts) // 2
    body = [
        *words["header"],
        *parts[:middle],
        words["also"].format(title="Outra notícia do dia"),
        *parts[middle:],
        words["follow"],
        words["credit"].format(title=original.title),
        words["source"].format(url=url),
    ]
    return _copy(original, "syndicated", "\n".join(body), rng)


def truncated(original: Text, rng: random.Random) -> Text:
    parts = _paragraphs(original.text)
    keep = max(1, round(len(parts) * rng.uniform(0.35, 0.65)))
    more = AGGREGATOR[original.language]["more"].format(url=f"https://origin.example/{original.id}/")
    return _copy(original, "truncated", "\n".join([*parts[:keep], more]), rng)


def retitled(original: Text, rng: random.Random) -> Text:
    parts = _paragraphs(original.text)
    lede = AGGREGATOR[original.language]["lede"]
    copy = _copy(
        original, "retitled", "\n".join([lede, *parts[:-1]] if len(parts) > 2 else [lede, *parts]), rng
    )
    return Text(copy.id, copy.language, f"{original.title.split(':')[0]}: {lede}", copy.text, copy.published)


def light_edit(original: Text, rng: random.Random) -> Text:
    parts = _paragraphs(original.text)
    sentences = [s for p in parts for s in SENTENCE_END.split(p)]
    if len(sentences) > 4:
        del sentences[rng.randrange(1, len(sentences))]
    words = " ".join(sentences).split(" ")
    for _ in range(3):
        index = rng.randrange(len(words))
        if len(words[index]) > 4:
            words[index] = words[index][:-2] + words[index][-1]
    return _copy(original, "light_edit", " ".join(words) + " " + AGGREGATOR[original.language]["update"], rng)


COPIES = (syndicated, truncated, retitled, light_edit)


def copy_pairs(rng: random.Random) -> Iterator[Pair]:
    pool = stories() + relevance_articles() + fundus_articles() + seed_articles()
    long_texts = [text for text in pool if len(text.text.split()) >= 150]
    for make in COPIES:
        sources = long_texts if make is truncated else pool
        for original in rng.sample(sources, min(len(sources), 75 if make is truncated else 60)):
            yield Pair(make.__name__, True, True, original, make(original, rng))


def story_pairs(rng: random.Random) -> Iterator[Pair]:
    texts = stories()
    events: dict[str, list[Text]] = {}
    for text in texts:
        events.setdefault(text.id.split("-")[0], []).append(text)
    for _event, members in sorted(events.items()):
        reports = [t for t in members if "-report-" in t.id]
        for a, b in combinations(reports, 2):
            yield Pair("translation", False, True, a, b)
        for other in [t for t in members if "-independent-" in t.id]:
            for report in reports:
                yield Pair("independent", False, True, other, report)
        for later in [t for t in members if "-followup-" in t.id]:
            for report in reports:
                yield Pair("followup", False, False, report, later)
    yield from _same_actor_pairs(events, rng)


def _same_actor_pairs(events: dict[str, list[Text]], rng: random.Random) -> Iterator[Pair]:
    """Reports of two events that share at least two names, moved to the same day: only the
    fingerprint can tell them apart."""
    reports = {event: [t for t in members if "-report-" in t.id] for event, members in events.items()}
    names = {
        event: fingerprint(None, items[0].text, items[0].language).names for event, items in reports.items()
    }
    for first, second in combinations(sorted(reports), 2):
        if len(names[first] & names[second]) >= 2:
            for _ in range(4):
                a, b = rng.choice(reports[first]), rng.choice(reports[second])
                yield Pair("same_actors", False, False, a, _same_day(b, a, rng))


def _same_day(text: Text, anchor: Text, rng: random.Random) -> Text:
    return Text(
        text.id,
        text.language,
        text.title,
        text.text,
        anchor.published + timedelta(hours=rng.uniform(-10, 10)),
    )


def negative_pairs(rng: random.Random, count: int = 60) -> Iterator[Pair]:
    by_language: dict[str, list[Text]] = {}
    for text in relevance_articles():
        by_language.setdefault(text.language, []).append(text)
    candidates = []
    for texts in by_language.values():
        prints = {t.id: fingerprint(t.title, t.text, t.language).names for t in texts}
        candidates += [(a, b) for a, b in combinations(texts, 2) if len(prints[a.id] & prints[b.id]) >= 2]
    for a, b in rng.sample(
        sorted(candidates, key=lambda pair: (pair[0].id, pair[1].id)), min(count, len(candidates))
    ):
        yield Pair("other_article", False, False, a, _same_day(b, a, rng))
    publishers: dict[str, list[Text]] = {}
    for text in fundus_articles():
        publishers.setdefault(text.id.rsplit("-", 1)[0], []).append(text)
    same_publisher = [pair for texts in publishers.values() for pair in combinations(texts, 2)]
    for a, b in rng.sample(same_publisher, min(40, len(same_publisher))):
        yield Pair("same_publisher", False, False, a, _same_day(b, a, rng))


def pairs(seed: int = 20251125) -> list[Pair]:
    rng = random.Random(seed)
    return [*copy_pairs(rng), *story_pairs(rng), *negative_pairs(rng)]


def main() -> None:
    for pair in pairs():
        print(json.dumps(asdict(pair), default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
