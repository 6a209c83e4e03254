"""Outlet health as a state machine: one notice per trouble, one per recovery, none in between."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from crawler.outlet_run import OutletRun
from newsradar.config import Config, CrawlSettings, Outlet
from newsradar.database import Database, OutboxRow, OutletHealth
from newsradar.operations.outlet_health import extraction_broken, record_health

OPERATORS = (7, -1009)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'health.db'}")
    yield database
    database.close()


CONFIG = Config(
    Path("config"),
    CrawlSettings(alert_after_failures=2),
    (Outlet(id="wp", name="Vox <explainers> & more", feeds=["http://127.0.0.2/feed/"]),),
    (),
)


def _failed() -> OutletRun:
    return OutletRun("wp", source_errors=["http://127.0.0.2/feed/: HTTP 503 <Service & Co>"])


def _pages(texts: list[int], empty: int = 0) -> OutletRun:
    return OutletRun(
        "wp",
        sources_ok=1,
        pages_fetched=len(texts) + empty,
        text_chars=texts,
        textless=[(f"http://127.0.0.2/e{n}", f"http://127.0.0.2/e{n}") for n in range(empty)],
        articles=len(texts),
    )


def _outbox(db: Database) -> list[OutboxRow]:
    with db.session() as session:
        return list(session.query(OutboxRow).order_by(OutboxRow.id))


def test_a_failing_outlet_alerts_once_after_n_runs_and_once_when_it_recovers(db: Database) -> None:
    assert record_health(db, {"wp": _failed()}, CONFIG, OPERATORS) == []
    (notice,) = record_health(db, {"wp": _failed()}, CONFIG, OPERATORS)
    assert notice.kind == "failing"
    assert "Vox &lt;explainers&gt; &amp; more (<code>wp</code>)" in notice.text
    assert "HTTP 503 &lt;Service &amp; Co&gt;" in notice.text
    assert record_health(db, {"wp": _failed()}, CONFIG, OPERATORS) == []
    (recovered,) = record_health(db, {"wp": _pages([])}, CONFIG, OPERATORS)
    assert recovered.kind == "failing-recovered" and "after 3 failed runs" in recovered.text
    assert record_health(db, {"wp": _pages([])}, CONFIG, OPERATORS) == []

    rows = _outbox(db)
    assert [(r.kind, r.chat_id, r.article_id, r.status) for r in rows] == [
        ("notice", -1009, None, "pending"),
        ("notice", 7, None, "pending"),
        ("notice", -1009, None, "pending"),
        ("notice", 7, None, "pending"),
    ]
    assert rows[0].payload == {"text": notice.text}


def test_pages_without_text_or_far_shorter_text_alert_once(db: Database) -> None:
    for _ in range(3):
        assert record_health(db, {"wp": _pages([3000, 3400])}, CONFIG, OPERATORS) == []
    with db.session() as session:
        health = session.get(OutletHealth, "wp")
        assert health is not None and 3000 <= (health.typical_text_chars or 0) <= 3400

    (broken,) = record_health(db, {"wp": _pages([], empty=2)}, CONFIG, OPERATORS)
    assert broken.kind == "no-text" and "none of the 2 pages" in broken.text
    assert record_health(db, {"wp": _pages([300, 250])}, CONFIG, OPERATORS) == []  # still bad
    assert record_health(db, {"wp": _pages([])}, CONFIG, OPERATORS) == []  # nothing fetched
    (back,) = record_health(db, {"wp": _pages([3100, 2900])}, CONFIG, OPERATORS)
    assert back.kind == "no-text-recovered"

    (short,) = record_health(db, {"wp": _pages([400, 500, 300])}, CONFIG, OPERATORS)
    assert "far shorter than usual" in short.text
    with db.session() as session:
        health = session.get(OutletHealth, "wp")
        assert health is not None
        assert health.layout_alerted and health.extraction_failures_total == 2
        assert health.text_chars_last_run == 400 and health.pages_fetched_last_run == 3


def test_one_odd_page_is_no_verdict() -> None:
    assert extraction_broken(_pages([], empty=1), 3000) is None
    assert extraction_broken(_pages([200]), 3000) is None
    assert extraction_broken(_pages([2000], empty=1), 3000) is False


def test_without_operator_chats_the_trouble_is_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="newsradar.health"):
        record_health(db, {"wp": _failed()}, CONFIG)
        record_health(db, {"wp": _failed()}, CONFIG)
    assert _outbox(db) == []
    (record,) = [r for r in caplog.records if "Outlet failing" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "Vox <explainers> & more (wp)" in record.getMessage()


def _article_pages_fail() -> OutletRun:
    """The feed answers, but every new article page it lists fails."""
    return OutletRun(
        "wp",
        sources_ok=1,
        new_urls=3,
        page_errors=[f"http://127.0.0.2/2026/a{n}/: HTTP 500" for n in range(3)],
    )


def test_an_outlet_whose_article_pages_all_fail_counts_as_failing(db: Database) -> None:
    assert _article_pages_fail().failed
    some_came = _article_pages_fail()
    some_came.pages_fetched, some_came.articles = 1, 1
    assert not some_came.failed  # one page lost among several is not an outlet failure
    assert not OutletRun("wp", sources_ok=1).failed  # nothing new is not a failure

    record_health(db, {"wp": _article_pages_fail()}, CONFIG, OPERATORS)
    (notice,) = record_health(db, {"wp": _article_pages_fail()}, CONFIG, OPERATORS)
    assert notice.kind == "failing" and "HTTP 500" in notice.text


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


def test_workers_judge_an_outlets_text_on_what_all_of_them_saw(db: Database) -> None:
    """Two workers each see part of an outlet's crawl: one of them only two short briefs. Judged
    alone that share looks like a layout change; pooled with the other's pages it is the healthy
    outlet it is. A real layout change still alerts, once the workers saw enough pages."""
    for _ in range(3):
        record_health(db, {"wp": _pages([3000, 3400, 3200])}, CONFIG, OPERATORS, pooled=True)
        record_health(db, {"wp": _pages([2900, 3100, 3300, 3500])}, CONFIG, OPERATORS, pooled=True)
    with db.session() as session:
        health = session.get(OutletHealth, "wp")
        assert health is not None and 2900 <= (health.typical_text_chars or 0) <= 3500

    briefs, rest = _pages([600, 700]), _pages([3100, 2800, 3600, 3300, 2700, 3000, 3400, 3200])
    assert record_health(db, {"wp": briefs}, CONFIG, OPERATORS, pooled=True) == []
    assert record_health(db, {"wp": rest}, CONFIG, OPERATORS, pooled=True) == []
    assert _outbox(db) == []
    with db.session() as session:
        health = session.get(OutletHealth, "wp")
        assert health is not None and not health.layout_alerted

    # The same two briefs judged on their own, as one process judges its whole crawl: an alarm.
    # (This is what each worker did with its own share.)
    assert extraction_broken(briefs, health.typical_text_chars)

    for _ in range(4):  # the layout changed: each worker's pages come out short or empty
        notices = record_health(db, {"wp": _pages([300], empty=1)}, CONFIG, OPERATORS, pooled=True)
        assert notices == []  # 8 pages seen so far: not enough to judge
    (broken,) = record_health(db, {"wp": _pages([250, 200])}, CONFIG, OPERATORS, pooled=True)
    assert broken.kind == "no-text" and "far shorter than usual" in broken.text
    assert "over 10 pages" in broken.text
