"""The bot application: which command goes to which handler, and what Telegram is told.

Handlers run in python-telegram-bot's `Application`; `build_bot` returns it unstarted so the
service decides how to run it (polling, next to the scheduler and the delivery loop).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from notifier.bot.backend import BotBackend
from notifier.bot.buttons import CALLBACK_PATTERN
from notifier.bot.callbacks import AlertButtons
from notifier.bot.operators import OperatorCommands
from notifier.bot.subscribers import Limits, SubscriberCommands
from notifier.bot.update_parts import chat_of
from notifier.redaction import redact
from notifier.sender import protect_token

logger = logging.getLogger(__name__)

SUBSCRIBER_COMMANDS = (
    ("start", "Welcome and what to do next"),
    ("help", "All commands and the query syntax"),
    ("list", "Watchlists you can join"),
    ("subscribe", "Join a watchlist: /subscribe ID"),
    ("unsubscribe", "Leave a watchlist: /unsubscribe ID"),
    ("mine", "What this chat receives"),
    ("pause", "Hold all alerts"),
    ("resume", "Start alerts again"),
    ("unmute", "Undo a mute: /unmute ID"),
    ("digest", "off, hourly or daily summaries"),
    ("watch", "Your own watchlist: /watch QUERY"),
    ("watches", "Your own watchlists"),
    ("unwatch", "Remove one: /unwatch N"),
    ("try", "What a query matched in the last 7 days"),
)
OPERATOR_COMMANDS = (
    ("status", "Per-outlet health"),
    ("outlets", "The outlets crawled"),
)


def build_bot(
    token: str,
    api_url: str,
    backend: BotBackend,
    operator_chats: Iterable[int] = (),
    *,
    limits: Limits | None = None,
) -> Application:
    """The bot, ready for `async with app: await app.start(); await app.updater.start_polling()`.

    Its commands are registered with Telegram (setMyCommands) when it initialises: subscriber
    commands for everyone, and operator commands as well in each operator chat."""
    protect_token(token)
    operators = frozenset(operator_chats)
    base = api_url.rstrip("/")
    app = (
        ApplicationBuilder()
        .application_class(NewsradarBot, {"operator_chats": operators})
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .job_queue(None)
        .build()
    )

    async def remember_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any update from a chat proves it can hear us: keep its kind, lift a "gone" mark."""
        if update.effective_chat is not None:
            await backend.register_chat(update.effective_chat.id, update.effective_chat.type)

    app.add_handler(TypeHandler(Update, remember_chat), group=-1)
    subscriber = SubscriberCommands(backend, limits or Limits(), operators)
    operator = OperatorCommands(backend, operators)
    for name, handler in (
        ("start", subscriber.start),
        ("help", subscriber.help),
        ("list", subscriber.list),
        ("subscribe", subscriber.subscribe),
        ("unsubscribe", subscriber.unsubscribe),
        ("mine", subscriber.mine),
        ("pause", subscriber.pause),
        ("resume", subscriber.resume),
        ("unmute", subscriber.unmute),
        ("digest", subscriber.digest),
        ("watch", subscriber.watch),
        ("watches", subscriber.watches),
        ("unwatch", subscriber.unwatch),
        ("try", subscriber.try_query),
        ("status", operator.only_operators(operator.status)),
        ("outlets", operator.only_operators(operator.outlets)),
    ):
        app.add_handler(CommandHandler(name, handler))
    app.add_handler(CallbackQueryHandler(AlertButtons(backend).pressed, pattern=CALLBACK_PATTERN))
    app.add_handler(MessageHandler(filters.COMMAND, _unknown_command))

    async def log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        logger.error("bot update failed: %s", redact(f"{type(error).__name__}: {error}", token))

    app.add_error_handler(log_error)
    return app


class NewsradarBot(Application):
    """An Application that tells Telegram its commands whenever it is initialised, however it
    is then run (post_init only runs under run_polling/run_webhook)."""

    def __init__(self, *, operator_chats: frozenset[int] = frozenset(), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operator_chats = operator_chats

    async def initialize(self) -> None:
        await super().initialize()
        try:
            await self.register_commands()
        except TelegramError as exc:  # the menu is a convenience: never block the bot on it
            logger.warning("could not register the bot's commands: %s", exc)

    async def register_commands(self) -> None:
        everyone = [BotCommand(name, about) for name, about in SUBSCRIBER_COMMANDS]
        await self.bot.set_my_commands(everyone, scope=BotCommandScopeDefault())
        extended = everyone + [BotCommand(name, about) for name, about in OPERATOR_COMMANDS]
        for chat_id in sorted(self.operator_chats):
            try:
                await self.bot.set_my_commands(extended, scope=BotCommandScopeChat(chat_id))
            except TelegramError as exc:  # e.g. the bot is not (yet) in that chat
                logger.warning("could not register operator commands in chat %s: %s", chat_id, exc)


async def _unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer commands meant for this bot that it does not know; ignore other bots' commands."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split(maxsplit=1)[0]
    _, _, addressee = command.partition("@")
    if addressee:
        if addressee.lower() != (context.bot.username or "").lower():
            return
    elif chat_of(update).type != ChatType.PRIVATE:
        return  # in a group an unaddressed command may be another bot's
    await message.reply_html("I don't know that command. /help lists what I understand.")
