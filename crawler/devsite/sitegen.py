"""Render a realistic news site (pure): WordPress-style article pages with ads, "read also"
boxes, share bars and comment forms; RSS 2.0 / Atom feeds; sitemap index, urlsets, Google
News sitemaps; robots.txt. The offline demo serves one; the crawl tests serve several.
"""

from __future__ import annotations

import gzip
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from crawler.devsite.synthetic import SyntheticArticle

LABELS = {
    "pt": {
        "ad": "PUBLICIDADE",
        "also": "Leia mais:",
        "comment": "Deixe um comentário",
        "email": "O seu endereço de e-mail não será publicado. Campos obrigatórios são marcados com *",
        "share": "Compartilhe",
        "skip": "Pular para o conteúdo",
    },
    "fr": {
        "ad": "Publicité",
        "also": "À lire aussi",
        "comment": "Laisser un commentaire",
        "email": "Votre adresse e-mail ne sera pas publiée.",
        "share": "Partager",
        "skip": "Aller au contenu",
    },
    "en": {
        "ad": "Advertisement",
        "also": "Read more:",
        "comment": "Leave a Reply",
        "email": "Your email address will not be published.",
        "share": "Share this",
        "skip": "Skip to content",
    },
    "es": {
        "ad": "Publicidad",
        "also": "Lee también:",
        "comment": "Deja un comentario",
        "email": "Tu dirección de correo electrónico no será publicada.",
        "share": "Compartir",
        "skip": "Saltar al contenido",
    },
}


@dataclass(frozen=True)
class SiteArticle:
    story: SyntheticArticle
    url: str
    author: str = "Redação"
    related: tuple[tuple[str, str], ...] = ()  # (title, url) for the "read also" box
    extra_meta: dict[str, str] = field(default_factory=dict)


def article_page(item: SiteArticle, site_name: str, charset: str = "utf-8") -> str:
    story, labels = item.story, LABELS[item.story.language]
    esc = html.escape
    paragraphs = story.text.split("\n")
    body: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        body.append(f"<p>{esc(paragraph)}</p>")
        if index == 0:
            body.append(
                f'<div class="ads-inline"><span class="ad-label">{labels["ad"]}</span><div '
                'id="ad-slot-1"></div></div>'
            )
        if index == 1 and item.related:
            links = "".join(f'<li><a href="{esc(url)}">{esc(title)}</a></li>' for title, url in item.related)
            body.append(f"<p><strong>{labels['also']}</strong></p><ul>{links}</ul>")
    json_ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "datePublished": story.published_at.isoformat(),
        "dateModified": story.published_at.isoformat(),
        "author": {"@type": "Person", "name": item.author},
        "inLanguage": story.language,
        "publisher": {"@type": "Organization", "name": site_name},
    }
    meta = "".join(f'<meta property="{esc(k)}" content="{esc(v)}">' for k, v in item.extra_meta.items())
    return f"""<!DOCTYPE html>
<html lang="{story.language}">
<head>
<meta charset="{charset}">
<title>{esc(story.title)} - {esc(site_name)}</title>
<link rel="canonical" href="{esc(item.url)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(story.title)}">
<meta property="og:site_name" content="{esc(site_name)}">
<meta property="article:published_time" content="{story.published_at.isoformat()}">
<meta name="description" content="{esc(paragraphs[0][:150])}">
{meta}
<script type="application/ld+json">{json.dumps(json_ld, ensure_ascii=False)}</script>
</head>
<body class="single-post">
<a class="skip-link" href="#content">{labels["skip"]}</a>
<header class="site-header"><nav><ul><li><a href="/">Home</a></li><li><a href="/category/pro/">Pro</a></li>
<li><a href="/category/games/">Games</a></li></ul></nav></header>
<main id="content">
<article class="post">
<h1 class="entry-title">{esc(story.title)}</h1>
<div class="entry-meta"><span class="author">{esc(item.author)}</span>
<time datetime="{story.published_at.isoformat()}">{story.published_at:%d/%m/%Y %H:%M}</time></div>
<div class="share-bar">{labels["share"]}: <a href="#">Facebook</a>
<a href="#">X</a> <a href="#">LinkedIn</a></div>
<div class="entry-content">
{chr(10).join(body)}
</div>
</article>
<aside class="sidebar"><h3>Mais lidas</h3><ul><li><a href="/">Top story</a></li></ul></aside>
<section id="comments"><h3>{labels["comment"]}</h3><p class="comment-notes">{labels["email"]}</p>
<form><textarea name="comment"></textarea><input type="submit" value="Publicar"></form></section>
</main>
<footer class="site-footer"><p>© 2025 {esc(site_name)}. Todos os direitos reservados.</p></footer>
</body>
</html>"""


def rss_feed(site_name: str, homepage: str, items: list[SiteArticle], update_period: str = "hourly") -> str:
    entries = "".join(
        f"""<item><title>{html.escape(i.story.title)}</title><link>{html.escape(i.url)}</link>
<dc:creator><![CDATA[{i.author}]]></dc:creator><pubDate>{format_datetime(i.story.published_at)}</pubDate>
<guid isPermaLink="false">{html.escape(i.url)}</guid>
<description><![CDATA[{i.story.text.split(chr(10))[0][:200]}]]></description></item>
"""
        for i in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
 xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>{html.escape(site_name)}</title><link>{html.escape(homepage)}</link>
<description>{html.escape(site_name)}</description><language>pt-BR</language>
<sy:updatePeriod>{update_period}</sy:updatePeriod><sy:updateFrequency>1</sy:updateFrequency>
{entries}</channel></rss>"""


def atom_feed(site_name: str, homepage: str, items: list[SiteArticle]) -> str:
    entries = "".join(
        f"""<entry><title>{html.escape(i.story.title)}</title>
<link rel="alternate" href="{html.escape(i.url)}"/>
<id>{html.escape(i.url)}</id><published>{i.story.published_at.isoformat()}</published>
<updated>{i.story.published_at.isoformat()}</updated><author><name>{html.escape(i.author)}</name></author></entry>
"""
        for i in items
    )
    updated = max((i.story.published_at for i in items), default=datetime(2024, 1, 1)).isoformat()
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{html.escape(site_name)}</title>
<link rel="alternate" href="{html.escape(homepage)}"/>
<id>{html.escape(homepage)}</id><updated>{updated}</updated>
{entries}</feed>"""


def sitemap_index(sitemap_urls: list[str]) -> str:
    entries = "".join(f"<sitemap><loc>{html.escape(u)}</loc></sitemap>" for u in sitemap_urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'


def urlset(items: list[SiteArticle], lastmod: dict[str, datetime] | None = None) -> str:
    lastmod = lastmod or {}
    entries = "".join(
        f"<url><loc>{html.escape(i.url)}</loc>"
        f"<lastmod>{lastmod.get(i.url, i.story.published_at).isoformat()}</lastmod></url>"
        for i in items
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


def news_sitemap(site_name: str, items: list[SiteArticle]) -> str:
    entries = "".join(
        f"""<url><loc>{html.escape(i.url)}</loc><news:news><news:publication><news:name>{html.escape(site_name)}</news:name>
<news:language>{i.story.language}</news:language></news:publication>
<news:publication_date>{i.story.published_at.isoformat()}</news:publication_date>
<news:title>{html.escape(i.story.title)}</news:title></news:news></url>"""
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
    )


def robots_txt(sitemaps: list[str], disallow: Sequence[str] = ()) -> str:
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in disallow),
        "",
        *(f"Sitemap: {u}" for u in sitemaps),
    ]
    return "\n".join(lines) + "\n"


def gz(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)
