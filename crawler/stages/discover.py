"""Discover stage: feeds, sitemaps, robots.txt and listing pages -> article links (pure).

Each link carries what the source knew (title, publication date, sitemap lastmod) so the
extract stage can fill gaps in the page.
"""

from __future__ import annotations

import calendar
import gzip
import html
import io
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from urllib.parse import urlencode, urljoin, urlsplit

import feedparser
from lxml import etree
from lxml import html as lxml_html

from crawler.stages.dates import parse_date

# Largest decompressed sitemap we accept (the sitemaps.org limit is 50 MB).
SITEMAP_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Link:
    url: str
    title: str | None = None
    published: datetime | None = None
    lastmod: datetime | None = None
    source: str = "feed"

    @property
    def newest_date(self) -> datetime | None:
        dates = [d for d in (self.published, self.lastmod) if d is not None]
        return max(dates) if dates else None


def absolute(base: str, href: str) -> str | None:
    """`href` resolved against `base`, if that gives an http(s) URL; None for anything else,
    including a malformed one ("http://[bad"), which costs only itself, never its feed or sitemap."""
    try:
        link = urljoin(base, href.strip())
    except ValueError:
        return None
    return link if link.startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class FeedInfo:
    links: list[Link]
    update_seconds: int | None = None  # from sy:updatePeriod/updateFrequency or <ttl>
    is_feed: bool = True


_SY_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}


