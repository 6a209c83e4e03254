"""Known operational failures (newsradar/processes/exit_codes.py), raised for real by SQLite, the
ORM and the socket layer, become one line and their documented exit code; anything else stays
a bug (None)."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from newsradar.processes.exit_codes import (
    EXIT_IO,
    EXIT_TEMPFAIL,
    EXIT_UNAVAILABLE,
    known_failure,
)


def raised(action: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as caught:
        action()
    return caught.value


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("create table t (x blob)")
    return path


def test_read_only_database(database: Path) -> None:
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    failure = known_failure(raised(lambda: db.execute("insert into t values (1)")))
    assert failure is not None and failure.code == EXIT_IO and "read-only" in failure.line


def test_full_database_through_the_orm(database: Path) -> None:
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        connection.execute(text("pragma max_page_count = 3"))  # a disk with no room left

        def grow() -> None:
            connection.execute(text("insert into t values (zeroblob(100000))"))

        failure = known_failure(raised(grow))
    assert failure is not None and failure.code == EXIT_IO and "full" in failure.line


def test_database_locked_past_its_time_out(database: Path) -> None:
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("begin immediate")
    engine = create_engine(f"sqlite:///{database}", connect_args={"timeout": 0})

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("insert into t values (1)"))

    failure = known_failure(raised(write))
    holder.close()
    assert failure is not None and failure.code == EXIT_TEMPFAIL and "locked" in failure.line


def test_port_in_use() -> None:
    with socket.socket() as taken, socket.socket() as second:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        error = raised(lambda: second.bind(taken.getsockname()))
    failure = known_failure(error)
    assert failure is not None and failure.code == EXIT_UNAVAILABLE


def test_a_wrapped_failure_is_found_in_the_chain(database: Path) -> None:
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        try:
            db.execute("insert into t values (1)")
        except sqlite3.OperationalError as exc:
            raise RuntimeError("storing failed") from exc
    except RuntimeError as outer:
        failure = known_failure(outer)
    assert failure is not None and failure.code == EXIT_IO


@pytest.mark.parametrize(
    "error",
    [ValueError("database is locked"), KeyError("x"), OSError(2, "No such file or directory")],
)
def test_anything_else_stays_a_bug(error: BaseException) -> None:
    assert known_failure(error) is None
