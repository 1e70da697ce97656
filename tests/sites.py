"""Fixture sites for the crawl tests, keyed by host.

Each shipped outlet is reproduced with its real hostnames, URL structure and feed/sitemap
layout (WordPress RSS + Yoast sitemap index, Atom, Google News sitemaps, a feed on a separate
host...). Extra sites isolate one discovery path or one failure each.
"""

from __future__ import annotations

import dataclasses
import gzip
import html
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from crawler.devsite import sitegen
from crawler.devsite.siteserver import Resource, redirect
from crawler.devsite.synthetic import SyntheticArticle, article, slugify
from crawler.stages import discover

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=UTF-8"
XML = "application/xml"
ATOM = "application/atom+xml"


@dataclass(frozen=True)
class OutletSite:
    """How an outlet lays out its site: where articles, feeds and sitemaps live."""

    slug: str
    name: str
    language: str
    article_path: str  # format with {y} {m} {d} {slug} {id} {section}
    feed: str  # full URL
    feed_kind: str = "rss"
    sitemap: str | None = None  # full URL of a sitemap index
    sitemap_children: tuple[str, ...] = ("post-sitemap.xml",)
    news_sitemap: bool = False
    section: str = "pro"


SHIPPED = [
    OutletSite(
        "olhardigital",
        "Olhar Digital",
        "pt",
        "https://olhardigital.com.br/{y}/{m}/{d}/pro/{slug}/",
        "https://olhardigital.com.br/feed/",
        sitemap="https://olhardigital.com.br/sitemap_index.xml",
    ),
    OutletSite(
        "tecnoblog",
        "Tecnoblog",
        "pt",
        "https://tecnoblog.net/noticias/{slug}/",
        "https://tecnoblog.net/feed/",
        sitemap="https://tecnoblog.net/sitemap_index.xml",
    ),
    OutletSite(
        "canaltech",
        "Canaltech",
        "pt",
        "https://canaltech.com.br/{section}/{slug}-{id}/",
        "https://canaltech.com.br/rss/",
        sitemap="https://canaltech.com.br/sitemap.xml",
        sitemap_children=("sitemap-news.xml",),
        news_sitemap=True,
        section="hardware",
    ),
    OutletSite(
        "tecmundo",
        "TecMundo",
        "pt",
        "https://www.tecmundo.com.br/{section}/{id}-{slug}.htm",
        "https://rss.tecmundo.com.br/feed",
        sitemap="https://www.tecmundo.com.br/sitemap.xml",
        section="mercado",
    ),
    OutletSite(
        "lemagit",
        "LeMagIT",
        "fr",
        "https://www.lemagit.fr/actualites/{id}/{slug}",
        "https://www.lemagit.fr/rss/ContentSyndication.xml",
        sitemap="https://www.lemagit.fr/sitemap.xml",
    ),
    OutletSite(
        "lemondeinformatique",
        "Le Monde Informatique",
        "fr",
        "https://www.lemondeinformatique.fr/actualites/lire-{slug}-{id}.html",
        "https://www.lemondeinformatique.fr/flux-rss/thematique/toutes-les-actualites/rss.xml",
    ),
    OutletSite(
        "numerama",
        "Numerama",
        "fr",
        "https://www.numerama.com/tech/{id}-{slug}.html",
        "https://www.numerama.com/feed/",
        sitemap="https://www.numerama.com/sitemap_index.xml",
    ),
    OutletSite(
        "datacenterdynamics",
        "DatacenterDynamics",
        "en",
        "https://www.datacenterdynamics.com/en/news/{slug}/",
        "https://www.datacenterdynamics.com/en/rss/",
        sitemap="https://www.datacenterdynamics.com/sitemap.xml",
        sitemap_children=("sitemap-news.xml",),
        news_sitemap=True,
    ),
    OutletSite(
        "theregister",
        "The Register",
        "en",
        "https://www.theregister.com/{y}/{m}/{d}/{slug}/",
        "https://www.theregister.com/headlines.atom",
        feed_kind="atom",
        sitemap="https://www.theregister.com/sitemap.xml",
    ),
    OutletSite(
        "datacenterknowledge",
        "Data Center Knowledge",
        "en",
        "https://www.datacenterknowledge.com/{section}/{slug}",
        "https://www.datacenterknowledge.com/rss.xml",
        sitemap="https://www.datacenterknowledge.com/sitemap.xml",
        section="data-center-construction",
    ),
    OutletSite(
        "xataka",
        "Xataka",
        "es",
        "https://www.xataka.com/{section}/{slug}",
        "https://www.xataka.com/feedburner.xml",
        sitemap="https://www.xataka.com/sitemap_index.xml",
        section="empresas-y-economia",
    ),
]
ARTICLES_PER_OUTLET = 4


def host_of(url: str) -> str:
    return url.split("/")[2]


