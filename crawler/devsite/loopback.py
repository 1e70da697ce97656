"""A download handler that sends every request to one local server (the demo and the tests).

The URL keeps its host (https://olhardigital.com.br/feed/, http://demo.newsarchive.test/); the
request goes to LOOPBACK_TARGET (127.0.0.1:PORT) with that Host header, and the response gets the
original URL back. So archived URLs are stable across runs, the tests crawl the shipped registry
unchanged, and nothing can leave the machine. Hosts in LOOPBACK_REFUSED_HOSTS go to a closed port
(an unreachable outlet). Enable it with DOWNLOAD_HANDLERS for http and https.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
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


def loopback_settings(port: int, refused: Iterable[str] = ()) -> dict[str, Any]:
    """Settings that route every request to the local server on `port` (hosts in `refused` to a
    closed port), with politeness delays off: the demo's, the tests' and the benches' crawls."""
    handler = "crawler.devsite.loopback.LoopbackHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "LOOPBACK_TARGET": f"127.0.0.1:{port}",
        "LOOPBACK_REFUSED_HOSTS": list(refused),
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
    }


def setting_arguments(settings: Mapping[str, Any]) -> list[str]:
    """The same settings as `-s NAME=VALUE` arguments that both `newsarchive` and `scrapy crawl` read
    alike: strings as they are, lists comma-separated, everything else as JSON."""

    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        return ",".join(value) if isinstance(value, list) else json.dumps(value)

    return [argument for name, value in settings.items() for argument in ("-s", f"{name}={text(value)}")]
