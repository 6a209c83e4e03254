"""Outlets that misbehave, served over real HTTP on their own loopback addresses.

Each :class:`HostileSite` is one outlet on one address (127.0.0.10 and up, apart from the sample
outlets on 127.0.0.1-3), so the crawler sees a distinct host per outlet. A route maps a path to a
behaviour that writes to the raw connection: it can stall, reset, lie about its length, stream
60 MB or send a gzip bomb. Every request is counted per path, so tests can assert what was (or
was never) fetched.
"""

from __future__ import annotations

import collections
import contextlib
import random
import socket
import sqlite3
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

Behaviour = Callable[["HostileHandler"], None]


class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Hostile/1.0"
    site: HostileSite

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.site.count(path)
        behaviour = self.site.routes.get(path) or self.site.fallback
        # The crawler hanging up on a page it did not want is the point, not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            behaviour(self)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""

    # Helpers for behaviours ------------------------------------------------------------------
    def reply(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


class HostileSite:
    """One outlet on one loopback address; use as a context manager."""

    def __init__(self, host: str, routes: dict[str, Behaviour] | None = None) -> None:
        self.host = host
        self.routes: dict[str, Behaviour] = dict(routes or {})
        self.fallback: Behaviour = not_found
        self.base_url = ""
        self._lock = threading.Lock()
        self._requests: collections.Counter[str] = collections.Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.released = threading.Event()  # set on stop: stalled handlers give up their threads

    def url(self, path: str) -> str:
        return self.base_url + path

    def count(self, path: str) -> None:
        with self._lock:
            self._requests[path] += 1

    def requests(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(self._requests)

    def start(self) -> HostileSite:
        handler = type("Handler", (HostileHandler,), {"site": self})
        self._server = ThreadingHTTPServer((self.host, 0), handler)
        self._server.daemon_threads = True
        self.base_url = f"http://{self.host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"hostile-{self.host}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> HostileSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- pages ------------------------------------------------------------------------------------
def article_html(title: str, paragraphs: list[str], published: datetime | None = None) -> str:
    """A plain, well-formed article page with a publication date."""
    stamp = (published or datetime.now(UTC)).isoformat()
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>"
        f'<meta property="article:published_time" content="{stamp}"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def listing_html(links: list[str]) -> str:
    anchors = "\n".join(f'<li><a href="{href}">Story {i}</a></li>' for i, href in enumerate(links))
    return f"<!DOCTYPE html><html><body><ul>{anchors}</ul></body></html>"


# --- behaviours -------------------------------------------------------------------------------
def not_found(handler: HostileHandler) -> None:
    handler.reply(404, b"<html><body>Not found</body></html>")


def page(
    body: bytes | str,
    content_type: str | None = "text/html; charset=utf-8",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Behaviour:
    payload = body.encode("utf-8") if isinstance(body, str) else body

    def behaviour(handler: HostileHandler) -> None:
        handler.reply(status, payload, content_type, headers)

    return behaviour


def stall(seconds: float) -> Behaviour:
    """Accept the request and say nothing (longer than the crawler's time-out)."""

    def behaviour(handler: HostileHandler) -> None:
        handler.site.released.wait(seconds)

    return behaviour


def reset(handler: HostileHandler) -> None:
    """Read the request, then drop the connection with a TCP RST."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()


def redirect(location: str, status: int = 302) -> Behaviour:
    def behaviour(handler: HostileHandler) -> None:
        handler.reply(status, b"", headers={"Location": location})

    return behaviour


def truncated(handler: HostileHandler) -> None:
    """Promise 20,000 bytes, send a few hundred, hang up."""
    handler.reply(200, b"<html><body><article><p>The start of a story", length=20_000)


def endless(megabytes: int) -> Behaviour:
    """A page of ``megabytes`` MB with no Content-Length: the end is when the server hangs up."""

    def behaviour(handler: HostileHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"<p>" + b"filler " * 145 + b"</p>\n"  # about 1 KB
        handler.wfile.write(b"<html><body><article>")
        for _ in range(megabytes * 1024):
            if handler.site.released.is_set():
                return
            handler.wfile.write(chunk)

    return behaviour


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip stream of a few hundred KB that inflates to ``megabytes`` MB of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(megabytes)]
    parts.append(compressor.flush())
    return b"".join(parts)


def random_bytes(size: int, seed: int = 9) -> bytes:
    return random.Random(seed).randbytes(size)


def _sitemap_document(root: str, entry: str, locations: list[str]) -> bytes:
    entries = "".join(f"<{entry}><loc>{loc}</loc></{entry}>\n" for loc in locations)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</{root}>\n"
    ).encode()


def sitemap(urls: list[str]) -> bytes:
    return _sitemap_document("urlset", "url", urls)


def sitemap_index(children: list[str]) -> bytes:
    return _sitemap_document("sitemapindex", "sitemap", children)


@dataclass
class HostileRun:
    """One `run-once` against hostile outlets: what it said, stored and left in `status`."""

    stderr: str
    stdout: str
    db: Path
    sites: dict[str, HostileSite]
    seconds: float = 0.0
    status: str = ""

    def report(self, outlet_id: str) -> str:
        marker = f"newsradar: {outlet_id} ("  # the run summary, one line per outlet
        lines = [line for line in self.stderr.splitlines() if marker in line]
        assert lines, f"no report for {outlet_id}"
        return lines[0]

    def stored(self) -> set[tuple[str, str]]:
        with sqlite3.connect(self.db) as db:
            return set(db.execute("select outlet_id, title from articles"))

    def titles(self, outlet_id: str) -> set[str]:
        return {title for outlet, title in self.stored() if outlet == outlet_id}