def parse_feed(body: bytes, url: str) -> FeedInfo:
    """RSS 0.9x/1.0/2.0, Atom or JSON Feed 1.0/1.1; a document that is not a feed gives no links.
    `url` is the base for relative links: the feed's final URL after redirects (or its
    Content-Location)."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] == b"{":
        return _json_feed(stripped, url)
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.entries and not parsed.get("version"):
        return FeedInfo([], is_feed=False)
    atom = str(parsed.get("version", "")).startswith("atom")
    links = []
    for entry in parsed.entries:
        link = _entry_link(entry, url, atom)
        if link is None:
            continue
        # asked by exact key: feedparser's `.get` maps updated -> published with a warning
        keys = entry.keys()
        published = _struct_time(entry["published_parsed"] if "published_parsed" in keys else None)
        updated = _struct_time(entry["updated_parsed"] if "updated_parsed" in keys else None)
        # A date feedparser cannot read ("qua, 05 jun 2024 10:00:00 -0300") is read as pages' are.
        published = published or parse_date(entry["published"] if "published" in keys else None)
        updated = updated or parse_date(entry["updated"] if "updated" in keys else None)
        links.append(Link(link, _title(entry.get("title")), published or updated, updated, "feed"))
    return FeedInfo(links, _feed_update_seconds(parsed.feed))


# Media an enclosure or a feed's link may point at: never an article page.
_MEDIA_PATH = re.compile(
    r"\.(?:mp3|m4a|aac|ogg|oga|opus|wav|flac|mp4|m4v|mov|webm|avi|jpe?g|png|gif|webp|avif|svg|pdf|zip)$",
    re.IGNORECASE,
)


def _entry_link(entry, base: str, atom: bool) -> str | None:
    """The entry's page: its <link> (or the first alternate link), never an enclosure or a media file.
    An RSS <guid isPermaLink> is a page (feedparser gives it as the link); an Atom <id> is only a name."""
    candidates = [None if atom else entry.get("link")] + [
        link.get("href")
        for link in entry.get("links", [])
        if link.get("rel", "alternate") == "alternate" and not _is_media_type(link.get("type"))
    ]
    enclosures = {link.get("href") for link in entry.get("links", []) if link.get("rel") == "enclosure"}
    for href in candidates:
        if not href or href in enclosures:
            continue
        link = absolute(base, href)
        if link and not _MEDIA_PATH.search(urlsplit(link).path):
            return link
    return None


def _is_media_type(value: str | None) -> bool:
    return bool(value) and str(value).split("/", 1)[0] in ("audio", "video", "image")


def _title(value: str | None) -> str | None:
    """Feed titles as text: entities unescaped ("&amp;#8217;" included), tags and spaces dropped."""
    if not value:
        return None
    text = html.unescape(html.unescape(value))
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(text.split()) or None


def _json_feed(body: bytes, url: str) -> FeedInfo:
    """JSON Feed (https://jsonfeed.org/version/1 and /1.1): items' `url` (else `external_url`)."""
    try:
        document = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return FeedInfo([], is_feed=False)
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        return FeedInfo([], is_feed=False)
    feed_url = document.get("feed_url")
    base = (absolute(url, feed_url) if isinstance(feed_url, str) else None) or url
    links = []
    for item in document.get("items") or []:
        if not isinstance(item, dict):
            continue
        href = next((item[k] for k in ("url", "external_url") if isinstance(item.get(k), str)), None)
        if not href:
            continue
        link = absolute(base, href)
        if link is None or _MEDIA_PATH.search(urlsplit(link).path):
            continue
        published = parse_date(str(item.get("date_published") or "")) or None
        modified = parse_date(str(item.get("date_modified") or "")) or None
        title = _title(item.get("title")) if isinstance(item.get("title"), str) else None
        links.append(Link(link, title, published or modified, modified, "feed"))
    return FeedInfo(links)


def _struct_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _feed_update_seconds(feed) -> int | None:
    period = _SY_PERIODS.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period:
        try:
            return max(60, period // max(1, int(feed.get("sy_updatefrequency", 1))))
        except ValueError:
            return period
    ttl = str(feed.get("ttl", "")).strip()
    return int(ttl) * 60 if ttl.isdigit() else None


@dataclass(frozen=True)
class SitemapInfo:
    children: list[Link]  # further sitemaps (from a sitemap index)
    links: list[Link]  # page URLs
    is_feed: bool = False  # it was a feed (a robots.txt `Sitemap:` line may name one)


def maybe_gunzip(body: bytes, max_bytes: int = SITEMAP_MAX_BYTES) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"sitemap larger than {max_bytes:,} bytes once decompressed")
    return data


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
_FEED_ROOTS = frozenset({"rss", "feed", "RDF", "channel"})
_URL = re.compile(rb"https?://[^\s<>\"']+")


def parse_sitemap(body: bytes, url: str, max_bytes: int = SITEMAP_MAX_BYTES) -> SitemapInfo:
    """A sitemap index, a urlset (with Google News data), a plain-text list, or a feed found where a
    sitemap was expected. Only an entry's own `loc` and `lastmod` (and `news:title`,
    `news:publication_date`) count: the `loc` of an image or a video inside it is not the page."""
    data = maybe_gunzip(body, max_bytes)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")  # a byte-order mark or blank lines before <?xml
    if stripped[:1] == b"{":
        feed = parse_feed(stripped, url)
        return SitemapInfo([], [replace(link, source="sitemap") for link in feed.links], is_feed=feed.is_feed)
    if stripped[:1] != b"<":
        lines = [line.strip() for line in stripped.decode("utf-8", "replace").splitlines()]
        return SitemapInfo(
            [], [Link(line, source="sitemap") for line in lines if line.startswith(("http://", "https://"))]
        )
    root = etree.fromstring(stripped, parser=_PARSER)
    if root is None or not isinstance(root.tag, str):
        return SitemapInfo([], [])
    if etree.QName(root).localname in _FEED_ROOTS:
        feed = parse_feed(stripped, url)
        return SitemapInfo([], [replace(link, source="sitemap") for link in feed.links], is_feed=True)
    is_index = etree.QName(root).localname == "sitemapindex"
    entries = [
        el for el in root if isinstance(el.tag, str) and etree.QName(el).localname in ("url", "sitemap")
    ]
    # Truncated XML: lxml's recover mode closes the element that was cut, which would yield its
    # half URL. Only entries whose closing tag is in the document count.
    closed = len(re.findall(rb"</(?:[\w-]+:)?(?:url|sitemap)\s*>", stripped))
    links: list[Link] = []
    for entry in entries[:closed]:
        links += _entry_links(entry, url)
    if not entries and is_index:  # an index written as bare URLs, without <sitemap><loc>
        links = [Link(found.decode("utf-8", "replace"), source="sitemap") for found in _URL.findall(stripped)]
        links = links[:-1] if not re.search(rb"</(?:[\w-]+:)?sitemapindex\s*>", stripped) else links
    return SitemapInfo(links if is_index else [], [] if is_index else links)


def _entry_links(entry, base: str) -> list[Link]:
    """One Link per `loc` directly in this <url> or <sitemap> (several are allowed in an index)."""
    direct: dict[str, str] = {}
    locs = []
    news = None
    for child in entry:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "loc":  # its text, even wrapped in a stray element: <loc><url><![CDATA[…]]></url></loc>
            locs.append("".join(child.itertext()).strip())
        elif name == "news":
            news = child
        else:
            direct.setdefault(name, (child.text or "").strip())
    if not locs and (entry.text or "").strip():  # an index entry written as a bare URL, without <loc>
        locs = [entry.text.strip()]
    title = published = None
    if news is not None:
        fields = {
            etree.QName(el).localname: (el.text or "").strip()
            for el in news.iter()
            if isinstance(el.tag, str)
        }
        title, published = _title(fields.get("title")), parse_date(fields.get("publication_date"))
    lastmod = parse_date(direct.get("lastmod"))
    return [
        Link(link, title=title, published=published, lastmod=lastmod, source="sitemap")
        for loc in locs
        if loc and (link := absolute(base, loc))
    ]


# `Sitemap:`, and the spellings found in the wild: `Site-map:`, `sitemap :`, `SITEMAP:`.
_ROBOTS_SITEMAP = re.compile(r"^\s*site-?map\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def robots_sitemaps(robots_txt: str, url: str) -> list[str]:
    """The sitemaps a robots.txt names, each once, in order; a line that is not a URL is skipped."""
    found = []
    for value in _ROBOTS_SITEMAP.findall(robots_txt):
        if "\ufffd" in value:  # undecodable bytes: not a URL anyone can fetch
            continue
        resolved = absolute(url, value)
        if resolved and resolved not in found:
            found.append(resolved)
    return found


# The feed types a page may announce with <link rel="alternate" type=…>.
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/x-rss+xml",
    }
)
# Where a site keeps its sitemaps when robots.txt names none, in the order they are tried, and its
# feed when the homepage announces none (WordPress).
SITEMAP_PATHS = ("/sitemap_index.xml", "/sitemap.xml", "/news-sitemap.xml")
FEED_PATH = "/feed/"


