"""The Telegram bot: subscriber and operator commands and the alert buttons."""

from notifier.bot.app import OPERATOR_COMMANDS, SUBSCRIBER_COMMANDS, build_bot
from notifier.bot.backend import (
    BotBackend,
    ChatSettings,
    JoinResult,
    LeaveResult,
    Membership,
    OutletReport,
    PersonalWatch,
    TriedArticle,
    TryResult,
    WatchlistInfo,
    parse_personal_id,
    personal_id,
)
from notifier.bot.buttons import alert_keyboard
from notifier.bot.subscribers import Limits

__all__ = [
    "OPERATOR_COMMANDS",
    "SUBSCRIBER_COMMANDS",
    "BotBackend",
    "ChatSettings",
    "JoinResult",
    "LeaveResult",
    "Limits",
    "Membership",
    "OutletReport",
    "PersonalWatch",
    "TriedArticle",
    "TryResult",
    "WatchlistInfo",
    "alert_keyboard",
    "build_bot",
    "parse_personal_id",
    "personal_id",
]
