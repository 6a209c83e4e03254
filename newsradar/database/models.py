"""Tables. The schema itself is owned by the Alembic migrations; these mirror them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from notifier.outbox_states import DigestMode, OutboxKind, OutboxStatus


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, whatever the engine stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[int] = mapped_column(BigInteger)
    # Four 16-bit slices of the fingerprint: two texts within 3 differing bits share at least one.
    fp_band0: Mapped[int] = mapped_column(Integer)
    fp_band1: Mapped[int] = mapped_column(Integer)
    fp_band2: Mapped[int] = mapped_column(Integer)
    fp_band3: Mapped[int] = mapped_column(Integer)
    lead: Mapped[str] = mapped_column(String(16), index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    alertable: Mapped[bool] = mapped_column(Boolean)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_articles_fp_band0", "fp_band0"),
        Index("ix_articles_fp_band1", "fp_band1"),
        Index("ix_articles_fp_band2", "fp_band2"),
        Index("ix_articles_fp_band3", "fp_band3"),
        Index("ix_articles_pending_match", "matched_at"),
    )


class SeenUrl(Base):
    """Every URL that led to a stored article (or to its duplicate), or to a page that had no
    article text however often it was fetched: never fetched again."""

    __tablename__ = "seen_urls"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    outlet_id: Mapped[str] = mapped_column(String(100))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Refreshed when a discovery source lists the URL again; entries expire by it.
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class TextlessPage(Base):
    """A page fetched without article text, waiting to be fetched again (see
    newsradar.database.article_store)."""

    __tablename__ = "textless_pages"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    outlet_id: Mapped[str] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer)
    retry_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DiscoveryCache(Base):
    """Validators of a feed, sitemap or listing page, for conditional GET on the next crawl."""

    __tablename__ = "discovery_cache"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    outlet_id: Mapped[str] = mapped_column(String(100), index=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Workers: the new article URLs that read led to; the validators count once each is known.
    pending_urls: Mapped[list[str] | None] = mapped_column(JSON)


class RobotsCache(Base):
    """A host's robots.txt as last fetched: re-read once it is older than `crawl.robots_ttl`."""

    __tablename__ = "robots_cache"

    netloc: Mapped[str] = mapped_column(String(255), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchRow(Base):
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    watchlist_id: Mapped[str] = mapped_column(String(100), index=True)
    terms: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("article_id", "watchlist_id", name="uq_match"),)


class OutboxRow(Base):
    """One message to one chat. Rows for articles are unique per (article, chat)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=OutboxKind.ALERT)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A sender process holding the row while it is on the wire; a stale claim is taken over.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An uncertain row (answer lost) is sent again no earlier than this.
    resend_after: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("article_id", "chat_id", name="uq_outbox_article_chat"),
        Index("ix_outbox_status", "status"),
    )


class Chat(Base):
    __tablename__ = "chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[str] = mapped_column(String(16), default=DigestMode.OFF)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str | None] = mapped_column(String(16))  # private, group, supergroup, channel
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The supergroup this group became: the operator's YAML may still list the old id.
    moved_to: Mapped[int | None] = mapped_column(BigInteger)


class Subscription(Base):
    """A chat that subscribed itself to an open watchlist (YAML chats are subscribed as well)."""

    __tablename__ = "subscriptions"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    watchlist_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatWatchlist(Base):
    """A subscriber's own query (`/watch`), matched like an operator's watchlist."""

    __tablename__ = "chat_watchlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mute(Base):
    """A chat silenced one watchlist until a time (the alert's "mute for a day" button)."""

    __tablename__ = "mutes"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    watchlist_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class OutletHealth(Base):
    __tablename__ = "outlet_health"

    outlet_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_crawl_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    articles_last_run: Mapped[int] = mapped_column(Integer, default=0)
    articles_total: Mapped[int] = mapped_column(Integer, default=0)
    pages_without_text_last_run: Mapped[int] = mapped_column(Integer, default=0)
    pages_fetched_last_run: Mapped[int] = mapped_column(Integer, default=0)
    extraction_failures_total: Mapped[int] = mapped_column(Integer, default=0)
    # Median body length of recent runs: a run far below it means the layout changed.
    typical_text_chars: Mapped[int | None] = mapped_column(Integer)
    text_chars_last_run: Mapped[int | None] = mapped_column(Integer)
    # Operator alerts already sent for the current trouble; cleared by the recovery message.
    failing_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    layout_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Workers: text lengths (and pages without text) seen since the last text verdict, pooled
    # across workers so that no verdict comes from one worker's few pages.
    pooled_text_chars: Mapped[list[int] | None] = mapped_column(JSON)
    pooled_textless: Mapped[int | None] = mapped_column(Integer)
