"""Learn an outlet's article URL pattern from URLs of its articles (pure).

`newsarchive outlets add` proposes one from the links a site's feeds and sitemaps give. Each URL
path becomes a shape, one token per segment: a year, a two-digit month or day, a number, a slug
ending in a number, a slug, a file name with its extension, or the literal segment where every URL
has the same one (a section such as `noticias`). The shape most URLs share becomes the pattern,
written as the registry's regex.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlsplit

# Segment kinds, most specific first, with the regex each stands for.
_KINDS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("year", re.compile(r"(19|20)\d{2}"), r"\d{4}"),
    ("two", re.compile(r"\d{2}"), r"\d{2}"),
    ("number", re.compile(r"\d+"), r"\d+"),
    ("file-id", re.compile(r"[\w%.-]+-\d+\.(html?|php|aspx?)"), r"[\w%.-]+-\d+\.{ext}"),
    ("file", re.compile(r"[\w%.-]+\.(html?|php|aspx?)"), r"[\w%.-]+\.{ext}"),
    ("number-slug", re.compile(r"\d+-[\w%-]+"), r"\d+-[\w%-]+"),
    ("slug-id", re.compile(r"[\w%-]+-\d{3,}"), r"[\w%-]+-\d+"),
    ("slug", re.compile(r"[\w%-]+"), r"[\w%-]+"),
)
# Below this share of the sample, a shape is not "the" article shape.
MIN_SHARE = 0.5
# Pages of the same shape as articles that are not articles, on most news sites: proposed as the
# entry's exclude_url_patterns.
COMMON_EXCLUDES = (
    r"/(author|authors|autor|autores|auteur|tag|tags|etiqueta|category|categoria|categorie|topic|topics|page|feed)/",
    r"\.(xml|rss|atom|json|jpe?g|png|gif|webp|svg|pdf|mp3|mp4)$",
)


def wanted(url: str, pattern: str) -> bool:
    """Whether a proposal (its pattern and COMMON_EXCLUDES) takes `url` for an article."""
    return bool(re.search(pattern, url)) and not any(re.search(x, url) for x in COMMON_EXCLUDES)


def _kind(segment: str) -> tuple[str, str]:
    for name, pattern, regex in _KINDS:
        match = pattern.fullmatch(segment)
        if match:
            ext = match.group(match.lastindex) if name.startswith("file") and match.lastindex else ""
            return (f"{name}.{ext}" if ext else name), regex.replace("{ext}", re.escape(ext))
    return "other", re.escape(segment)


def _shape(url: str) -> tuple[tuple[str, ...], bool] | None:
    parts = urlsplit(url)
    if not parts.path or parts.path == "/":
        return None
    segments = [s for s in parts.path.split("/") if s]
    return tuple(_kind(s)[0] for s in segments), parts.path.endswith("/")


def propose_pattern(urls: Sequence[str]) -> tuple[str, float] | None:
    """The regex most of `urls` share, anchored at their host, and the share of `urls` it accepts;
    None when no shape covers MIN_SHARE of them (the links are not one kind of page)."""
    hosts = Counter(urlsplit(u).netloc for u in urls)
    if not hosts:
        return None
    host, _ = hosts.most_common(1)[0]
    shapes = Counter(shape for u in urls if urlsplit(u).netloc == host and (shape := _shape(u)))
    if not shapes:
        return None
    (kinds, _slash), _count = shapes.most_common(1)[0]
    members = [u for u in urls if urlsplit(u).netloc == host and (s := _shape(u)) and s[0] == kinds]
    segments = [[s for s in urlsplit(u).path.split("/") if s] for u in members]
    parts = []
    for position, kind in enumerate(kinds):
        values = {segment[position] for segment in segments}
        if len(values) == 1 and len(members) > 1 and kind in ("slug", "other"):
            parts.append(re.escape(values.pop()))  # a fixed section: noticias, actualites
        else:
            parts.append(_kind(segments[0][position])[1])
    scheme = urlsplit(members[0]).scheme
    pattern = f"^{scheme}://{re.escape(host)}/" + "/".join(parts) + "/?$"
    share = sum(1 for u in urls if wanted(u, pattern)) / len(urls)
    return (pattern, share) if share >= MIN_SHARE else None
