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
# Search ranks the newest N matches that pass the filters (flat latency at any archive size); 0 ranks all.
NEWSARCHIVE_SEARCH_CANDIDATES = 1000

# --- what to crawl ---
# Outlet registry; None means the one shipped in the package (crawler/outlets.toml).
NEWSARCHIVE_OUTLETS_FILE = None
# Only articles dated (feed, sitemap) on or after this ISO date; None for no bound.
NEWSARCHIVE_SINCE = None
# Only articles dated before this ISO date; None for no bound (a backfill's window end).
NEWSARCHIVE_UNTIL = None
# Pages walked per backfill source: WordPress REST API pages (100 posts each), then feed pages.
NEWSARCHIVE_BACKFILL_MAX_PAGES = 50
# Article pages requested per outlet and crawl; 0 for no limit.
NEWSARCHIVE_MAX_PAGES = 0
# Listing pages followed through "next" links, per listing source.
NEWSARCHIVE_LISTING_MAX_PAGES = 5
# Sitemap index depth followed (index -> index -> urlset).
NEWSARCHIVE_SITEMAP_MAX_DEPTH = 3
# Largest sitemap downloaded (bytes, uncompressed): the sitemap protocol's own limit.
NEWSARCHIVE_SITEMAP_MAXSIZE = 50 * 1024**2

# --- processing ---
# An article is relevant when its topic score reaches this (0..1).
NEWSARCHIVE_RELEVANCE_THRESHOLD = 0.5
# Pages with fewer words of clean text are recorded as not articles.
NEWSARCHIVE_MIN_WORDS = 40
# trafilatura's fast mode: ~11% more pages/s, at a cost in recall (README, extraction quality).
NEWSARCHIVE_FAST_EXTRACTION = False
# Worker processes of the one extraction pool per process, shared by all outlets (0: one per core).
NEWSARCHIVE_EXTRACT_WORKERS = 0
# Seconds one page may take to extract; a slower one is recorded as too_slow (0: no limit).
NEWSARCHIVE_EXTRACT_TIMEOUT = 20.0
# Address space an extraction worker may use (bytes); a page needing more is too_large (0: no cap).
NEWSARCHIVE_EXTRACT_MAX_MEMORY = 2 * 1024**3
# Pages written per database transaction: small, so a killed crawl loses little.
NEWSARCHIVE_BATCH_SIZE = 25
# Seconds to wait before each new attempt when the database is unreachable; then the crawl stops.
NEWSARCHIVE_DB_RETRY_DELAYS = [1, 2, 4, 8, 15]
# Crawl run this crawler reports into (set by `newsarchive crawl`; None: the crawler opens its own).
NEWSARCHIVE_RUN_ID = None

# --- dedup (thresholds chosen on bench/dedup_pairs.py; change them, then `newsarchive dedup --rebuild`) ---
# Near duplicate: estimated Jaccard of word 5-shingles at or above this (plateau 0.3-0.4 on the set).
NEWSARCHIVE_NEARDUP_JACCARD = 0.4
# ... or the shorter text this much contained in the longer: a truncated copy (plateau 0.5-0.7).
NEWSARCHIVE_NEARDUP_CONTAINMENT = 0.7
# Texts with fewer shingles than this are only duplicates by Jaccard, never by containment.
NEWSARCHIVE_NEARDUP_MIN_SHINGLES = 20
# Articles published further apart than this many days are different stories.
NEWSARCHIVE_STORY_WINDOW_DAYS = 3.0
# Same story: Dice overlap of names when one figure agrees (halved when two or more agree).
NEWSARCHIVE_STORY_NAMES = 0.4
# Same story when no figure agrees and one article gives none: Dice overlap of names (plateau 0.6-0.8).
NEWSARCHIVE_STORY_NAMES_ALONE = 0.7

# --- schedule (`newsarchive schedule`) ---
# Seconds between an outlet's first two crawls, before its publishing rhythm is known.
NEWSARCHIVE_SCHEDULE_START_INTERVAL = 3600
# Shortest interval between two crawls of one outlet (seconds); a feed's sy:updatePeriod/ttl can raise it.
NEWSARCHIVE_SCHEDULE_MIN_INTERVAL = 300
# Longest interval between two crawls of one outlet (seconds).
NEWSARCHIVE_SCHEDULE_MAX_INTERVAL = 6 * 3600
# How often the scheduler looks for outlets that are due (seconds).
NEWSARCHIVE_SCHEDULE_TICK = 10

# --- shared frontier (`newsarchive crawl --frontier redis://...`) ---
# Redis URL of the frontier shared by workers; None: each crawl keeps its own queue in memory.
NEWSARCHIVE_FRONTIER = None
# Bits of the Bloom duplicate filter per outlet: 2**28 bits (32 MiB) hold ~13M URLs at 0.1% false positives.
NEWSARCHIVE_FRONTIER_BLOOM_BITS = 2**28
# Hash functions of the Bloom filter (10 is optimal for 0.1%).
NEWSARCHIVE_FRONTIER_BLOOM_HASHES = 10
# A worker stops once the shared queue has been empty this long (seconds).
NEWSARCHIVE_FRONTIER_IDLE_SECONDS = 5.0
# Seconds during which the first worker's claim to read feeds and sitemaps holds (one crawl's start).
NEWSARCHIVE_FRONTIER_SEED_SECONDS = 300

