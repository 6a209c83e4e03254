"""Subscriber commands: every handler is one short exchange with the chat that sent it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from notifier.bot.backend import (
    BotBackend,
    JoinResult,
    LeaveResult,
    TryResult,
    personal_id,
)
from notifier.bot.guards import group_admins_only
from notifier.bot.help_text import HELP, OPERATOR_HELP, WELCOME
from notifier.bot.replies import esc, fit_lines, when
from notifier.bot.update_parts import chat_of, message_of
from notifier.matcher import Matcher
from notifier.outbox_states import DigestMode
from notifier.query import Query, QueryError, parse_query
from notifier.render import shorten_words

TRY_WINDOW = timedelta(days=7)
TRY_SHOWN = 10
BROAD_SHARE = 10  # a query matching more than 1 in BROAD_SHARE articles gets a warning


@dataclass(frozen=True)
class Limits:
    """What one chat may ask for, so that no chat can load the service."""

    max_watches: int = 10
    max_query_chars: int = 300


class SubscriberCommands:
    def __init__(self, backend: BotBackend, limits: Limits, operator_chats: frozenset[int]):
        self.backend = backend
        self.limits = limits
        self.operator_chats = operator_chats

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = chat_of(update)
        where = "this group" if chat.type != ChatType.PRIVATE else "this chat"
        await _reply(update, WELCOME.format(where=where))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        extra = OPERATOR_HELP if chat_of(update).id in self.operator_chats else ""
        await _reply(update, HELP + extra)

    async def list(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        watchlists = await self.backend.open_watchlists()
        if not watchlists:
            await _reply(
                update,
                "There are no open watchlists yet. Make your own with /watch QUERY.",
            )
            return
        mine = {m.watchlist.id for m in await self.backend.memberships(chat_of(update).id)}
        lines = [
            f"{'✅' if w.id in mine else '•'} <code>{esc(w.id)}</code> — {esc(w.title)}\n"
            f"   watches: <i>{esc(shorten_words(w.query, 200))}</i>"
            for w in watchlists
        ]
        await _reply(
            update,
            fit_lines(
                "<b>Open watchlists</b> (✅ = this chat receives it)",
                lines,
                tail="Join one with /subscribe ID.",
            ),
        )

    @group_admins_only
    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        watchlist_id = _watchlist_argument(context)
        if watchlist_id is None:
            await _reply(update, "Which one? Write <code>/subscribe ID</code>; /list shows ids.")
            return
        result = await self.backend.subscribe(chat_of(update).id, watchlist_id)
        replies = {
            JoinResult.DONE: f"Subscribed to <code>{esc(watchlist_id)}</code>. "
            "New matching articles will arrive here.",
            JoinResult.ALREADY: f"This chat already receives <code>{esc(watchlist_id)}</code>.",
            JoinResult.UNKNOWN: f"There is no watchlist <code>{esc(watchlist_id)}</code>. "
            "/list shows the ones you can join.",
            JoinResult.CLOSED: f"<code>{esc(watchlist_id)}</code> is not open for subscription. "
            "/list shows the ones you can join, or make your own with /watch QUERY.",
        }
        await _reply(update, replies[result])

    @group_admins_only
    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        watchlist_id = _watchlist_argument(context)
        if watchlist_id is None:
            await _reply(update, "Which one? Write <code>/unsubscribe ID</code>; /mine lists them.")
            return
        result = await self.backend.unsubscribe(chat_of(update).id, watchlist_id)
        replies = {
            LeaveResult.DONE: f"Unsubscribed from <code>{esc(watchlist_id)}</code>.",
            LeaveResult.NOT_SUBSCRIBED: "This chat is not subscribed to "
            f"<code>{esc(watchlist_id)}</code>. /mine shows what it receives.",
            LeaveResult.UNKNOWN: f"There is no watchlist <code>{esc(watchlist_id)}</code>. "
            "/mine shows what this chat receives.",
        }
        await _reply(update, replies[result])

    async def mine(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = chat_of(update).id
        memberships = await self.backend.memberships(chat_id)
        watches = await self.backend.personal_watches(chat_id)
        settings = await self.backend.chat_settings(chat_id)
        state = "paused (/resume to restart)" if settings.paused else "on"
        delivery = (
            "each alert at once"
            if settings.digest == DigestMode.OFF
            else f"{settings.digest} digest"
        )
        lines = []
        for m in memberships:
            muted = f" — muted until {when(m.muted_until)}" if m.muted_until else ""
            lines.append(f"• <code>{esc(m.watchlist.id)}</code> — {esc(m.watchlist.title)}{muted}")
        if not lines:
            lines.append("No watchlists yet: /list shows the ones you can join.")
        if watches:
            lines.append(f"…plus {len(watches)} of your own (/watches).")
        await _reply(
            update,
            fit_lines(f"<b>This chat receives</b> (alerts {state}, {delivery})", lines),
        )

    @group_admins_only
    async def pause(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.backend.set_paused(chat_of(update).id, True):
            await _reply(update, "Alerts here are already paused. /resume to start again.")
            return
        await _reply(
            update,
            "Paused. No alerts will arrive here, and articles found meanwhile are not saved up "
            "for later. /resume to start again.",
        )

    @group_admins_only
    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.backend.set_paused(chat_of(update).id, False):
            await _reply(update, "Alerts here are already on; /pause holds them.")
            return
        await _reply(update, "Resumed: new alerts will arrive here again.")

    @group_admins_only
    async def unmute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = chat_of(update).id
        watchlist_id = _watchlist_argument(context)
        if watchlist_id is None:
            muted = [
                m.watchlist.id for m in await self.backend.memberships(chat_id) if m.muted_until
            ]
            shown = ", ".join(f"<code>{esc(w)}</code>" for w in muted) or "none"
            await _reply(update, f"Which one? Write <code>/unmute ID</code>. Muted now: {shown}.")
            return
        if await self.backend.unmute(chat_id, watchlist_id):
            await _reply(
                update, f"Unmuted <code>{esc(watchlist_id)}</code>: its alerts arrive here again."
            )
        else:
            await _reply(
                update,
                f"<code>{esc(watchlist_id)}</code> is not muted here. "
                "/mine shows what this chat receives and what is muted.",
            )

    @group_admins_only
    async def digest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        asked = _single_argument(context)
        try:
            mode = DigestMode((asked or "").lower())
        except ValueError:
            current = (await self.backend.chat_settings(chat_of(update).id)).digest
            refused = f"<code>{esc(asked)}</code> is not an option. " if asked else ""
            await _reply(
                update,
                f"{refused}Digest is <b>{current}</b>. The accepted values: "
                "<code>/digest off</code> (each alert at once), "
                "<code>/digest hourly</code> or <code>/digest daily</code>.",
            )
            return
        await self.backend.set_digest(chat_of(update).id, mode)
        if mode == DigestMode.OFF:
            await _reply(update, "Digest off: each alert will arrive as soon as it is found.")
        else:
            period = "hour" if mode == DigestMode.HOURLY else "day"
            await _reply(
                update,
                f"From now on you get one message per {period} listing the matching articles.",
            )

    @group_admins_only
    async def watch(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = _rest_of_command(update)
        query = await self._checked_query(update, text, "watch")
        if query is None:
            return
        saved = await self.backend.add_watch(chat_of(update).id, text, self.limits.max_watches)
        if saved is None:
            await _reply(
                update,
                f"This chat already has {self.limits.max_watches} watchlists of its own, the "
                "most allowed. Remove one with /unwatch N (/watches lists them).",
            )
            return
        broad = _too_broad(await self.backend.try_query(query, TRY_WINDOW, 0))
        await _reply(
            update,
            f"Watching <code>{esc(text)}</code> as #{saved.id}. Matching articles will arrive "
            "here; /unwatch " + str(saved.id) + " stops it." + broad,
        )

    async def watches(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        watches = await self.backend.personal_watches(chat_of(update).id)
        if not watches:
            await _reply(update, "No watchlists of your own yet. Add one with /watch QUERY.")
            return
        lines = [f"#{w.id} — <code>{esc(w.query)}</code>" for w in watches]
        await _reply(
            update,
            fit_lines(
                "<b>Your watchlists</b>",
                lines,
                tail=f"Remove one with /unwatch N ({len(watches)}/{self.limits.max_watches}).",
            ),
        )

    @group_admins_only
    async def unwatch(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        argument = (_single_argument(context) or "").lstrip("#")
        if not argument.isdigit():
            await _reply(update, "Which one? Write <code>/unwatch N</code>; /watches shows them.")
            return
        if await self.backend.remove_watch(chat_of(update).id, int(argument)):
            await _reply(update, f"Removed #{argument}.")
        else:
            await _reply(update, f"You have no watchlist #{argument}. /watches shows yours.")

    async def try_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = _rest_of_command(update)
        query = await self._checked_query(update, text, "try")
        if query is None:
            return
        result = await self.backend.try_query(query, TRY_WINDOW, TRY_SHOWN)
        if not result.total:
            await _reply(
                update,
                f"<code>{esc(text)}</code> matched nothing in the last 7 days. "
                "Save it anyway with /watch if you expect news.",
            )
            return
        lines = []
        for article in result.newest:
            title = esc(shorten_words(article.title, 120) or "(untitled)")
            terms = ", ".join(article.terms)
            lines.append(
                f'• <a href="{esc(article.url, quote=True)}">{title}</a>\n'
                f"   {esc(article.outlet)} · {when(article.published)} · <i>{esc(terms)}</i>"
            )
        more = result.total - len(result.newest)
        tail = f"…and {more} older. " if more > 0 else ""
        await _reply(
            update,
            fit_lines(
                f"<code>{esc(text)}</code> matched {result.total} article"
                f"{'s' if result.total != 1 else ''} in the last 7 days, newest first:",
                lines,
                tail=tail + "Save it with /watch " + esc(text) + _too_broad(result),
            ),
        )

    async def _checked_query(self, update: Update, text: str, command: str) -> Query | None:
        """The parsed query, or None after telling the chat what is wrong with it."""
        if not text:
            await _reply(
                update,
                f"Write the query after the command, e.g. <code>/{command} "
                "Iraq militia* -sports</code>. /help explains the syntax.",
            )
            return None
        if len(text) > self.limits.max_query_chars:
            await _reply(
                update,
                f"That query is {len(text)} characters long; the most allowed is "
                f"{self.limits.max_query_chars}. Shorten it, e.g. with prefix* terms.",
            )
            return None
        try:
            query = parse_query(text)
            Matcher([(personal_id(0), query)])
        except QueryError as exc:
            pointer = " " * (exc.column - 1) + "^"
            await _reply(
                update,
                f"I could not read that query: {esc(exc.message)} (column {exc.column}).\n"
                f"<pre>{esc(text)}\n{pointer}</pre>\n{esc(exc.hint)}",
            )
            return None
        except ValueError as exc:
            await _reply(update, f"I could not use that query: {esc(str(exc))}")
            return None
        return query


def _too_broad(result: TryResult) -> str:
    """A warning when the query caught more than a tenth of last week's articles: as a
    watchlist it would alert on most of the news, which is rarely what was meant."""
    if not result.scanned or result.total * BROAD_SHARE <= result.scanned:
        return ""
    return (
        f"\n\n⚠️ This query matched {result.total} of the {result.scanned} articles of the "
        "last 7 days, more than a tenth: as a watchlist it would alert on much of the news. "
        "Narrow it with more words, a phrase or title:word."
    )


def _single_argument(context: ContextTypes.DEFAULT_TYPE) -> str | None:
    return context.args[0] if context.args else None


def _watchlist_argument(context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The id asked for, lower-cased: ids are lower-case in the YAML, and a subscriber who
    writes "Iraq-Escalation" means "iraq-escalation"."""
    argument = _single_argument(context)
    return argument.lower() if argument else None


def _rest_of_command(update: Update) -> str:
    """Everything after "/cmd" or "/cmd@bot", as written (quotes and all)."""
    text = message_of(update).text or ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


async def _reply(update: Update, text: str) -> None:
    await message_of(update).reply_html(text)
