"""Dedup stage, first layers (pure): one canonical URL per article, one hash per text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only track the reader: never part of an article's identity.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|_hsenc|_hsmi"
    r"|ref|ref_src|ref_url|referrer|cmpid|xtor|at_[a-z_]+|itm_[a-z_]+|s_cid|ocid|ncid|sr_share|share|amp|outputtype"
    r"|__twitter_impression|spm|rss|from|via|source)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_SUFFIX = re.compile(r"/amp/?$")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    sorted query, no AMP suffix: every variant of one article URL maps to one string."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = f":{parts.port}" if parts.port and parts.port != _DEFAULT_PORTS.get(scheme) else ""
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)])
    path = _AMP_SUFFIX.sub("/", parts.path) or "/"
    return canonicalize_url(urlunsplit((scheme, host + port, path, query, "")))


def same_site(a: str, b: str) -> bool:
    def site(url: str) -> str:
        host = (urlsplit(url).hostname or "").lower()
        return host[4:] if host.startswith("www.") else host

    return site(a) == site(b) and site(a) != ""


def article_key(fetched_url: str, rel_canonical: str | None) -> str:
    """The article's identity: its rel=canonical when that stays on the same site, else the URL fetched."""
    if rel_canonical and rel_canonical.startswith(("http://", "https://")) and same_site(rel_canonical, fetched_url):
        return canonical_url(rel_canonical)
    return canonical_url(fetched_url)


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """NFKC, case-folded, punctuation and whitespace collapsed: what 'the same text' means."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
