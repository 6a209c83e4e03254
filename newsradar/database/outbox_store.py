"""The outbox over the database: every write to it, and the delivery stage's port
(notifier.notify_ports.OutboxStore).

Rows are added by matching (`add_alert`, one per article and chat) and for operators
(`add_notice`); a chat that talks to the bot again gets its held rows back (`unhold`).

Claiming is by chat: a sender takes a chat's pending rows only when no other live sender holds a
fresh claim on that chat (notifier.delivery_plan.busy_chats, the one rule), so each chat has one
sender at a time and Telegram's 1 message/s per chat holds overall. A claim older than
CLAIM_TIMEOUT belongs to a sender that died; it is taken over. The rule is applied inside one
step that no other claimer can interleave with: on PostgreSQL the candidate rows are locked with
`SELECT ... FOR UPDATE SKIP LOCKED` (two claimers skip each other's rows instead of waiting) and
each chat with a transaction-scoped advisory lock, then the chat's claims are read; on SQLite
the step is one `BEGIN IMMEDIATE` transaction (writers are serialised by the database).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.orm import Session

from newsradar.database.chat_moves import move_chat
from newsradar.database.engine import Database, rows_changed
from newsradar.database.in_lists import in_lists
from newsradar.database.models import Article, Chat, OutboxRow, utcnow
from newsradar.database.outbox_reads import (
    candidate_chats,
    claims_of,
    lock_candidates,
    pending_rows,
    sendable,
    stored,
)
from notifier.alert_payload import AlertPayload
from notifier.delivery_plan import CLAIM_TIMEOUT, busy_chats
from notifier.notify_ports import ChatState, ClaimedRow, PendingRow
from notifier.outbox_states import SENDABLE, DigestMode, OutboxKind, OutboxStatus, digest_mode
from notifier.redaction import scrub

__all__ = ["CLAIM_TIMEOUT", "OutboxStore", "add_alert", "add_notice", "claim", "release", "unhold"]

log = logging.getLogger(__name__)


# ----- adding rows --------------------------------------------------------------------------------
def add_alert(session: Session, article_id: int, chat_id: int, payload: AlertPayload) -> int:
    """Queue the article for the chat in the caller's transaction, unless the chat already has
    it (one row per article and chat); 1 when queued, else 0."""
    already = session.scalar(
        select(OutboxRow.id).where(OutboxRow.article_id == article_id, OutboxRow.chat_id == chat_id)
    )
    if already is not None:
        return 0
    session.add(
        OutboxRow(
            kind=OutboxKind.ALERT,
            article_id=article_id,
            chat_id=chat_id,
            payload=payload.to_json(),
            status=OutboxStatus.PENDING,
            attempts=0,
        )
    )
    return 1


def add_notice(session: Session, chats: Iterable[int], html: str) -> int:
    """Add one Telegram-HTML message per chat to the caller's transaction; how many chats."""
    chats = sorted(set(chats))
    for chat_id in chats:
        session.add(
            OutboxRow(
                kind=OutboxKind.NOTICE,
                article_id=None,
                chat_id=chat_id,
                payload={"text": scrub(html)},
                status=OutboxStatus.PENDING,
                attempts=0,
            )
        )
    return len(chats)


