"""Exit codes of the `newsradar` command, and the known operational failures each one means.

A failure of the machine rather than of newsradar (the database's disk read-only or full, the
database locked by another process past its time-out, the metrics port taken) ends a command
with one line saying what is wrong and a documented exit code (README "Commands"), not a
traceback: an operator or a service manager can act on both. The codes are the customary ones
for "data format error" (65), "no such input" (66), "service unavailable" (69), "input/output
error" (74), "try again later" (75) and a command ended by Ctrl-C (130).
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2  # invalid configuration
EXIT_DATAERR = 65  # the database was made by a newer newsradar: its schema is unknown here
EXIT_NOINPUT = 66  # status, backtest: there is no database where it was looked for
EXIT_UNAVAILABLE = 69  # the metrics port is in use, or Redis unreachable other than at start
EXIT_IO = 74  # the database cannot be written: read-only or disk full
EXIT_TEMPFAIL = 75  # try again later: another run in progress, or the database locked
# run-once: Telegram refused the bot token (unknown or revoked); everything else was done.
EXIT_TOKEN_REFUSED = 78
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); serve and worker, once running, stop cleanly

# What SQLite and PostgreSQL say, lower-cased, for each failure.
READ_ONLY = (
    "attempt to write a readonly database",
    "readonly database",
    "read-only transaction",
    "read-only file system",
)
DISK_FULL = ("database or disk is full", "no space left on device", "disk full")
LOCKED = ("database is locked", "lock timeout", "database table is locked")
CANNOT_OPEN = ("unable to open database file",)
IO_ERROR = ("disk i/o error",)


class MissingInput(Exception):
    """What a command was to read is not there (its message says what and where)."""


class NewerDatabase(Exception):
    """The database's schema is at a revision this newsradar does not know: a newer version
    made it, and migrating it back is not this version's to do (its message says so)."""


@dataclass(frozen=True)
class KnownFailure:
    line: str
    code: int


def known_failure(exc: BaseException) -> KnownFailure | None:
    """The one line and exit code for an operational failure anywhere in ``exc``'s chain (a
    database error arrives wrapped by the ORM); None for anything else, which stays a bug."""
    for error in _chain(exc):
        if isinstance(error, MissingInput):
            return KnownFailure(str(error), EXIT_NOINPUT)
        if isinstance(error, NewerDatabase):
            return KnownFailure(str(error), EXIT_DATAERR)
        if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
            what = error.strerror or "address already in use"
            return KnownFailure(f"{what}; choose another --metrics-port", EXIT_UNAVAILABLE)
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return KnownFailure("the disk is full: free space and run again", EXIT_IO)
        if isinstance(error, OSError) and error.errno == errno.EROFS:
            return KnownFailure("the database's file system is read-only", EXIT_IO)
        redis_error = type(error).__module__.startswith("redis.")
        if redis_error and type(error).__name__ in ("ConnectionError", "TimeoutError"):
            return KnownFailure(f"the frontier (Redis) is unreachable: {error}", EXIT_UNAVAILABLE)
        failure = _database_failure(str(error).lower())
        if failure is not None and _is_database_error(error):
            return failure
    return None


def _database_failure(message: str) -> KnownFailure | None:
    if 'database "' in message and "does not exist" in message:  # PostgreSQL's
        return KnownFailure(
            "the database in NEWSRADAR_DATABASE_URL does not exist: create it (createdb) "
            "or fix the URL",
            EXIT_NOINPUT,
        )
    if any(text in message for text in READ_ONLY):
        return KnownFailure(
            "the database is read-only (its file, directory or disk cannot be written)", EXIT_IO
        )
    if any(text in message for text in DISK_FULL):
        return KnownFailure("the database's disk is full: free space and run again", EXIT_IO)
    if any(text in message for text in LOCKED):
        return KnownFailure(
            "the database stayed locked by another process past its time-out (30 s); "
            "try again later",
            EXIT_TEMPFAIL,
        )
    if any(text in message for text in IO_ERROR):
        return KnownFailure(
            "the database's disk could not be written (disk I/O error: is it full?)", EXIT_IO
        )
    if any(text in message for text in CANNOT_OPEN):
        return KnownFailure(
            "the database file cannot be opened or created (a read-only disk, or permissions)",
            EXIT_IO,
        )
    return None


def _is_database_error(error: BaseException) -> bool:
    """SQLite's and PostgreSQL's driver errors, and the ORM's wrapping of them."""
    module = type(error).__module__.split(".")[0]
    return module in {"sqlite3", "sqlalchemy", "psycopg", "psycopg2"} or (
        type(error).__name__ == "OperationalError"
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        todo.extend(e for e in (error.__cause__, error.__context__) if e is not None)
        if isinstance(error, BaseExceptionGroup):
            todo.extend(error.exceptions)
