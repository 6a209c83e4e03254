"""The buttons under an alert: mute its watchlist for a day (with an undo), or unsubscribe."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from notifier.bot.backend import BotBackend, LeaveResult, parse_personal_id
from notifier.bot.buttons import (
    MUTE,
    UNMUTE,
    alert_keyboard,
    parse_callback,
    undo_mute_keyboard,
)
from notifier.bot.guards import group_admins_only
from notifier.bot.replies import when
from notifier.bot.update_parts import callback_of

MUTE_FOR = timedelta(days=1)
logger = logging.getLogger(__name__)


class AlertButtons:
    def __init__(self, backend: BotBackend) -> None:
        self.backend = backend

    @group_admins_only
    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = callback_of(update)
        message = query.message
        press = parse_callback(query.data or "")
        if press is None or message is None:
            await query.answer("This button no longer works.")
            return
        chat_id = message.chat.id
        watchlist_id = press.resolve(await self._watchlist_ids(chat_id))
        if watchlist_id is None:
            await query.answer("This chat no longer receives that watchlist.")
            return
        keyboard: InlineKeyboardMarkup | None = None
        if press.action == MUTE:
            until = datetime.now(UTC) + MUTE_FOR
            await self.backend.mute(chat_id, watchlist_id, until)
            answer = f"Muted {watchlist_id} until {when(until)}. Undo: the button, or /unmute."
            keyboard = undo_mute_keyboard(watchlist_id)
        elif press.action == UNMUTE:
            lifted = await self.backend.unmute(chat_id, watchlist_id)
            answer = f"{watchlist_id} is {'unmuted' if lifted else 'not muted'}."
            keyboard = alert_keyboard(watchlist_id)
        else:
            answer = await self._leave(chat_id, watchlist_id)
        await query.answer(answer)
        try:
            await query.edit_message_reply_markup(reply_markup=keyboard)
        except BadRequest as exc:  # already edited, or too old to edit: the answer is enough
            logger.info("could not remove the buttons of an alert: %s", exc.message)

    async def _leave(self, chat_id: int, watchlist_id: str) -> str:
        personal = parse_personal_id(watchlist_id)
        if personal is not None:
            if await self.backend.remove_watch(chat_id, personal):
                return f"Removed your watchlist {watchlist_id}."
            return f"You no longer have watchlist {watchlist_id}."
        result = await self.backend.unsubscribe(chat_id, watchlist_id)
        if result is LeaveResult.DONE:
            return f"Unsubscribed from {watchlist_id}."
        return f"This chat is not subscribed to {watchlist_id}."

    async def _watchlist_ids(self, chat_id: int) -> list[str]:
        ids = [m.watchlist.id for m in await self.backend.memberships(chat_id)]
        ids += [f"#{w.id}" for w in await self.backend.personal_watches(chat_id)]
        return ids