def unhold(session: Session, chat_id: int) -> None:
    """The chat talks to the bot again: what was held while it was unreachable goes out."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.chat_id == chat_id, OutboxRow.status == OutboxStatus.HELD)
        .values(status=OutboxStatus.PENDING, claimed_by=None, claimed_at=None)
    )


# ----- claiming -----------------------------------------------------------------------------------
def claim(
    db: Database,
    claimer: str,
    *,
    candidates: Collection[int] | None = None,
    now: datetime | None = None,
    limit: int = 1000,
) -> list[int]:
    """Claim pending rows for `claimer`; the ids now held by it (its earlier claims included).

    `candidates` limits the claim to these row ids (the caller's choice of what is due; default:
    every row of a chat no one else holds); rows of a chat another sender holds are left alone.
    At most `limit` rows are locked at once on PostgreSQL. Safe from any number of processes."""
    now = now or utcnow()
    if candidates is None:
        pending = pending_rows(db, now)
        busy = busy_chats(pending, me=claimer, now=now)
        candidates = [row.id for row in pending if row.chat_id not in busy]
    if candidates:
        _claim_free(db, claimer, candidates, now, limit)
    with db.session() as session:
        return list(
            session.scalars(
                select(OutboxRow.id)
                .where(OutboxRow.claimed_by == claimer, sendable())
                .order_by(OutboxRow.id)
            )
        )


def _claim_free(
    db: Database, claimer: str, candidates: Collection[int], now: datetime, limit: int
) -> None:
    """Claim the candidates of chats no other live sender holds, as one step: the chats' claims
    are read under locks that keep every other claimer out of these chats until this commits."""
    with db.session() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            rows = lock_candidates(session, candidates, limit)
        else:
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, first
            rows = candidate_chats(session, candidates)
        busy = busy_chats(claims_of(session, set(rows.values())), me=claimer, now=now)
        mine = [row_id for row_id, chat_id in rows.items() if chat_id not in busy]
        for chunk in in_lists(mine):
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(chunk))
                .values(claimed_by=claimer, claimed_at=now)
                .execution_options(synchronize_session=False)
            )


def release(db: Database, claimer: str, row_ids: Collection[int] | None = None) -> None:
    """Give back what `claimer` holds (all of it, or these rows): another sender may take it."""
    with db.session() as session, session.begin():
        statement = update(OutboxRow).where(OutboxRow.claimed_by == claimer)
        if row_ids is None:
            session.execute(statement.values(claimed_by=None, claimed_at=None))
            return
        for chunk in in_lists(row_ids):
            session.execute(
                statement.where(OutboxRow.id.in_(chunk)).values(claimed_by=None, claimed_at=None)
            )


# ----- the delivery stage's port ------------------------------------------------------------------
class OutboxStore:
    """Implements notifier.notify_ports.OutboxStore."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def pending_rows(self) -> Sequence[PendingRow]:
        return pending_rows(self.db, utcnow())

    def count_pending(self) -> int:
        """Messages waiting in the outbox."""
        with self.db.session() as session:
            count = session.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(OutboxRow.status == OutboxStatus.PENDING)
            )
            return count or 0

    def chat_states(self) -> Mapping[int, ChatState]:
        with self.db.session() as session:
            return {
                chat.chat_id: ChatState(
                    paused=bool(chat.paused),
                    gone=bool(chat.gone),
                    digest=digest_mode(chat.digest),
                    last_digest_at=chat.last_digest_at,
                )
                for chat in session.scalars(select(Chat))
            }

    def claim(self, holder: str, candidates: Collection[int], now: datetime) -> list[int]:
        return claim(self.db, holder, candidates=candidates, now=now)

    def release(self, holder: str, row_ids: Collection[int] | None = None) -> None:
        release(self.db, holder, row_ids)

    def claimed(self, holder: str) -> Sequence[ClaimedRow]:
        with self.db.session() as session:
            rows = session.execute(
                select(OutboxRow, Article)
                .outerjoin(Article, OutboxRow.article_id == Article.id)
                .where(OutboxRow.claimed_by == holder)
                .order_by(OutboxRow.id)
            )
            return [
                ClaimedRow(
                    row.id,
                    row.chat_id,
                    row.kind,
                    row.payload or {},
                    row.created_at,
                    row.article_id,
                    stored(article) if article is not None else None,
                )
                for row, article in rows
            ]

    def finish(
        self,
        row_ids: Collection[int],
        status: OutboxStatus,
        *,
        error: str | None = None,
        message_id: int | None = None,
        resend_after: datetime | None = None,
    ) -> int:
        """Record a send's outcome. PENDING leaves the status as it was (an uncertain row stays
        owed its one resend); UNCERTAIN makes a row that was already uncertain UNCONFIRMED."""
        values: dict[str, Any] = {
            "attempts": func.coalesce(OutboxRow.attempts, 0) + 1,
            "claimed_by": None,
            "claimed_at": None,
            "last_error": scrub(error) if error else error,
        }
        if status is not OutboxStatus.PENDING:
            values["status"] = status
        if status is OutboxStatus.SENT:
            values.update(sent_at=utcnow(), message_id=message_id)
        if status is OutboxStatus.UNCERTAIN:
            values["resend_after"] = resend_after
            values["status"] = _uncertain_again()
        count = 0
        with self.db.session() as session, session.begin():
            for chunk in in_lists(row_ids):
                done = session.execute(
                    update(OutboxRow).where(OutboxRow.id.in_(chunk)).values(**values)
                )
                count += rows_changed(done)
        return count

    def requeue_printed(self, still_due: Callable[[str | None, datetime], bool]) -> tuple[int, int]:
        """A bot token appeared: alerts printed earlier (never delivered) for which
        `still_due(outlet id, article or notice date)` holds are queued to be sent; the rest
        become PRINTED_EARLIER (never sent). (queued, printed earlier and not sent)."""
        with self.db.session() as session, session.begin():
            rows = session.execute(
                select(OutboxRow, Article)
                .outerjoin(Article, OutboxRow.article_id == Article.id)
                .where(OutboxRow.status == OutboxStatus.PRINTED)
            ).all()
            due = {
                row.id
                for row, article in rows
                if still_due(article.outlet_id if article else None, _when(row, article))
            }
            for row, _article in rows:
                row.message_id = row.sent_at = None
                row.status = OutboxStatus.PENDING if row.id in due else OutboxStatus.PRINTED_EARLIER
        return len(due), len(rows) - len(due)

    def mark_gone(self, chat_id: int) -> None:
        with self.db.session() as session, session.begin():
            chat = session.get(Chat, chat_id) or Chat(
                chat_id=chat_id, paused=False, digest=DigestMode.OFF
            )
            chat.gone = True
            session.add(chat)
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.chat_id == chat_id, OutboxRow.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.HELD, claimed_by=None, claimed_at=None)
            )

    def migrate_chat(self, old: int, new: int) -> None:
        migrate_chat(self.db, old, new)

    def digest_done(self, chat_id: int, now: datetime) -> None:
        with self.db.session() as session, session.begin():
            chat = session.get(Chat, chat_id)
            if chat is not None:
                chat.last_digest_at = now


