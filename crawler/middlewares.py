"""Downloader middlewares of the crawler."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """robots.txt obeyed by every request that waits for the same host's rules.

    The stock middleware hands the pending parser to each waiting request by turning one shared
    Deferred into a future per waiter; the first waiter consumes the result and the later ones
    receive None, which means "no rules", so pages robots.txt forbids were fetched whenever three
    or more requests to a new host started together. Each waiter here gets its own relay.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        waiter: Deferred[RobotParser | None] = Deferred()

        def relay(result: Any) -> Any:
            waiter.callback(result)
            return result

        pending.addBoth(relay)
        return await maybe_deferred_to_future(waiter)
