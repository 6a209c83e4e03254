"""The inline buttons under each alert and the compact callback data they carry.

Telegram allows 64 bytes of callback data. An id that fits travels as itself ("m:iraq"); a longer
one as a short hash ("m~3f2a…") that the bot resolves against the watchlists of the pressing chat.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64
Action = Literal["u", "m", "r"]
UNSUBSCRIBE: Action = "u"
MUTE: Action = "m"
UNMUTE: Action = "r"  # the undo offered once Mute was pressed
ACTIONS: tuple[Action, ...] = (UNSUBSCRIBE, MUTE, UNMUTE)
CALLBACK_PATTERN = r"^[umr][:~]"


@dataclass(frozen=True)
class ButtonPress:
    action: Action
    watchlist_id: str | None  # None: a hashed id, see `digest`
    digest: str | None = None

    def resolve(self, candidates: Iterable[str]) -> str | None:
        """The watchlist id this press means, looking hashed ids up among `candidates`."""
        if self.watchlist_id is not None:
            return self.watchlist_id
        return next((c for c in candidates if _digest(c) == self.digest), None)


def callback_data(action: Action, watchlist_id: str) -> str:
    plain = f"{action}:{watchlist_id}"
    if len(plain.encode()) <= MAX_CALLBACK_BYTES:
        return plain
    return f"{action}~{_digest(watchlist_id)}"


def parse_callback(data: str) -> ButtonPress | None:
    action = next((a for a in ACTIONS if a == data[:1]), None)
    if len(data) < 3 or action is None:
        return None
    if data[1] == ":":
        return ButtonPress(action, data[2:])
    if data[1] == "~":
        return ButtonPress(action, None, data[2:])
    return None


def alert_keyboard(watchlist_id: str) -> InlineKeyboardMarkup:
    """Buttons for the first watchlist an alert names."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "🔕 Mute for a day", callback_data=callback_data(MUTE, watchlist_id)
                ),
                InlineKeyboardButton(
                    "Unsubscribe", callback_data=callback_data(UNSUBSCRIBE, watchlist_id)
                ),
            ]
        ]
    )


def undo_mute_keyboard(watchlist_id: str) -> InlineKeyboardMarkup:
    """What replaces the buttons once muted: a mistaken press is one tap to undo."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("↩️ Undo mute", callback_data=callback_data(UNMUTE, watchlist_id))]]
    )


def _digest(watchlist_id: str) -> str:
    return hashlib.sha256(watchlist_id.encode()).hexdigest()[:20]
