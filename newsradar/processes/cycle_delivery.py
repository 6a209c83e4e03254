"""`run-once`'s matching and delivery while its crawl goes on, as `serve` does them.

An outlet's alerts go out as soon as its articles are stored and matched, not after the slowest
outlet of the run has finished. The crawl's store says when articles were stored (`soon()`,
from any thread); one round at a time matches what is pending and delivers what is due, and
stores that come during a round make one more round after it. After the crawl, `finish()` runs
the last round, which matches and delivers whatever is left, as the cycle always did.

Nothing is lost or doubled by this: matching writes the outbox rows in the transaction that
marks the article matched, and delivery claims each chat's rows before sending them, exactly as
in the final round. When a round leaves alerts for a retry (Telegram down, or asking to wait),
no more is sent in this run (the last round only matches): a run still tries Telegram once,
never waits out its flood control, and what is left goes out on the next run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import TypeVar

from notifier.alert_queue import MatchReport
from notifier.delivery import DeliveryReport

log = logging.getLogger("newsradar")

Match = Callable[[], MatchReport]  # blocking: run in a thread
Deliver = Callable[[], Awaitable[DeliveryReport]]
Report = TypeVar("Report", MatchReport, DeliveryReport)


def add_reports(total: Report, more: Report) -> None:
    """Add every count of `more` into `total`; a flag is set when either has it."""
    for name in (f.name for f in fields(total)):
        mine, theirs = getattr(total, name), getattr(more, name)
        setattr(total, name, (mine or theirs) if isinstance(mine, bool) else mine + theirs)


class CycleDelivery:
    """Match-and-deliver rounds during a crawl, one at a time, and the last one after it."""

    def __init__(self, match: Match, deliver: Deliver) -> None:
        self.match = match
        self.deliver = deliver
        self.matching = MatchReport()
        self.delivery = DeliveryReport()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = False
        self._paused = False  # a round failed: the last round alone tries again
        self._held = False  # Telegram had trouble: nothing more is sent in this run
        self._running: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    def soon(self) -> None:
        """Articles were stored (called from the store's thread): a round once it has returned."""
        if self._loop is not None and not self._due and not (self._paused or self._held):
            self._due = True
            self._loop.call_soon_threadsafe(self._start_round)

    async def finish(self) -> None:
        """After the crawl: the round in progress ends, then the last round runs."""
        self._loop = None  # no more rounds during the crawl
        self._due = False
        if self._running is not None:
            await self._running
        await self._round()

    def _start_round(self) -> None:
        if self._loop is not None and (self._running is None or self._running.done()):
            self._running = asyncio.create_task(self._rounds(), name="run-once delivery")

    async def _rounds(self) -> None:
        while self._due and not (self._paused or self._held) and self._loop is not None:
            self._due = False
            try:
                await self._round()
            except Exception:  # the final round matches and delivers it all again
                log.exception("matching or delivery during the crawl failed; retried at its end")
                self._paused = True

    async def _round(self) -> None:
        matched = await asyncio.to_thread(self.match)
        add_reports(self.matching, matched)
        if self._held:
            return
        delivered = await self.deliver()
        add_reports(self.delivery, delivered)
        if delivered.retry_later or delivered.unauthorized or delivered.uncertain:
            self._held = True  # Telegram is in trouble: the next run tries again
