"""A loopback HTTP server for rendered sites: the offline demo and the crawl tests' fixture server.

Routes by Host header (several outlets on one port), answers conditional GETs from ETag and
Last-Modified, can play a sequence of responses for one path (503 then 200), keeps a
request log so tests can assert what was downloaded, and can hold a host's pages at a gate so
a test stops a crawl at a known point whatever the machine's speed (`gate_dir`).
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

LAST_MODIFIED = "Mon, 02 Jun 2025 10:00:00 GMT"


@dataclass
class Resource:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    then: list["Resource"] = field(default_factory=list)  # answers to later requests, the last repeating
    validators: bool = True  # send ETag / Last-Modified and honour conditional requests
    length: bool = True  # send Content-Length (else the body ends when the connection closes)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


def redirect(location: str, status: int = 301) -> Resource:
    return Resource(status=status, headers={"Location": location}, validators=False)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        sites: dict[str, dict[str, Resource]],
        log_path: Path | None = None,
        port: int = 0,
        gate_dir: Path | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.sites = sites
        self.log_path = log_path
        self.hits: dict[tuple[str, str], int] = {}
        self.lock = threading.Lock()
        # A file <gate_dir>/<host> holding N: that host's first N HTML pages are served, later
        # ones wait until the file is removed (and <host>.held says that one is waiting).
        self.gate_dir = gate_dir
        self.gate_passed: dict[tuple[str, int, int], int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "SiteServer":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def pick(self, host: str, path: str) -> Resource | None:
        site = self.sites.get(host) or self.sites.get("*") or {}
        resource = site.get(path)
        if resource is None:
            return None
        with self.lock:
            count = self.hits.get((host, path), 0)
            self.hits[(host, path)] = count + 1
        sequence = [resource, *resource.then]
        return sequence[min(count, len(sequence) - 1)]

    def wait_at_gate(self, host: str, timeout: float = 120) -> None:
        if self.gate_dir is None:
            return
        gate = self.gate_dir / host
        try:
            stat = gate.stat()
            allowed = int(gate.read_text())
        except (OSError, ValueError):
            return  # no gate: serve
        with self.lock:
            key = (host, stat.st_ino, stat.st_mtime_ns)  # a gate set anew counts from zero
            passed = self.gate_passed.get(key, 0)
            self.gate_passed[key] = passed + 1
        if passed < allowed:
            return
        (self.gate_dir / f"{host}.held").touch()
        deadline = time.monotonic() + timeout
        while gate.exists() and time.monotonic() < deadline:
            time.sleep(0.02)

    def handle_error(self, request, client_address) -> None:
        # A crawler that drops a download on purpose (too large) resets the connection: not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)

    def record(self, entry: dict) -> None:
        if self.log_path is not None:
            with self.lock, open(self.log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")


class _Handler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # the request log replaces stderr chatter
        return

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        path = urlsplit(self.path).path or "/"
        query = urlsplit(self.path).query
        resource = self.server.pick(host, path + ("?" + query if query else "")) or self.server.pick(
            host, path
        )
        status = self._answer(resource)
        self.server.record(
            {
                "host": host,
                "path": self.path,
                "status": status,
                "at": time.time(),
                "conditional": bool(
                    self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")
                ),
            }
        )

    def _answer(self, resource: Resource | None) -> int:
        if resource is None:
            return self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html", {})
        if resource.content_type.startswith("text/html"):
            self.server.wait_at_gate((self.headers.get("Host") or "").split(":")[0].lower())
        headers = dict(resource.headers)
        if resource.validators and resource.status == 200:
            headers.setdefault("ETag", resource.etag)
            headers.setdefault("Last-Modified", LAST_MODIFIED)
            if self._not_modified(headers):
                return self._send(304, b"", None, {"ETag": headers["ETag"]})
        if not resource.length:
            self.close_connection = True
            headers["Connection"] = "close"
        return self._send(resource.status, resource.body, resource.content_type, headers, resource.length)

    def _not_modified(self, headers: dict[str, str]) -> bool:
        if self.headers.get("If-None-Match"):
            return self.headers["If-None-Match"] == headers["ETag"]
        since = self.headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            return parsedate_to_datetime(since) >= parsedate_to_datetime(headers["Last-Modified"])
        except (TypeError, ValueError):
            return False

    def _send(
        self, status: int, body: bytes, content_type: str | None, headers: dict[str, str], length: bool = True
    ) -> int:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status
