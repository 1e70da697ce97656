"""The five seed records (../shared/seeds) rendered as the outlet pages they came from.

Each seed becomes three pages: Olhar Digital's 2025 WordPress markup, its 2022 markup (the date
only as Portuguese or French text in the byline), and an aggregator's WordPress copy
(JSON-LD, a syndication footer and a credit line). Every page carries the boilerplate the seeds
show (ad labels, "read also" boxes, share bars, skip links, comment forms) as markup. The gold is
the seed's content lines, its headline, author and publication time; used by the seed tests and
by bench/eval_quality.py.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crawler.devsite.sitegen import LABELS

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
BRASILIA = timezone(timedelta(hours=-3))
PARIS = timezone(timedelta(hours=2))

# Each seed's boilerplate lines, as they stand in the file (whole lines).
SEED_BOILERPLATE = {
    "000": ["PUBLICIDADE", "Leia também:"],
    "001": [],
    "002": [],
    "003": [
        "Pular para o conteúdo",
        "Banner Aleatório",
        "Passatempopassatempo",
        "Amazon quer comprar parte do ChatGPT ainda este anoAmazon quer comprar parte do ChatGPT "
        "ainda este ano",
        "Fonte: Andro4All",
        "Source link",
        "Join the conversation",
        "O seu endereço de e-mail não será publicado. Campos obrigatórios são marcados com *",
    ],
    "004": [
        "Leia mais:",
        "- Inteligência artificial: conheça os pontos negativos e perigos da IA",
        "- Microsoft Copilot: o que é e como usar inteligência artificial?",
        "- xAI: Musk nega investimentos abaixo do esperado na empresa de IA",
        "O post xAI e Oracle: negociações de US$ 10 bilhões chegam ao fim apareceu primeiro em "
        "Olhar Digital.",
        "Fonte: https://olhardigital.com.br/2024/07/10/pro/xai-e-oracle-negociacoes-de-us-10-bilhoes-chegam-ao-fim/",
    ],
}


@dataclass(frozen=True)
class SeedGold:
    title: str
    author: str
    published_at: datetime
    language: str
    slug: str


GOLD = {
    "000": SeedGold(
        "OpenAI e Microsoft se unem à Oracle para ampliar a capacidade do ChatGPT",
        "Lucas Soares",
        datetime(2024, 6, 13, 9, 30, tzinfo=BRASILIA),
        "pt",
        "openai-microsoft-oracle-capacidade",
    ),
    "001": SeedGold(
        "OpenAI reduz dependência da Azure e aposta no Stargate",
        "Alessandro Di Lorenzo",
        datetime(2025, 3, 10, 18, 5, tzinfo=BRASILIA),
        "pt",
        "openai-reduz-dependencia-azure",
    ),
    "002": SeedGold(
        "OpenAI, Microsoft et Oracle s’unissent pour augmenter la capacité de calcul de ChatGPT",
        "Julie Martin",
        datetime(2024, 6, 14, 11, 0, tzinfo=PARIS),
        "fr",
        "openai-microsoft-oracle-capacite-calcul",
    ),
    "003": SeedGold(
        "Amazon planeja adquirir parte do ChatGPT até o final de 2021",
        "Rui Bacelar",
        datetime(2025, 12, 19, 8, 15, tzinfo=BRASILIA),
        "pt",
        "amazon-planeja-adquirir-parte-do-chatgpt",
    ),
    "004": SeedGold(
        "xAI e Oracle: negociações de US$ 10 bilhões chegam ao fim",
        "Pedro Spadoni",
        datetime(2024, 7, 10, 13, 45, tzinfo=BRASILIA),
        "pt",
        "xai-e-oracle-negociacoes-de-us-10-bilhoes-chegam-ao-fim",
    ),
}
LAYOUTS = ("olhardigital_2025", "olhardigital_2022", "aggregator")
MONTHS = {
    "pt": [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}
FOOTER = {
    "pt": "O post {title} apareceu primeiro em Olhar Digital.",
    "fr": "L’article {title} est apparu en premier sur Olhar Digital.",
}
CREDIT = {"pt": "Fonte: {url}", "fr": "Source : {url}"}
RELATED = [
    (
        "Inteligência artificial: conheça os perigos da IA",
        "https://olhardigital.com.br/2024/07/09/pro/perigos-da-ia/",
    ),
    ("Microsoft Copilot: o que é e como usar?", "https://olhardigital.com.br/2024/07/08/dicas/copilot/"),
]
# Text that must never reach a record: the labels above plus the seeds' own leftovers.
MARKERS = (
    "PUBLICIDADE",
    "Publicidade",
    "Publicité",
    "Leia mais",
    "Leia também",
    "À lire aussi",
    "Deixe um comentário",
    "Laisser un commentaire",
    "Compartilhe",
    "Partager",
    "O seu endereço de e-mail",
    "Votre adresse e-mail",
    "apareceu primeiro em",
    "est apparu en premier",
    "Pular para o conteúdo",
    "Aller au contenu",
    "Fonte:",
    "Source :",
    "Source link",
    "Join the conversation",
    "Banner Aleatório",
)


@dataclass(frozen=True)
class SeedPage:
    seed: str
    layout: str
    url: str
    html: str
    gold: SeedGold
    content: list[str]  # the article's own lines, in order

    @property
    def timezone(self) -> str:
        """The registry's zone for the outlet that published it (dates without an offset are there)."""
        return OUTLET_ZONES[self.gold.language]


