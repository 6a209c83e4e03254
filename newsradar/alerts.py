"""From stored articles to the alert outbox.

Each pending article is matched once against every watchlist; its matches and the outbox rows
(one per article and chat, listing every watchlist that matched for that chat) are written in the
same transaction that marks the article matched, so a crash never loses or doubles an alert.

Subscribers' own watchlists (`/watch`, rows of ChatWatchlist) go into the same matcher as the
operators' under the id "#<row id>" and alert only their own chat. Paused and gone chats get no
new rows (pausing means "not now", not "save it for later"), and neither does a chat for a
watchlist it muted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newsradar.config import Watchlist
from newsradar.database import (
    Article,
    Chat,
    ChatWatchlist,
    Database,
    MatchRow,
    Mute,
    OutboxRow,
    Subscription,
    utcnow,
)
from notifier.bot.backend import personal_id
from notifier.matcher import Match, Matcher
from notifier.query import Query, QueryError, parse_query

log = logging.getLogger(__name__)
PERSONAL_TITLE_CHARS = 80


def build_matcher(
    watchlists: tuple[Watchlist, ...], personal: tuple[tuple[str, Query], ...] = ()
) -> Matcher:
    return Matcher(
        [(w.id, w.query) for w in watchlists] + list(personal),
        min_hits={w.id: w.min_hits for w in watchlists if w.min_hits > 1},
        title_only={w.id for w in watchlists if w.title_only},
    )


@dataclass(frozen=True)
class _Personal:
    chat_id: int
    title: str


@dataclass
class MatchReport:
    articles: int = 0
    matches: int = 0
    alerts_queued: int = 0


class AlertQueue:
    """Matches pending articles and queues their alerts."""

    def __init__(self, db: Database, watchlists: tuple[Watchlist, ...]) -> None:
        self.db = db
        self.config_watchlists = watchlists
        self.watchlists = {w.id: w for w in watchlists}
        self.matcher = build_matcher(watchlists)
        self.personal: dict[str, _Personal] = {}
        self._personal_rows: tuple[tuple[int, int, str], ...] = ()

    def _refresh_personal(self, session: Session) -> None:
        """Rebuild the matcher when subscribers added or removed watchlists of their own."""
        rows = tuple(
            (row_id, chat_id, text)
            for row_id, chat_id, text in session.execute(
                select(ChatWatchlist.id, ChatWatchlist.chat_id, ChatWatchlist.query).order_by(
                    ChatWatchlist.id
                )
            )
        )
        if rows == self._personal_rows:
            return
        personal: dict[str, _Personal] = {}
        queries: list[tuple[str, Query]] = []
        for row_id, chat_id, text in rows:
            try:
                query = parse_query(text)
            except QueryError as exc:  # saved by an older parser; never matches until fixed
                log.warning("personal watchlist #%s of chat %s: %s", row_id, chat_id, exc)
                continue
            queries.append((personal_id(row_id), query))
            personal[personal_id(row_id)] = _Personal(chat_id, _personal_title(text))
        self.matcher = build_matcher(self.config_watchlists, tuple(queries))
        self.personal = personal
        self._personal_rows = rows

    def process_pending(self, batch: int = 200) -> MatchReport:
        report = MatchReport()
        with self.db.session() as session, session.begin():
            # Stored silently (a back catalogue, an old story): done without being read.
            silent = session.execute(
                update(Article)
                .where(Article.matched_at.is_(None), Article.alertable.is_(False))
                .values(matched_at=utcnow())
            )
            report.articles += int(getattr(silent, "rowcount", 0) or 0)
        while True:
            with self.db.session() as session, session.begin():
                articles = session.scalars(
                    select(Article)
                    .where(Article.matched_at.is_(None))
                    .order_by(Article.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                ).all()
                if not articles:
                    return report
                self._refresh_personal(session)
                chats = _chats_by_watchlist(session, self.watchlists.values(), self.personal)
                for article in articles:
                    self._process(session, article, chats, report)

    def _process(
        self,
        session: Session,
        article: Article,
        chats: dict[str, set[int]],
        report: MatchReport,
    ) -> None:
        report.articles += 1
        article.matched_at = utcnow()
        if not article.alertable:
            return
        matches = [
            m
            for m in self.matcher.match(article.title or "", article.text)
            if m.watchlist_id in self.personal
            or (
                m.watchlist_id in self.watchlists
                and self.watchlists[m.watchlist_id].applies_to(article.outlet_id)
            )
        ]
        per_chat: dict[int, list[Match]] = defaultdict(list)
        for match in matches:
            report.matches += 1
            if match.watchlist_id in self.watchlists:  # personal matches live in the outbox only
                session.add(
                    MatchRow(
                        article_id=article.id,
                        watchlist_id=match.watchlist_id,
                        terms=list(match.terms),
                    )
                )
            for chat_id in chats.get(match.watchlist_id, ()):
                per_chat[chat_id].append(match)
        for chat_id, chat_matches in per_chat.items():
            already = session.scalar(
                select(OutboxRow.id).where(
                    OutboxRow.article_id == article.id, OutboxRow.chat_id == chat_id
                )
            )
            if already is None:
                session.add(
                    OutboxRow(
                        kind="alert",
                        article_id=article.id,
                        chat_id=chat_id,
                        payload=self._payload(chat_matches),
                        status="pending",
                        attempts=0,
                    )
                )
                report.alerts_queued += 1

    def _payload(self, matches: list[Match]) -> dict[str, Any]:
        terms: list[str] = []
        first_text_hit: list[int] | None = None
        for match in matches:
            terms.extend(t for t in match.terms if t not in terms)
            for hit in match.hits:
                if hit.field == "text" and (
                    first_text_hit is None or hit.start < first_text_hit[0]
                ):
                    first_text_hit = [hit.start, hit.end]
        return {
            "watchlists": [[m.watchlist_id, self._title(m.watchlist_id)] for m in matches],
            "terms": terms,
            "hit": first_text_hit,
        }

    def _title(self, watchlist_id: str) -> str:
        if watchlist_id in self.personal:
            return self.personal[watchlist_id].title
        return self.watchlists[watchlist_id].title


def _personal_title(query: str) -> str:
    text = " ".join(query.split())
    if len(text) > PERSONAL_TITLE_CHARS:
        text = text[: PERSONAL_TITLE_CHARS - 1].rstrip() + "…"
    return f"your watch: {text}"


def _moves(session: Session) -> Callable[[int], int]:
    """Where each chat now is: a group that became a supergroup (perhaps more than once) is
    followed to its newest id."""
    moves: dict[int, int] = {
        old: new
        for old, new in session.execute(
            select(Chat.chat_id, Chat.moved_to).where(Chat.moved_to.is_not(None))
        )
    }

    def follow(chat_id: int) -> int:
        seen = {chat_id}
        while chat_id in moves and moves[chat_id] not in seen:
            chat_id = moves[chat_id]
            seen.add(chat_id)
        return chat_id

    return follow


def _chats_by_watchlist(
    session: Session,
    watchlists: Any,
    personal: dict[str, _Personal],
    now: datetime | None = None,
) -> dict[str, set[int]]:
    """Chats the operator listed, chats that subscribed themselves and each personal watchlist's
    own chat, minus paused or gone chats and chats that muted the watchlist."""
    moved = _moves(session)
    chats: dict[str, set[int]] = {w.id: {moved(c) for c in w.chats} for w in watchlists}
    for sub in session.scalars(select(Subscription)):
        if sub.watchlist_id in chats:
            chats[sub.watchlist_id].add(sub.chat_id)
    for watchlist_id, owner in personal.items():
        chats[watchlist_id] = {owner.chat_id}
    silent = set(session.scalars(select(Chat.chat_id).where(Chat.paused | Chat.gone)))
    muted: dict[str, set[int]] = defaultdict(set)
    for mute in session.scalars(select(Mute).where(Mute.until > (now or utcnow()))):
        muted[mute.watchlist_id].add(mute.chat_id)
    return {wid: ids - silent - muted.get(wid, set()) for wid, ids in chats.items()}
