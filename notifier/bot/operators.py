"""Operator commands, answered only in the chats the operator named."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from notifier.bot.backend import BotBackend
from notifier.bot.replies import esc, fit_lines, when
from notifier.bot.update_parts import chat_of, message_of
from notifier.render import shorten_words

REFUSAL = "Sorry, that command is only for the operators of this bot."
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class OperatorCommands:
    def __init__(self, backend: BotBackend, operator_chats: frozenset[int]) -> None:
        self.backend = backend
        self.operator_chats = operator_chats

    def only_operators(self, handler: Handler) -> Handler:
        """Wrap `handler` so other chats get a polite refusal and nothing else."""

        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if chat_of(update).id not in self.operator_chats:
                await message_of(update).reply_html(REFUSAL)
                return
            await handler(update, context)

        return guarded

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        reports = await self.backend.outlet_reports()
        lines = []
        for r in reports:
            mark = "⚪" if not r.enabled else ("🔴" if r.consecutive_failures else "🟢")
            line = (
                f"{mark} <code>{esc(r.id)}</code> — last success {when(r.last_success)}, "
                f"{r.articles_last_day} article{'s' if r.articles_last_day != 1 else ''} "
                "in the last day"
            )
            if r.consecutive_failures:
                line += f", {r.consecutive_failures} failure(s) in a row"
            if r.last_error:
                line += (
                    f"\n   last error {when(r.last_error_at)}: "
                    f"{esc(shorten_words(r.last_error, 200))}"
                )
            lines.append(line)
        await message_of(update).reply_html(
            fit_lines("<b>Outlet health</b>", lines or ["No outlets configured."])
        )

    async def outlets(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        reports = await self.backend.outlet_reports()
        lines = [
            f"• <code>{esc(r.id)}</code> — {esc(r.name)}{'' if r.enabled else ' (disabled)'}"
            for r in reports
        ]
        await message_of(update).reply_html(
            fit_lines(f"<b>Outlets</b> ({len(reports)})", lines or ["No outlets configured."])
        )
