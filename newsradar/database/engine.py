"""Engine, sessions and schema migrations.

The schema is created and upgraded by Alembic on every start, so a fresh SQLite file and an
existing PostgreSQL database go through the same migrations. Commands that only read (`status`,
`backtest`) open the database read-only instead: they never create one where there is none (a
mistyped path would otherwise show an empty table), and they read a database on a read-only disk
or behind read-only permissions.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from newsradar.processes.exit_codes import MissingInput, NewerDatabase

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseMissing(MissingInput):
    """A reading command was pointed at a database that does not exist (or holds no tables)."""


def make_engine(database_url: str, *, read_only: bool = False) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        if read_only and url.get_backend_name() == "postgresql":
            options = {"options": "-c default_transaction_read_only=on"}
            return create_engine(url, pool_pre_ping=True, connect_args=options)
        return create_engine(url, pool_pre_ping=True)
    on_disk = bool(url.database) and url.database != ":memory:"
    if read_only and on_disk:
        path = _existing_file(Path(url.database or "").expanduser())
        engine = create_engine(url, creator=lambda: _read_only_connection(path))
        event.listen(engine, "connect", _read_only_pragmas)
        return engine
    if on_disk:
        Path(url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _existing_file(path: Path) -> Path:
    if not path.is_file():
        raise DatabaseMissing(
            f"no database at {path.absolute()}: `newsradar run-once` creates it; or set "
            "NEWSRADAR_DATABASE_URL to the one to read (default: newsradar.db in the "
            "current directory)"
        )
    return path.resolve()


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """SQLite's own read-only mode. Reading a WAL database needs its shared-memory file, which
    cannot be made on a read-only disk: there, where no process can be writing, the file is
    read as it stands (`immutable`)."""
    uri = f"file:{quote(str(path))}"
    connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, check_same_thread=False)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        connection.close()
        if os.access(path.parent, os.W_OK):
            raise
        connection = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    return connection


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL keeps readers and the writer apart; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Setting the journal mode is a write, refused on a read-only disk; a writer set it."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent); a database at a revision this
    version does not know is refused before the migration tool is asked to find it."""
    config = _alembic_config()
    with engine.begin() as connection:
        for revision in MigrationContext.configure(connection).get_current_heads():
            _refuse_unknown(engine, revision)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@lru_cache(maxsize=1)
def _known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(_alembic_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


def _refuse_unknown(engine: Engine, revision: str) -> None:
    if revision not in _known_revisions():
        where = engine.url.render_as_string(hide_password=True)
        raise NewerDatabase(
            f"the database {where} was made by a newer newsradar (schema revision {revision}, "
            f"unknown to newsradar {version('newsradar')}): upgrade newsradar, or point "
            "NEWSRADAR_DATABASE_URL at another database"
        )


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at; None where newsradar has created no tables."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


class Database:
    """One engine and its session factory, migrated on open; or, `read_only`, for reading only:
    an existing database, brought up to date first only when its schema is older."""

    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        if read_only:
            self.engine = _open_for_reading(database_url)
        else:
            self.engine = make_engine(database_url)
            migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


def _open_for_reading(database_url: str) -> Engine:
    engine = make_engine(database_url, read_only=True)
    revision = schema_revision(engine)
    if revision is None:
        engine.dispose()
        raise DatabaseMissing(
            f"{make_url(database_url).render_as_string(hide_password=True)} holds no newsradar "
            "database yet; run `newsradar run-once` first, or check NEWSRADAR_DATABASE_URL"
        )
    if revision != head_revision():  # older: upgrading it needs write access, once
        try:
            _refuse_unknown(engine, revision)
        except NewerDatabase:
            engine.dispose()
            raise
        writer = make_engine(database_url)
        try:
            migrate(writer)
        finally:
            writer.dispose()
    return engine


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (its result is a cursor result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def upsert(
    session: Session,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    update: tuple[str, ...],
) -> None:
    """Insert `rows`, or set their `update` columns where the primary key is already stored:
    one statement, and no lost race between two processes storing the same key."""
    if rows:
        statement = _upsert_statement(session.get_bind().dialect.name, model, update)
        session.connection().execute(statement, rows)  # Core: no ORM bookkeeping needed


@lru_cache(maxsize=64)
def _upsert_statement(dialect: str, model: type[DeclarativeBase], update: tuple[str, ...]) -> Any:
    """Built once per table: the statement's compiled form is then cached as well."""
    statement = {"postgresql": postgresql, "sqlite": sqlite}[dialect].insert(model)
    keys = [column.name for column in model.__table__.primary_key]
    return statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in update}
    )
