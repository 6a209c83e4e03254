"""Schema migrations (newsradar/database/migrations/): they create exactly the models' schema, on
SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from newsradar.database import Database
from newsradar.database.engine import MIGRATIONS
from newsradar.database.models import Base


def test_migrations_create_exactly_the_models_schema(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert {
        "articles",
        "seen_urls",
        "matches",
        "outbox",
        "subscriptions",
        "chats",
        "outlet_health",
    } <= set(inspect(db.engine).get_table_names())
    Database(f"sqlite:///{tmp_path / 'a.db'}").close()  # migrating again is a no-op


def test_migrations_create_exactly_the_models_schema_on_postgresql(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head
    finally:
        db.close()
    Database(pg_url).close()  # a second open finds the schema current and changes nothing
