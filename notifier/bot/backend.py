"""What the bot needs from the rest of the service.

The bot only talks to this Protocol, so `notifier/` stays free of the database and the config
loader; the service implements it over both. Every method acts on the chat it is given and no
other, which is how a subscriber can only ever change its own chat.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from notifier.outbox_states import DigestMode
from notifier.query import Query

# Personal watchlists appear among the operators' ones as "#<id>": operator ids cannot start
# with "#", so the two never collide.
PERSONAL_PREFIX = "#"


def personal_id(watch_id: int) -> str:
    return f"{PERSONAL_PREFIX}{watch_id}"


def parse_personal_id(watchlist_id: str) -> int | None:
    """The personal watchlist number in "#12", or None for an operator's watchlist."""
    if watchlist_id.startswith(PERSONAL_PREFIX) and watchlist_id[1:].isdigit():
        return int(watchlist_id[1:])
    return None


class JoinResult(enum.Enum):
    DONE = "done"
    ALREADY = "already"
    UNKNOWN = "unknown"
    CLOSED = "closed"


class LeaveResult(enum.Enum):
    DONE = "done"
    NOT_SUBSCRIBED = "not_subscribed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class WatchlistInfo:
    id: str
    title: str
    query: str


@dataclass(frozen=True)
class Membership:
    """A watchlist this chat receives, and whether it is muted for now."""

    watchlist: WatchlistInfo
    by_operator: bool  # the operator listed this chat in the watchlist's file
    muted_until: datetime | None = None


@dataclass(frozen=True)
class ChatSettings:
    paused: bool = False
    digest: DigestMode = DigestMode.OFF


@dataclass(frozen=True)
class PersonalWatch:
    id: int
    query: str


@dataclass(frozen=True)
class TriedArticle:
    title: str
    url: str
    outlet: str
    published: datetime | None
    terms: tuple[str, ...]


@dataclass(frozen=True)
class TryResult:
    total: int
    newest: Sequence[TriedArticle]  # the newest matches, at most the limit asked for
    scanned: int = 0  # the articles looked at, so a query that matches most of them is told


@dataclass(frozen=True)
class OutletReport:
    id: str
    name: str
    enabled: bool
    last_success: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    articles_last_day: int
    consecutive_failures: int


class BotBackend(Protocol):
    async def register_chat(self, chat_id: int, kind: str) -> None:
        """Remember the chat; a chat that had blocked the bot and talks again is back."""

    async def open_watchlists(self) -> Sequence[WatchlistInfo]: ...

    async def memberships(self, chat_id: int) -> Sequence[Membership]: ...

    async def subscribe(self, chat_id: int, watchlist_id: str) -> JoinResult: ...

    async def unsubscribe(self, chat_id: int, watchlist_id: str) -> LeaveResult: ...

    async def chat_settings(self, chat_id: int) -> ChatSettings: ...

    async def set_paused(self, chat_id: int, paused: bool) -> bool:
        """Pause or resume; False when the chat already was so (the reply says it)."""

    async def set_digest(self, chat_id: int, mode: DigestMode) -> None: ...

    async def personal_watches(self, chat_id: int) -> Sequence[PersonalWatch]: ...

    async def add_watch(self, chat_id: int, query: str, max_watches: int) -> PersonalWatch | None:
        """Save a validated query; None when the chat already has `max_watches`."""

    async def remove_watch(self, chat_id: int, watch_id: int) -> bool:
        """Remove one of this chat's watches; False when it has no such watch."""

    async def mute(self, chat_id: int, watchlist_id: str, until: datetime) -> None: ...

    async def unmute(self, chat_id: int, watchlist_id: str) -> bool:
        """Lift a mute for a while; False when there is none (an opt-out is lifted by
        subscribing, not here)."""

    async def try_query(self, query: Query, since: timedelta, limit: int) -> TryResult: ...

    async def outlet_reports(self) -> Sequence[OutletReport]: ...
