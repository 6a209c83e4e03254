"""Opening the database (newsradar/database/engine.py): writers create and migrate it; readers
(`status`, `backtest`) never create one, never write, and read a database they cannot write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError

from newsradar.database import Database, OutletHealth
from newsradar.database.engine import (
    MIGRATIONS,
    DatabaseMissing,
    head_revision,
    make_engine,
    schema_revision,
)
from newsradar.processes.exit_codes import (
    EXIT_DATAERR,
    EXIT_NOINPUT,
    NewerDatabase,
    known_failure,
)
from tests.support.newer_schema import NEWER_REVISION, newer_database


def test_a_reader_never_creates_a_database(tmp_path: Path) -> None:
    where = tmp_path / "typo" / "newsradar.db"
    with pytest.raises(DatabaseMissing) as caught:
        Database(f"sqlite:///{where}", read_only=True)
    assert not where.parent.exists()
    assert str(where) in str(caught.value) and "run-once" in str(caught.value)
    failure = known_failure(caught.value)
    assert failure is not None and failure.code == EXIT_NOINPUT


def test_a_file_without_newsradar_tables_is_no_database(tmp_path: Path) -> None:
    where = tmp_path / "other.db"
    sqlite3.connect(where).close()
    with pytest.raises(DatabaseMissing, match="holds no newsradar database"):
        Database(f"sqlite:///{where}", read_only=True)


def test_a_reader_reads_and_cannot_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    writer = Database(url)
    with writer.session() as session, session.begin():
        session.add(OutletHealth(outlet_id="rs"))
    writer.close()

    reader = Database(url, read_only=True)
    try:
        with reader.session() as session:
            assert [row.outlet_id for row in session.query(OutletHealth)] == ["rs"]
        with pytest.raises(OperationalError, match="readonly"), reader.engine.begin() as c:
            c.execute(text("DELETE FROM outlet_health"))
    finally:
        reader.close()


def test_a_reader_brings_an_older_schema_up_to_date_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    Database(url).close()
    engine = make_engine(url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    older = schema_revision(engine)
    engine.dispose()
    assert older is not None and older != head_revision()

    reader = Database(url, read_only=True)
    assert schema_revision(reader.engine) == head_revision()
    reader.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_database_of_a_newer_version_is_refused_untouched(
    tmp_path: Path, read_only: bool
) -> None:
    where = tmp_path / "n.db"
    url = newer_database(where)
    before = where.read_bytes()

    with pytest.raises(NewerDatabase) as caught:
        Database(url, read_only=read_only)

    line = str(caught.value)
    assert "\n" not in line and NEWER_REVISION in line and str(where) in line
    assert "made by a newer newsradar" in line and "upgrade newsradar" in line
    failure = known_failure(caught.value)
    assert failure is not None and failure.code == EXIT_DATAERR
    assert where.read_bytes() == before


def test_a_reader_on_postgresql_is_refused_writes(pg_url: str) -> None:
    Database(pg_url).close()
    reader = Database(pg_url, read_only=True)
    try:
        with pytest.raises(DBAPIError, match="read-only"), reader.engine.begin() as c:
            c.execute(text("DELETE FROM outlet_health"))
    finally:
        reader.close()


def test_a_postgresql_database_that_does_not_exist_is_named(pg_url: str) -> None:
    missing = make_url(pg_url).set(database="newsradar_no_such_database")
    with pytest.raises(OperationalError) as caught:
        Database(missing.render_as_string(hide_password=False), read_only=True)
    failure = known_failure(caught.value)
    assert failure is not None and failure.code == EXIT_NOINPUT
    assert "does not exist" in failure.line
