"""Keeping the bot token out of text: log lines, error messages, stored rows."""

from __future__ import annotations

import logging
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
    """Remove the token (and its secret half, plain or URL-encoded) from text."""
    if not token:
        return text
    secrets = [token, token.replace(":", "%3A"), token.replace(":", "%3a")]
    _, _, secret = token.partition(":")
    if len(secret) >= 8:
        secrets.append(secret)
    for value in secrets:
        text = text.replace(value, REDACTED)
    return text


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
