"""what workers sharing one crawl keep in the database: the article pages a discovery read led to
(its validators count once they are dealt with), and the text lengths the workers saw of an
outlet's pages since its last text verdict

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("discovery_cache") as batch:
        batch.add_column(sa.Column("pending_urls", sa.JSON(), nullable=True))
    with op.batch_alter_table("outlet_health") as batch:
        batch.add_column(sa.Column("pooled_text_chars", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("pooled_textless", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outlet_health") as batch:
        batch.drop_column("pooled_textless")
        batch.drop_column("pooled_text_chars")
    with op.batch_alter_table("discovery_cache") as batch:
        batch.drop_column("pending_urls")
