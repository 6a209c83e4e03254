"""From the outbox to the chats.

Rows are sent chat by chat (each chat's alerts in order, chats side by side, the sender keeping
Telegram's pace) and a row is marked sent only after Telegram accepted it. A row that cannot go
now stays pending for the next run; a chat that blocked the bot is marked gone instead of being
retried forever.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update

from newsradar.config import Config
from newsradar.storage import Article, Chat, Database, OutboxRow, Subscription, utcnow
from notifier.render import AlertView, render_alert, render_plain
from notifier.sender import Outcome, Outgoing, Sender, SendResult

MAX_ATTEMPTS = 20


@dataclass
class DeliveryReport:
    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    chats_gone: int = 0


def alert_view(row: OutboxRow, article: Article, config: Config) -> AlertView:
    outlet = config.outlet(article.outlet_id)
    payload = row.payload
    return AlertView(
        title=article.title or article.canonical_url,
        url=article.canonical_url,
        outlet_name=outlet.name if outlet else article.outlet_id,
        published=article.published,
        watchlists=[tuple(w) for w in payload.get("watchlists", [])],
        terms=payload.get("terms", []),
        text=article.text,
        first_hit=tuple(payload["hit"]) if payload.get("hit") else None,
    )


async def deliver_pending(
    db: Database, config: Config, sender: Sender, *, plain: bool = False
) -> DeliveryReport:
    """Send every pending alert once; return what happened."""
    render: Callable[[AlertView], str] = render_plain if plain else render_alert
    report = DeliveryReport()
    with db.session() as session:
        rows = session.execute(
            select(OutboxRow, Article)
            .join(Article, OutboxRow.article_id == Article.id)
            .where(OutboxRow.status == "pending")
            .order_by(OutboxRow.id)
        ).all()
        queue: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for row, article in rows:
            queue[row.chat_id].append((row.id, render(alert_view(row, article, config))))
    await asyncio.gather(
        *(_deliver_chat(db, sender, chat_id, items, report) for chat_id, items in queue.items())
    )
    return report


async def _deliver_chat(
    db: Database,
    sender: Sender,
    chat_id: int,
    items: list[tuple[int, str]],
    report: DeliveryReport,
) -> None:
    for row_id, text in items:
        result = await sender.send(Outgoing(chat_id=chat_id, text=text))
        if result.outcome is Outcome.MIGRATED and result.new_chat_id is not None:
            _migrate_chat(db, chat_id, result.new_chat_id)
            chat_id = result.new_chat_id
            result = await sender.send(Outgoing(chat_id=chat_id, text=text))
        _record(db, row_id, result, report)
        if result.outcome is Outcome.CHAT_GONE:
            _mark_gone(db, chat_id)
            report.chats_gone += 1
            return
        if result.outcome is Outcome.RETRY_LATER:
            return  # keep this chat's order: the rest waits for the next run


def _record(db: Database, row_id: int, result: SendResult, report: DeliveryReport) -> None:
    with db.session() as session, session.begin():
        row = session.get(OutboxRow, row_id)
        if row is None:
            return
        row.attempts = (row.attempts or 0) + 1
        if result.outcome is Outcome.SENT:
            row.status, row.sent_at, row.message_id = "sent", utcnow(), result.message_id
            row.last_error = None
            report.sent += 1
        elif result.outcome is Outcome.RETRY_LATER and row.attempts < MAX_ATTEMPTS:
            row.last_error = result.error
            report.retry_later += 1
        elif result.outcome is Outcome.CHAT_GONE:
            row.status, row.last_error = "held", result.error
            report.failed += 1
        else:
            row.status, row.last_error = "failed", result.error
            report.failed += 1


def _mark_gone(db: Database, chat_id: int) -> None:
    with db.session() as session, session.begin():
        chat = session.get(Chat, chat_id) or Chat(chat_id=chat_id, paused=False, digest="off")
        chat.gone = True
        session.add(chat)
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.chat_id == chat_id, OutboxRow.status == "pending")
            .values(status="held")
        )


def _migrate_chat(db: Database, old: int, new: int) -> None:
    """A group became a supergroup: its subscriptions and queue follow it to the new id."""
    with db.session() as session, session.begin():
        session.execute(update(Subscription).where(Subscription.chat_id == old).values(chat_id=new))
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.chat_id == old, OutboxRow.status == "pending")
            .values(chat_id=new)
        )
