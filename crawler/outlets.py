"""Load and validate the outlet registry (TOML). A bad file fails with one line naming the
file, the outlet and the problem."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# An outlet with only a homepage is autodiscovered: its feeds, sitemaps and WordPress API.
REQUIRED_ONE_OF = ("feeds", "sitemaps", "listing_pages", "homepage")
LIST_KEYS = (
    "feeds",
    "sitemaps",
    "listing_pages",
    "exclude_url_patterns",
    "allowed_domains",
    "boilerplate_patterns",
)
TEXT_KEYS = ("name", "homepage", "language", "country", "article_url_pattern", "timezone")
BOOL_KEYS = ("wordpress",)
KNOWN_KEYS = set(LIST_KEYS) | set(TEXT_KEYS) | set(BOOL_KEYS)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class RegistryError(ValueError):
    """The registry file is invalid; the message is one line."""


@dataclass(frozen=True)
class Outlet:
    slug: str
    name: str
    homepage: str | None = None
    language: str | None = None
    country: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listing_pages: tuple[str, ...] = ()
    article_url_pattern: re.Pattern[str] | None = None
    exclude_url_patterns: tuple[re.Pattern[str], ...] = ()
    allowed_domains: tuple[str, ...] = ()
    boilerplate_patterns: tuple[re.Pattern[str], ...] = field(default=())
    timezone: str | None = None  # IANA name: where the outlet's dates without an offset are
    wordpress: bool | None = None  # a WordPress site (its REST API backfills); None: detect it

    @property
    def autodiscovered(self) -> bool:
        """Declared with a homepage only: the crawl finds its feeds and sitemaps."""
        return not (self.feeds or self.sitemaps or self.listing_pages)

    def as_row(self) -> dict[str, str | None]:
        return {
            "slug": self.slug,
            "name": self.name,
            "homepage": self.homepage,
            "language": self.language,
            "country": self.country,
        }

    def wants(self, url: str) -> bool:
        """Could this URL be one of the outlet's articles?"""
        host = ascii_host(urlsplit(url).hostname or "")
        if not any(host == d or host.endswith("." + d) for d in self.allowed_domains):
            return False
        if any(p.search(url) for p in self.exclude_url_patterns):
            return False
        return self.article_url_pattern is None or bool(self.article_url_pattern.search(url))


def default_registry() -> Traversable:
    """The shipped registry (a file in the package, or inside a zipped egg under Scrapyd)."""
    return resources.files("crawler") / "outlets.toml"


def load(path: Path | Traversable | None = None) -> dict[str, Outlet]:
    path = path or default_registry()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the registry: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None
    tables = data.get("outlets")
    if not isinstance(tables, dict) or not tables:
        raise RegistryError(f"{path}: no [outlets.<slug>] tables found")
    return {slug: _outlet(path, slug, table) for slug, table in tables.items()}


def _outlet(path: Path | Traversable, slug: str, table: object) -> Outlet:
    def problem(message: str) -> RegistryError:
        return RegistryError(f"{path}: outlet {slug!r}: {message}")

    if not _SLUG.match(slug):
        raise problem("slug must be lowercase letters, digits, '-' or '_'")
    if not isinstance(table, dict):
        raise problem("must be a table")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise problem(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(KNOWN_KEYS))})")
    for key in LIST_KEYS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise problem(f"{key!r} must be a list of strings")
    for key in TEXT_KEYS:
        if key in table and not isinstance(table[key], str):
            raise problem(f"{key!r} must be a string")
    for key in BOOL_KEYS:
        if key in table and not isinstance(table[key], bool):
            raise problem(f"{key!r} must be true or false")
    if not any(table.get(key) for key in REQUIRED_ONE_OF):
        raise problem(f"no source: give at least one of {', '.join(REQUIRED_ONE_OF)}")
    sources = [*table.get("feeds", []), *table.get("sitemaps", []), *table.get("listing_pages", [])]
    sources += [table["homepage"]] if table.get("homepage") else []
    for url in sources:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise problem(f"source {url!r} is not an http(s) URL")
    # Hosts as the wire spells them: a registry may write a Unicode (IDN) host, requests use punycode.
    named = table.get("allowed_domains") or [urlsplit(u).hostname or "" for u in sources]
    domains = sorted({ascii_host(d) for d in named})
    if "timezone" in table:
        try:
            ZoneInfo(table["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise problem(
                f"unknown timezone {table['timezone']!r} (an IANA name such as 'America/Sao_Paulo')"
            ) from None
    return Outlet(
        slug=slug,
        name=table.get("name", slug),
        homepage=table.get("homepage"),
        language=table.get("language"),
        country=table.get("country"),
        feeds=tuple(table.get("feeds", [])),
        sitemaps=tuple(table.get("sitemaps", [])),
        listing_pages=tuple(table.get("listing_pages", [])),
        article_url_pattern=_pattern(problem, pattern)
        if (pattern := table.get("article_url_pattern"))
        else None,
        exclude_url_patterns=tuple(_pattern(problem, p) for p in table.get("exclude_url_patterns", [])),
        allowed_domains=tuple(domains),
        boilerplate_patterns=tuple(_pattern(problem, p) for p in table.get("boilerplate_patterns", [])),
        timezone=table.get("timezone"),
        wordpress=table.get("wordpress"),
    )


def _pattern(problem: Callable[[str], RegistryError], pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise problem(f"bad regex {pattern!r}: {exc}") from None


def ascii_host(host: str) -> str:
    """A host name in ASCII (IDNA), lower case: notícias.com.br -> xn--notcias-4ya.com.br."""
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()
