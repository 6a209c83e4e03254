"""The Telegram bot answering commands (long polling) until the service stops.

Its backend (`newsradar.database.bot_backend`) runs every database call in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram.error import TelegramError
from telegram.ext import Application

from newsradar.config import Config
from newsradar.database import Database
from newsradar.database.bot_backend import DatabaseBackend
from newsradar.settings import Settings
from notifier.bot import build_bot

log = logging.getLogger("newsradar.serve")

MAX_RETRY_DELAY = 60.0


class BotLoop:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        config: Callable[[], Config],
        stopping: asyncio.Event,
    ) -> None:
        self.settings = settings
        self.backend = DatabaseBackend(db, config)
        self.stopping = stopping

    async def run(self) -> None:
        """Answer commands until stopped; if Telegram cannot be reached, keep trying meanwhile."""
        token = self.settings.telegram_token
        if not token:
            return
        delay = 1.0
        while not self.stopping.is_set():
            app = build_bot(
                token, self.settings.telegram_api_url, self.backend, self.settings.operator_chats
            )
            try:
                await app.initialize()
                await app.start()
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0.0, timeout=10)
            except TelegramError as exc:
                log.warning("bot: Telegram unreachable (%s); retrying in %.0f s", exc, delay)
                await _shut(app)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)
                continue
            log.info("bot: answering commands")
            await self.stopping.wait()
            await _shut(app)
            return


async def _shut(app: Application) -> None:
    with contextlib.suppress(Exception):
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