def path_of(url: str) -> str:
    rest = url.split("/", 3)[3] if url.count("/") >= 3 else ""
    return "/" + rest


def article_url(spec: OutletSite, story: SyntheticArticle) -> str:
    published = story.published_at
    slug = slugify(story.title)[:60].rstrip("-")
    return spec.article_path.format(
        y=f"{published:%Y}",
        m=f"{published:%m}",
        d=f"{published:%d}",
        slug=slug,
        id=100000 + story.number,
        section=spec.section,
    )


def outlet_articles(spec: OutletSite, index: int) -> list[sitegen.SiteArticle]:
    base = 1000 * (index + 1)
    stories = [article(base + n, language=spec.language, relevant=n != 3) for n in range(ARTICLES_PER_OUTLET)]
    urls = [article_url(spec, s) for s in stories]
    return [
        sitegen.SiteArticle(
            s, u, related=((stories[(i + 1) % len(stories)].title, urls[(i + 1) % len(urls)]),)
        )
        for i, (s, u) in enumerate(zip(stories, urls, strict=True))
    ]


def add(sites: dict[str, dict[str, Resource]], url: str, resource: Resource) -> None:
    sites.setdefault(host_of(url), {})[path_of(url)] = resource


def shipped_outlet_sites(sites: dict[str, dict[str, Resource]]) -> dict[str, list[sitegen.SiteArticle]]:
    """Every shipped outlet; returns slug -> its articles (for assertions)."""
    expected = {}
    for index, spec in enumerate(SHIPPED):
        items = outlet_articles(spec, index)
        expected[spec.slug] = items
        homepage = f"https://{host_of(items[0].url)}/"
        add(
            sites,
            homepage + "robots.txt",
            Resource(sitegen.robots_txt([spec.sitemap] if spec.sitemap else []).encode(), "text/plain"),
        )
        # with a sitemap, half the articles are only in the feed and half only in the sitemap
        in_feed, in_sitemap = (items[:2], items[2:]) if spec.sitemap else (items, [])
        render = sitegen.atom_feed if spec.feed_kind == "atom" else sitegen.rss_feed
        add(
            sites,
            spec.feed,
            Resource(
                render(spec.name, homepage, in_feed).encode(), ATOM if spec.feed_kind == "atom" else RSS
            ),
        )
        if spec.sitemap:
            base = spec.sitemap.rsplit("/", 1)[0]
            children = [f"{base}/{child}" for child in spec.sitemap_children]
            add(sites, spec.sitemap, Resource(sitegen.sitemap_index(children).encode(), XML))
            body = (
                sitegen.news_sitemap(spec.name, in_sitemap)
                if spec.news_sitemap
                else sitegen.urlset(in_sitemap)
            )
            add(sites, children[0], Resource(body.encode(), XML))
        for item in items:
            add(sites, item.url, Resource(sitegen.article_page(item, spec.name).encode(), HTML))
    return expected


# --- sites for one discovery path or one failure each ---


def _story_page(
    number: int,
    url: str,
    language: str = "pt",
    site: str = "Edge News",
    charset: str = "utf-8",
    relevant: bool = True,
) -> tuple[sitegen.SiteArticle, str]:
    item = sitegen.SiteArticle(article(number, language=language, relevant=relevant), url)
    return item, sitegen.article_page(item, site, charset=charset)


def discovery_sites(sites: dict[str, dict[str, Resource]]) -> None:
    # feed only
    items = []
    for n in range(3):
        item, page = _story_page(5000 + n, f"https://feedonly.test/2025/06/0{n + 1}/pro/story-{n}/")
        items.append(item)
        add(sites, item.url, Resource(page.encode(), HTML))
    add(
        sites,
        "https://feedonly.test/feed/",
        Resource(sitegen.rss_feed("Feed Only", "https://feedonly.test/", items).encode(), RSS),
    )
    # sitemap only: robots.txt -> index -> gzipped urlset; one URL disallowed by robots.txt
    items = []
    for n in range(3):
        item, page = _story_page(5100 + n, f"https://sitemaponly.test/2025/06/0{n + 1}/pro/story-{n}/")
        items.append(item)
        add(sites, item.url, Resource(page.encode(), HTML))
    secret, page = _story_page(5199, "https://sitemaponly.test/private/2025/06/01/pro/secret-story/")
    add(sites, secret.url, Resource(page.encode(), HTML))
    add(
        sites,
        "https://sitemaponly.test/robots.txt",
        Resource(
            sitegen.robots_txt(["https://sitemaponly.test/sitemap_index.xml"], ["/private/"]).encode(),
            "text/plain",
        ),
    )
    add(
        sites,
        "https://sitemaponly.test/sitemap_index.xml",
        Resource(sitegen.sitemap_index(["https://sitemaponly.test/post-sitemap1.xml.gz"]).encode(), XML),
    )
    add(
        sites,
        "https://sitemaponly.test/post-sitemap1.xml.gz",
        Resource(sitegen.gz(sitegen.urlset(items + [secret])), "application/x-gzip"),
    )
    # listing pages only, two pages joined by rel=next
    for page_number in (1, 2):
        links = []
        for n in range(2):
            item, page = _story_page(
                5200 + 10 * page_number + n,
                f"https://listing.test/2025/06/0{page_number}/pro/story-{page_number}-{n}/",
            )
            add(sites, item.url, Resource(page.encode(), HTML))
            links.append(f'<li><a href="{item.url}">{item.story.title}</a></li>')
        next_link = (
            '<a rel="next" class="next" href="/category/pro/page/2/">Próxima</a>' if page_number == 1 else ""
        )
        path = (
            "https://listing.test/category/pro/"
            if page_number == 1
            else "https://listing.test/category/pro/page/2/"
        )
        add(
            sites,
            path,
            Resource(
                (
                    "<html><body><nav><a href='/'>Home</a><a href='/sobre/'>Sobre</a></nav>"
                    f"<ul>{''.join(links)}</ul>{next_link}</body></html>"
                ).encode(),
                HTML,
            ),
        )


