"""From stored articles to the alert outbox.

Each pending article is matched once against every watchlist; its matches and the outbox rows
(one per article and chat, listing every watchlist that matched for that chat) are written in the
same transaction that marks the article matched, so a crash never loses or doubles an alert.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsradar.config import Watchlist
from newsradar.storage import Article, Chat, Database, MatchRow, OutboxRow, Subscription, utcnow
from notifier.matcher import Match, Matcher


def build_matcher(watchlists: tuple[Watchlist, ...]) -> Matcher:
    return Matcher(
        [(w.id, w.query) for w in watchlists],
        min_hits={w.id: w.min_hits for w in watchlists if w.min_hits > 1},
        title_only={w.id for w in watchlists if w.title_only},
    )


@dataclass
class MatchReport:
    articles: int = 0
    matches: int = 0
    alerts_queued: int = 0


class AlertQueue:
    """Matches pending articles and queues their alerts."""

    def __init__(self, db: Database, watchlists: tuple[Watchlist, ...]) -> None:
        self.db = db
        self.watchlists = {w.id: w for w in watchlists}
        self.matcher = build_matcher(watchlists)

    def process_pending(self, batch: int = 200) -> MatchReport:
        report = MatchReport()
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
                chats = _chats_by_watchlist(session, self.watchlists.values())
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
            if m.watchlist_id in self.watchlists
            and self.watchlists[m.watchlist_id].applies_to(article.outlet_id)
        ]
        per_chat: dict[int, list[Match]] = defaultdict(list)
        for match in matches:
            report.matches += 1
            session.add(
                MatchRow(
                    article_id=article.id, watchlist_id=match.watchlist_id, terms=list(match.terms)
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
            "watchlists": [
                [m.watchlist_id, self.watchlists[m.watchlist_id].title] for m in matches
            ],
            "terms": terms,
            "hit": first_text_hit,
        }


def _chats_by_watchlist(session: Session, watchlists: Any) -> dict[str, set[int]]:
    """Chats the operator listed plus chats that subscribed themselves, minus paused or gone."""
    chats: dict[str, set[int]] = {w.id: set(w.chats) for w in watchlists}
    for sub in session.scalars(select(Subscription)):
        if sub.watchlist_id in chats:
            chats[sub.watchlist_id].add(sub.chat_id)
    silent = set(session.scalars(select(Chat.chat_id).where(Chat.paused | Chat.gone)))
    return {wid: ids - silent for wid, ids in chats.items()}
