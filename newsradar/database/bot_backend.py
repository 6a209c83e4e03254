"""The bot's backend over the database and the current config (see notifier/bot/backend.py).

Chats the operator lists in a watchlist's `chats` receive it without a Subscription row; when such
a chat unsubscribes itself, the opt-out is kept as a mute that never ends (the YAML is the
operator's, so the bot never edits it) and `/subscribe` lifts it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from newsradar.config import Config, Watchlist
from newsradar.database import (
    Article,
    Chat,
    ChatWatchlist,
    Database,
    Mute,
    OutletHealth,
    Subscription,
    rows_changed,
    utcnow,
)
from newsradar.database.match_store import MatchStore
from newsradar.database.outbox_store import unhold
from notifier.bot.backend import (
    ChatSettings,
    JoinResult,
    LeaveResult,
    Membership,
    OutletReport,
    PersonalWatch,
    TriedArticle,
    TryResult,
    WatchlistInfo,
)
from notifier.matcher import Matcher
from notifier.notify_ports import StoredArticle
from notifier.outbox_states import DigestMode, digest_mode
from notifier.query import Query
from notifier.query_preview import preview

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
TRY_SCAN_LIMIT = 20_000
T = TypeVar("T")


def watchlist_info(watchlist: Watchlist) -> WatchlistInfo:
    return WatchlistInfo(
        watchlist.id, watchlist.title, watchlist.query_text or str(watchlist.query)
    )


def get_chat(session: Session, chat_id: int) -> Chat:
    """The chat's row, created with defaults when the chat is new."""
    chat = session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(chat_id=chat_id, paused=False, gone=False, digest=DigestMode.OFF)
        session.add(chat)
    return chat