EDGE = "https://edge.test"


def edge_site(sites: dict[str, dict[str, Resource]]) -> dict[str, str]:
    """One outlet whose feed lists every failure; returns name -> URL of each case."""
    cases: dict[str, str] = {}

    def page(name: str, number: int, resource_for=None, relevant: bool = True) -> sitegen.SiteArticle:
        url = f"{EDGE}/2025/06/07/pro/{name}/"
        item, html = _story_page(number, url, relevant=relevant)
        add(sites, url, resource_for(html) if resource_for else Resource(html.encode(), HTML))
        cases[name] = url
        return item

    items = [
        page("plain-story", 6000),
        page(
            "flaky-story",
            6001,
            lambda html: Resource(
                b"busy", "text/plain", status=503, validators=False, then=[Resource(html.encode(), HTML)]
            ),
        ),
        page(
            "slow-down-story",  # 429, "come back in 1 s", then the page
            6012,
            lambda html: Resource(
                b"slow down",
                "text/plain",
                status=429,
                validators=False,
                headers={"Retry-After": "1"},
                then=[Resource(html.encode(), HTML)],
            ),
        ),
        page(
            "come-back-tomorrow-story",  # 429, "come back in an hour": left for the next crawl
            6013,
            lambda html: Resource(
                b"slow down", "text/plain", status=429, validators=False, headers={"Retry-After": "3600"}
            ),
        ),
        page(
            "oversized-story",
            6002,
            lambda html: Resource(html.encode() + b"<!--" + b"x" * (11 * 1024 * 1024) + b"-->", HTML),
        ),
        page(
            "gzip-bomb-story",
            6010,
            lambda html: Resource(
                gzip.compress(b"\0" * (60 * 1024 * 1024)), HTML, headers={"Content-Encoding": "gzip"}
            ),
        ),
        page(
            "unannounced-huge-story",  # 30 MB, no Content-Length: the size shows only while downloading
            6011,
            lambda html: Resource(
                html.encode() + b"<!--" + b"x" * (30 * 1024 * 1024) + b"-->", HTML, length=False
            ),
        ),
        page("binary-story", 6003, lambda html: Resource(bytes(range(256)) * 4000, "text/html")),
        page(
            "malformed-story",
            6004,
            lambda html: Resource(
                html.replace("</p>", "").replace("</div>", "<div><table><tr>").encode()[: len(html) * 3 // 4],
                HTML,
            ),
        ),
        page(
            "latin1-story",
            6005,
            lambda html: Resource(
                html.replace('<meta charset="utf-8">', "").encode("cp1252", errors="xmlcharrefreplace"),
                "text/html; charset=ISO-8859-1",
            ),
        ),
        page("pdf-story", 6006, lambda html: Resource(b"%PDF-1.4 not html", "application/pdf")),
        page("off-topic-story", 6007, relevant=False),
        page(
            "gzipped-story",
            6010,
            lambda html: Resource(gzip.compress(html.encode()), HTML, headers={"Content-Encoding": "gzip"}),
        ),
    ]
    # a redirect chain: old URL -> intermediate -> final article
    final = page("redirected-story", 6008)
    add(sites, f"{EDGE}/old/redirected/", redirect(f"{EDGE}/tmp/redirected/"))
    add(sites, f"{EDGE}/tmp/redirected/", redirect(final.url, 302))
    cases["redirect-start"] = f"{EDGE}/old/redirected/"
    # tracking-parameter variants of one article
    tracked = [
        sitegen.SiteArticle(items[0].story, items[0].url + suffix)
        for suffix in ("?utm_source=rss&utm_medium=feed", "?fbclid=abc123", "#comments")
    ]
    missing = sitegen.SiteArticle(article(6009), f"{EDGE}/2025/06/07/pro/missing-story/")
    cases["missing-story"] = missing.url
    # a redirect loop, and a redirect off the outlet's site
    loop, offsite = f"{EDGE}/2025/06/07/pro/loop-story/", f"{EDGE}/2025/06/07/pro/offsite-story/"
    add(sites, loop, redirect(f"{EDGE}/loop/elsewhere/"))
    add(sites, f"{EDGE}/loop/elsewhere/", redirect(loop))
    add(sites, offsite, redirect("https://tracker.example/landing/"))
    redirects = [sitegen.SiteArticle(article(6014), loop), sitegen.SiteArticle(article(6015), offsite)]
    feed_items = (
        items + tracked + redirects + [missing, sitegen.SiteArticle(final.story, cases["redirect-start"])]
    )
    add(sites, f"{EDGE}/feed/", Resource(sitegen.rss_feed("Edge News", EDGE + "/", feed_items).encode(), RSS))
    add(sites, f"{EDGE}/robots.txt", Resource(b"User-agent: *\nDisallow:\n", "text/plain"))
    return cases


LASTMOD = "https://lastmod.test"


def lastmod_site(sites: dict[str, dict[str, Resource]]) -> None:
    """A sitemap whose second version says one article changed (lastmod after any first crawl)."""
    items = []
    for name, number in (("changed-story", 7000), ("steady-story", 7001)):
        item, page = _story_page(number, f"{LASTMOD}/2025/06/01/pro/{name}/")
        items.append(item)
        add(sites, item.url, Resource(page.encode(), HTML))
    old = datetime(2025, 6, 1, tzinfo=timezone.utc)
    later = datetime.now(timezone.utc) + timedelta(hours=12)  # within the plausibility window
    first = sitegen.urlset(items, {i.url: old for i in items})
    second = sitegen.urlset(items, {items[0].url: later, items[1].url: old})
    add(sites, f"{LASTMOD}/sitemap.xml", Resource(first.encode(), XML, then=[Resource(second.encode(), XML)]))


BULK = "https://bulk.test"
BULK_ARTICLES = 60


def bulk_site(sites: dict[str, dict[str, Resource]]) -> list[str]:
    """A backfill: a sitemap index of three child sitemaps, 60 articles (crash and resume tests)."""
    urls, children = [], []
    for child in range(3):
        items = []
        for n in range(child * 20, child * 20 + 20):
            item, page = _story_page(
                8000 + n,
                f"{BULK}/2025/05/{1 + n % 28:02d}/pro/bulk-story-{n}/",
                language=("pt", "fr", "en", "es")[n % 4],
                site="Bulk News",
            )
            items.append(item)
            urls.append(item.url)
            add(sites, item.url, Resource(page.encode(), HTML))
        children.append(f"{BULK}/post-sitemap{child + 1}.xml")
        add(sites, children[-1], Resource(sitegen.urlset(items).encode(), XML))
    add(sites, f"{BULK}/sitemap_index.xml", Resource(sitegen.sitemap_index(children).encode(), XML))
    return urls


HOSTILE = "https://hostile.test"
HOSTILE_GOOD = 24


def _hostile_pages() -> dict[str, tuple[str, dict[str, str]]]:
    """Each hostile case: (a story page altered the way real pages and servers break, its headers)."""
    headline = '"headline": "'
    tiny = "".join(f"<p>{n}</p>" for n in range(120_000))  # ~1.2 MB of tiny paragraphs: minutes to extract
    cases: dict[str, tuple[str, dict[str, str]]] = {}
    for number, (name, alter, headers) in enumerate(
        [
            ("nul-headline", lambda page: page.replace(headline, headline + "Nul \\u0000 "), {}),
            ("lone-surrogate", lambda page: page.replace(headline, headline + "Lone \\ud800 "), {}),
            (
                "long-site-name",
                lambda page: page.replace("Hostile News", "S" * 300),  # og:site_name, JSON-LD, title
                {},
            ),
            (
                "long-image",
                lambda page: page.replace(
                    "</head>", f'<meta property="og:image" content="{HOSTILE}/{"i" * 3000}.jpg"></head>'
                ),
                {},
            ),
            (
                "long-canonical",
                lambda page: page.replace(
                    '<link rel="canonical" href="',
                    f'<link rel="canonical" href="{HOSTILE}/{"c" * 3000}/" data-was="',
                ),
                {},
            ),
            (
                "long-validators",
                lambda page: page,
                {"ETag": '"' + "e" * 600 + '"', "Last-Modified": "L" * 100},
            ),
            ("nul-etag", lambda page: page, {"ETag": '"nul\x00etag"'}),
            ("huge-title", lambda page: page.replace(headline, headline + "T" * 200_000), {}),
            ("slow", lambda page: page.replace("</article>", f"<div>{tiny}</div></article>"), {}),
        ]
    ):
        _, page = _story_page(9200 + number, hostile_url(name), site="Hostile News")
        cases[name] = (alter(page), headers)
    return cases


def hostile_url(name: str) -> str:
    return f"{HOSTILE}/2025/06/02/pro/{name}/"


def hostile_site(sites: dict[str, dict[str, Resource]]) -> None:
    """24 ordinary articles and, among them, one page per hostile case (issue: nothing lost)."""
    feed = []
    hostile = iter(_hostile_pages().items())
    for n in range(HOSTILE_GOOD):
        item, page = _story_page(
            9100 + n, f"{HOSTILE}/2025/06/{1 + n % 28:02d}/pro/good-{n}/", site="Hostile News"
        )
        feed.append(item)
        add(sites, item.url, Resource(page.encode(), HTML))
        if n % 2 == 1 and (case := next(hostile, None)):  # spread over the write batches
            name, (body, headers) = case
            feed.append(sitegen.SiteArticle(article(9300 + n), hostile_url(name)))
            add(sites, hostile_url(name), Resource(body.encode(), HTML, headers=headers))
    add(
        sites,
        f"{HOSTILE}/feed/",
        Resource(sitegen.rss_feed("Hostile News", f"{HOSTILE}/", feed).encode(), RSS),
    )


BIG = "https://bigsitemap.test"
BIG_URLS = 50_000


def big_sitemap_site(sites: dict[str, dict[str, Resource]]) -> None:
    """A valid news sitemap at the protocol's limit of 50,000 URLs (16 MB: over DOWNLOAD_MAXSIZE)."""
    item, page = _story_page(9400, f"{BIG}/2025/06/01/pro/story-0/", site="Big Sitemap")
    resource = Resource(page.encode(), HTML)
    entries = []
    for n in range(BIG_URLS):
        url = f"{BIG}/2025/06/01/pro/story-{n}/"
        sites.setdefault("bigsitemap.test", {})[path_of(url)] = resource
        entries.append(
            f"<url><loc>{url}</loc><news:news><news:publication><news:name>Big Sitemap</news:name>"
            "<news:language>pt</news:language></news:publication>"
            "<news:publication_date>2025-06-01T10:00:00+00:00</news:publication_date>"
            f"<news:title>Notícia {n}: acordo de capacidade de computação para um novo data center de IA"
            "</news:title></news:news></url>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "\n".join(entries) + "</urlset>"
    )
    add(sites, f"{BIG}/sitemap.xml", Resource(body.encode(), XML))


def robots_unavailable_site(sites: dict[str, dict[str, Resource]]) -> None:
    """A site whose robots.txt answers 503: RFC 9309 says assume full disallow."""
    items = []
    for n in range(2):
        item, page = _story_page(9500 + n, f"https://robots503.test/2025/06/01/pro/story-{n}/")
        items.append(item)
        add(sites, item.url, Resource(page.encode(), HTML))
    add(
        sites,
        "https://robots503.test/robots.txt",
        Resource(b"busy", "text/plain", status=503, validators=False),
    )
    feed = sitegen.rss_feed("Robots 503", "https://robots503.test/", items).encode()
    add(sites, "https://robots503.test/feed/", Resource(feed, RSS))


IDN = "https://notícias.test"  # served as xn--notcias-9ya.test: requests spell hosts in ASCII


def idn_site(sites: dict[str, dict[str, Resource]]) -> None:
    """An outlet whose registry entry and feed write its host in Unicode."""
    items = []
    for n in range(2):
        item, page = _story_page(9600 + n, f"{IDN}/2025/06/01/pro/story-{n}/")
        items.append(item)
        sites.setdefault("xn--notcias-9ya.test", {})[path_of(item.url)] = Resource(page.encode(), HTML)
    feed = sitegen.rss_feed("Notícias", f"{IDN}/", items).encode()
    sites.setdefault("xn--notcias-9ya.test", {})["/feed/"] = Resource(feed, RSS)


SOURCES = "https://sources.test"


def sources_site(sites: dict[str, dict[str, Resource]]) -> list[str]:
    """Sources as real outlets get them wrong: robots.txt names the index twice and a feed as a
    sitemap (`Site-map:`); the index lists itself and a child that a second index lists again;
    the child's entries carry images; a feed moved (301) and one served with a Content-Location,
    both with relative links; a "feed" that is an HTML page. Returns the article URLs to find."""
    found = []

    def story(number: int, path: str) -> sitegen.SiteArticle:
        item, page = _story_page(number, f"{SOURCES}{path}")
        add(sites, item.url, Resource(page.encode(), HTML))
        found.append(item.url)
        return item

    in_sitemap = [story(5400 + n, f"/2025/06/0{n + 1}/pro/sitemap-story-{n}/") for n in range(2)]
    robots = (
        f"User-agent: *\nSitemap: {SOURCES}/sitemap_index.xml\nSitemap: {SOURCES}/sitemap_index.xml\n"
        f"Site-map: {SOURCES}/feed-as-sitemap.xml\n"
    )
    add(sites, f"{SOURCES}/robots.txt", Resource(robots.encode(), "text/plain"))
    index = [f"{SOURCES}/sitemap_index.xml", f"{SOURCES}/sitemap-a.xml", f"{SOURCES}/sitemap-b.xml"]
    add(sites, index[0], Resource(sitegen.sitemap_index(index).encode(), XML))
    add(sites, index[2], Resource(sitegen.sitemap_index([index[1], index[0]]).encode(), XML))
    with_images = (
        sitegen.urlset(in_sitemap)
        .replace(
            "</loc>",
            "</loc><image:image><image:loc>https://img.sources.test/photo.jpg</image:loc></image:image>",
        )
        .replace("<urlset ", '<urlset xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" ')
    )
    add(sites, index[1], Resource(with_images.encode(), XML))
    as_feed = [story(5410, "/2025/06/03/pro/feed-story/")]
    add(
        sites,
        f"{SOURCES}/feed-as-sitemap.xml",
        Resource(sitegen.rss_feed("S", SOURCES, as_feed).encode(), RSS),
    )
    moved = story(5411, "/noticias/2025/06/04/pro/moved-story/")
    relative = dataclasses.replace(moved, url="../2025/06/04/pro/moved-story/")
    add(sites, f"{SOURCES}/news/feed/", redirect(f"{SOURCES}/noticias/feed/"))
    add(
        sites, f"{SOURCES}/noticias/feed/", Resource(sitegen.rss_feed("S", SOURCES, [relative]).encode(), RSS)
    )
    located = story(5412, "/secao/2025/06/05/pro/located-story/")
    relative = dataclasses.replace(located, url="../2025/06/05/pro/located-story/")
    add(
        sites,
        f"{SOURCES}/cl-feed/",
        Resource(
            sitegen.rss_feed("S", SOURCES, [relative]).encode(),
            RSS,
            headers={"Content-Location": "/secao/feed/"},
        ),
    )
    add(sites, f"{SOURCES}/broken-feed/", Resource(b"<html><body><h1>Not a feed</h1></body></html>", HTML))
    return found


WP = "https://wp.test"
WP403 = "https://wp403.test"
AUTO = "https://auto.test"
AUTOWP = "https://autowp.test"
# The backfill window the WordPress fixture sites are built for (tests/spiders/test_news.py).
WINDOW = (datetime(2025, 6, 1, tzinfo=timezone.utc), datetime(2025, 7, 1, tzinfo=timezone.utc))
JSON = "application/json; charset=UTF-8"


def _wp_posts(base: str, count: int, start: datetime, number: int) -> list[sitegen.SiteArticle]:
    """`count` posts, one every 4 hours from `start`, at WordPress's /yyyy/mm/dd/slug/ URLs."""
    posts = []
    for n in range(count):
        story = dataclasses.replace(article(number + n), published_at=start + timedelta(hours=4 * n))
        posts.append(sitegen.SiteArticle(story, f"{base}/{story.published_at:%Y/%m/%d}/{story.slug}/"))
    return posts


def _wp_site(
    sites: dict[str, dict[str, Resource]], base: str, posts: list[sitegen.SiteArticle], api: bool
) -> None:
    """A WordPress site: pages, a feed of 10 posts a page (?paged=N), Yoast-style sitemaps of 1,000
    URLs with lastmod, and the REST API's posts in WINDOW (or a 403 where it is switched off)."""
    newest_first = sorted(posts, key=lambda post: post.story.published_at, reverse=True)
    for post in posts:
        add(sites, post.url, Resource(sitegen.article_page(post, "WP News").encode(), HTML))
    for page in range(1, len(newest_first) // 10 + 2):
        chunk = newest_first[(page - 1) * 10 : page * 10]
        if not chunk:
            continue
        path = f"{base}/feed/" if page == 1 else f"{base}/feed/?paged={page}"
        add(sites, path, Resource(sitegen.rss_feed("WP News", base + "/", chunk).encode(), RSS))
    children = []
    for number, start in enumerate(range(0, len(posts), 1000), 1):
        chunk = posts[start : start + 1000]
        children.append(f"{base}/post-sitemap{number}.xml")
        add(sites, children[-1], Resource(sitegen.urlset(chunk).encode(), XML))
    add(sites, f"{base}/sitemap_index.xml", Resource(sitegen.sitemap_index(children).encode(), XML))
    since, until = WINDOW
    window = [p for p in newest_first if since <= p.story.published_at < until]
    pages = max(1, -(-len(window) // 100))
    for page in range(1, pages + 1):
        url = discover.wordpress_posts_url(f"{base}/wp-json/", since, until, page)
        if not api:
            body = b'{"code":"rest_disabled","message":"REST API disabled","data":{"status":403}}'
            add(sites, url, Resource(body, JSON, status=403))
            continue
        posts_json = [
            {
                "link": p.url,
                "date_gmt": p.story.published_at.strftime("%Y-%m-%dT%H:%M:%S"),
                "modified_gmt": p.story.published_at.strftime("%Y-%m-%dT%H:%M:%S"),
                "title": {"rendered": html.escape(p.story.title)},
            }
            for p in window[(page - 1) * 100 : page * 100]
        ]
        headers = {"X-WP-Total": str(len(window)), "X-WP-TotalPages": str(pages)}
        add(sites, url, Resource(json.dumps(posts_json).encode(), JSON, headers=headers))


def wordpress_sites(sites: dict[str, dict[str, Resource]]) -> dict[str, list[str]]:
    """wp.test: 2,000 posts over 11 months, REST API on; wp403.test: 300 posts, REST API off.
    Returns each host's article URLs in WINDOW."""
    since, until = WINDOW
    found = {}
    for base, count, start, api in (
        (WP, 2000, datetime(2025, 1, 1, tzinfo=timezone.utc), True),
        (WP403, 300, datetime(2025, 5, 20, tzinfo=timezone.utc), False),
    ):
        posts = _wp_posts(base, count, start, 7000 if api else 9500)
        _wp_site(sites, base, posts, api)
        found[base] = [p.url for p in posts if since <= p.story.published_at < until]
    return found


def autodiscovery_sites(sites: dict[str, dict[str, Resource]]) -> dict[str, list[str]]:
    """Outlets declared with a homepage only. auto.test announces its feed (and a comments feed)
    with <link rel=alternate>; its robots.txt names no sitemap, /sitemap_index.xml is missing,
    /sitemap.xml is there. autowp.test is WordPress and announces nothing: /feed/ is."""
    found: dict[str, list[str]] = {AUTO: [], AUTOWP: []}

    def story(base: str, number: int, path: str) -> sitegen.SiteArticle:
        item, page = _story_page(number, f"{base}{path}")
        add(sites, item.url, Resource(page.encode(), HTML))
        found[base].append(item.url)
        return item

    in_feed = [story(AUTO, 5600 + n, f"/2025/06/1{n}/pro/feed-story-{n}/") for n in range(2)]
    in_sitemap = [story(AUTO, 5610 + n, f"/2025/06/2{n}/pro/sitemap-story-{n}/") for n in range(2)]
    homepage = (
        "<html><head><title>Auto</title>"
        '<link rel="alternate" type="application/rss+xml" title="Auto » Feed" href="/rss.xml">'
        '<link rel="alternate" type="application/rss+xml" title="Auto » Comments Feed" '
        'href="/comments/rss.xml">'
        "</head><body><h1>Auto</h1></body></html>"
    )
    add(sites, f"{AUTO}/", Resource(homepage.encode(), HTML))
    add(sites, f"{AUTO}/rss.xml", Resource(sitegen.rss_feed("Auto", AUTO, in_feed).encode(), RSS))
    add(sites, f"{AUTO}/robots.txt", Resource(b"User-agent: *\nDisallow: /wp-admin/\n", "text/plain"))
    add(sites, f"{AUTO}/sitemap.xml", Resource(sitegen.urlset(in_sitemap).encode(), XML))
    wp_feed = [story(AUTOWP, 5620 + n, f"/2025/06/1{n}/pro/wp-story-{n}/") for n in range(2)]
    wp_home = (
        "<html><head><title>AutoWP</title>"
        "<link rel='stylesheet' href='/wp-content/themes/x/style.css'></head><body>AutoWP</body></html>"
    )
    add(sites, f"{AUTOWP}/", Resource(wp_home.encode(), HTML))
    add(sites, f"{AUTOWP}/feed/", Resource(sitegen.rss_feed("AutoWP", AUTOWP, wp_feed).encode(), RSS))
    return found


FRESH = "https://fresh.test"
NOTNEWS = "https://notnews.test"


def fresh_site(sites: dict[str, dict[str, Resource]]) -> list[str]:
    """An outlet that published an hour ago (dates relative to when the fixture server started),
    with its feed announced on its homepage; and a site with no feed, no sitemap, no article."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    items = []
    for n in range(4):
        story = dataclasses.replace(
            article(5700 + n, language="pt", relevant=True), published_at=now - timedelta(hours=n + 1)
        )
        item = sitegen.SiteArticle(story, f"{FRESH}/noticias/{story.published_at:%Y/%m/%d}/{story.slug}/")
        add(sites, item.url, Resource(sitegen.article_page(item, "Fresh News").encode(), HTML))
        items.append(item)
    homepage = (
        '<html lang="pt-BR"><head><title>Fresh News</title>'
        '<meta property="og:site_name" content="Fresh News">'
        '<link rel="alternate" type="application/rss+xml" href="/feed/"></head><body>Fresh</body></html>'
    )
    add(sites, f"{FRESH}/", Resource(homepage.encode(), HTML))
    add(sites, f"{FRESH}/feed/", Resource(sitegen.rss_feed("Fresh News", FRESH, items).encode(), RSS))
    add(
        sites, f"{NOTNEWS}/", Resource(b"<html><head><title>Shop</title></head><body>Buy</body></html>", HTML)
    )
    return [item.url for item in items]


DRIFT = "https://drift.test"


def drift_site(sites: dict[str, dict[str, Resource]]) -> None:
    """An outlet whose layout changes between two crawls: its feed first lists three articles in
    its usual layout (author, full text), then three new ones whose pages lost the byline and most
    of the text (a redesign the extractor does not follow)."""
    before, after = [], []
    for n in range(3):
        item, page = _story_page(5800 + n, f"{DRIFT}/2025/06/0{n + 1}/pro/story-{n}/")
        add(sites, item.url, Resource(page.encode(), HTML))
        before.append(item)
        story = article(5810 + n, language="pt", relevant=True)
        url = f"{DRIFT}/2025/06/1{n}/pro/new-story-{n}/"
        short = " ".join(story.text.split()[:70])
        body = (
            f"<html><head><title>{story.title}</title></head>"
            f"<body><main><h1>{story.title}</h1><p>{short}</p></main></body></html>"
        )
        add(sites, url, Resource(body.encode(), HTML))
        after.append(sitegen.SiteArticle(story, url))
    second = Resource(sitegen.rss_feed("Drift", DRIFT, after).encode(), RSS)
    first = Resource(sitegen.rss_feed("Drift", DRIFT, before).encode(), RSS, then=[second])
    add(sites, f"{DRIFT}/feed/", first)


def all_sites() -> dict[str, dict[str, Resource]]:
    sites: dict[str, dict[str, Resource]] = {}
    shipped_outlet_sites(sites)
    discovery_sites(sites)
    edge_site(sites)
    lastmod_site(sites)
    bulk_site(sites)
    hostile_site(sites)
    big_sitemap_site(sites)
    robots_unavailable_site(sites)
    idn_site(sites)
    sources_site(sites)
    wordpress_sites(sites)
    autodiscovery_sites(sites)
    fresh_site(sites)
    drift_site(sites)
    return sites


TEST_REGISTRY = f"""
[outlets.feedonly]
name = "Feed Only"
language = "pt"
feeds = ["https://feedonly.test/feed/"]

[outlets.sitemaponly]
name = "Sitemap Only"
language = "pt"
sitemaps = ["https://sitemaponly.test/robots.txt"]

[outlets.listingonly]
name = "Listing Only"
language = "pt"
listing_pages = ["https://listing.test/category/pro/"]
article_url_pattern = '/\\d{{4}}/\\d{{2}}/\\d{{2}}/pro/[\\w-]+/$'

[outlets.edge]
name = "Edge News"
language = "pt"
feeds = ["{EDGE}/feed/"]

[outlets.lastmod]
name = "Lastmod"
language = "pt"
sitemaps = ["{LASTMOD}/sitemap.xml"]

[outlets.bulk]
name = "Bulk News"
language = "pt"
sitemaps = ["{BULK}/sitemap_index.xml"]

[outlets.hostile]
name = "Hostile News"
language = "pt"
feeds = ["{HOSTILE}/feed/"]

[outlets.bigsitemap]
name = "Big Sitemap"
language = "pt"
sitemaps = ["{BIG}/sitemap.xml"]

[outlets.robots503]
name = "Robots 503"
language = "pt"
feeds = ["https://robots503.test/feed/"]

[outlets.idn]
name = "Notícias"
language = "pt"
feeds = ["{IDN}/feed/"]

[outlets.sources]
name = "Sources"
language = "pt"
feeds = ["{SOURCES}/news/feed/", "{SOURCES}/cl-feed/", "{SOURCES}/broken-feed/"]
sitemaps = ["{SOURCES}/robots.txt"]

[outlets.auto]
name = "Auto"
language = "pt"
homepage = "{AUTO}/"

[outlets.autowp]
name = "Auto WP"
language = "pt"
homepage = "{AUTOWP}/"

[outlets.drift]
name = "Drift"
language = "pt"
feeds = ["{DRIFT}/feed/"]

[outlets.unreachable]
name = "Unreachable"
feeds = ["https://unreachable.test/feed/"]
"""


def latin1_marker() -> str:
    """A phrase with accents from the cp1252 page, to check it decoded right."""
    text = article(6005, language="pt", relevant=True).text
    return next(sentence for sentence in text.split(". ") if any(ch in sentence for ch in "çãéê"))[:40]
