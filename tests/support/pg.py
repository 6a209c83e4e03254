"""A fresh PostgreSQL database per test, on the server at 127.0.0.1:5432 (or
$NEWSRADAR_TEST_POSTGRES_URL), created with a unique name and dropped afterwards.

Tests that need it are skipped, with how to start the server, when it cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

SERVER_ENV = "NEWSRADAR_TEST_POSTGRES_URL"
DEFAULT_SERVERS = (
    "postgresql+psycopg://root@127.0.0.1:5432/test",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
)
HOW_TO_START = (
    "PostgreSQL is not reachable at 127.0.0.1:5432 (trust auth, user root or postgres, database "
    "test). Start one, e.g. `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust "
    "-e POSTGRES_DB=test postgres:16`, or `sudo service postgresql start`; or point "
    f"${SERVER_ENV} at a server URL (postgresql+psycopg://user@host:port/db) where that user may "
    "CREATE DATABASE."
)


def server_url() -> URL | None:
    """The first configured server that answers, as a SQLAlchemy URL; None when none does."""
    candidates = [os.environ[SERVER_ENV]] if os.environ.get(SERVER_ENV) else DEFAULT_SERVERS
    for candidate in candidates:
        url = make_url(candidate)
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return url
        except OperationalError:
            continue
        finally:
            engine.dispose()
    return None


def require_server() -> URL:
    url = server_url()
    if url is None:
        override = os.environ.get(SERVER_ENV)
        tried = f"{SERVER_ENV}={override} does not answer. " if override else ""
        pytest.skip(tried + HOW_TO_START)
    return url


def _admin(server: URL):  # type: ignore[no-untyped-def]
    return create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")


def create_database(server: URL, prefix: str = "newsradar_test") -> str:
    """CREATE DATABASE with a unique name; returns its URL (password included)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = _admin(server)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(server: URL, database_url: str) -> None:
    """Drop it, ending any session a killed test process may have left behind."""
    name = make_url(database_url).database
    engine = _admin(server)
    try:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of an empty PostgreSQL database that exists for this test only."""
    server = require_server()
    url = create_database(server)
    try:
        yield url
    finally:
        drop_database(server, url)
