"""What every Telegram message newsradar writes shares: the length limit as Telegram counts it,
characters that cannot travel, shortening, safe links and the outlet-and-date line."""

from __future__ import annotations

import html
import re
from datetime import datetime
from urllib.parse import urlsplit

from notifier.timestamps import utc_minute

TELEGRAM_MESSAGE_LIMIT = 4096
ELLIPSIS = "…"
MAX_LINK_CHARS = 2048

_WHITESPACE = re.compile(r"\s+")
# C0/C1 controls (except tab and newline) and lone surrogates cannot travel in a message.
UNSENDABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_TAG = re.compile(r"<[^>]+>")


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def squash(text: str) -> str:
    """Every run of whitespace as one space."""
    return _WHITESPACE.sub(" ", text)


def clean(text: str) -> str:
    """Without the characters a message cannot carry."""
    return UNSENDABLE.sub("", text)


def shorten(text: str, length: int) -> str:
    """At most `length` characters, ending with "…" when cut (anywhere, even mid-word)."""
    if len(text) <= length:
        return text
    if length <= 0:
        return ""
    return text[: length - 1].rstrip() + ELLIPSIS


def shorten_words(text: str, length: int) -> str:
    """Cut `text` to at most `length` characters at a word boundary, ending with "…"."""
    text = squash(clean(text)).strip()
    if len(text) <= length:
        return text
    if length <= 1:
        return ELLIPSIS if length == 1 else ""
    cut = text[: length - 1]
    if not text[length - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + ELLIPSIS


def linkable(url: str) -> bool:
    """Only web links: a page must not be able to plant javascript: or tg: links."""
    try:
        split = urlsplit(url)
    except ValueError:
        return False
    if len(html.escape(url, quote=True)) > MAX_LINK_CHARS:
        return False
    return split.scheme.lower() in {"http", "https"} and bool(split.netloc)


def source_line(outlet_name: str, published: datetime | None) -> str:
    """'Outlet · 2024-01-05 14:30 UTC', or whichever of the two is known."""
    if published is None:
        return outlet_name
    stamp = utc_minute(published)
    return f"{outlet_name} · {stamp}" if outlet_name else stamp


def html_to_plain(text: str) -> str:
    """Telegram HTML as terminal text: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))
