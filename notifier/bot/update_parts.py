"""The parts of an update a handler answers: the handlers are registered only for updates that
carry them (a command has its chat and message, a button press its callback query)."""

from __future__ import annotations

from telegram import CallbackQuery, Chat, Message, Update


class MissingPart(ValueError):
    """An update without the part its handler is registered for."""


def chat_of(update: Update) -> Chat:
    chat = update.effective_chat
    if chat is None:
        raise MissingPart(f"update {update.update_id} has no chat")
    return chat


def message_of(update: Update) -> Message:
    message = update.effective_message
    if message is None:
        raise MissingPart(f"update {update.update_id} has no message")
    return message


def callback_of(update: Update) -> CallbackQuery:
    query = update.callback_query
    if query is None:
        raise MissingPart(f"update {update.update_id} has no callback query")
    return query
