"""Reads of the outbox the claiming step and the delivery port need (their writes are all in
newsradar.database.outbox_store): which rows a round may send, who holds which chat.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from newsradar.database.advisory_locks import lock_key
from newsradar.database.engine import Database
from newsradar.database.in_lists import in_lists
from newsradar.database.models import Article, OutboxRow
from notifier.notify_ports import PendingRow, StoredArticle
from notifier.outbox_states import SENDABLE, OutboxStatus

# Namespace of the per-chat advisory locks (pg_try_advisory_xact_lock(namespace, chat)).
_LOCK_NAMESPACE = lock_key("newsradar:outbox-chat")
_CLAIM_COLUMNS = (
    OutboxRow.id,
    OutboxRow.chat_id,
    OutboxRow.kind,
    OutboxRow.claimed_by,
    OutboxRow.claimed_at,
)


def sendable(now: datetime | None = None) -> ColumnElement[bool]:
    """Rows a round may send: pending, or uncertain (answer lost) once their pause is over;
    without `now`, every uncertain row (to see who holds a chat)."""
    if now is None:
        return OutboxRow.status.in_(SENDABLE)
    return or_(
        OutboxRow.status == OutboxStatus.PENDING,
        and_(
            OutboxRow.status == OutboxStatus.UNCERTAIN,
            or_(OutboxRow.resend_after.is_(None), OutboxRow.resend_after <= now),
        ),
    )


def pending_rows(db: Database, now: datetime) -> list[PendingRow]:
    with db.session() as session:
        rows = session.execute(select(*_CLAIM_COLUMNS).where(sendable(now)).order_by(OutboxRow.id))
        return [PendingRow(*row) for row in rows]


def candidate_chats(session: Session, candidates: Collection[int]) -> dict[int, int]:
    """Chat of each candidate row still pending, by row id."""
    rows: dict[int, int] = {}
    for chunk in in_lists(candidates):
        found = session.execute(
            select(OutboxRow.id, OutboxRow.chat_id).where(OutboxRow.id.in_(chunk), sendable())
        )
        rows.update((row_id, chat_id) for row_id, chat_id in found)
    return rows


def lock_candidates(session: Session, candidates: Collection[int], limit: int) -> dict[int, int]:
    """PostgreSQL: lock up to `limit` candidate rows no other claimer is deciding about, and
    keep those of chats whose advisory lock this transaction got (another claimer deciding about
    a chat right now holds it: the chat is left to it)."""
    rows = session.execute(
        select(OutboxRow.id, OutboxRow.chat_id)
        .where(OutboxRow.id.in_(sorted(candidates)), sendable())
        .order_by(OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    by_row = {row_id: chat_id for row_id, chat_id in rows}
    locked = {
        chat_id
        for chat_id in set(by_row.values())
        if session.scalar(
            select(func.pg_try_advisory_xact_lock(_LOCK_NAMESPACE, lock_key(str(chat_id))))
        )
    }
    return {row_id: chat_id for row_id, chat_id in by_row.items() if chat_id in locked}


def claims_of(session: Session, chats: set[int]) -> list[PendingRow]:
    """The claims on these chats' pending rows, read after taking the locks: a claim another
    sender committed meanwhile is visible."""
    claims: list[PendingRow] = []
    for chunk in in_lists(chats):
        claims.extend(
            PendingRow(*row)
            for row in session.execute(
                select(*_CLAIM_COLUMNS).where(
                    OutboxRow.chat_id.in_(chunk),
                    sendable(),
                    OutboxRow.claimed_by.is_not(None),
                )
            )
        )
    return claims


def stored(article: Article) -> StoredArticle:
    return StoredArticle(
        article.id,
        article.outlet_id,
        article.title,
        article.canonical_url,
        article.published,
        article.fetched_at,
        article.text,
        article.language,
    )
