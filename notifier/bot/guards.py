"""Who may change a chat's alerts: anyone in a private chat, only the admins in a group.

In a group every member sees the alerts, so one member must not be able to switch them off (or
flood the group with a watchlist of their own) for everybody.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

Handler = Callable[[Any, Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})
REFUSAL = "Only this group's admins can change what it receives."

logger = logging.getLogger(__name__)


async def may_change_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an admin posting anonymously as the group
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:  # cannot tell: refuse rather than let anyone change the group
        logger.warning("could not check a group member's rights: %s", exc)
        return False
    return member.status in ADMIN_STATUSES


def group_admins_only(handler: Handler) -> Handler:
    """Wrap a command or button handler that changes the chat's alerts."""

    @functools.wraps(handler)
    async def guarded(self: Any, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await may_change_chat(update, context):
            await handler(self, update, context)
        elif update.callback_query is not None:
            await update.callback_query.answer(REFUSAL, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(REFUSAL)

    return guarded
