"""One full cycle: crawl, store, match, deliver. `run-once` and `demo` are both this."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

from crawler.outlet_run import OutletRun
from newsradar.config import Config
from newsradar.database import Database
from newsradar.database.match_store import MatchStore
from newsradar.database.outbox_store import OutboxStore
from newsradar.processes.crawling import crawl, crawl_runner
from newsradar.processes.cycle_delivery import CycleDelivery
from newsradar.processes.printed_alerts import PrintedEarlier, send_printed_earlier
from newsradar.settings import Settings
from notifier.alert_queue import AlertQueue, MatchReport
from notifier.delivery import DeliveryReport, deliver_pending
from notifier.sender import Sender, StdoutSender, TelegramSender


@dataclass
class CycleReport:
    runs: dict[str, OutletRun]
    matching: MatchReport
    delivery: DeliveryReport
    printed_earlier: PrintedEarlier


async def cycle(
    config: Config,
    settings: Settings,
    db: Database,
    *,
    out: TextIO = sys.stdout,
    print_only: bool = False,
    log_level: str = "WARNING",
) -> CycleReport:
    """Run it inside `newsradar.processes.event_loop.run`: a process runs that event loop once.

    Each outlet's alerts are matched and delivered as its articles are stored, while the other
    outlets are still crawled (see `CycleDelivery`); what is left goes out once the crawl ends.
    Alerts printed earlier, before a token was set, are sent or set aside first."""
    alerts = AlertQueue(MatchStore(db), config.watchlists)
    outbox, names = OutboxStore(db), {o.id: o.name for o in config.outlets}
    printed = PrintedEarlier()
    if settings.telegram_token and not print_only:
        printed = await asyncio.to_thread(send_printed_earlier, config, db)
    pause = timedelta(seconds=settings.resend_pause)
    async with _sender(settings, out, print_only) as (sender, plain):
        rounds = CycleDelivery(
            alerts.process_pending,
            lambda: deliver_pending(
                outbox, sender, outlet_names=names, plain=plain, resend_pause=pause
            ),
        )
        rounds.start()
        runs = await crawl(
            crawl_runner(config, log_level),
            config,
            db,
            config.enabled_outlets,
            operator_chats=settings.operator_chats,
            on_stored=rounds.soon,
        )
        await rounds.finish()
    return CycleReport(runs, rounds.matching, rounds.delivery, printed)


@contextlib.asynccontextmanager
async def _sender(
    settings: Settings, out: TextIO, print_only: bool
) -> AsyncIterator[tuple[Sender, bool]]:
    """Telegram, or the alerts printed as plain text (`True`) without a token."""
    if print_only or not settings.telegram_token:
        yield StdoutSender(out), True
        return
    async with TelegramSender(settings.telegram_token, settings.telegram_api_url) as sender:
        yield sender, False
