"""discovery validators, seen-URL expiry, personal watchlists, mutes, digests, outlet health
alerts and outbox claims

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discovery_cache",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("outlet_id", sa.String(length=100), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )
    with op.batch_alter_table("discovery_cache", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discovery_cache_outlet_id"), ["outlet_id"])

    op.create_table(
        "chat_watchlists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("chat_watchlists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_watchlists_chat_id"), ["chat_id"])

    op.create_table(
        "mutes",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("watchlist_id", sa.String(length=100), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "watchlist_id"),
    )

    with op.batch_alter_table("seen_urls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_seen_urls_last_seen"), ["last_seen"])

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("outlet_health", schema=None) as batch_op:
        for name in ("pages_fetched_last_run", "extraction_failures_total"):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("typical_text_chars", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("text_chars_last_run", sa.Integer(), nullable=True))
        for name in ("failing_alerted", "layout_alerted"):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )


def downgrade() -> None:
    with op.batch_alter_table("outlet_health", schema=None) as batch_op:
        for name in (
            "layout_alerted",
            "failing_alerted",
            "text_chars_last_run",
            "typical_text_chars",
            "extraction_failures_total",
            "pages_fetched_last_run",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("kind")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("seen_urls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_urls_last_seen"))
        batch_op.drop_column("last_seen")
    op.drop_table("mutes")
    with op.batch_alter_table("chat_watchlists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_watchlists_chat_id"))
    op.drop_table("chat_watchlists")
    with op.batch_alter_table("discovery_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discovery_cache_outlet_id"))
    op.drop_table("discovery_cache")
