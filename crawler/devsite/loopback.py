"""A download handler that sends every request to one local server (the demo and the tests).

The URL keeps its host (https://olhardigital.com.br/feed/, http://demo.newsarchive.test/); the
request goes to LOOPBACK_TARGET (127.0.0.1:PORT) with that Host header, and the response gets the
original URL back. So archived URLs are stable across runs, the tests crawl the shipped registry
unchanged, and nothing can leave the machine. Hosts in LOOPBACK_REFUSED_HOSTS go to a closed port
(an unreachable outlet). Enable it with DOWNLOAD_HANDLERS for http and https.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

CLOSED_PORT = "127.0.0.1:9"


class LoopbackHandler(HTTP11DownloadHandler):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.target = crawler.settings.get("LOOPBACK_TARGET")
        self.refused = set(crawler.settings.getlist("LOOPBACK_REFUSED_HOSTS"))

    async def download_request(self, request):
        parts = urlsplit(request.url)
        target = CLOSED_PORT if parts.hostname in self.refused else self.target
        routed = request.replace(url=urlunsplit(("http", target, parts.path or "/", parts.query, "")))
        routed.headers[b"Host"] = parts.netloc.encode("ascii")
        response = await super().download_request(routed)
        return response.replace(url=request.url)