def _uncertain_again() -> ColumnElement[str]:
    """UNCERTAIN for a first lost answer, UNCONFIRMED for the second: never a third copy."""
    return case(
        (OutboxRow.status == OutboxStatus.UNCERTAIN, str(OutboxStatus.UNCONFIRMED)),
        else_=str(OutboxStatus.UNCERTAIN),
    )


def _when(row: OutboxRow, article: Article | None) -> datetime:
    if article is None:
        return row.created_at
    return article.published or article.fetched_at or row.created_at


# ----- chats that moved ---------------------------------------------------------------------------
def migrate_chat(db: Database, old: int, new: int) -> None:
    """A group became a supergroup: its settings, subscriptions, own watchlists and mutes
    (newsradar.database.chat_moves) and its queue follow it to the new id, without doubling an
    alert the new id already has."""
    log.warning(
        "group %s became supergroup %s: its alerts follow it (list it as %s in watchlists.yaml)",
        old,
        new,
        new,
    )
    with db.session() as session, session.begin():
        move_chat(session, old, new)
        taken = set(
            session.scalars(
                select(OutboxRow.article_id).where(
                    OutboxRow.chat_id == new, OutboxRow.article_id.is_not(None)
                )
            )
        )
        for row in session.scalars(
            select(OutboxRow).where(
                OutboxRow.chat_id == old,
                OutboxRow.status.in_((*SENDABLE, OutboxStatus.HELD)),
            )
        ):
            if row.article_id in taken:
                row.status = OutboxStatus.MERGED  # the new id already has (or had) this article
            else:
                row.chat_id = new