class DatabaseBackend:
    """Implements notifier.bot.BotBackend; `config` returns the config in force right now."""

    def __init__(self, db: Database, config: Callable[[], Config]) -> None:
        self.db = db
        self.config = config

    async def _run(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction, off the event loop (the database calls block)."""

        def transaction() -> T:
            with self.db.session() as session, session.begin():
                return work(session)

        return await asyncio.to_thread(transaction)

    def _watchlist(self, watchlist_id: str) -> Watchlist | None:
        return next((w for w in self.config().watchlists if w.id == watchlist_id), None)

    # ----- chats ---------------------------------------------------------------------------------
    async def register_chat(self, chat_id: int, kind: str) -> None:
        def work(session: Session) -> None:
            chat = get_chat(session, chat_id)
            chat.kind = kind
            if chat.gone:
                # It talks to us again: alerts held while it was unreachable go out after all.
                chat.gone = False
                unhold(session, chat_id)

        await self._run(work)

    async def chat_settings(self, chat_id: int) -> ChatSettings:
        def work(session: Session) -> ChatSettings:
            chat = session.get(Chat, chat_id)
            if chat is None:
                return ChatSettings()
            return ChatSettings(paused=bool(chat.paused), digest=digest_mode(chat.digest))

        return await self._run(work)

    async def set_paused(self, chat_id: int, paused: bool) -> bool:
        def work(session: Session) -> bool:
            chat = get_chat(session, chat_id)
            changed = bool(chat.paused) != paused
            chat.paused = paused
            return changed

        return await self._run(work)

    async def set_digest(self, chat_id: int, mode: DigestMode) -> None:
        def work(session: Session) -> None:
            chat = get_chat(session, chat_id)
            if chat.digest != mode:
                chat.digest = mode
                # The first digest comes one full period after choosing it.
                chat.last_digest_at = utcnow()

        await self._run(work)

    # ----- operator watchlists -------------------------------------------------------------------
    async def open_watchlists(self) -> Sequence[WatchlistInfo]:
        return [watchlist_info(w) for w in self.config().watchlists if w.open]

    async def memberships(self, chat_id: int) -> Sequence[Membership]:
        watchlists = self.config().watchlists
        now = utcnow()

        def work(session: Session) -> list[Membership]:
            subscribed = set(
                session.scalars(
                    select(Subscription.watchlist_id).where(Subscription.chat_id == chat_id)
                )
            )
            mutes = {
                m.watchlist_id: m.until
                for m in session.scalars(
                    select(Mute).where(Mute.chat_id == chat_id, Mute.until > now)
                )
            }
            result = []
            for w in watchlists:
                listed = chat_id in w.chats
                if not (listed or w.id in subscribed) or mutes.get(w.id) == FOREVER:
                    continue
                result.append(Membership(watchlist_info(w), listed, mutes.get(w.id)))
            return result

        return await self._run(work)

    async def subscribe(self, chat_id: int, watchlist_id: str) -> JoinResult:
        watchlist = self._watchlist(watchlist_id)
        if watchlist is None:
            return JoinResult.UNKNOWN

        def work(session: Session) -> JoinResult:
            opted_out = session.get(Mute, (chat_id, watchlist_id))
            if chat_id in watchlist.chats:
                if opted_out is not None and opted_out.until == FOREVER:
                    session.delete(opted_out)
                    return JoinResult.DONE
                return JoinResult.ALREADY
            if session.get(Subscription, (chat_id, watchlist_id)) is not None:
                return JoinResult.ALREADY
            if not watchlist.open:
                return JoinResult.CLOSED
            get_chat(session, chat_id)
            session.add(Subscription(chat_id=chat_id, watchlist_id=watchlist_id))
            if opted_out is not None and opted_out.until == FOREVER:
                session.delete(opted_out)
            return JoinResult.DONE

        return await self._run(work)

    async def unsubscribe(self, chat_id: int, watchlist_id: str) -> LeaveResult:
        watchlist = self._watchlist(watchlist_id)

        def work(session: Session) -> LeaveResult:
            removed = rows_changed(
                session.execute(
                    delete(Subscription).where(
                        Subscription.chat_id == chat_id, Subscription.watchlist_id == watchlist_id
                    )
                )
            )
            if watchlist is not None and chat_id in watchlist.chats:
                mute = session.get(Mute, (chat_id, watchlist_id))
                if mute is None or mute.until != FOREVER:
                    session.merge(Mute(chat_id=chat_id, watchlist_id=watchlist_id, until=FOREVER))
                    return LeaveResult.DONE
            if removed:
                return LeaveResult.DONE
            return LeaveResult.UNKNOWN if watchlist is None else LeaveResult.NOT_SUBSCRIBED

        return await self._run(work)

    async def mute(self, chat_id: int, watchlist_id: str, until: datetime) -> None:
        def work(session: Session) -> None:
            current = session.get(Mute, (chat_id, watchlist_id))
            if current is None:
                session.add(Mute(chat_id=chat_id, watchlist_id=watchlist_id, until=until))
            elif current.until < until:
                current.until = until

        await self._run(work)

    async def unmute(self, chat_id: int, watchlist_id: str) -> bool:
        now = utcnow()

        def work(session: Session) -> bool:
            removed = session.execute(
                delete(Mute).where(
                    Mute.chat_id == chat_id,
                    Mute.watchlist_id == watchlist_id,
                    Mute.until != FOREVER,
                    Mute.until > now,
                )
            )
            return bool(rows_changed(removed))

        return await self._run(work)

    # ----- personal watchlists -------------------------------------------------------------------
    async def personal_watches(self, chat_id: int) -> Sequence[PersonalWatch]:
        def work(session: Session) -> list[PersonalWatch]:
            rows = session.scalars(
                select(ChatWatchlist)
                .where(ChatWatchlist.chat_id == chat_id)
                .order_by(ChatWatchlist.id)
            )
            return [PersonalWatch(row.id, row.query) for row in rows]

        return await self._run(work)

    async def add_watch(self, chat_id: int, query: str, max_watches: int) -> PersonalWatch | None:
        def work(session: Session) -> PersonalWatch | None:
            get_chat(session, chat_id)
            mine = select(func.count()).where(ChatWatchlist.chat_id == chat_id)
            count = session.scalar(mine.select_from(ChatWatchlist))
            if (count or 0) >= max_watches:
                return None
            row = ChatWatchlist(chat_id=chat_id, query=query)
            session.add(row)
            session.flush()
            return PersonalWatch(row.id, row.query)

        return await self._run(work)

    async def remove_watch(self, chat_id: int, watch_id: int) -> bool:
        def work(session: Session) -> bool:
            return bool(
                rows_changed(
                    session.execute(
                        delete(ChatWatchlist).where(
                            ChatWatchlist.id == watch_id, ChatWatchlist.chat_id == chat_id
                        )
                    )
                )
            )

        return await self._run(work)

    async def try_query(self, query: Query, since: timedelta, limit: int) -> TryResult:
        names = {o.id: o.name for o in self.config().outlets}
        matcher = Matcher([("try", query)])

        def work() -> TryResult:
            total, newest = 0, list[TriedArticle]()
            archive = _Counting(MatchStore(self.db))
            for hit in preview(archive, matcher, since, scan_limit=TRY_SCAN_LIMIT):
                total += 1
                if len(newest) < limit:
                    article = hit.article
                    newest.append(
                        TriedArticle(
                            title=article.title or article.canonical_url,
                            url=article.canonical_url,
                            outlet=names.get(article.outlet_id, article.outlet_id),
                            published=article.when,
                            terms=hit.terms,
                        )
                    )
            return TryResult(total, newest, archive.seen)

        return await asyncio.to_thread(work)

    # ----- operators -----------------------------------------------------------------------------
    async def outlet_reports(self) -> Sequence[OutletReport]:
        outlets = self.config().outlets
        since = utcnow() - timedelta(days=1)

        def work(session: Session) -> list[OutletReport]:
            health = {row.outlet_id: row for row in session.scalars(select(OutletHealth))}
            recent = dict(
                session.execute(
                    select(Article.outlet_id, func.count())
                    .where(Article.fetched_at >= since)
                    .group_by(Article.outlet_id)
                ).all()
            )
            reports = []
            for outlet in outlets:
                row = health.get(outlet.id)
                reports.append(
                    OutletReport(
                        id=outlet.id,
                        name=outlet.name,
                        enabled=outlet.enabled,
                        last_success=row.last_success_at if row else None,
                        last_error_at=row.last_error_at if row else None,
                        last_error=row.last_error if row else None,
                        articles_last_day=int(recent.get(outlet.id, 0)),
                        consecutive_failures=row.consecutive_failures if row else 0,
                    )
                )
            return reports

        return await self._run(work)


class _Counting:
    """An archive that counts the articles it hands out: /try and /watch compare what a query
    matched with how many articles there were."""

    def __init__(self, archive: MatchStore) -> None:
        self.archive = archive
        self.seen = 0

    def newest_first(self, window: timedelta, limit: int | None = None) -> Iterator[StoredArticle]:
        for article in self.archive.newest_first(window, limit):
            self.seen += 1
            yield article
