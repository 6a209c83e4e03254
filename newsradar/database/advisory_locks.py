"""Keys for PostgreSQL's advisory locks, derived from names so every process agrees on them."""

from __future__ import annotations

import hashlib
from typing import Literal


def lock_key(name: str, *, bits: Literal[32, 64] = 32) -> int:
    """A stable signed key: 64 bits for the one-key lock functions, 32 for each half of the
    two-key ones (a namespace and a key within it)."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[: bits // 8], "big", signed=True)
