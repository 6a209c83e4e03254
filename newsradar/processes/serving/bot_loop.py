"""The Telegram bot answering commands (long polling) until the service stops.

Its backend (`newsradar.database.bot_backend`) runs every database call in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from newsradar.config import Config
from newsradar.database import Database
from newsradar.database.bot_backend import DatabaseBackend
from newsradar.processes.serving.telegram_health import (
    OK,
    UNAUTHORIZED,
    UNREACHABLE,
    TelegramHealth,
)
from newsradar.settings import Settings
from notifier.bot import build_bot
from notifier.redaction import redact

log = logging.getLogger("newsradar.serve")

MAX_RETRY_DELAY = 60.0


class BotLoop:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        config: Callable[[], Config],
        stopping: asyncio.Event,
        telegram: TelegramHealth | None = None,
    ) -> None:
        self.settings = settings
        self.backend = DatabaseBackend(db, config)
        self.stopping = stopping
        self.telegram = telegram or TelegramHealth()

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
            except InvalidToken:
                # Said once (TelegramHealth); tried again now and then, in case it is fixed.
                self.telegram.report(UNAUTHORIZED)
                delay = MAX_RETRY_DELAY
            except TelegramError as exc:
                self.telegram.report(UNREACHABLE)
                log.info(
                    "bot: Telegram unreachable (%s); retrying in %.0f s",
                    redact(str(exc), token),
                    delay,
                )
            else:
                self.telegram.report(OK)
                log.info("bot: answering commands")
                await self.stopping.wait()
                await _shut(app)
                return
            await _shut(app)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)


async def _shut(app: Application) -> None:
    with contextlib.suppress(Exception):
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
