"""Storage: SQLAlchemy models and the database they live in."""

from newsradar.storage.db import Database, upsert
from newsradar.storage.models import (
    Article,
    Chat,
    ChatWatchlist,
    DiscoveryCache,
    MatchRow,
    Mute,
    OutboxRow,
    OutletHealth,
    RobotsCache,
    SeenUrl,
    Subscription,
    TextlessPage,
    utcnow,
)

__all__ = [
    "Article",
    "Chat",
    "ChatWatchlist",
    "Database",
    "DiscoveryCache",
    "MatchRow",
    "Mute",
    "OutboxRow",
    "OutletHealth",
    "RobotsCache",
    "SeenUrl",
    "Subscription",
    "TextlessPage",
    "upsert",
    "utcnow",
]
