"""Groups that became supergroups: Telegram gives the chat a new id, and what the chat had
(settings, subscriptions, own watchlists, mutes) follows it. The operator's YAML may still list
the old id, so the old row remembers where the chat went. The chat's queue is moved by
newsradar.database.outbox_store.migrate_chat, in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newsradar.database.models import Chat, ChatWatchlist, Mute, Subscription
from notifier.outbox_states import DigestMode


def move_chat(session: Session, old: int, new: int) -> None:
    """Everything of chat `old` but its queue, to `new`, in the caller's transaction."""
    _move_keyed(session, Subscription, old, new, "watchlist_id")
    _move_keyed(session, Mute, old, new, "watchlist_id")
    session.execute(update(ChatWatchlist).where(ChatWatchlist.chat_id == old).values(chat_id=new))
    old_chat, new_chat = session.get(Chat, old), session.get(Chat, new)
    if old_chat is None:
        old_chat = Chat(chat_id=old, kind="group")
        session.add(old_chat)
    if new_chat is None:
        session.add(
            Chat(
                chat_id=new,
                paused=bool(old_chat.paused),
                gone=False,
                digest=old_chat.digest or DigestMode.OFF,
                kind="supergroup",
                last_digest_at=old_chat.last_digest_at,
            )
        )
    old_chat.moved_to = new  # watchlists that list the old id are matched to the new one


def moves(session: Session) -> Callable[[int], int]:
    """Where each chat now is: a group that became a supergroup (perhaps more than once) is
    followed to its newest id."""
    moved: dict[int, int] = {
        old: new
        for old, new in session.execute(
            select(Chat.chat_id, Chat.moved_to).where(Chat.moved_to.is_not(None))
        )
        if new is not None
    }

    def follow(chat_id: int) -> int:
        seen = {chat_id}
        while chat_id in moved and moved[chat_id] not in seen:
            chat_id = moved[chat_id]
            seen.add(chat_id)
        return chat_id

    return follow


def _move_keyed(session: Session, model: Any, old: int, new: int, key: str) -> None:
    existing = set(session.scalars(select(getattr(model, key)).where(model.chat_id == new)))
    for row in session.scalars(select(model).where(model.chat_id == old)):
        if getattr(row, key) in existing:
            session.delete(row)
        else:
            session.execute(
                update(model)
                .where(model.chat_id == old, getattr(model, key) == getattr(row, key))
                .values(chat_id=new)
            )
