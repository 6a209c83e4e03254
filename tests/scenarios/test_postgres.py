"""PostgreSQL: every command, and matching in two processes at once, on a real server.

Each test gets a database of its own (tests/support/pg.py); skipped, saying how to start the
server, when 127.0.0.1:5432 does not answer.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import event, func, insert, select

from crawler.dedupe import fingerprint
from crawler.items import ArticleItem
from newsradar.database import Article, Database, OutboxRow, utcnow
from newsradar.database.article_store import _SAME_ARTICLE, ArticleStore, BackfillPolicy
from newsradar.database.match_store import pending_articles
from tests.support.article_items import article_item
from tests.support.botapi import FakeBotApi
from tests.support.sample_watchlists import IRAQ_ALERTS, PRIVATE, WATCHLISTS
from tests.support.sample_watchlists import alert_titles as _titles
from tests.support.workspace import Workspace


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
import sys
from newsradar.config import load_config
from newsradar.database import Database
from newsradar.database.match_store import MatchStore
from notifier.alert_queue import AlertQueue
config_dir, url = sys.argv[1], sys.argv[2]
db = Database(url)
queue = AlertQueue(MatchStore(db), load_config(config_dir).watchlists)
print("ready", flush=True)
sys.stdin.readline()  # both processes start matching when the test says go
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
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", MATCHER, str(workspace.config_dir), pg_url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        # Both past start-up (however long a loaded machine takes), then both begin at once.
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
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


def test_storing_an_article_costs_the_same_as_the_table_grows(pg_url: str) -> None:
    """Per stored batch the same statements and one commit, with 20 articles stored or 5,000;
    and on the filled table the look-ups a worker makes per article and per matching pass are
    index scans, not scans of the articles table."""
    db = Database(pg_url)
    store = ArticleStore(db, BackfillPolicy({"rs": timedelta(hours=24)}, frozenset()))
    rng = random.Random(5)
    words = [f"w{n}" for n in range(3000)]

    def batch(tag: str) -> list[ArticleItem]:
        return [
            article_item(
                f"https://rs.example/{tag}-{n}/",
                " ".join(rng.choice(words) for _ in range(300)),
                utcnow(),
            )
            for n in range(16)
        ]

    statements: list[str] = []
    commits: list[int] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    event.listen(db.engine, "commit", lambda *a: commits.append(1))

    def store_batch(tag: str) -> tuple[int, int]:
        statements.clear()
        commits.clear()
        assert all(article is not None for article in store.add_many(batch(tag)))
        return len(statements), len(commits)

    store_batch("warm")  # the first batch reads the server's types
    few = store_batch("few")
    for n in range(10):
        store.add_many(batch(f"fill{n}"))
    with db.engine.begin() as connection:
        connection.execute(
            insert(Article),
            [
                {
                    "outlet_id": "old",
                    "url": f"https://old.example/{n}",
                    "canonical_url": f"https://old.example/{n}",
                    "text": "old",
                    "fingerprint": rng.getrandbits(63),
                    **{f"fp_band{i}": rng.getrandbits(16) for i in range(4)},
                    "lead": f"{rng.getrandbits(63):016x}",
                    "fetched_at": utcnow(),
                    "alertable": False,
                    "matched_at": utcnow(),
                }
                for n in range(5000)
            ],
        )
        connection.exec_driver_sql("ANALYZE articles")
    many = store_batch("many")
    assert many == few and few[1] == 1, (few, many)

    print_ = fingerprint("a text " * 50)
    same = _SAME_ARTICLE.params(
        canonical="https://rs.example/x/",
        lead=print_.lead,
        **{f"band{i}": band for i, band in enumerate(print_.bands)},
    )
    with db.engine.connect() as connection:
        for query in (same, pending_articles(200)):
            sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
            assert "Seq Scan on articles" not in plan, plan
    db.close()
