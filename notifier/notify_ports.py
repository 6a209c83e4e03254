"""What the notifier's stages need from storage and from the config, as Protocols.

`notifier/` never imports the application: the stages talk to these ports, and the application
implements them (newsradar/database/match_store.py, newsradar/database/outbox_store.py). The
bot's port is notifier/bot/backend.py.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from notifier.alert_payload import AlertPayload
from notifier.outbox_states import DigestMode, OutboxStatus
from notifier.query import Query


# ----- the config ---------------------------------------------------------------------------------
class WatchlistSpec(Protocol):
    """An operator's watchlist as the config file states it (newsradar.config.Watchlist)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def query(self) -> Query: ...
    @property
    def chats(self) -> Sequence[int]: ...
    @property
    def min_hits(self) -> int: ...
    @property
    def title_only(self) -> bool: ...

    def applies_to(self, outlet_id: str) -> bool:
        """Whether articles of this outlet are matched (the watchlist's `outlets`)."""


# ----- stored articles ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredArticle:
    id: int
    outlet_id: str
    title: str | None
    canonical_url: str
    published: datetime | None
    fetched_at: datetime
    text: str
    language: str | None = None  # ISO 639-1, declared or identified; None when unknown

    @property
    def when(self) -> datetime:
        """The article's date: published, or when it was fetched if it has none."""
        return self.published or self.fetched_at


class ArticleArchive(Protocol):
    def newest_first(self, window: timedelta, limit: int | None = None) -> Iterator[StoredArticle]:
        """Stored articles dated within `window` of now, newest first (at most `limit`)."""


# ----- matching -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PendingArticle:
    """An article stored and not yet matched."""

    id: int
    outlet_id: str
    title: str
    text: str
    alertable: bool  # False: back catalogue or an old story, done without being matched
    language: str | None = None  # ISO 639-1, for lang: in queries; None when unknown


@dataclass(frozen=True)
class PersonalWatchRow:
    """A subscriber's own query (`/watch`), as saved."""

    id: int
    chat_id: int
    query: str


@dataclass(frozen=True)
class MatchRecord:
    """An operator watchlist that matched an article, kept for the record."""

    watchlist_id: str
    terms: tuple[str, ...]


class MatchingBatch(Protocol):
    """Pending articles claimed in one transaction: what is recorded commits with the claim
    when the `with` block ends, and none of it if the block raises."""

    articles: Sequence[PendingArticle]

    def personal_watches(self) -> Sequence[PersonalWatchRow]: ...

    def chats_by_watchlist(
        self, listed: Mapping[str, Collection[int]], owners: Mapping[str, int]
    ) -> dict[str, set[int]]:
        """Who gets each watchlist now: the chats the operator `listed` (followed to the
        supergroup a group became) and those that subscribed themselves; each personal
        watchlist's owner (`owners`); minus paused or gone chats and chats that muted it."""

    def record(
        self, article_id: int, matches: Sequence[MatchRecord], alerts: Mapping[int, AlertPayload]
    ) -> int:
        """Mark the article matched, store its matches and one pending alert per chat (none for a
        chat that already has this article); how many alerts were queued."""


class MatchingStore(Protocol):
    def mark_silent_done(self) -> int:
        """Mark every pending article that cannot alert as matched; how many there were."""

    def claim_pending(self, limit: int) -> AbstractContextManager[MatchingBatch]:
        """The oldest pending articles, at most `limit`, held until the block ends: another
        process claiming at the same time gets other articles (SKIP LOCKED on PostgreSQL)."""


# ----- the outbox ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PendingRow:
    """A pending outbox row and who holds it, if anyone."""

    id: int
    chat_id: int
    kind: str
    claimed_by: str | None
    claimed_at: datetime | None


@dataclass(frozen=True)
class ChatState:
    paused: bool = False
    gone: bool = False
    digest: DigestMode = DigestMode.OFF
    last_digest_at: datetime | None = None


@dataclass(frozen=True)
class ClaimedRow:
    """An outbox row this sender holds, with its article (None for notices, or when the
    article was deleted)."""

    id: int
    chat_id: int
    kind: str
    payload: Mapping[str, Any]
    created_at: datetime
    article_id: int | None
    article: StoredArticle | None


class OutboxStore(Protocol):
    def pending_rows(self) -> Sequence[PendingRow]:
        """Every pending row, oldest first."""

    def chat_states(self) -> Mapping[int, ChatState]:
        """Settings of the chats that have any (a chat without a row has the defaults)."""

    def claim(self, holder: str, candidates: Collection[int], now: datetime) -> list[int]:
        """Take these rows for `holder`, except those of chats another live holder is sending
        to (see notifier.delivery_plan.busy_chats); decided as one step, so two senders never
        hold one chat. The ids `holder` now holds."""

    def release(self, holder: str, row_ids: Collection[int] | None = None) -> None:
        """Give back what `holder` holds (all of it, or these rows)."""

    def claimed(self, holder: str) -> Sequence[ClaimedRow]:
        """The rows `holder` holds, oldest first."""

    def finish(
        self,
        row_ids: Collection[int],
        status: OutboxStatus,
        *,
        error: str | None = None,
        message_id: int | None = None,
        resend_after: datetime | None = None,
    ) -> int:
        """Record one send of these rows (PENDING: to be sent again) and let go of them; how
        many rows there were. UNCERTAIN (answer lost) rows go out once more, not before
        `resend_after`; a row whose second answer is lost too becomes UNCONFIRMED."""

    def mark_gone(self, chat_id: int) -> None:
        """The chat blocked the bot: remember it, and hold its pending rows."""

    def migrate_chat(self, old: int, new: int) -> None:
        """A group became a supergroup: its settings, subscriptions and queue follow it."""

    def digest_done(self, chat_id: int, now: datetime) -> None: ...
