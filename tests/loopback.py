"""Test-only download handler: every request goes to the local fixture server.

The URL keeps the outlet's real host (https://olhardigital.com.br/feed/); the request is sent
to 127.0.0.1:PORT with that Host header, and the response gets the original URL back. So the
shipped registry is crawled unchanged, and nothing can ever leave the machine. Hosts listed in
LOOPBACK_REFUSED_HOSTS go to a closed port instead (an unreachable outlet).
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
