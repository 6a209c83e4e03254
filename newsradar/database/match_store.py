"""The matching stage's ports over the database (see notifier/notify_ports.py): pending
articles claimed in one transaction with what matching them produced, and the stored articles a
query preview reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from newsradar.database import (
    Article,
    Chat,
    ChatWatchlist,
    Database,
    MatchRow,
    Mute,
    Subscription,
    rows_changed,
    utcnow,
)
from newsradar.database.chat_moves import moves
from newsradar.database.outbox_store import add_alert
from notifier.alert_payload import AlertPayload
from notifier.notify_ports import MatchRecord, PendingArticle, PersonalWatchRow, StoredArticle


def pending_articles(limit: int) -> Select[Article]:
    """The oldest articles not yet matched, each locked for whoever claims it first."""
    return (
        select(Article)
        .where(Article.matched_at.is_(None))
        .order_by(Article.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


class MatchStore:
    """Implements notifier.notify_ports.MatchingStore and notifier.notify_ports.ArticleArchive."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def mark_silent_done(self) -> int:
        with self.db.session() as session, session.begin():
            silent = session.execute(
                update(Article)
                .where(Article.matched_at.is_(None), Article.alertable.is_(False))
                .values(matched_at=utcnow())
            )
            return rows_changed(silent)

    @contextmanager
    def claim_pending(self, limit: int) -> Iterator[_Batch]:
        with self.db.session() as session, session.begin():
            articles = session.scalars(pending_articles(limit)).all()
            yield _Batch(session, {a.id: a for a in articles})

    def newest_first(self, window: timedelta, limit: int | None = None) -> Iterator[StoredArticle]:
        when = func.coalesce(Article.published, Article.fetched_at)
        query = (
            select(
                Article.id,
                Article.outlet_id,
                Article.title,
                Article.canonical_url,
                Article.published,
                Article.fetched_at,
                Article.text,
                Article.language,
            )
            .where(when >= utcnow() - window)
            .order_by(when.desc(), Article.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self.db.session() as session:
            for row in session.execute(query):
                yield StoredArticle(*row)


class _Batch:
    """Implements notifier.notify_ports.MatchingBatch inside the claiming transaction."""

    def __init__(self, session: Session, articles: dict[int, Article]) -> None:
        self.session = session
        self._rows = articles
        self.articles: Sequence[PendingArticle] = [
            PendingArticle(a.id, a.outlet_id, a.title or "", a.text, bool(a.alertable), a.language)
            for a in articles.values()
        ]

    def personal_watches(self) -> Sequence[PersonalWatchRow]:
        rows = self.session.execute(
            select(ChatWatchlist.id, ChatWatchlist.chat_id, ChatWatchlist.query).order_by(
                ChatWatchlist.id
            )
        )
        return [PersonalWatchRow(*row) for row in rows]

    def chats_by_watchlist(
        self, listed: Mapping[str, Collection[int]], owners: Mapping[str, int]
    ) -> dict[str, set[int]]:
        session = self.session
        moved = moves(session)
        chats: dict[str, set[int]] = {wid: {moved(c) for c in ids} for wid, ids in listed.items()}
        for sub in session.scalars(select(Subscription)):
            if sub.watchlist_id in chats:
                chats[sub.watchlist_id].add(sub.chat_id)
        for watchlist_id, owner in owners.items():
            chats[watchlist_id] = {owner}
        silent = set(session.scalars(select(Chat.chat_id).where(Chat.paused | Chat.gone)))
        muted: dict[str, set[int]] = defaultdict(set)
        for mute in session.scalars(select(Mute).where(Mute.until > utcnow())):
            muted[mute.watchlist_id].add(mute.chat_id)
        return {wid: ids - silent - muted.get(wid, set()) for wid, ids in chats.items()}

    def record(
        self, article_id: int, matches: Sequence[MatchRecord], alerts: Mapping[int, AlertPayload]
    ) -> int:
        self._rows[article_id].matched_at = utcnow()
        for match in matches:
            self.session.add(
                MatchRow(
                    article_id=article_id, watchlist_id=match.watchlist_id, terms=list(match.terms)
                )
            )
        return sum(
            add_alert(self.session, article_id, chat_id, payload)
            for chat_id, payload in alerts.items()
        )
