"""Matching as articles are stored: pending articles against the watchlists, alerts queued.

A round runs in a thread (it reads and writes the database); one round at a time, and stores
that come while one runs make one more round after it, not one each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from newsradar.config import Config
from newsradar.database import Database
from newsradar.database.match_store import MatchStore
from newsradar.operations.metrics import Metrics
from notifier.alert_queue import AlertQueue, MatchReport

log = logging.getLogger("newsradar.serve")


class MatchLoop:
    """`soon()` asks for a round (from any thread); `on_queued` is told when alerts were queued."""

    def __init__(
        self,
        db: Database,
        config: Callable[[], Config],
        metrics: Metrics,
        on_queued: Callable[[], None],
    ) -> None:
        self.db = db
        self.config = config
        self.metrics = metrics
        self.on_queued = on_queued
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = False
        self._running: asyncio.Task[None] | None = None
        self._alerts: AlertQueue | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    def soon(self) -> None:
        """Articles were stored: match them once the code that stored them has returned (several
        stores before then make one round)."""
        if self._loop is not None and not self._due:
            self._due = True
            self._loop.call_soon_threadsafe(self._start_round)

    async def wait(self, timeout: float) -> None:
        """Let a round in progress finish (at stop), for at most `timeout` seconds."""
        if self._running is not None:
            await asyncio.wait({self._running}, timeout=timeout)

    def _start_round(self) -> None:
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._rounds(), name="matching")

    async def _rounds(self) -> None:
        while self._due:
            self._due = False
            try:
                report = await asyncio.to_thread(self._match, self.config())
            except Exception:
                log.exception("matching failed; the articles are matched in the next round")
                continue
            self.metrics.matches.inc(report.matches)
            self.metrics.alerts_queued_total.inc(report.alerts_queued)
            if report.alerts_queued:
                self.on_queued()

    def _match(self, config: Config) -> MatchReport:
        """In a thread, one at a time: match what is pending."""
        watchlists = config.watchlists
        if self._alerts is None or self._alerts.config_watchlists is not watchlists:
            self._alerts = AlertQueue(
                MatchStore(self.db), watchlists
            )  # built once per watchlist edit
        return self._alerts.process_pending()
