"""A database, a config and stored articles for tests of the bot and of delivery."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from telegram.ext import Application

from newsradar.config import Config, load_config
from newsradar.database import Article, Database, utcnow
from newsradar.database.bot_backend import DatabaseBackend
from newsradar.database.match_store import MatchStore
from newsradar.database.outbox_store import OutboxStore
from notifier.alert_queue import AlertQueue
from notifier.bot import build_bot
from notifier.delivery import DeliveryReport, deliver_pending
from notifier.sender import TelegramSender
from tests.support.botapi import FakeBotApi

OUTLETS = [
    {
        "id": "statecraft",
        "name": "Responsible Statecraft",
        "feeds": ["http://127.0.0.1:9/feed.rss"],
    },
    {
        "id": "warontherocks",
        "name": "War on the Rocks",
        "listing_pages": ["http://127.0.0.1:9/"],
        "enabled": False,
    },
]
_serial = itertools.count(1)


@dataclass
class Newsroom:
    """Config directory plus SQLite database, with helpers to store and match articles."""

    root: Path
    db: Database
    config: Config

    @classmethod
    def create(cls, root: Path, watchlists: list[dict[str, Any]]) -> Newsroom:
        write_config(root / "config", watchlists)
        db = Database(f"sqlite:///{root / 'newsradar.db'}")
        return cls(root, db, load_config(root / "config"))

    def reconfigure(self, watchlists: list[dict[str, Any]]) -> None:
        write_config(self.root / "config", watchlists)
        self.config = load_config(self.root / "config")

    def backend(self) -> DatabaseBackend:
        return DatabaseBackend(self.db, lambda: self.config)

    def add_article(
        self,
        title: str,
        text: str = "",
        *,
        outlet_id: str = "statecraft",
        published: datetime | None = None,
        age: timedelta = timedelta(hours=1),
        language: str | None = "en",
    ) -> int:
        """Store an alertable article (not yet matched); returns its id."""
        serial = next(_serial)
        now = utcnow()
        with self.db.session() as session, session.begin():
            article = Article(
                outlet_id=outlet_id,
                url=f"https://example.org/{serial}",
                canonical_url=f"https://example.org/{serial}",
                title=title,
                author=None,
                published=published or now - age,
                language=language,
                text=text or f"{title}. A report on the matter, number {serial}.",
                fingerprint=serial,
                fp_band0=serial,
                fp_band1=serial,
                fp_band2=serial,
                fp_band3=serial,
                lead=f"lead{serial}",
                fetched_at=now - age,
                alertable=True,
            )
            session.add(article)
            session.flush()
            return article.id

    def match(self) -> int:
        """Match pending articles; returns the number of alerts queued."""
        queue = AlertQueue(MatchStore(self.db), self.config.watchlists)
        return queue.process_pending().alerts_queued

    def query(self, sql: str, *params: object) -> list[tuple]:
        with self.db.engine.connect() as connection:
            return [tuple(r) for r in connection.exec_driver_sql(sql, params).fetchall()]


def write_config(directory: Path, watchlists: list[dict[str, Any]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "outlets.yaml").write_text(yaml.safe_dump({"outlets": OUTLETS}, sort_keys=False))
    (directory / "watchlists.yaml").write_text(
        yaml.safe_dump({"watchlists": watchlists}, sort_keys=False)
    )


@asynccontextmanager
async def running_bot(
    server: FakeBotApi, backend: Any, operator_chats: Iterable[int] = ()
) -> AsyncIterator[Application]:
    """The bot as the service runs it: initialised, started, long-polling the local server."""
    app = build_bot(server.token, server.url, backend, operator_chats)
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def converse(
    server: FakeBotApi,
    room: Newsroom,
    scenario: Callable[[], Awaitable[None]],
    operator_chats: Iterable[int] = (),
) -> None:
    """Run one exchange with the bot, as a test's whole conversation."""

    async def main() -> None:
        async with running_bot(server, room.backend(), operator_chats):
            await scenario()

    asyncio.run(main())


# Sends at once, so a test waits for nothing Telegram's pace would impose.
QUICK_SENDER: dict[str, Any] = {"per_chat_interval": 0.0, "group_per_minute": 0, "timeout": 3.0}


async def deliver_queued(server: FakeBotApi, room: Newsroom) -> DeliveryReport:
    """Send what the room's outbox holds to the local Bot API server."""
    async with TelegramSender(server.token, server.url, **QUICK_SENDER) as sender:
        names = {o.id: o.name for o in room.config.outlets}
        return await deliver_pending(OutboxStore(room.db), sender, outlet_names=names)


async def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the bot")
        await asyncio.sleep(0.01)


async def ask(server: FakeBotApi, chat_id: int, text: str, **options: Any) -> str:
    """Send a message as a user and return the text of the bot's one reply to that chat."""
    before = len(server.messages_to(chat_id))
    server.push_message(chat_id, text, **options)
    await wait_for(lambda: len(server.messages_to(chat_id)) > before)
    await asyncio.sleep(0.05)  # a second reply would be a bug: let it show up
    replies = server.messages_to(chat_id)[before:]
    assert len(replies) == 1, [r["plain_text"] for r in replies]
    return replies[0]["plain_text"]
