"""pages without article text, fetched again a few times before they count as seen

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "textless_pages",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("outlet_id", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_after", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_index("ix_textless_pages_retry_after", "textless_pages", ["retry_after"])


def downgrade() -> None:
    op.drop_index("ix_textless_pages_retry_after", table_name="textless_pages")
    op.drop_table("textless_pages")