# --- raw capture ---
# Directory for WARC files of every request and response (`crawl --warc DIR`); None: no capture.
NEWSARCHIVE_WARC_DIR = None
# A WARC file past this size is closed and the next one started (bytes, gzip-compressed).
NEWSARCHIVE_WARC_MAX_BYTES = 1024**3

# --- the demo's and the tests' loopback download handler (crawler/devsite/loopback.py) ---
# 127.0.0.1:PORT every request is sent to, with its own Host header; None: the handler is not in use.
LOOPBACK_TARGET = None
# Hosts the loopback handler sends to a closed port (an outlet that does not answer).
LOOPBACK_REFUSED_HOSTS: list[str] = []

# --- politeness ---
# Who we are: product, version and where to read about it.
USER_AGENT = f"newsarchive/{__version__} (+https://github.com/newsarchive/newsarchive)"
# Obey robots.txt: a disallowed URL is recorded as such and never requested.
ROBOTSTXT_OBEY = True
# Adapt the delay to each server's latency.
AUTOTHROTTLE_ENABLED = True
# First delay before AutoThrottle has measured anything (seconds).
AUTOTHROTTLE_START_DELAY = 1.0
# Requests AutoThrottle aims to have in flight per server.
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Minimum delay between requests to one site (seconds).
DOWNLOAD_DELAY = 0.25
# Requests in flight per site at most.
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Requests in flight overall.
CONCURRENT_REQUESTS = 32
# Seconds before a request times out (then it is retried).
DOWNLOAD_TIMEOUT = 30
# Retries after a timeout, a dropped connection or one of RETRY_HTTP_CODES.
RETRY_TIMES = 2
# Longest Retry-After waited before a retry (seconds); a longer one defers the URL to the next crawl.
NEWSARCHIVE_RETRY_AFTER_MAX = 60.0
# Statuses worth retrying: server errors and "slow down".
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Pages larger than this are not downloaded (recorded as too_large).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
# Longer links are dropped (Scrapy's UrlLengthMiddleware): the archive's URL columns hold 2,048.
URLLENGTH_LIMIT = 2048
# Log a warning for responses larger than this.
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
# Redirect hops followed before giving up.
REDIRECT_MAX_TIMES = 10
# Statuses that reach our callbacks instead of being dropped: 304 (unchanged), 404/410 (gone).
HTTPERROR_ALLOWED_CODES = [304, 404, 410]
# Scrapy's own HTTP cache stays off: url_state's ETag/Last-Modified does conditional GETs.
HTTPCACHE_ENABLED = False
# Twisted on asyncio, so pipelines can await worker processes and threads.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- components ---
# Extraction, cleaning, classification, dedup and storage, in one pipeline.
ITEM_PIPELINES = {"crawler.components.pipelines.ArchivePipeline": 300}
# The outlet's row, its crawl lock and its part of the crawl run; WARC capture; shared-frontier idling.
EXTENSIONS = {
    "crawler.components.extensions.RunRecorder": 500,
    "crawler.components.warc.WarcRecorder": 510,
    "crawler.components.frontier.FrontierIdle": 520,
}
# robots.txt per RFC 9309 (5xx: disallow all) in Scrapy's place; Retry-After waited before a retry;
# a redirect loop or an off-site redirect recorded before Scrapy's RedirectMiddleware (600) sees it.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.components.middlewares.RobotsTxtMiddleware": 100,
    "crawler.components.middlewares.RetryAfterMiddleware": 560,
    "crawler.components.middlewares.RedirectGuardMiddleware": 610,
}
# Closest to the spider: known URLs skipped or asked conditionally, then the per-crawl page budget.
SPIDER_MIDDLEWARES = {
    "crawler.components.middlewares.IncrementalMiddleware": 950,
    "crawler.components.middlewares.MaxPagesMiddleware": 940,
}
# Log level for Scrapy's own messages.
LOG_LEVEL = "INFO"
# Run logs kept per command in the archive's state directory (`<archive>-state/logs/`); older ones go.
NEWSARCHIVE_LOGS_KEPT = 50
# Items processed at once per response: Scrapy starts this many tasks for every response, and an
# article page yields one item (the default of 100 made task creation a top cost of the crawl).
CONCURRENT_ITEMS = 8
# Scrapy's telnet console is a debugging backdoor we do not need.
TELNETCONSOLE_ENABLED = False
# Nor its remote-control HTTP server (it runs Python sent to it): nothing listens unless asked for.
REMOTE_CONTROL_ENABLED = False

# `newsarchive serve`: the address it listens on (loopback: only this machine) unless --host/--port say.
NEWSARCHIVE_SERVE_HOST = "127.0.0.1"
# The port `newsarchive serve` listens on (0: any free port, printed when it starts).
NEWSARCHIVE_SERVE_PORT = 8000
# Results per page of the web app's search and browse lists.
NEWSARCHIVE_SERVE_PAGE_SIZE = 20
# Most articles one JSON API request returns (`limit`); a poller pages with `after_id`.
NEWSARCHIVE_SERVE_API_MAX = 500
# Longest search query the web app accepts, in characters; longer ones get a 400 and a message.
NEWSARCHIVE_SERVE_MAX_QUERY = 500
# Days the outlets page charts (articles published per day).
NEWSARCHIVE_SERVE_CHART_DAYS = 90
# Crawl runs per outlet the outlets page compares (health, drift, the missing-date chart).
NEWSARCHIVE_SERVE_RUNS = 10
