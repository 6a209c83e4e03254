"""PostgreSQL: the same migrations, every command, and concurrent matching, on a real server.

Each test gets a database of its own (tests/support/pg.py); skipped, saying how to start the
server, when 127.0.0.1:5432 does not answer.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text, update

from crawler.dedupe import fingerprint
from crawler.outlet_run import OutletRun
from newsradar.config import Config, CrawlSettings, Outlet
from newsradar.database import Article, Database, OutboxRow, OutletHealth, utcnow
from newsradar.database.article_store import ArticleStore, BackfillPolicy, _lock_fingerprints
from newsradar.database.engine import MIGRATIONS
from newsradar.database.models import Base
from newsradar.database.outbox_store import CLAIM_TIMEOUT, claim, release
from newsradar.operations.outlet_health import record_health
from tests.conftest import Workspace
from tests.support import SEEDS
from tests.support.botapi import FakeBotApi
from tests.test_run_once import IRAQ_ALERTS, PRIVATE, WATCHLISTS, _titles
from tests.test_storage import _item


def test_migrations_create_exactly_the_models_schema(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head
    finally:
        db.close()
    Database(pg_url).close()  # a second open finds the schema current and changes nothing


def test_every_command_works_on_postgres(
    workspace: Workspace, pg_url: str, sample_outlets, bot_api: FakeBotApi, telegram_env
) -> None:
    workspace.database_override = pg_url
    workspace.write_config(sample_outlets.outlets_config(), WATCHLISTS)
    assert workspace.run("check-config").returncode == 0

    first = workspace.run("run-once", **telegram_env)

    assert first.returncode == 0, first.stderr
    assert sorted(_titles(bot_api, PRIVATE)) == sorted(IRAQ_ALERTS)
    db = Database(pg_url)
    try:
        with db.session() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(Article)
                .where(Article.title.like("US strikes in Iraq show risk%"))
            )
            assert stored == 1  # the same article under a second URL was stored once
            pending = session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "sent")
            )
            assert pending == 0
    finally:
        db.close()

    sent = len(bot_api.sent)
    again = workspace.run("run-once", **telegram_env)
    assert again.returncode == 0, again.stderr
    assert len(bot_api.sent) == sent

    status = workspace.run("status")
    assert status.returncode == 0, status.stderr
    assert "statecraft" in status.stdout and "wp" in status.stdout
    backtest = workspace.run("backtest", "--query", "Iraq militia*", "--since", "30d")
    assert backtest.returncode == 0, backtest.stderr
    assert "Militias <and>" in backtest.stdout


MATCHER = """
import sys, time
from newsradar.config import load_config
from newsradar.database import Database
from newsradar.database.match_store import MatchStore
from notifier.alert_queue import AlertQueue
config_dir, url, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
db = Database(url)
queue = AlertQueue(MatchStore(db), load_config(config_dir).watchlists)
time.sleep(max(0.0, start - time.time()))
report = queue.process_pending(batch=7)
print(report.articles, report.alerts_queued)
"""


def test_two_processes_matching_at_once_never_queue_an_alert_twice(
    workspace: Workspace, pg_url: str
) -> None:
    workspace.write_config([], [{"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [1, 2]}])
    db = Database(pg_url)
    now = utcnow()
    count = 120
    try:
        with db.session() as session, session.begin():
            for n in range(count):
                body = f"Report {n} from Iraq: story number {n} of the day, {n * 7919} words long."
                print_ = fingerprint(body)
                session.add(
                    Article(
                        outlet_id="wp",
                        url=f"http://example.org/{n}",
                        canonical_url=f"http://example.org/{n}",
                        title=f"Story {n}",
                        published=now - timedelta(minutes=n),
                        text=body,
                        fingerprint=print_.simhash,
                        **{f"fp_band{i}": b for i, b in enumerate(print_.bands)},
                        lead=print_.lead,
                        fetched_at=now,
                        alertable=True,
                    )
                )
        start = time.time() + 3  # both processes are past start-up and begin together
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", MATCHER, str(workspace.config_dir), pg_url, str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=60) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
        reports = [tuple(map(int, out.split())) for out, _ in outputs]
        assert sum(articles for articles, _ in reports) == count  # each article matched once
        assert all(articles > 0 for articles, _ in reports), reports  # and both took a share
        assert sum(queued for _, queued in reports) == 2 * count
        with db.session() as session:
            rows = session.execute(select(OutboxRow.article_id, OutboxRow.chat_id)).all()
        assert len(rows) == len(set(rows)) == 2 * count
    finally:
        db.close()


def test_two_workers_recording_one_outlets_health_at_once_lose_no_count(pg_url: str) -> None:
    """A worker records an outlet's crawl while another holds the outlet's row mid-update: the
    first waits for it and adds to what it wrote, instead of overwriting it with a stale sum."""
    outlet = Outlet(id="wp", name="WP", feeds=["http://127.0.0.2/feed/"])
    config = Config(Path("config"), CrawlSettings(), (outlet,), ())
    db = Database(pg_url)
    try:
        record_health(db, {"wp": OutletRun("wp", sources_ok=1, articles=1)}, config)
        with db.engine.connect() as other:
            held = other.begin()
            other.execute(
                select(OutletHealth).where(OutletHealth.outlet_id == "wp").with_for_update()
            )
            worker = threading.Thread(
                target=record_health,
                args=(db, {"wp": OutletRun("wp", sources_ok=1, articles=2)}, config),
            )
            worker.start()
            time.sleep(0.5)  # the worker reads the row now, unless it has to wait for it
            other.execute(
                update(OutletHealth)
                .where(OutletHealth.outlet_id == "wp")
                .values(articles_total=OutletHealth.articles_total + 10)
            )
            held.commit()
            worker.join(timeout=10)
        with db.session() as session:
            assert session.get(OutletHealth, "wp").articles_total == 13  # type: ignore[union-attr]
    finally:
        db.close()


def test_one_story_stored_by_two_workers_at_once_under_two_urls_is_stored_once(
    pg_url: str,
) -> None:
    """A worker stores a story and has not committed yet; another stores the same story found
    under a second URL. The second waits for the first and recognises its copy."""
    text_ = (SEEDS / "001_f0e448838c8e65df.txt").read_text(encoding="utf-8")
    first = _item("https://rs.example/story/", text_, utcnow())
    second = _item("https://rs.example/?p=123", text_, utcnow())
    db = Database(pg_url)
    store = ArticleStore(db, BackfillPolicy({"rs": timedelta(days=1)}, frozenset()))
    try:
        with db.session() as session, session.begin():
            _lock_fingerprints(session, [fingerprint(first.text)])
            store._add(session, first, fingerprint(first.text), {first.url}, utcnow())
            results: list[object] = []
            worker = threading.Thread(target=lambda: results.extend(store.add_many([second])))
            worker.start()
            time.sleep(0.5)  # the other worker checks for a copy now, unless it has to wait
        worker.join(timeout=10)
        assert results == [None]
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 1
    finally:
        db.close()


# ----- outbox claims by several senders ---------------------------------------------------------
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
