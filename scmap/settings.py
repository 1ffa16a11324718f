"""Scrapy settings for scmap (`scrapy crawl likes -a seeds=...`).

Defaults are polite enough for the real site; tests and the benchmark raise concurrency and
point the spiders at the sandbox with `-s` or the environment variables below.
"""

import os

BOT_NAME = "scmap"
SPIDER_MODULES = ["scmap.spiders"]
NEWSPIDER_MODULE = "scmap.spiders"
# Our `scrapy crawl` (scmap/commands/crawl.py): refuses bad input in one line, exits non-zero
# when the crawl failed (the stock command exits 0 even when a spider cannot start).
COMMANDS_MODULE = "scmap.commands"

# Where the spiders go: the real site by default, the sandbox in tests (env or -s).
SOUNDCLOUD_WEB_URL = os.environ.get("SOUNDCLOUD_WEB_URL", "https://soundcloud.com")
SOUNDCLOUD_API_URL = os.environ.get("SOUNDCLOUD_API_URL", "https://api-v2.soundcloud.com")

# Honest name for any request Scrapy itself makes. Rendered pages (and the XHRs they make) go
# out with the browser's own headers, see PLAYWRIGHT_PROCESS_REQUEST_HEADERS below and
# docs/real-site.md.
USER_AGENT = "scmap/0.1 (research crawler mapping music scenes; +https://github.com/scmap/scmap)"
ROBOTSTXT_OBEY = True

# --- the browser and the transports (scmap/transport, docs/architecture.md "Transports") ----
# scmap's handler is scrapy-playwright's (rendered pages of scroll mode) plus the transports a
# request names in meta["scmap_transport"]: "page" = fetch() in a live page of the same browser
# (session mode's api-v2 calls); further ones in SCMAP_TRANSPORTS (name -> class path).
# The spiders keep the handler on the scheme of SOUNDCLOUD_WEB_URL only (InteractionSpider.
# update_settings): https for the real site, http for the sandbox.
DOWNLOAD_HANDLERS = {
    "http": "scmap.transport.handler.ScmapDownloadHandler",
    "https": "scmap.transport.handler.ScmapDownloadHandler",
}
SCMAP_TRANSPORTS = {"http": "scmap.transport.http.HttpTransport"}  # -a mode=http
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# One Playwright driver and one Chromium per crawl process, shared by its spiders. Unset
# PLAYWRIGHT_LAUNCH_OPTIONS = scmap.browser.launch_options() (system Chromium, no automation
# tells), computed at launch so that this module stays inert at import.
PLAYWRIGHT_BROWSER_PROVIDER = "scmap.browser.provider.SharedBrowserProvider"
PLAYWRIGHT_ABORT_REQUEST = "scmap.browser.should_abort_request"
# Keep the browser's own headers (User-Agent included): a consistent browser fingerprint.
PLAYWRIGHT_PROCESS_REQUEST_HEADERS = None
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms
PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER = True
# Contexts are rotated by the spider (a new one every SCMAP_ACCOUNTS_PER_CONTEXT accounts,
# old ones closed when their last page is done), which keeps browser memory flat.

# --- reading a list page (scmap.spiders.list_page) ----------------------------------------
SCMAP_ACCOUNTS_PER_CONTEXT = 20
SCMAP_COOKIE_BANNER_WAIT = 3.0  # s a new context's first page waits for the consent banner
SCMAP_SCROLL_TRIGGER_TIMEOUT = 4.0  # s for a scroll to start the page's next API request
SCMAP_RESPONSE_TIMEOUT = 20.0  # s for one API response before the page counts as stalled
SCMAP_API_RETRIES = 5  # scroll mode: re-fetches of one failed API page the page's own loader gave up on
SCMAP_MAX_RETRY_AFTER = 120.0  # s, cap on an honoured Retry-After (a 429 pauses every api-v2 call)
SCMAP_LIST_TIMEOUT = 900.0  # s, cap on reading one account's list in a rendered page (scroll mode)
# Items asked per api-v2 list page, both modes (the web client asks 10-24, the API serves up to
# 200; next_href keeps it). Fewer, larger requests. 0 = ask as the web client does (no `limit`).
SCMAP_API_PAGE_SIZE = 200
SCMAP_IGNORE_API_CAPTURE = False  # tests only: read every list from the DOM (docs/real-site.md)
# Write the tracks and playlists the list items carry (OUTPUT_DIR/objects, ObjectItem), all modes.
# False: edges only (pages trimmed to the edges' keys): what bench/bench_scene_words.py compares.
SCMAP_WRITE_OBJECTS = True

# --- session mode (docs/session-mode.md): the default -a mode=session ---------------------
# Every api-v2 call is a Scrapy Request in the "api-v2" download slot, run as fetch() in a live
# session page (scmap/transport/page.py); -a mode=scroll renders every profile instead (and is
# the automatic fallback when session mode cannot read a list).
SCMAP_SESSION_CALLS_PER_CONTEXT = 800  # api-v2 calls per session page's context, then it is retired (flat memory)

# --- http mode (-a mode=http, scmap/transport/http.py): api-v2 through curl_cffi, no browser open -
# curl_cffi's newest desktop Chrome target (yt-dlp's rule: DataDome refuses Chrome targets < 116).
SCMAP_HTTP_IMPERSONATE = "chrome152"
# Where client_id and cookies come from, once: "http" (the home page through curl_cffi with
# SCMAP_COOKIES, no browser), "browser" (one Chromium page, then closed), "auto" (http when only
# SCMAP_COOKIES is given, else browser).
SCMAP_HTTP_BOOTSTRAP = "auto"
SCMAP_HTTP_BOOTSTRAP_WAIT = 3.0  # s the bootstrap page waits for DataDome's cookie

