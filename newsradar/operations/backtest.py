"""Preview: which stored articles a watchlist (as the file now stands) or a query would match."""

from __future__ import annotations

import sys
from collections.abc import Callable

from newsradar.config import Config, parse_duration
from newsradar.database import Database
from newsradar.database.match_store import MatchStore
from newsradar.settings import Settings
from notifier.alert_queue import build_matcher
from notifier.matcher import Matcher
from notifier.query import QueryError, parse_query
from notifier.query_preview import preview
from notifier.timestamps import utc_minute


def backtest(
    config: Config, settings: Settings, watchlist_id: str | None, query: str | None, since: str
) -> int:
    if bool(watchlist_id) == bool(query):
        print("newsradar backtest: give a watchlist ID or --query, not both", file=sys.stderr)
        return 2
    try:
        window = parse_duration(since)
    except ValueError as exc:
        print(f"newsradar backtest: --since: {exc}", file=sys.stderr)
        return 2
    applies_to: Callable[[str], bool] | None = None
    if watchlist_id:
        watchlist = next((w for w in config.watchlists if w.id == watchlist_id), None)
        if watchlist is None:
            known = ", ".join(w.id for w in config.watchlists)
            print(
                f"newsradar backtest: no watchlist {watchlist_id!r} (known: {known})",
                file=sys.stderr,
            )
            return 2
        matcher = build_matcher((watchlist,))
        applies_to = watchlist.applies_to
    else:
        try:
            matcher = Matcher([("query", parse_query(query or ""))])
        except QueryError as exc:
            print(f"newsradar backtest: --query: {exc}", file=sys.stderr)
            return 2
    db = Database(settings.database_url, read_only=True)
    shown = 0
    for hit in preview(MatchStore(db), matcher, window, applies_to=applies_to):
        shown += 1
        article = hit.article
        date = utc_minute(article.when)
        terms = ", ".join(hit.terms)
        print(f"{date}  {article.outlet_id}  {article.title}  {article.canonical_url}  [{terms}]")
    db.close()
    print(f"{shown} matching articles in the last {since}", file=sys.stderr)
    return 0
