"""Messages to operators (an outlet broke, a config edit was refused) go through the outbox too,
so they survive a Telegram outage and a restart like alerts do."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from newsradar.database import Database, OutboxRow


def add_notice(session: Session, chats: Iterable[int], html: str) -> int:
    """Add one Telegram-HTML message per operator chat to the caller's transaction."""
    chats = sorted(set(chats))
    for chat_id in chats:
        session.add(
            OutboxRow(
                kind="notice",
                article_id=None,
                chat_id=chat_id,
                payload={"text": html},
                status="pending",
                attempts=0,
            )
        )
    return len(chats)


def queue_notice(db: Database, chats: Iterable[int], html: str) -> int:
    """Queue the message in a transaction of its own; how many chats it goes to."""
    with db.session() as session, session.begin():
        return add_notice(session, chats, html)
