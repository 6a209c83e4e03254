"""Messages to operators (an outlet broke, a config edit was refused) go through the outbox too,
so they survive a Telegram outage and a restart like alerts do."""

from __future__ import annotations

from collections.abc import Iterable

from newsradar.database import Database
from newsradar.database.outbox_store import add_notice

__all__ = ["add_notice", "queue_notice"]


def queue_notice(db: Database, chats: Iterable[int], html: str) -> int:
    """Queue the message in a transaction of its own; how many chats it goes to."""
    with db.session() as session, session.begin():
        return add_notice(session, chats, html)
