"""One full cycle: crawl, store, match, deliver. `run-once` and `demo` are both this."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

from crawler.outlet_run import OutletRun
from newsradar.config import Config
from newsradar.database import Database
from newsradar.database.match_store import MatchStore
from newsradar.database.outbox_store import OutboxStore
from newsradar.processes.crawling import crawl, crawl_runner
from newsradar.processes.printed_alerts import PrintedEarlier, send_printed_earlier
from newsradar.settings import Settings
from notifier.alert_queue import AlertQueue, MatchReport
from notifier.delivery import DeliveryReport, deliver_pending
from notifier.sender import StdoutSender, TelegramSender


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
    """Run it inside `newsradar.processes.event_loop.run`: a process runs that event loop once."""
    runs = await crawl(
        crawl_runner(config, log_level),
        config,
        db,
        config.enabled_outlets,
        operator_chats=settings.operator_chats,
    )
    matching = await asyncio.to_thread(
        AlertQueue(MatchStore(db), config.watchlists).process_pending
    )
    printed = PrintedEarlier()
    if settings.telegram_token and not print_only:
        printed = await asyncio.to_thread(send_printed_earlier, config, db)
    delivery = await _deliver(config, settings, db, out, print_only)
    return CycleReport(runs, matching, delivery, printed)


async def _deliver(
    config: Config, settings: Settings, db: Database, out: TextIO, print_only: bool
) -> DeliveryReport:
    store, names = OutboxStore(db), {o.id: o.name for o in config.outlets}
    if print_only or not settings.telegram_token:
        return await deliver_pending(store, StdoutSender(out), outlet_names=names, plain=True)
    pause = timedelta(seconds=settings.resend_pause)
    async with TelegramSender(settings.telegram_token, settings.telegram_api_url) as sender:
        return await deliver_pending(store, sender, outlet_names=names, resend_pause=pause)
