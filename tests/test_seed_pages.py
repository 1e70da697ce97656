"""The seed records rendered as Olhar Digital would serve them (2025 markup, ads and related
boxes as markup), then through the whole pipeline: every content line survives, no boilerplate."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from crawler.process import Options, Page, process_page

from .seeds import SEED_BOILERPLATE, SEEDS
MARKERS = ("PUBLICIDADE", "Leia mais", "Leia também", "Deixe um comentário", "Compartilhe", "O seu endereço de e-mail",
           "apareceu primeiro em", "Pular para o conteúdo")


def content_lines(seed: Path) -> list[str]:
    boilerplate = set(SEED_BOILERPLATE[seed.name[:3]])
    return [line.strip() for line in seed.read_text(encoding="utf-8").split("\n") if line.strip() and line.strip() not in boilerplate]


def olhar_digital_page(title: str, lines: list[str]) -> str:
    """Olhar Digital's 2025 article markup (see ../shared/corpus/README.md), with its boilerplate."""
    body = []
    for index, line in enumerate(lines):
        body.append(f"<p>{html.escape(line)}</p>")
        if index % 3 == 1:
            body.append('<div class="code-block"><span class="publicidade">PUBLICIDADE</span><div class="ad-slot"></div></div>')
        if index == 2:
            body.append('<p><strong>Leia mais:</strong></p><ul><li><a href="https://olhardigital.com.br/2024/07/09/pro/a/">'
                        "Inteligência artificial: conheça os perigos da IA</a></li><li><a href=\"https://olhardigital.com.br/b/\">"
                        "Microsoft Copilot: o que é e como usar?</a></li></ul>")
    return f"""<!DOCTYPE html><html lang="pt-BR"><head><meta charset="UTF-8"><title>{html.escape(title)} - Olhar Digital</title>
<meta property="og:type" content="article"><meta property="article:published_time" content="2024-07-10T13:45:00-03:00">
</head><body><a class="skip-link" href="#main">Pular para o conteúdo</a>
<header><nav><a href="/">Olhar Digital</a><a href="/pro/">Pro</a><a href="/games/">Games</a></nav></header>
<main id="main"><h1 class="sng-tit">{html.escape(title)}</h1><div class="sng-exc">{html.escape(lines[0][:120])}</div>
<span class="sng-data">10/07/2024 13h45</span><div class="share">Compartilhe: <a href="#">X</a> <a href="#">Facebook</a></div>
<figure class="sng-img"><img src="https://img.odcdn.com.br/wp-content/uploads/2024/07/x.jpg" alt=""></figure>
<article class="sng-cnt wp-embed-responsive">{''.join(body)}</article>
<section id="comments"><h3>Deixe um comentário</h3><p>O seu endereço de e-mail não será publicado. Campos obrigatórios são marcados com *</p>
<form><textarea></textarea></form></section></main><footer><p>Olhar Digital © 2024</p></footer></body></html>"""


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_rendered_as_olhar_digital_page_comes_out_clean(seed: Path):
    lines = content_lines(seed)
    title = "xAI e Oracle: negociações de US$ 10 bilhões chegam ao fim"
    page = Page("https://olhardigital.com.br/2024/07/10/pro/seed/", olhar_digital_page(title, lines).encode(), "text/html", 1)
    processed = process_page(page, Options(relevance_threshold=0.5, min_words=40))
    assert processed.record is not None, processed.message
    text = processed.record["text"]
    for marker in MARKERS:
        assert marker not in text, f"boilerplate left: {marker}"
    for line in lines:
        assert line[20:80] in text, f"content lost: {line[:80]!r}"
    assert processed.record["is_relevant"] and processed.record["published_at"].isoformat() == "2024-07-10T16:45:00+00:00"
