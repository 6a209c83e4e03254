"""Preview: which stored articles a watchlist (as the file now stands) or a query would match."""

from __future__ import annotations

import sys

from sqlalchemy import func, select

from newsradar.alerts import build_matcher
from newsradar.config import Config, parse_duration
from newsradar.database import Article, Database, utcnow
from newsradar.settings import Settings
from notifier.matcher import Matcher
from notifier.query import QueryError, parse_query


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
    outlets: object = "all"
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
        outlets = watchlist.outlets
    else:
        try:
            matcher = Matcher([("query", parse_query(query or ""))])
        except QueryError as exc:
            print(f"newsradar backtest: --query: {exc}", file=sys.stderr)
            return 2
    db = Database(settings.database_url)
    when = func.coalesce(Article.published, Article.fetched_at)
    shown = 0
    with db.session() as session:
        for article in session.scalars(
            select(Article)
            .where(when >= utcnow() - window)
            .order_by(when.desc(), Article.id.desc())
        ):
            if outlets != "all" and article.outlet_id not in outlets:  # type: ignore[operator]
                continue
            matches = matcher.match(article.title or "", article.text)
            if not matches:
                continue
            shown += 1
            date = (article.published or article.fetched_at).strftime("%Y-%m-%d %H:%M")
            terms = ", ".join(matches[0].terms)
            print(
                f"{date}  {article.outlet_id}  {article.title}  {article.canonical_url}  [{terms}]"
            )
    db.close()
    print(f"{shown} matching articles in the last {since}", file=sys.stderr)
    return 0
