"""Logging set-up that keeps the bot token out of every line."""

from __future__ import annotations

import logging
import sys

from notifier.redaction import TokenRedactingFilter


def setup_logging(verbose: bool, token: str | None) -> None:
    level = logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(TokenRedactingFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request URLs carry the bot token; the HTTP client logs them at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
