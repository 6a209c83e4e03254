"""From stored articles to the alert outbox.

Each pending article is matched once against every watchlist; its matches and the outbox rows
(one per article and chat, listing every watchlist that matched for that chat) are written in the
same transaction that marks the article matched (see `MatchingStore`), so a crash never loses or
doubles an alert.

Subscribers' own watchlists (`/watch`) go into the same matcher as the operators' under the id
"#<row id>" and alert only their own chat. Paused and gone chats get no new rows (pausing means
"not now", not "save it for later"), and neither does a chat for a watchlist it muted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from notifier.alert_payload import AlertPayload
from notifier.bot.backend import personal_id
from notifier.matcher import Match, Matcher
from notifier.notify_ports import (
    MatchingBatch,
    MatchingStore,
    MatchRecord,
    PendingArticle,
    PersonalWatchRow,
    WatchlistSpec,
)
from notifier.query import Query, QueryError, parse_query

log = logging.getLogger(__name__)
PERSONAL_TITLE_CHARS = 80


def build_matcher(
    watchlists: Sequence[WatchlistSpec], personal: tuple[tuple[str, Query], ...] = ()
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

    def __init__(self, store: MatchingStore, watchlists: Sequence[WatchlistSpec]) -> None:
        self.store = store
        self.config_watchlists = watchlists
        self.watchlists = {w.id: w for w in watchlists}
        self.matcher = build_matcher(watchlists)
        self.personal: dict[str, _Personal] = {}
        self._personal_rows: tuple[PersonalWatchRow, ...] = ()

    def process_pending(self, batch: int = 200) -> MatchReport:
        # Stored silently (a back catalogue, an old story): done without being read.
        report = MatchReport(articles=self.store.mark_silent_done())
        while True:
            with self.store.claim_pending(batch) as claimed:
                if not claimed.articles:
                    return report
                self._refresh_personal(claimed)
                chats = claimed.chats_by_watchlist(
                    {w.id: w.chats for w in self.watchlists.values()},
                    {watchlist_id: p.chat_id for watchlist_id, p in self.personal.items()},
                )
                for article in claimed.articles:
                    self._process(claimed, article, chats, report)

    def _refresh_personal(self, claimed: MatchingBatch) -> None:
        """Rebuild the matcher when subscribers added or removed watchlists of their own."""
        rows = tuple(claimed.personal_watches())
        if rows == self._personal_rows:
            return
        personal: dict[str, _Personal] = {}
        queries: list[tuple[str, Query]] = []
        for row in rows:
            try:
                query = parse_query(row.query)
            except QueryError as exc:  # saved by an older parser; never matches until fixed
                log.warning("personal watchlist #%s of chat %s: %s", row.id, row.chat_id, exc)
                continue
            queries.append((personal_id(row.id), query))
            personal[personal_id(row.id)] = _Personal(row.chat_id, personal_title(row.query))
        self.matcher = build_matcher(self.config_watchlists, tuple(queries))
        self.personal = personal
        self._personal_rows = rows

    def _process(
        self,
        claimed: MatchingBatch,
        article: PendingArticle,
        chats: dict[str, set[int]],
        report: MatchReport,
    ) -> None:
        report.articles += 1
        if not article.alertable:
            claimed.record(article.id, (), {})
            return
        matches = [
            m
            for m in self.matcher.match(article.title, article.text, language=article.language)
            if self._applies(m, article)
        ]
        report.matches += len(matches)
        per_chat: dict[int, list[Match]] = defaultdict(list)
        for match in matches:
            for chat_id in chats.get(match.watchlist_id, ()):
                per_chat[chat_id].append(match)
        records = [  # personal matches live in the outbox only
            MatchRecord(m.watchlist_id, m.terms)
            for m in matches
            if m.watchlist_id in self.watchlists
        ]
        alerts = {chat_id: alert_payload(found, self._title) for chat_id, found in per_chat.items()}
        report.alerts_queued += claimed.record(article.id, records, alerts)

    def _applies(self, match: Match, article: PendingArticle) -> bool:
        if match.watchlist_id in self.personal:
            return True
        watchlist = self.watchlists.get(match.watchlist_id)
        return watchlist is not None and watchlist.applies_to(article.outlet_id)

    def _title(self, watchlist_id: str) -> str:
        if watchlist_id in self.personal:
            return self.personal[watchlist_id].title
        return self.watchlists[watchlist_id].title


def alert_payload(matches: Sequence[Match], title: Callable[[str], str]) -> AlertPayload:
    """One chat's alert: every watchlist that matched for it, their terms (each once, in order)
    and the earliest match in the article's text."""
    terms: list[str] = []
    first_hit: tuple[int, int] | None = None
    for match in matches:
        terms.extend(t for t in match.terms if t not in terms)
        for hit in match.hits:
            if hit.field == "text" and (first_hit is None or hit.start < first_hit[0]):
                first_hit = (hit.start, hit.end)
    return AlertPayload(
        watchlists=tuple((m.watchlist_id, title(m.watchlist_id)) for m in matches),
        terms=tuple(terms),
        hit=first_hit,
    )


def personal_title(query: str) -> str:
    text = " ".join(query.split())
    if len(text) > PERSONAL_TITLE_CHARS:
        text = text[: PERSONAL_TITLE_CHARS - 1].rstrip() + "…"
    return f"your watch: {text}"
