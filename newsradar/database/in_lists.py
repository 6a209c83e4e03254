"""Long lists of keys as several `IN (...)` lists: databases cap how many parameters one
statement may bind (SQLite 32,766, PostgreSQL 65,535), and huge lists plan badly."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

IN_LIST_SIZE = 500
K = TypeVar("K", bound=Any)


def in_lists(keys: Iterable[K]) -> Iterator[list[K]]:
    """The keys, sorted (so rows are locked in one order by everyone), in lists of at most
    IN_LIST_SIZE."""
    ordered = sorted(keys)
    for start in range(0, len(ordered), IN_LIST_SIZE):
        yield ordered[start : start + IN_LIST_SIZE]
