"""Outbox claims (newsradar/database/outbox_store.py) by several senders at once, on PostgreSQL
and on SQLite."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from newsradar.database import Database, OutboxRow, utcnow
from newsradar.database.outbox_store import CLAIM_TIMEOUT, claim, release


@pytest.fixture(params=["postgresql", "sqlite"])
def claim_db(request, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    url = (
        request.getfixturevalue("pg_url")
        if request.param == "postgresql"
        else f"sqlite:///{tmp_path / 'claims.db'}"
    )
    db = Database(url)
    yield db
    db.close()


def _queue(db: Database, chats: int, per_chat: int) -> None:
    with db.session() as session, session.begin():
        for n in range(per_chat):
            for chat in range(chats):
                session.add(
                    OutboxRow(
                        kind="notice",
                        chat_id=1000 + chat,
                        payload={"text": f"notice {n}"},
                        status="pending",
                        attempts=0,
                    )
                )


def test_concurrent_claimers_never_take_the_same_row(claim_db: Database) -> None:
    _queue(claim_db, chats=40, per_chat=8)
    claimers = [f"sender-{n}" for n in range(4)]
    taken: dict[str, list[int]] = {name: [] for name in claimers}
    barrier = threading.Barrier(len(claimers))
    errors: list[BaseException] = []

    def sender(name: str) -> None:
        try:
            barrier.wait()
            while True:
                ids = claim(claim_db, name, limit=25)
                if not ids:
                    with claim_db.session() as session:
                        left = session.scalar(
                            select(func.count())
                            .select_from(OutboxRow)
                            .where(OutboxRow.status == "pending")
                        )
                    if not left:
                        return
                    time.sleep(0.01)
                    continue
                taken[name].extend(ids)
                with claim_db.session() as session, session.begin():  # "sent", then let go
                    session.execute(
                        update(OutboxRow).where(OutboxRow.id.in_(ids)).values(status="sent")
                    )
                release(claim_db, name)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(name,)) for name in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    every = [row_id for ids in taken.values() for row_id in ids]
    assert len(every) == len(set(every)) == 40 * 8
    if claim_db.engine.dialect.name == "postgresql":
        assert sum(1 for ids in taken.values() if ids) > 1  # the work was actually shared


def test_a_chat_has_one_sender_until_its_claim_goes_stale(claim_db: Database) -> None:
    _queue(claim_db, chats=2, per_chat=2)
    first = claim(claim_db, "a")
    assert len(first) == 4
    _queue(claim_db, chats=3, per_chat=1)  # one more row for each held chat, one new chat

    second = claim(claim_db, "b")

    with claim_db.session() as session:
        chat_of = dict(session.execute(select(OutboxRow.id, OutboxRow.chat_id)).all())
    assert {chat_of[i] for i in second} == {1002}  # the held chats stay with their sender
    later = utcnow() + CLAIM_TIMEOUT + timedelta(seconds=1)
    taken_over = claim(claim_db, "b", now=later)
    assert set(first) <= set(taken_over)  # "a" died: its stale claim is taken over
    assert len(taken_over) == 7
    release(claim_db, "b", second)
    assert set(claim(claim_db, "b", now=later)) == set(taken_over)


def test_a_registered_token_never_reaches_a_stored_notice_or_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from newsradar.database.outbox_store import OutboxStore, add_notice
    from notifier.outbox_states import OutboxStatus
    from notifier.redaction import protect_token

    token = "424242:Outbox-Secret-Token"
    protect_token(token)
    db = Database(f"sqlite:///{tmp_path / 'outbox.db'}")
    with db.session() as session, session.begin():
        add_notice(session, [7], f"<b>outlet failed</b>: GET /bot{token.lower()}/x")
    [row_id] = claim(db, "me")
    OutboxStore(db).finish([row_id], OutboxStatus.FAILED, error=f"path /bot{token.upper()}")
    with db.session() as session:
        row = session.get(OutboxRow, row_id)
        assert row is not None
        stored = f"{row.payload} {row.last_error}".lower()
    db.close()
    assert "outbox-secret-token" not in stored and "[token]" in stored