# Nodes sharing one address: one rate (1 / DOWNLOAD_DELAY) for the whole crawl, kept in
# FRONTIER_URL's Redis (scmap/frontier/shared_budget.py). Off: each node paces itself.
SCMAP_SHARED_REQUEST_BUDGET = False

# --- the bot wall (scmap.spiders.challenge_guard, docs/real-site.md) -------------------------
SCMAP_CHALLENGE_PAUSE = 60.0  # s new pages wait after a challenge, times the challenges in a row (<= 10 min)
SCMAP_CHALLENGES_BEFORE_STOP = 3  # challenges in a row, then one plain message and the crawl stops

# --- politeness: Scrapy paces, retries and caches every api-v2 call (docs/settings.md) -------
# api-v2 is one download slot ("api-v2"): 1 call/s ±50 % (DOWNLOAD_DELAY_JITTER: 0.5-1.5 x),
# AutoThrottle slows it further when the site answers slower. The spiders of one
# `python -m scmap.crawl` each have their own slot: scmap.crawl divides the rate among them.
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # also bounds the api-v2 calls in flight
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # Scrapy >= 2.19's RANDOMIZE_DOWNLOAD_DELAY: each gap drawn in [0.5, 1.5] x
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 5  # 429 / 5xx / timeouts of one call (a 429 also pauses every call: Retry-After)
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_TIMEOUT = 20  # s for one api-v2 call (a rendered page: PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT)
# Nearer the downloader than HttpCacheMiddleware (900): a cached answer skips them, a challenge
# or a 429 is never stored (scmap/transport/middlewares.py).
DOWNLOADER_MIDDLEWARES = {
    "scmap.transport.middlewares.RetryAfterMiddleware": 950,
    "scmap.transport.middlewares.ChallengeGuardMiddleware": 960,
    "scmap.transport.middlewares.SharedBudgetMiddleware": 970,
}
# HTTPCACHE_ENABLED=True replays api-v2 answers (working on parsers without the site); what
# says "later" or "no" is never stored.
HTTPCACHE_IGNORE_HTTP_CODES = [401, 403, 408, 429, 500, 502, 503, 504, 522, 524]

# --- the frontier: which accounts to crawl, in which order (scmap/frontier, docs/frontier.md) -
# Breadth-first from the seeds for FRONTIER_BFS_ACCOUNTS visits, then the unvisited account
# most interacted with by visited ones; accounts under FRONTIER_MIN_FOLLOWERS are skipped.
# Spider arguments (-a bfs_accounts=... max_accounts=... min_followers=...) override these.
SCHEDULER = "scmap.frontier.scheduler.FrontierScheduler"
FRONTIER_BFS_ACCOUNTS = 850
FRONTIER_MAX_ACCOUNTS = 2250
FRONTIER_MIN_FOLLOWERS = 250
FRONTIER_WEIGHTS = {"likes": 1, "comments": 3, "reposts": 3, "follows": 3}  # = the map's (analysis)
FRONTIER_ACCOUNTS_IN_FLIGHT = 4  # per node (each process its own window); keep <= CONCURRENT_REQUESTS
FRONTIER_URL = os.environ.get("FRONTIER_URL")  # None: <OUTPUT_DIR>/frontier.sqlite; redis://... for several nodes
FRONTIER_LOG_INTERVAL = 60  # s between progress lines
FRONTIER_LEASE_SECONDS = 300  # a claim not renewed for this long is handed out again
FRONTIER_STORE_OUTAGE_SECONDS = 60  # Redis unreachable mid-crawl: pause this long, then stop (resumable)
FRONTIER_SILENT_ACCOUNT_SECONDS = 10  # engine idle this long with an account unfinished: its signal was lost
FRONTIER_WAIT_POLL_SECONDS = 2.0  # frontier empty, other spiders' visits in flight: ask again this often

# --- console ---------------------------------------------------------------------------------
# One line per spider on stdout (the demo turns it on; Scrapy's log then goes to LOG_FILE).
EXTENSIONS = {"scmap.console_progress.ConsoleProgress": 500}
SCMAP_CONSOLE_PROGRESS = False
SCMAP_CONSOLE_PROGRESS_INTERVAL = 2.0

# --- output -------------------------------------------------------------------------------
ITEM_PIPELINES = {"scmap.pipelines.parquet_writer.ParquetWriterPipeline": 300}
PARQUET_BATCH_SIZE = 2000  # rows buffered per partition, then written as one part file
PARQUET_FLUSH_SECONDS = 30.0  # or when its oldest row is this old (bounds what a kill -9 loses); 0 = off
PARQUET_COMPRESSION = "zstd"
# On close the writer merges the part files it wrote (one per finished account and partition)
# into files of at most this many rows; `python -m scmap.compact` does it for killed crawls.
PARQUET_COMPACT_ON_CLOSE = True
PARQUET_COMPACT_MAX_ROWS = 500_000
# scmap.compact leaves a crawl id alone while its writer lock is held, or its newest file is younger
# than this (a writer whose lock it cannot see: another machine on a filesystem without flock).
PARQUET_COMPACT_MIN_AGE_SECONDS = 120.0
OUTPUT_DIR = os.environ.get("SCMAP_OUTPUT_DIR", "output")

LOG_LEVEL = "INFO"
LOGFORMATTER = "scmap.logformatter.ItemLogFormatter"  # no per-item record unless LOG_LEVEL=DEBUG
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
