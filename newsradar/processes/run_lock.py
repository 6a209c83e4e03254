"""One `run-once` at a time: a slow run and the next timer tick never crawl or alert twice.

With SQLite the lock is an OS file lock (flock) on a file next to the database; with PostgreSQL it
is a session-level advisory lock, so runs started on several machines against one database exclude
each other too. The kernel or the database server releases either when the holding process dies,
even by kill -9, so a crashed run never leaves the lock held.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from newsradar.database.advisory_locks import lock_key

# sysexits.h EX_TEMPFAIL: "try again later"; what `run-once` exits with when another run holds
# the lock for longer than it was willing to wait.
EXIT_BUSY = 75
DEFAULT_WAIT = 5.0
POLL_SECONDS = 0.2


class RunLockBusy(Exception):
    """Another run holds the lock."""

    def __init__(self, where: str, waited: float) -> None:
        self.where = where
        self.waited = waited
        super().__init__(f"another run holds the lock ({where}); waited {waited:g}s")


@contextmanager
def run_lock(
    database_url: str, *, wait: float = DEFAULT_WAIT, name: str = "run-once"
) -> Iterator[str]:
    """Hold the lock for `name` on this database, waiting up to `wait` seconds for it.

    Yields where the lock lives (for messages); raises `RunLockBusy` when it stays taken.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        with _advisory_lock(database_url, name, wait) as where:
            yield where
    else:
        with _file_lock(_lock_path(database_url, name), wait) as where:
            yield where


def _lock_path(database_url: str, name: str) -> Path:
    """Next to an SQLite file; elsewhere a per-database file in the temporary directory."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database).expanduser().resolve()
        return database.with_name(f"{database.name}.{name}.lock")
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"newsradar-{digest}.{name}.lock"


@contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait, 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunLockBusy(str(path), wait) from None
                time.sleep(POLL_SECONDS)
        # For whoever looks at the file: which process holds it (the lock itself is the flock).
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield str(path)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return lock_key(f"newsradar:{name}", bits=64)


@contextmanager
def _advisory_lock(database_url: str, name: str, wait: float) -> Iterator[str]:
    key = advisory_key(name)
    where = f"PostgreSQL advisory lock {key}"
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            deadline = time.monotonic() + max(wait, 0)
            while not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
                if time.monotonic() >= deadline:
                    raise RunLockBusy(where, wait)
                time.sleep(POLL_SECONDS)
            try:
                yield where
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        engine.dispose()
