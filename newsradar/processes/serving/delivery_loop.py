"""Delivery rounds: the outbox drained at Telegram's pace, as soon as alerts are queued.

`deliver_pending` does its own database work in threads; the count of what is left, for
/metrics, is read in one too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from newsradar.config import Config
from newsradar.database import Database
from newsradar.database.outbox_store import OutboxStore
from newsradar.operations.metrics import Metrics
from newsradar.processes.printed_alerts import send_printed_earlier
from newsradar.processes.serving.telegram_health import TelegramHealth
from notifier.delivery import DeliveryReport, deliver_pending
from notifier.sender import Sender, StdoutSender, TelegramSender

log = logging.getLogger("newsradar.serve")


@contextlib.asynccontextmanager
async def open_sender(token: str | None, api_url: str) -> AsyncIterator[tuple[Sender, bool]]:
    """The Telegram sender, or with no token the alerts printed as plain text (`True`)."""
    if not token:
        yield StdoutSender(sys.stdout), True
        return
    async with TelegramSender(token, api_url) as sender:
        yield sender, False


class DeliveryLoop:
    """A delivery round whenever `wake()` is called, and every `interval` seconds besides."""

    def __init__(
        self,
        db: Database,
        config: Callable[[], Config],
        metrics: Metrics,
        interval: float,
        stopping: asyncio.Event,
        *,
        telegram: TelegramHealth | None = None,
        resend_pause: float = 60.0,
    ) -> None:
        self.db = db
        self.config = config
        self.metrics = metrics
        self.interval = interval
        self.stopping = stopping
        self.telegram = telegram or TelegramHealth()
        self.resend_pause = timedelta(seconds=resend_pause)
        self._now = asyncio.Event()

    def wake(self) -> None:
        self._now.set()

    async def run(self, sender: Sender, plain: bool) -> None:
        """Rounds until stopped.

        Rounds overlap: one still waiting on a slow chat (a group's pace, a flood wait) does not
        hold back the next, which leaves that chat to it (each chat has one sender at a time)
        and sends the others' new alerts. After a stop, one last round, and the running ones
        are awaited (the caller bounds how long). With a token, alerts printed earlier without
        one are first sent or set aside (newsradar.processes.printed_alerts)."""
        if not plain:
            await self._printed_earlier()
        rounds: set[asyncio.Task[None]] = set()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._now.wait(), timeout=self.interval)
            self._now.clear()
            delivery = asyncio.create_task(self._round(sender, plain))
            rounds.add(delivery)
            delivery.add_done_callback(rounds.discard)
            if self.stopping.is_set():
                await asyncio.gather(*rounds)
                return

    async def _round(self, sender: Sender, plain: bool) -> None:
        try:
            names = {o.id: o.name for o in self.config().outlets}
            report = await deliver_pending(
                OutboxStore(self.db),
                sender,
                outlet_names=names,
                plain=plain,
                resend_pause=self.resend_pause,
            )
            self.metrics.outbox_pending.set(
                await asyncio.to_thread(OutboxStore(self.db).count_pending)
            )
        except Exception:
            log.exception("delivery round failed; the outbox keeps every message")
            return
        self._observe(report)
        if report.sent:
            # Alerts queued meanwhile for the chats this round held were left to it: another
            # round takes them now, not at the next tick.
            self.wake()

    def _observe(self, report: DeliveryReport) -> None:
        self.metrics.alerts_sent.inc(report.sent)
        self.metrics.alerts_failed.inc(report.failed)
        self.metrics.alerts_uncertain.inc(report.uncertain)
        self.metrics.alerts_printed.inc(report.printed)
        self.telegram.report(report.telegram)

    async def _printed_earlier(self) -> None:
        try:
            printed = await asyncio.to_thread(send_printed_earlier, self.config(), self.db)
        except Exception:
            log.exception("could not look for alerts printed earlier; they stay as they are")
            return
        line = printed.describe()
        if line:
            log.warning("%s", line)
