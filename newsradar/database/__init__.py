"""The database: models, migrations, and the stores the stages reach through their ports."""

from newsradar.database.engine import Database, rows_changed, upsert
from newsradar.database.models import (
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
    "rows_changed",
    "upsert",
    "utcnow",
]
