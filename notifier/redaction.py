"""Keeping the bot token out of text: log lines, error messages, stored rows."""

from __future__ import annotations

REDACTED = "[token]"


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
