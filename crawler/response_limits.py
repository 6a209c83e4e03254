"""Limits on a response's headers: how many lines and how many bytes.

`DOWNLOAD_MAXSIZE` bounds only the body; Twisted's HTTP parser keeps every header line it is
sent, so a server that sends headers endlessly grew a crawl's memory without bound. This is
Scrapy's HTTP/1.1 download handler with a parser that counts the status and header lines and
gives the response up (a failed download, reported against its page) once either limit is
passed. The handler, its connection pool's protocol factory and the lenient parser it builds on
are Scrapy internals: `tests/contracts/test_dependency_hooks.py` checks they are still there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred
    from twisted.web.iweb import IResponse

MAX_HEADER_LINES_SETTING = "NEWSRADAR_MAX_HEADER_LINES"
MAX_HEADER_BYTES_SETTING = "NEWSRADAR_MAX_HEADER_BYTES"
DEFAULT_MAX_HEADER_LINES = 200
DEFAULT_MAX_HEADER_BYTES = 128 * 1024


class HeadersTooLarge(Exception):
    """The response's headers passed a limit; the connection is dropped."""


class _BoundedParser(_LenientHTTPClientParser):
    """Scrapy's lenient parser, counting what it is sent before the body."""

    max_lines = DEFAULT_MAX_HEADER_LINES
    max_bytes = DEFAULT_MAX_HEADER_BYTES
    lines_seen = 0
    bytes_seen = 0

    def lineReceived(self, line: bytes) -> None:
        self.lines_seen += 1
        self.bytes_seen += len(line) + 2
        if self.lines_seen > self.max_lines + 1:  # the status line is not a header
            raise HeadersTooLarge(f"more than {self.max_lines} response header lines")
        if self.bytes_seen > self.max_bytes:
            raise HeadersTooLarge(f"response headers over {self.max_bytes // 1024} KiB")
        super().lineReceived(line)


class _BoundedProtocol(_LenientHTTP11ClientProtocol):
    max_lines = DEFAULT_MAX_HEADER_LINES
    max_bytes = DEFAULT_MAX_HEADER_BYTES

    def request(self, request: Any) -> Deferred[IResponse]:
        answer = super().request(request)
        if self._parser is not None:  # as in Scrapy's protocol: a new parser for every request
            self._parser.__class__ = _BoundedParser
            parser = cast(_BoundedParser, self._parser)
            parser.max_lines = self.max_lines
            parser.max_bytes = self.max_bytes
        return answer


class _BoundedFactory(_LenientHTTP11ClientFactory):
    max_lines = DEFAULT_MAX_HEADER_LINES
    max_bytes = DEFAULT_MAX_HEADER_BYTES

    def buildProtocol(self, addr: Any) -> _BoundedProtocol:
        protocol = _BoundedProtocol(self._quiescentCallback)
        protocol.max_lines = self.max_lines
        protocol.max_bytes = self.max_bytes
        return protocol


class BoundedHeadersDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler whose responses may carry at most `NEWSRADAR_MAX_HEADER_LINES`
    header lines and `NEWSRADAR_MAX_HEADER_BYTES` bytes of status line and headers."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        limits = {
            "max_lines": settings.getint(MAX_HEADER_LINES_SETTING, DEFAULT_MAX_HEADER_LINES),
            "max_bytes": settings.getint(MAX_HEADER_BYTES_SETTING, DEFAULT_MAX_HEADER_BYTES),
        }
        self._pool._factory = _factory_with(**limits)


def _factory_with(max_lines: int, max_bytes: int) -> type[_BoundedFactory]:
    """A factory class with these limits (the pool builds one factory per connection)."""

    class Factory(_BoundedFactory):
        pass

    Factory.max_lines, Factory.max_bytes = max_lines, max_bytes
    return Factory
