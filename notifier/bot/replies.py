"""Small helpers for the bot's replies: escaping, dates and keeping a reply in one message."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from notifier.render import TELEGRAM_MESSAGE_LIMIT, utf16_length
from notifier.timestamps import utc_minute

esc = html.escape


def when(value: datetime | None) -> str:
    return "never" if value is None else utc_minute(value)


def fit_lines(
    head: str, lines: Sequence[str], *, limit: int = TELEGRAM_MESSAGE_LIMIT, tail: str = ""
) -> str:
    """`head` plus as many `lines` as fit in one message, then "…and N more"."""
    budget = limit - utf16_length(head) - utf16_length(tail) - 40
    shown: list[str] = []
    for line in lines:
        cost = utf16_length(line) + 1
        if cost > budget:
            break
        shown.append(line)
        budget -= cost
    body = "\n".join(shown)
    if len(shown) < len(lines):
        body += f"\n…and {len(lines) - len(shown)} more"
    return "\n".join(part for part in (head, body, tail) if part)
