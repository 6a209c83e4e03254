"""The snippet of an alert: a window of the article's text around the first match."""

from __future__ import annotations

from dataclasses import dataclass

from notifier.telegram_message import ELLIPSIS, squash

SNIPPET_CHARS = 200


@dataclass(frozen=True)
class Snippet:
    """A window of the text around the first hit; `hit` is empty when there is none."""

    before: str
    hit: str
    after: str


def make_snippet(
    text: str, first_hit: tuple[int, int] | None, width: int = SNIPPET_CHARS
) -> Snippet:
    """About `width` characters around the hit, cut at word boundaries, "…" where text was cut."""
    if width <= 0 or not text:
        return Snippet("", "", "")
    hit = _valid_hit(text, first_hit)
    if hit is None:
        return Snippet("", "", squash(_window_tail(text, 0, width)).strip())
    start, end = hit
    hit_text = text[start:end]
    if len(hit_text) >= width:
        return Snippet("", squash(text[start : start + width]).strip(), "")
    room = width - len(hit_text)
    before_room = min(room // 2, start)
    after_room = min(room - before_room, len(text) - end)
    before_room = min(room - after_room, start)
    before = _window_head(text, start - before_room, start)
    after = _window_tail(text, end, end + after_room)
    return Snippet(squash(before).lstrip(), squash(hit_text), squash(after).rstrip())


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
