"""The words the outbox and the chats are stored with, as enums (their values are what is stored).

A StrEnum equals its value, so rows written before these existed read back unchanged and
comparisons with plain strings keep working.
"""

from __future__ import annotations

import enum
from datetime import timedelta


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (or to be sent again: Telegram was not refusing it)
    SENT = "sent"  # Telegram accepted it
    FAILED = "failed"  # Telegram refused this message itself; not retried
    HELD = "held"  # its chat blocked the bot: kept until the chat talks to the bot again
    MERGED = "merged"  # its group became a supergroup that already has this article
    # Written to Telegram, answer lost: it may have arrived. Sent once more, not before its
    # `resend_after`, so a chat gets it at most twice, and only when an answer was lost.
    UNCERTAIN = "uncertain"
    UNCONFIRMED = "unconfirmed"  # sent twice, neither answer came back: never sent again
    PRINTED = "printed"  # no bot token: printed on a terminal, never delivered to the chat
    # Printed, and already older than the backfill window when a token appeared: not sent.
    PRINTED_EARLIER = "printed_earlier"


# Rows a delivery round may send (an UNCERTAIN one only once its pause is over).
SENDABLE = (OutboxStatus.PENDING, OutboxStatus.UNCERTAIN)


class OutboxKind(enum.StrEnum):
    ALERT = "alert"  # an article matched a watchlist of the chat; payload: AlertPayload
    NOTICE = "notice"  # an operator message, already rendered; payload: {"text": html}


class DigestMode(enum.StrEnum):
    OFF = "off"  # each alert at once
    HOURLY = "hourly"
    DAILY = "daily"


DIGEST_PERIODS: dict[DigestMode, timedelta] = {
    DigestMode.HOURLY: timedelta(hours=1),
    DigestMode.DAILY: timedelta(days=1),
}


def digest_mode(stored: str | None) -> DigestMode:
    """The chat's digest mode as stored; anything unknown (or nothing) is OFF."""
    try:
        return DigestMode(stored or DigestMode.OFF)
    except ValueError:
        return DigestMode.OFF
