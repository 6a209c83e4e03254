"""Downloader middlewares of the crawler, one module each (as Scrapy's own are): robots.txt,
the outlets' origins, redirect and meta-refresh loops, Retry-After. The crawl's settings name
them through this package."""

from crawler.middlewares.outlet_hosts import (
    HostPolicy,
    OutletHostsMiddleware,
    is_public,
    parse_address,
)
from crawler.middlewares.redirect_loops import RedirectLoopMiddleware
from crawler.middlewares.retry_after import RetryAfterMiddleware, retry_after_seconds
from crawler.middlewares.robots_txt import (
    ROBOTS_MAX_BYTES,
    RobotsTxtSizeMiddleware,
    SharedRobotsTxtMiddleware,
    UnreadableRobots,
    robots_rules,
)

__all__ = [
    "ROBOTS_MAX_BYTES",
    "HostPolicy",
    "OutletHostsMiddleware",
    "RedirectLoopMiddleware",
    "RetryAfterMiddleware",
    "RobotsTxtSizeMiddleware",
    "SharedRobotsTxtMiddleware",
    "UnreadableRobots",
    "is_public",
    "parse_address",
    "retry_after_seconds",
    "robots_rules",
]
