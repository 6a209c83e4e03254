"""Keeping the bot token out of text: log lines, error messages, stored rows."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable

REDACTED = "[token]"
# Loggers of the bot client and its HTTP stack that may see URLs or tokens.
CLIENT_LOGGERS = (
    "telegram",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


def redact(text: str, token: str | None) -> str:
    """Remove the token (and its secret half) from text, in any letter case and in any of its
    URL-encoded forms: the Telegram client capitalises error texts, which lower-cases a token
    echoed in them, and a URL may carry any of its characters as %XX (or %25XX)."""
    if not token:
        return text
    return _token_pattern(token).sub(REDACTED, text)


@functools.lru_cache(maxsize=16)
def _token_pattern(token: str) -> re.Pattern[str]:
    _, _, secret = token.partition(":")
    forms = [token]
    if len(secret) >= 8:
        forms.append(secret)
    alternatives = "|".join("".join(_any_encoding(char) for char in form) for form in forms)
    return re.compile(alternatives, re.IGNORECASE)


def _any_encoding(char: str) -> str:
    """The character itself, or percent-encoded once or twice (hex digits in either case)."""
    encoded = "".join(f"%(?:25)?{byte:02x}" for byte in char.encode())
    return f"(?:{re.escape(char)}|{encoded})"


class TokenRedactingFilter(logging.Filter):
    """Rewrites log records so that no registered token is emitted: message, arguments and
    traceback included."""

    def __init__(self, *tokens: str | None, name: str = "") -> None:
        super().__init__(name)
        self.tokens: set[str] = {token for token in tokens if token}

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.tokens:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self._clean(formatted)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True

    def _clean(self, text: str) -> str:
        for token in self.tokens:
            text = redact(text, token)
        return text


_CLIENT_REDACTION = TokenRedactingFilter(name="newsradar-token-redaction")


def scrub(text: str) -> str:
    """`text` without any token this process has registered (protect_token): for what is stored
    or shown without the token at hand (outbox errors, operator notices, /healthz)."""
    return _CLIENT_REDACTION._clean(text)


def protect_token(token: str, loggers: Iterable[str] = CLIENT_LOGGERS) -> None:
    """Keep `token` out of everything the bot client and its HTTP stack log.

    Call before creating any Bot or Application that uses the token (the bot client logs its
    API URL when it is created)."""
    if token:
        _CLIENT_REDACTION.tokens.add(token)
    for name in loggers:
        named = logging.getLogger(name)
        if _CLIENT_REDACTION not in named.filters:
            named.addFilter(_CLIENT_REDACTION)
