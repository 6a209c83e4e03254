"""Query cases shared by the tests of the query language, the README's examples and the bot."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from notifier.matcher import Matcher
from notifier.query import parse_query

README = Path(__file__).resolve().parent.parent.parent / "README.md"


class Row(NamedTuple):
    query: str
    text: str
    expected: bool
    title: str = ""
    language: str | None = None


def matches(row: Row) -> bool:
    matcher = Matcher([("w", parse_query(row.query))])
    return bool(matcher.match(row.title, row.text, language=row.language))


NEAR_REFUSED = [  # (query, column of the problem in the query, its message)
    ("Kataib NEAR/x strike", 8, "'NEAR/x' is not a distance in words"),
    ("Kataib NEAR/0 strike", 8, "'NEAR/0' is not a distance in words"),
    ("Kataib NEAR/5", 8, "NEAR/5 with nothing after it"),
    ("NEAR/5 strike", 1, "NEAR/5 with nothing before it"),
]
