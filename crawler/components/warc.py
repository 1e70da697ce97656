"""Raw capture: every request and response of a crawl in rotating, gzip-compressed WARC files.

The archive keeps, for each article, the WARC file and offset of the response it was extracted
from, so `newsarchive reextract` can rebuild text, metadata, relevance and dedup with a better
extractor, offline. Bodies are stored as Scrapy received them after decompression (the
`Content-Encoding` header is dropped to match); everything else is as sent and received.
"""

from __future__ import annotations

import io
import os
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import __version__

# request.meta key holding (WARC path, offset of the response record)
META_KEY = "warc"
_DROPPED = {b"content-encoding", b"transfer-encoding", b"content-length"}


class WarcWriterRotating:
    """Appends records to `<dir>/newsarchive-<UTC start>-<pid>-<n>.warc.gz`, a new file past max_bytes."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.prefix = f"newsarchive-{datetime.now(timezone.utc):%Y%m%d%H%M%S}-{os.getpid()}"
        self.sequence = 0
        self.file: Any = None
        self.writer: WARCWriter | None = None
        self.path: Path | None = None

    def write(self, request: Request, response: Response) -> tuple[str, int]:
        if self.file is None or self.file.tell() >= self.max_bytes:
            self._rotate()
        assert self.writer is not None
        self.writer.write_record(self._request_record(request))
        offset = self.file.tell()
        self.writer.write_record(self._response_record(response))
        self.file.flush()
        return str(self.path), offset

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def _rotate(self) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = (self.directory / f"{self.prefix}-{self.sequence:05d}.warc.gz").resolve()
        self.sequence += 1
        self.file = open(self.path, "ab")
        self.writer = WARCWriter(self.file, gzip=True)
        info = self.writer.create_warcinfo_record(
            self.path.name, {"software": f"newsarchive/{__version__}", "format": "WARC File Format 1.1"}
        )
        self.writer.write_record(info)

    def _request_record(self, request: Request):
        target = request.url.split("/", 3)[3] if request.url.count("/") >= 3 else ""
        headers = StatusAndHeaders(
            f"{request.method} /{target} HTTP/1.1", _pairs(request.headers), is_http_request=True
        )
        assert self.writer is not None
        return self.writer.create_warc_record(
            request.url, "request", http_headers=headers, payload=io.BytesIO(request.body or b"")
        )

    def _response_record(self, response: Response):
        pairs = [(k, v) for k, v in _pairs(response.headers) if k.lower().encode() not in _DROPPED]
        pairs.append(("Content-Length", str(len(response.body))))
        headers = StatusAndHeaders(
            f"{response.status} {_reason(response.status)}", pairs, protocol="HTTP/1.1"
        )
        assert self.writer is not None
        return self.writer.create_warc_record(
            response.url, "response", http_headers=headers, payload=io.BytesIO(response.body)
        )


def _pairs(headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class WarcRecorder:
    """Scrapy extension: enabled by NEWSARCHIVE_WARC_DIR (`newsarchive crawl --warc DIR`)."""

    def __init__(self, writer: WarcWriterRotating) -> None:
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler) -> "WarcRecorder":
        directory = crawler.settings.get("NEWSARCHIVE_WARC_DIR")
        if not directory:
            raise NotConfigured("NEWSARCHIVE_WARC_DIR is not set")
        recorder = cls(
            WarcWriterRotating(Path(directory), crawler.settings.getint("NEWSARCHIVE_WARC_MAX_BYTES"))
        )
        crawler.signals.connect(recorder.response_received, signal=signals.response_received)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def response_received(self, response: Response, request: Request, spider) -> None:
        request.meta[META_KEY] = self.writer.write(request, response)

    def spider_closed(self, spider) -> None:
        self.writer.close()


def read_response(path: str | Path, offset: int) -> tuple[str, bytes, str | None]:
    """(URL, body, Content-Type) of the response record at `offset`."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        if record.rec_type != "response":
            raise ValueError(f"{path}@{offset}: a {record.rec_type} record, not a response")
        content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
        return record.rec_headers.get_header("WARC-Target-URI"), record.content_stream().read(), content_type
