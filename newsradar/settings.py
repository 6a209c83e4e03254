"""Process settings from the environment (DESIGN.md "Environment").

The token is kept out of `repr` so that no log line or traceback that prints the settings shows it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite:///newsradar.db"


@dataclass(frozen=True)
class Settings:
    config_dir: Path = Path("config")
    database_url: str = DEFAULT_DATABASE_URL
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = DEFAULT_API_URL
    redis_url: str | None = None
    operator_chats: frozenset[int] = frozenset()
    # Seconds before a send whose answer was lost goes out again (once).
    resend_pause: float = 60.0

    @classmethod
    def from_env(cls, config_dir: str | Path | None = None) -> Settings:
        env = os.environ
        return cls(
            config_dir=Path(config_dir or env.get("NEWSRADAR_CONFIG_DIR") or "config"),
            database_url=env.get("NEWSRADAR_DATABASE_URL") or DEFAULT_DATABASE_URL,
            telegram_token=env.get("NEWSRADAR_TELEGRAM_TOKEN") or None,
            telegram_api_url=(env.get("NEWSRADAR_TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/"),
            redis_url=env.get("NEWSRADAR_REDIS_URL") or None,
            operator_chats=parse_chat_ids(env.get("NEWSRADAR_OPERATOR_CHATS", "")),
            resend_pause=_seconds(env.get("NEWSRADAR_RESEND_PAUSE"), 60.0),
        )


def _seconds(text: str | None, default: float) -> float:
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"NEWSRADAR_RESEND_PAUSE: {text!r} is not a number of seconds") from None
    return max(value, 0.0)


def parse_chat_ids(text: str) -> frozenset[int]:
    """'123, -100456' -> {123, -100456}; a non-number is an error worth stopping for."""
    chats = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            chats.add(int(part))
        except ValueError:
            raise ValueError(
                f"NEWSRADAR_OPERATOR_CHATS: {part!r} is not a chat id (comma-separated numbers)"
            ) from None
    return frozenset(chats)
