"""Alert messages: Telegram HTML for chats, plain text for the terminal.

Everything taken from a page is escaped, and the HTML form is kept under Telegram's 4,096-unit
message limit by shortening the least important parts first (snippet, then title, then the lists
of terms and watchlists), so a hostile or enormous page can never make Telegram refuse an alert.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

TELEGRAM_MESSAGE_LIMIT = 4096
SNIPPET_CHARS = 200
ELLIPSIS = "…"
# Operator-side parts are capped up front so that a long list cannot crowd out the article.
LIST_CHARS = 600
OUTLET_CHARS = 200
MAX_LINK_CHARS = 2048

_WHITESPACE = re.compile(r"\s+")
# C0/C1 controls (except tab and newline) and lone surrogates cannot travel in a message.
_UNSENDABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


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


@dataclass(frozen=True)
class Snippet:
    """A window of the text around the first hit; `hit` is empty when there is none."""

    before: str
    hit: str
    after: str


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def make_snippet(
    text: str, first_hit: tuple[int, int] | None, width: int = SNIPPET_CHARS
) -> Snippet:
    """About `width` characters around the hit, cut at word boundaries, "…" where text was cut."""
    if width <= 0 or not text:
        return Snippet("", "", "")
    hit = _valid_hit(text, first_hit)
    if hit is None:
        return Snippet("", "", _squash(_window_tail(text, 0, width)).strip())
    start, end = hit
    hit_text = text[start:end]
    if len(hit_text) >= width:
        return Snippet("", _squash(text[start : start + width]).strip(), "")
    room = width - len(hit_text)
    before_room = min(room // 2, start)
    after_room = min(room - before_room, len(text) - end)
    before_room = min(room - after_room, start)
    before = _window_head(text, start - before_room, start)
    after = _window_tail(text, end, end + after_room)
    return Snippet(_squash(before).lstrip(), _squash(hit_text), _squash(after).rstrip())


def render_alert(alert: AlertView) -> str:
    """Telegram HTML (parse_mode=HTML) that fits in one message."""
    original = _Parts.of(alert)
    if _fits(original):
        return _html(original)
    shrinkers: list[tuple[Callable[[_Parts, int], _Parts], int]] = [
        (lambda p, n: replace(p, snippet_width=n), original.snippet_width),
        (lambda p, n: replace(p, title=_shorten(original.title, n)), len(original.title)),
        (lambda p, n: replace(p, terms_shown=n), original.terms_shown),
        (lambda p, n: replace(p, watchlists_shown=n), original.watchlists_shown),
        (
            lambda p, n: replace(p, outlet_name=_shorten(original.outlet_name, n)),
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
    lines = [parts.title or "(untitled)", alert.url, _source_line(parts)]
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

    @classmethod
    def of(cls, alert: AlertView) -> _Parts:
        watchlists = tuple((_clean(i), _clean(t)) for i, t in alert.watchlists)
        terms = tuple(_clean(term) for term in alert.terms)
        outlet_name = _shorten(_squash(_clean(alert.outlet_name)).strip(), OUTLET_CHARS)
        # Offsets refer to the original text; cleaning only replaces characters one for one.
        return cls(
            title=_squash(_clean(alert.title)).strip(),
            url=_clean(alert.url).strip(),
            outlet_name=outlet_name,
            published=alert.published,
            watchlists=watchlists,
            terms=terms,
            text=_UNSENDABLE.sub(" ", alert.text),
            first_hit=alert.first_hit,
            terms_shown=_count_within(terms, LIST_CHARS),
            watchlists_shown=_count_within([f"{t} ({i})" for i, t in watchlists], LIST_CHARS),
        )


def _html(parts: _Parts) -> str:
    esc = html.escape
    title = esc(parts.title) if parts.title else "(untitled)"
    if parts.link and _linkable(parts.url):
        heading = f'<b><a href="{esc(parts.url, quote=True)}">{title}</a></b>'
    else:
        heading = f"<b>{title}</b>"
    lines = [heading, esc(_source_line(parts))]
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


def _source_line(parts: _Parts) -> str:
    if parts.published is None:
        return parts.outlet_name
    published = parts.published
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    stamp = published.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{parts.outlet_name} · {stamp}" if parts.outlet_name else stamp


def _linkable(url: str) -> bool:
    """Only web links: a page must not be able to plant javascript: or tg: links."""
    try:
        split = urlsplit(url)
    except ValueError:
        return False
    if len(html.escape(url, quote=True)) > MAX_LINK_CHARS:
        return False
    return split.scheme.lower() in {"http", "https"} and bool(split.netloc)


def _shorten(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    if length <= 0:
        return ""
    return text[: length - 1].rstrip() + ELLIPSIS


def _valid_hit(text: str, first_hit: tuple[int, int] | None) -> tuple[int, int] | None:
    if first_hit is None:
        return None
    start, end = first_hit
    if not 0 <= start < end <= len(text):
        return None
    return start, end


def _window_head(text: str, low: int, high: int) -> str:
    """text[low:high], opened with "…" and without a half word when it starts mid-text."""
    fragment = text[low:high]
    if low == 0:
        return fragment
    if not text[low - 1].isspace() and not fragment[:1].isspace():
        parts = fragment.split(maxsplit=1)
        if len(parts) == 2:  # a single long word is kept rather than dropped entirely
            fragment = fragment[len(parts[0]) :]
    return ELLIPSIS + fragment.lstrip()


def _window_tail(text: str, low: int, high: int) -> str:
    """text[low:high], closed with "…" and without a half word when it ends mid-text."""
    fragment = text[low:high]
    if high >= len(text):
        return fragment
    if not text[high].isspace() and not fragment[-1:].isspace():
        parts = fragment.rsplit(maxsplit=1)
        if len(parts) == 2:
            fragment = fragment[: len(parts[0])]
    return fragment.rstrip() + ELLIPSIS


def _squash(text: str) -> str:
    return _WHITESPACE.sub(" ", text)


def _clean(text: str) -> str:
    return _UNSENDABLE.sub("", text)


# --------------------------------------------------------------------------- digests

DIGEST_TITLE_CHARS = 160
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class DigestItem:
    """One article in a digest; `key` says which queued alert it stands for."""

    key: int
    title: str
    url: str
    outlet_name: str
    published: datetime | None


@dataclass(frozen=True)
class DigestSection:
    """The articles of one watchlist, newest first."""

    watchlist_id: str
    title: str
    items: Sequence[DigestItem]


@dataclass(frozen=True)
class DigestPart:
    """One message of a digest and the keys of the items it carries."""

    text: str
    keys: tuple[int, ...]


def render_digest(
    heading: str,
    sections: Sequence[DigestSection],
    *,
    plain: bool = False,
    limit: int = TELEGRAM_MESSAGE_LIMIT,
) -> list[DigestPart]:
    """Messages listing every item, each under `limit`, split between items (never inside one).

    A section split across messages repeats its heading, marked "continued"; the keys of each
    part let the caller mark exactly the items that message carried as delivered.
    """
    esc = (lambda s: s) if plain else html.escape
    parts: list[DigestPart] = []
    lines: list[str] = [heading if plain else f"<b>{esc(heading)}</b>"]
    keys: list[int] = []
    size = utf16_length(lines[0])

    def flush() -> None:
        nonlocal lines, keys, size
        if keys:
            parts.append(DigestPart("\n".join(lines), tuple(keys)))
        continued = f"{heading} (continued)"
        lines = [continued if plain else f"<b>{esc(continued)}</b>"]
        keys, size = [], utf16_length(lines[0])

    for section in sections:
        header = _digest_section_header(section, plain, continued=False)
        pending_header: str | None = header
        for item in section.items:
            line = _digest_line(item, plain)
            extra = utf16_length(line) + 1
            if pending_header is not None:
                extra += utf16_length(pending_header) + 2
            if keys and size + extra > limit:
                flush()
                pending_header = _digest_section_header(section, plain, continued=True)
                extra = utf16_length(line) + utf16_length(pending_header) + 3
            if pending_header is not None:
                lines += ["", pending_header]
                pending_header = None
            lines.append(line)
            keys.append(item.key)
            size += extra
    flush()
    return parts


def html_to_plain(text: str) -> str:
    """Telegram HTML as terminal text: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def shorten_words(text: str, length: int) -> str:
    """Cut `text` to at most `length` characters at a word boundary, ending with "…"."""
    text = _squash(_clean(text)).strip()
    if len(text) <= length:
        return text
    if length <= 1:
        return ELLIPSIS if length == 1 else ""
    cut = text[: length - 1]
    if not text[length - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + ELLIPSIS


def _digest_section_header(section: DigestSection, plain: bool, *, continued: bool) -> str:
    title = shorten_words(section.title, DIGEST_TITLE_CHARS) or section.watchlist_id
    suffix = " (continued)" if continued else ""
    if plain:
        return f"{title} ({section.watchlist_id}){suffix}"
    esc = html.escape
    return f"<b>{esc(title)}</b> (<code>{esc(_clean(section.watchlist_id))}</code>){suffix}"


def _digest_line(item: DigestItem, plain: bool) -> str:
    title = shorten_words(item.title, DIGEST_TITLE_CHARS) or "(untitled)"
    source = _source_line(
        _Parts(
            title="",
            url="",
            outlet_name=shorten_words(item.outlet_name, 60),
            published=item.published,
            watchlists=(),
            terms=(),
            text="",
            first_hit=None,
        )
    )
    url = _clean(item.url).strip()
    if plain:
        return f"• {title} — {source}\n  {url}"
    esc = html.escape
    link = f'<a href="{esc(url, quote=True)}">{esc(title)}</a>' if _linkable(url) else esc(title)
    return f"• {link} — {esc(source)}"