OUTLET_ZONES = {"pt": "America/Sao_Paulo", "fr": "Europe/Paris"}


def seed_files() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt"))


def content_lines(seed: Path) -> list[str]:
    """The seed's lines minus its boilerplate and its headline."""
    boilerplate = set(SEED_BOILERPLATE[seed.name[:3]]) | {GOLD[seed.name[:3]].title}
    lines = (line.strip() for line in seed.read_text(encoding="utf-8").split("\n"))
    return [line.removeprefix("date 2024-06 ") for line in lines if line and line not in boilerplate]


def seed_pages() -> list[SeedPage]:
    pages = []
    for seed in seed_files():
        key = seed.name[:3]
        gold, lines = GOLD[key], content_lines(seed)
        original = f"https://olhardigital.com.br/{gold.published_at:%Y/%m/%d}/pro/{gold.slug}/"
        for layout in LAYOUTS:
            url = original if layout != "aggregator" else f"https://noticias-ia.example.com/{gold.slug}/"
            pages.append(SeedPage(key, layout, url, RENDER[layout](gold, lines, original), gold, lines))
    return pages


def _body(gold: SeedGold, lines: list[str]) -> str:
    labels, esc = LABELS[gold.language], html.escape
    parts = []
    for index, line in enumerate(lines):
        parts.append(f"<p>{esc(line)}</p>")
        if index % 3 == 1:
            parts.append(
                f'<div class="code-block"><span class="publicidade">{labels["ad"]}</span><div '
                'class="ad-slot"></div></div>'
            )
        if index == 2:
            links = "".join(f'<li><a href="{esc(u)}">{esc(t)}</a></li>' for t, u in RELATED)
            parts.append(f"<p><strong>{labels['also']}</strong></p><ul>{links}</ul>")
    return "".join(parts)


def _comments(gold: SeedGold) -> str:
    labels = LABELS[gold.language]
    return (
        f'<section id="comments"><h3>{labels["comment"]}</h3><p>{labels["email"]}</p>'
        "<form><textarea></textarea></form></section>"
    )


def _head(gold: SeedGold, extra: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="{"pt-BR" if gold.language == "pt" else "fr-FR"}"><head><meta '
        'charset="UTF-8">'
        f"<title>{html.escape(gold.title)} - Olhar Digital</title>{extra}</head>"
    )


