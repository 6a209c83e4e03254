"""The stored words of the outbox and the chats: the enums equal what rows hold."""

from __future__ import annotations

from pathlib import Path

from notifier.outbox_states import DigestMode, OutboxKind, OutboxStatus, digest_mode
from tests.support.newsroom import Newsroom


def test_the_enums_are_the_stored_values() -> None:
    assert set(OutboxStatus) == {
        "pending",
        "sent",
        "failed",
        "held",
        "merged",
        "uncertain",
        "unconfirmed",
        "printed",
        "printed_earlier",
    }
    assert set(OutboxKind) == {"alert", "notice"}
    assert list(DigestMode) == ["off", "hourly", "daily"]
    assert f"{DigestMode.HOURLY} digest" == "hourly digest"


def test_stored_digest_modes_read_back_and_unknown_ones_are_off() -> None:
    assert digest_mode("daily") is DigestMode.DAILY
    assert digest_mode(None) is DigestMode.OFF
    assert digest_mode("weekly") is DigestMode.OFF


def test_rows_written_with_the_enums_hold_plain_strings(tmp_path: Path) -> None:
    room = Newsroom.create(
        tmp_path, [{"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [5]}]
    )
    room.add_article("Story on Iraq")
    room.match()

    assert room.query("select kind, status from outbox") == [("alert", "pending")]
