"""Claiming outbox rows, so several sender processes never take the same alert.

A claim is by chat: a sender takes a chat's pending rows only when no other sender holds a fresh
claim on that chat, so each chat has one sender at a time and Telegram's 1 message/s per chat
holds overall. A claim older than `timeout` belongs to a sender that died; it is taken over.

PostgreSQL: candidate rows are locked with `SELECT ... FOR UPDATE SKIP LOCKED` (two claimers skip
each other's rows instead of waiting), and a transaction-scoped advisory lock per chat makes the
"no fresh claim on this chat" check and the claim one step. SQLite: writers are serialised by the
database, so one conditional UPDATE is the whole claim.
"""

from __future__ import annotations

import hashlib
import struct
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from newsradar.database import Database, OutboxRow, utcnow

CLAIM_TIMEOUT = timedelta(minutes=15)  # a sender holding a chat longer than this has died
_CHUNK = 500
# Namespace of the per-chat advisory locks (pg_try_advisory_xact_lock(namespace, chat)).
_LOCK_NAMESPACE = struct.unpack(">i", hashlib.sha256(b"newsradar:outbox-chat").digest()[:4])[0]


def claim(
    db: Database,
    claimer: str,
    *,
    candidates: Collection[int] | None = None,
    timeout: timedelta = CLAIM_TIMEOUT,
    now: datetime | None = None,
    limit: int = 1000,
) -> list[int]:
    """Claim pending rows for `claimer`; the ids now held by it (its earlier claims included).

    `candidates` limits the claim to these row ids (the caller's choice of what is due); rows of
    a chat another sender holds are left alone. Safe to call from any number of processes.
    """
    now = now or utcnow()
    stale = now - timeout
    with db.session() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            _claim_locked(session, claimer, candidates, now, stale, limit)
        else:
            _claim_serialised(session, claimer, candidates, now, stale)
    with db.session() as session:
        return list(
            session.scalars(
                select(OutboxRow.id)
                .where(OutboxRow.claimed_by == claimer, OutboxRow.status == "pending")
                .order_by(OutboxRow.id)
            )
        )


def release(db: Database, claimer: str, row_ids: Collection[int] | None = None) -> None:
    """Give back what `claimer` holds (all of it, or these rows): another sender may take it."""
    with db.session() as session, session.begin():
        statement = update(OutboxRow).where(OutboxRow.claimed_by == claimer)
        if row_ids is None:
            session.execute(statement.values(claimed_by=None, claimed_at=None))
            return
        ids = sorted(row_ids)
        for start in range(0, len(ids), _CHUNK):
            session.execute(
                statement.where(OutboxRow.id.in_(ids[start : start + _CHUNK])).values(
                    claimed_by=None, claimed_at=None
                )
            )


def _claimable(claimer: str, stale: datetime):  # type: ignore[no-untyped-def]
    return and_(
        OutboxRow.status == "pending",
        or_(
            OutboxRow.claimed_by.is_(None),
            OutboxRow.claimed_at < stale,
            OutboxRow.claimed_by == claimer,
        ),
    )


def _held_by_another(claimer: str, stale: datetime):  # type: ignore[no-untyped-def]
    """A fresh claim by another sender on the same chat as the outer row."""
    other = aliased(OutboxRow)
    return exists().where(
        other.chat_id == OutboxRow.chat_id,
        other.status == "pending",
        other.claimed_by.is_not(None),
        other.claimed_by != claimer,
        other.claimed_at >= stale,
    )


def _claim_locked(
    session: Session,
    claimer: str,
    candidates: Collection[int] | None,
    now: datetime,
    stale: datetime,
    limit: int,
) -> None:
    query = select(OutboxRow.id, OutboxRow.chat_id).where(_claimable(claimer, stale))
    if candidates is not None:
        if not candidates:
            return
        query = query.where(OutboxRow.id.in_(sorted(candidates)))
    rows = session.execute(
        query.order_by(OutboxRow.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    by_chat: dict[int, list[int]] = defaultdict(list)
    for row_id, chat_id in rows:
        by_chat[chat_id].append(row_id)
    mine: list[int] = []
    for chat_id, row_ids in by_chat.items():
        # Another claimer deciding about this chat right now holds the lock: leave the chat to it.
        locked = session.scalar(
            select(func.pg_try_advisory_xact_lock(_LOCK_NAMESPACE, _chat_key(chat_id)))
        )
        if not locked:
            continue
        # Read after taking the lock: a claim another sender committed meanwhile is visible.
        other = aliased(OutboxRow)
        busy = session.scalar(
            select(
                exists().where(
                    other.chat_id == chat_id,
                    other.status == "pending",
                    other.claimed_by.is_not(None),
                    other.claimed_by != claimer,
                    other.claimed_at >= stale,
                )
            )
        )
        if not busy:
            mine.extend(row_ids)
    for start in range(0, len(mine), _CHUNK):
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(mine[start : start + _CHUNK]))
            .values(claimed_by=claimer, claimed_at=now)
        )


def _claim_serialised(
    session: Session,
    claimer: str,
    candidates: Collection[int] | None,
    now: datetime,
    stale: datetime,
) -> None:
    statement = (
        update(OutboxRow)
        .where(_claimable(claimer, stale), ~_held_by_another(claimer, stale))
        .values(claimed_by=claimer, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if candidates is None:
        session.execute(statement)
        return
    ids = sorted(candidates)
    for start in range(0, len(ids), _CHUNK):
        session.execute(statement.where(OutboxRow.id.in_(ids[start : start + _CHUNK])))


def _chat_key(chat_id: int) -> int:
    """Chat ids are 64-bit; the two-key advisory lock takes 32-bit ints."""
    return struct.unpack(">i", hashlib.sha256(str(chat_id).encode()).digest()[:4])[0]