def _olhardigital_2025(gold: SeedGold, lines: list[str], original: str) -> str:
    """2025 markup: article.sng-cnt body, div.sng-exc standfirst, span.sng-data date, OpenGraph meta."""
    esc, labels = html.escape, LABELS[gold.language]
    meta = (
        '<meta property="og:type" content="article"><meta property="og:title" '
        f'content="{esc(gold.title)} - Olhar Digital">'
        '<meta property="og:site_name" content="Olhar Digital"><meta name="author" '
        f'content="{esc(gold.author)}">'
        f'<meta property="article:published_time" content="{gold.published_at.isoformat()}">'
    )
    return f"""{_head(gold, meta)}<body><a class="skip-link" href="#main">{labels["skip"]}</a>
<header><nav><a href="/">Olhar Digital</a><a href="/pro/">Pro</a><a href="/games/">Games</a></nav></header>
<main id="main"><h1 class="sng-tit">{esc(gold.title)}</h1><div class="sng-exc">{esc(lines[0][:120])}</div>
<span class="sng-data">{gold.published_at:%d/%m/%Y %Hh%M}</span>
<div class="share">{labels["share"]}: <a href="#">X</a> <a href="#">Facebook</a></div>
<figure class="sng-img"><img src="https://img.odcdn.com.br/wp-content/uploads/2024/07/x.jpg" alt=""></figure>
<article class="sng-cnt wp-embed-responsive">{_body(gold, lines)}</article>
{_comments(gold)}</main><footer><p>Olhar Digital © 2025</p></footer></body></html>"""


def _olhardigital_2022(gold: SeedGold, lines: list[str], original: str) -> str:
    """2022 markup: div.post-content; no date meta, the date only as words in the byline."""
    esc, labels = html.escape, LABELS[gold.language]
    day = gold.published_at
    written = (
        f"{day.day} de {MONTHS['pt'][day.month - 1]} de {day.year}, às {day:%Hh%M}"
        if gold.language == "pt"
        else f"{day.day} {MONTHS['fr'][day.month - 1]} {day.year} à {day:%Hh%M}"
    )
    return f"""{_head(gold)}<body><a class="skip-link" href="#content">{labels["skip"]}</a>
<div id="content" class="site"><div class="post-header"><h1>{esc(gold.title)}</h1>
<div class="post-meta">Por <a rel="author" href="/autor/x/">{esc(gold.author)}</a>,
editado por Redação | {written}</div>
<div class="share-box">{labels["share"]}</div></div>
<div class="post-content wp-embed-responsive">{_body(gold, lines)}</div>
<div class="tags"><a href="/tag/ia/">IA</a></div>{_comments(gold)}</div></body></html>"""


def _aggregator(gold: SeedGold, lines: list[str], original: str) -> str:
    """An aggregator's WordPress copy of the feed item: JSON-LD, syndication footer, credit line."""
    esc, labels = html.escape, LABELS[gold.language]
    json_ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": gold.title,
        "datePublished": gold.published_at.isoformat(),
        "author": {"@type": "Person", "name": gold.author},
        "publisher": {"@type": "Organization", "name": "Notícias IA"},
    }
    tail = (
        f"<p>{esc(FOOTER[gold.language].format(title=gold.title))}</p>"
        f"<p>{esc(CREDIT[gold.language].format(url=original))}</p><p>Source link</p>"
    )
    script = f'<script type="application/ld+json">{json.dumps(json_ld, ensure_ascii=False)}</script>'
    return f"""{_head(gold, script)}
<body class="single"><a class="skip-link" href="#primary">{labels["skip"]}</a>
<div class="banner">Banner Aleatório</div>
<div id="primary"><article class="post"><header class="entry-header">
<h1 class="entry-title">{esc(gold.title)}</h1></header>
<div class="entry-content"><p>{esc(gold.title)}</p>{_body(gold, lines)}{tail}</div></article>
<div class="jp-relatedposts"><h3>Related</h3><a href="/x/">Outra notícia sobre IA</a></div>
<p>Join the conversation</p>{_comments(gold)}</div></body></html>"""


RENDER = {
    "olhardigital_2025": _olhardigital_2025,
    "olhardigital_2022": _olhardigital_2022,
    "aggregator": _aggregator,
}
