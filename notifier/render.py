"""Alert messages: Telegram HTML for chats, plain text for the terminal.

Digests are rendered by notifier.digest_render, the snippet by notifier.alert_snippet.

Everything taken from a page is escaped, and the HTML form is kept under Telegram's 4,096-unit
message limit by shortening the least important parts first (snippet, then title, then the lists
of terms and watchlists), so a hostile or enormous page can never make Telegram refuse an alert.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from notifier.alert_snippet import SNIPPET_CHARS, Snippet, make_snippet
from notifier.digest_render import (
    DigestItem,
    DigestPart,
    DigestSection,
    render_digest,
)
from notifier.telegram_message import (
    ELLIPSIS,
    TELEGRAM_MESSAGE_LIMIT,
    UNSENDABLE,
    clean,
    html_to_plain,
    linkable,
    shorten,
    shorten_words,
    source_line,
    squash,
    utf16_length,
)

# Digest names and the message helpers stay importable from here, where callers look for them.
__all__ = [
    "ELLIPSIS",
    "SNIPPET_CHARS",
    "TELEGRAM_MESSAGE_LIMIT",
    "AlertView",
    "DigestItem",
    "DigestPart",
    "DigestSection",
    "Snippet",
    "html_to_plain",
    "make_snippet",
    "render_alert",
    "render_digest",
    "render_plain",
    "shorten_words",
    "utf16_length",
]

LIST_CHARS = 600
OUTLET_CHARS = 200


@dataclass(frozen=True)
class AlertView:
    """What one chat is told about one article."""

    title: str
    url: str
    outlet_name: str
    published: datetime | None
    watchlists: Sequence[tuple[str, str]]
    terms: Sequence[str]
    text: str
    first_hit: tuple[int, int] | None


def render_alert(alert: AlertView) -> str:
    """Telegram HTML (parse_mode=HTML) that fits in one message."""
    original = _Parts.of(alert)
    if _fits(original):
        return _html(original)
    shrinkers: list[tuple[Callable[[_Parts, int], _Parts], int]] = [
        (lambda p, n: replace(p, snippet_width=n), original.snippet_width),
        (lambda p, n: replace(p, title=shorten(original.title, n)), len(original.title)),
        (lambda p, n: replace(p, terms_shown=n), original.terms_shown),
        (lambda p, n: replace(p, watchlists_shown=n), original.watchlists_shown),
        (
            lambda p, n: replace(p, outlet_name=shorten(original.outlet_name, n)),
            len(original.outlet_name),
        ),
        (lambda p, n: replace(p, link=bool(n)), 1),
    ]
    parts = original
    for shrink, upper in shrinkers:
        parts, fits = _largest_fitting(parts, shrink, upper)
        if fits:
            return _html(parts)
    return _html(parts)  # unreachable in practice: every part above can shrink to nothing


def render_plain(alert: AlertView) -> str:
    """Terminal-friendly form used when alerts are printed instead of sent."""
    parts = _Parts.of(alert)
    lines = [parts.title or "(untitled)", alert.url, parts.source_line()]
    if parts.watchlists:
        lines.append("Watchlist: " + ", ".join(f"{t} ({i})" for i, t in parts.watchlists))
    if parts.terms:
        lines.append("Matched: " + ", ".join(parts.terms))
    snippet = make_snippet(parts.text, parts.first_hit, parts.snippet_width)
    hit = f"**{snippet.hit}**" if snippet.hit else ""
    body = f"{snippet.before}{hit}{snippet.after}".strip()
    if body:
        lines += ["", body]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Parts:
    title: str
    url: str
    outlet_name: str
    published: datetime | None
    watchlists: tuple[tuple[str, str], ...]
    terms: tuple[str, ...]
    text: str
    first_hit: tuple[int, int] | None
    snippet_width: int = SNIPPET_CHARS
    terms_shown: int = 0
    watchlists_shown: int = 0
    link: bool = True

    def source_line(self) -> str:
        return source_line(self.outlet_name, self.published)

    @classmethod
    def of(cls, alert: AlertView) -> _Parts:
        watchlists = tuple((clean(i), clean(t)) for i, t in alert.watchlists)
        terms = tuple(clean(term) for term in alert.terms)
        outlet_name = shorten(squash(clean(alert.outlet_name)).strip(), OUTLET_CHARS)
        # Offsets refer to the original text; cleaning only replaces characters one for one.
        return cls(
            title=squash(clean(alert.title)).strip(),
            url=clean(alert.url).strip(),
            outlet_name=outlet_name,
            published=alert.published,
            watchlists=watchlists,
            terms=terms,
            text=UNSENDABLE.sub(" ", alert.text),
            first_hit=alert.first_hit,
            terms_shown=_count_within(terms, LIST_CHARS),
            watchlists_shown=_count_within([f"{t} ({i})" for i, t in watchlists], LIST_CHARS),
        )


def _html(parts: _Parts) -> str:
    esc = html.escape
    title = esc(parts.title) if parts.title else "(untitled)"
    if parts.link and linkable(parts.url):
        heading = f'<b><a href="{esc(parts.url, quote=True)}">{title}</a></b>'
    else:
        heading = f"<b>{title}</b>"
    lines = [heading, esc(parts.source_line())]
    if parts.watchlists:
        shown = [f"{esc(t)} (<code>{esc(i)}</code>)" for i, t in parts.watchlists]
        lines.append("Watchlist: " + _limited(shown, parts.watchlists_shown))
    if parts.terms:
        shown = [f"<i>{esc(term)}</i>" for term in parts.terms]
        lines.append("Matched: " + _limited(shown, parts.terms_shown))
    snippet = make_snippet(parts.text, parts.first_hit, parts.snippet_width)
    if snippet.before or snippet.hit or snippet.after:
        hit = f"<b>{esc(snippet.hit)}</b>" if snippet.hit else ""
        lines += ["", f"{esc(snippet.before)}{hit}{esc(snippet.after)}"]
    return "\n".join(lines)


def _largest_fitting(
    parts: _Parts, shrink: Callable[[_Parts, int], _Parts], upper: int
) -> tuple[_Parts, bool]:
    """Binary search for the largest n in [0, upper] whose shrunk message fits."""
    low, high = 0, upper
    if not _fits(shrink(parts, low)):
        return shrink(parts, low), False
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(shrink(parts, middle)):
            low = middle
        else:
            high = middle - 1
    return shrink(parts, low), True


def _fits(parts: _Parts) -> bool:
    return utf16_length(_html(parts)) <= TELEGRAM_MESSAGE_LIMIT


def _count_within(items: Sequence[str], budget: int) -> int:
    """How many leading items fit in `budget` escaped characters (always at least one)."""
    used = 0
    for count, item in enumerate(items):
        used += len(html.escape(item)) + 2
        if used > budget:
            return max(count, 1)
    return len(items)


def _limited(items: list[str], shown: int) -> str:
    hidden = len(items) - shown
    text = ", ".join(items[:shown])
    if hidden > 0:
        text += f"{', ' if shown else ''}+{hidden} more"
    return text
