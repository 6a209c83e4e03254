"""The one query preview behind `newsradar backtest` and `/try`, over the real article store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from newsradar.database.match_store import MatchStore
from notifier.matcher import Matcher
from notifier.query import parse_query
from notifier.query_preview import preview
from tests.support.newsroom import Newsroom


def _matcher(text: str) -> Matcher:
    return Matcher([("q", parse_query(text))])


def test_matches_newest_first_within_the_window(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [])
    old = room.add_article("Iraq militias, last month", age=timedelta(days=30))
    older = room.add_article("Iraq militias regroup", age=timedelta(hours=5))
    newer = room.add_article("Iraq militia strikes", age=timedelta(hours=1))
    room.add_article("Syria talks", age=timedelta(hours=2))

    hits = list(preview(MatchStore(room.db), _matcher("Iraq militia*"), timedelta(days=7)))

    assert [h.article.id for h in hits] == [newer, older]
    assert hits[0].terms == ("Iraq", "militia*")
    assert old not in [h.article.id for h in hits]


def test_outlets_and_scan_limit(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [])
    ours = room.add_article("Iraq news", age=timedelta(hours=3))
    room.add_article("Iraq news elsewhere", outlet_id="warontherocks", age=timedelta(hours=2))
    room.add_article("Nothing to see", age=timedelta(hours=1))
    archive, matcher, week = MatchStore(room.db), _matcher("Iraq"), timedelta(days=7)

    only_ours = preview(archive, matcher, week, applies_to=lambda outlet: outlet == "statecraft")
    assert [h.article.id for h in only_ours] == [ours]
    # Only the newest two stored articles are read: the older match is not reached.
    assert [h.article.outlet_id for h in preview(archive, matcher, week, scan_limit=2)] == [
        "warontherocks"
    ]
