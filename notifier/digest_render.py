"""Digests: many alerts listed in as few Telegram messages as fit, split between items."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from notifier.telegram_message import (
    TELEGRAM_MESSAGE_LIMIT,
    clean,
    linkable,
    shorten_words,
    source_line,
    utf16_length,
)

DIGEST_TITLE_CHARS = 160


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


def _digest_section_header(section: DigestSection, plain: bool, *, continued: bool) -> str:
    title = shorten_words(section.title, DIGEST_TITLE_CHARS) or section.watchlist_id
    suffix = " (continued)" if continued else ""
    if plain:
        return f"{title} ({section.watchlist_id}){suffix}"
    esc = html.escape
    return f"<b>{esc(title)}</b> (<code>{esc(clean(section.watchlist_id))}</code>){suffix}"


def _digest_line(item: DigestItem, plain: bool) -> str:
    title = shorten_words(item.title, DIGEST_TITLE_CHARS) or "(untitled)"
    source = source_line(shorten_words(item.outlet_name, 60), item.published)
    url = clean(item.url).strip()
    if plain:
        return f"• {title} — {source}\n  {url}"
    esc = html.escape
    link = f'<a href="{esc(url, quote=True)}">{esc(title)}</a>' if linkable(url) else esc(title)
    return f"• {link} — {esc(source)}"