@dataclass(frozen=True)
class HomepageInfo:
    feeds: list[str]  # announced with <link rel="alternate">, comment feeds left out
    wordpress_api: str | None  # the WordPress REST API root, when the page says it is WordPress


def parse_homepage(body: str, url: str, link_header: str | None = None) -> HomepageInfo:
    """What a homepage says about the site: its feeds, and whether it is WordPress (the REST API
    it announces with <link rel="https://api.w.org/"> or a Link header; else wp-content paths)."""
    if not body.strip():
        return HomepageInfo([], None)
    tree = lxml_html.fromstring(body, base_url=url)
    feeds: list[str] = []
    for link in tree.iterfind(".//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";", 1)[0].strip().lower()
        href = absolute(url, link.get("href")) or ""
        comments = "comments" in urlsplit(href).path.lower() or "comment" in (link.get("title") or "").lower()
        if "alternate" in rel and kind in FEED_TYPES and not comments and href and href not in feeds:
            feeds.append(href)
    api = next(
        (
            urljoin(url, link.get("href"))
            for link in tree.iterfind(".//link[@href]")
            if link.get("rel") == "https://api.w.org/"
        ),
        None,
    )
    if api is None and link_header:
        found = re.search(r'<([^>]+)>\s*;\s*rel="https://api\.w\.org/"', link_header)
        api = urljoin(url, found.group(1)) if found else None
    if api is None and re.search(r"/wp-(content|includes)/", body):
        api = urljoin(url, "/wp-json/")
    return HomepageInfo(feeds, api)


def wordpress_posts_url(api_root: str, since: datetime, until: datetime | None, page: int) -> str:
    """One page of the WordPress REST API's posts in a publication window, newest first, only the
    fields a crawl needs."""
    query = {
        "after": since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "per_page": "100",
        "page": str(page),
        "orderby": "date",
        "order": "desc",
        "_fields": "link,date_gmt,modified_gmt,title",
    }
    if until is not None:
        query["before"] = until.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    root = api_root if api_root.endswith("/") else api_root + "/"
    return urljoin(root, "wp/v2/posts") + "?" + urlencode(query)


def parse_wordpress_posts(body: bytes, url: str) -> list[Link] | None:
    """The posts of one REST API page; None when the body is not the API's list of posts."""
    try:
        posts = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(posts, list):
        return None
    links = []
    for post in posts:
        if not isinstance(post, dict) or not isinstance(post.get("link"), str):
            continue
        link = absolute(url, post["link"])
        if link is None:
            continue
        title = post.get("title")
        title = title.get("rendered") if isinstance(title, dict) else title
        # date_gmt has no offset: it is UTC
        published = parse_date(f"{post['date_gmt']}+00:00") if isinstance(post.get("date_gmt"), str) else None
        modified = (
            parse_date(f"{post['modified_gmt']}+00:00") if isinstance(post.get("modified_gmt"), str) else None
        )
        links.append(
            Link(link, _title(title) if isinstance(title, str) else None, published, modified, "api")
        )
    return links


@dataclass(frozen=True)
class ListingInfo:
    links: list[Link]
    next_page: str | None


def parse_listing(body: str, url: str) -> ListingInfo:
    """Every link on a listing page (the outlet's URL pattern keeps the articles) and its next page."""
    if not body.strip():
        return ListingInfo([], None)
    tree = lxml_html.fromstring(body, base_url=url)
    links, seen = [], set()
    for anchor in tree.iterfind(".//a[@href]"):
        href = (absolute(url, anchor.get("href")) or "").split("#", 1)[0]
        if href and href not in seen:
            seen.add(href)
            links.append(Link(href, title=(anchor.text_content().strip() or None), source="listing"))
    return ListingInfo(links, _next_page(tree, url))


def _next_page(tree, url: str) -> str | None:
    for xpath in (
        './/link[@rel="next"]/@href',
        './/a[@rel="next"]/@href',
        './/a[contains(concat(" ", normalize-space(@class), " "), " next ")]/@href',
    ):
        found = tree.xpath(xpath)
        if found:
            return urljoin(url, found[0].strip())
    return None
