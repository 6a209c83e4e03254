"""Storage: SQLAlchemy models and the database they live in."""

from newsradar.storage.db import Database
from newsradar.storage.models import (
    Article,
    Chat,
    MatchRow,
    OutboxRow,
    OutletHealth,
    SeenUrl,
    Subscription,
    utcnow,
)

__all__ = [
    "Article",
    "Chat",
    "Database",
    "MatchRow",
    "OutboxRow",
    "OutletHealth",
    "SeenUrl",
    "Subscription",
    "utcnow",
]
