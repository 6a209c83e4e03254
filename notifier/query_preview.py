"""What a query or a watchlist would have matched among the stored articles, newest first: the
one preview behind `newsradar backtest` and the bot's `/try`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from notifier.matcher import Matcher
from notifier.notify_ports import ArticleArchive, StoredArticle


@dataclass(frozen=True)
class PreviewHit:
    article: StoredArticle
    terms: tuple[str, ...]  # the terms of the first watchlist that matched, in order of hits


def preview(
    archive: ArticleArchive,
    matcher: Matcher,
    window: timedelta,
    *,
    applies_to: Callable[[str], bool] | None = None,
    scan_limit: int | None = None,
) -> Iterator[PreviewHit]:
    """Each article dated within `window` that `matcher` matches, newest first; only articles of
    outlets `applies_to` accepts, and among the newest `scan_limit` stored."""
    for article in archive.newest_first(window, scan_limit):
        if applies_to is not None and not applies_to(article.outlet_id):
            continue
        matches = matcher.match(article.title or "", article.text, language=article.language)
        if matches:
            yield PreviewHit(article, matches[0].terms)
