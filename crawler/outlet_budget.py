"""Each outlet's budget for one run: requests, bytes and wall time, so one outlet cannot hold up
the others' crawl (and, with them, their alerts).

A downloader middleware sees every request of an outlet (`request.meta["outlet"]`): discovery
requests and sitemap children, redirect hops and retries alike, since each passes through it
again. Once one of the outlet's budgets is spent, the outlet stops where it is: the rest of its
requests are refused with `IgnoreRequest` (its errbacks report them), what it got is kept, and
`OutletRun.budget_exhausted` says which budget ran out. Other outlets never notice.

It also gives every response a total time (`NEWSRADAR_RESPONSE_SECONDS`, retries included) and
shrinks each request's `download_timeout` and `download_maxsize` to what the outlet has left,
so one slow or large answer cannot overrun the budget either.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.crawl_context import CrawlContext
from crawler.outlet_run import OutletRun

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

RESPONSE_SECONDS_SETTING = "NEWSRADAR_RESPONSE_SECONDS"
DEADLINE_META = "newsradar_response_deadline"


@dataclass
class Spent:
    """What an outlet has spent in its current run (a worker's run ends when its runs are
    taken: then `run` is no longer the context's and the count starts again)."""

    run: OutletRun
    started: float
    requests: int = 0
    bytes: int = 0


class OutletBudgetMiddleware:
    """Counts each outlet's requests, bytes and time, and refuses the outlet's requests once
    one of its budgets is spent. Registered first, so a refused request costs nothing else."""

    def __init__(self, crawler: Crawler, clock: Callable[[], float] = time.monotonic) -> None:
        self.context = CrawlContext.from_crawler(crawler)
        self.clock = clock
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.response_seconds = crawler.settings.getfloat(RESPONSE_SECONDS_SETTING)
        self.stats = crawler.stats
        self._spent: dict[str, Spent] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutletBudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        outlet_id = request.meta.get("outlet")
        outlet = self.context.outlets.get(outlet_id) if outlet_id else None
        now = self.clock()
        if outlet is None:  # robots.txt and the like: no outlet's budget, but a total time
            self._limit_response(request, now, math.inf, None)
            return
        spent = self._spent_by(outlet.id, now)
        budget = outlet.budget
        if spent.run.budget_exhausted is not None:
            raise IgnoreRequest(f"not fetched: {spent.run.budget_summary}")
        time_left = budget.seconds - (now - spent.started)
        if spent.requests >= budget.requests:
            self._exhaust(spent, f"{budget.requests} requests")
        if time_left <= 0:
            self._exhaust(spent, f"{budget.seconds:g} s")
        if spent.bytes >= budget.bytes:
            self._exhaust(spent, size(budget.bytes))
        spent.requests += 1
        self._limit_response(request, now, time_left, budget.bytes - spent.bytes)

    def _limit_response(
        self, request: Request, now: float, time_left: float, bytes_left: int | None
    ) -> None:
        """This answer's time and size: within what the outlet has left, and within the total
        time per response, counted from its first try (a retry gets only what remains)."""
        timeout = min(request.meta.get("download_timeout") or self.timeout, time_left)
        if self.response_seconds > 0:
            deadline = request.meta.setdefault(DEADLINE_META, now + self.response_seconds)
            if deadline <= now:
                raise IgnoreRequest(
                    f"no answer within {self.response_seconds:g} s (retries included)"
                )
            timeout = min(timeout, deadline - now)
        request.meta["download_timeout"] = timeout
        if bytes_left is None:
            return
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        request.meta["download_maxsize"] = min(maxsize, bytes_left) if maxsize else bytes_left

    def process_response(self, request: Request, response: Response) -> Response:
        outlet_id = request.meta.get("outlet")
        spent = self._spent.get(outlet_id) if outlet_id else None
        if spent is not None:
            spent.bytes += len(response.body) + sum(
                len(name) + sum(len(value) for value in values)
                for name, values in response.headers.items()
            )
        return response  # kept, even when it spent the last of the budget

    def _spent_by(self, outlet_id: str, now: float) -> Spent:
        run = self.context.runs.setdefault(outlet_id, OutletRun(outlet_id))
        spent = self._spent.get(outlet_id)
        if spent is None or spent.run is not run:
            spent = self._spent[outlet_id] = Spent(run, now)
        return spent

    def _exhaust(self, spent: Spent, what: str) -> NoReturn:
        spent.run.budget_exhausted = what
        if self.stats is not None:
            self.stats.inc_value("newsradar/budget_exhausted")
        reason = spent.run.budget_summary
        log.warning("%s: %s; it stops here until its next run", spent.run.outlet_id, reason)
        raise IgnoreRequest(f"not fetched: {reason}")


def size(count: int) -> str:
    return f"{count / 2**20:g} MB" if count >= 2**20 else f"{count / 2**10:g} KiB"
