"""A database as a newer newsradar leaves it: migrated to this version's head, then stamped
with a revision this version does not have."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from newsradar.database import Database

NEWER_REVISION = "f00dfeedbeef"  # what a later version's migration would be called


def newer_database(where: Path) -> str:
    """Its SQLAlchemy URL."""
    url = f"sqlite:///{where}"
    Database(url).close()
    connection = sqlite3.connect(where)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (NEWER_REVISION,))
    connection.close()
    return url
