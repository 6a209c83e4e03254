"""Logging set-up: how much `-v` shows, with the bot token kept out of every line.

No `-v`: warnings and errors only. `-v`: newsradar's own progress (its packages' INFO lines)
while the frameworks it runs on (Scrapy, Twisted, APScheduler, the Telegram client, Alembic)
stay at warnings, so their settings and statistics dumps do not bury it. `-vv`: the frameworks'
INFO lines too, and newsradar's DEBUG. `-vvv`: everything.
"""

from __future__ import annotations

import logging
import sys

from notifier.redaction import TokenRedactingFilter

# The packages whose loggers are newsradar's own.
OWN_PACKAGES = ("newsradar", "crawler", "notifier")
# Loggers that stay at WARNING whatever -v says: request URLs carry the bot token.
QUIET_ALWAYS = ("httpx", "httpcore")


def own_level(verbosity: int) -> int:
    return (logging.WARNING, logging.INFO)[verbosity] if verbosity < 2 else logging.DEBUG


def framework_level(verbosity: int) -> int:
    if verbosity <= 1:
        return logging.WARNING
    return logging.INFO if verbosity == 2 else logging.DEBUG


def framework_level_name(verbosity: int) -> str:
    """The level handed to Scrapy's LOG_LEVEL setting."""
    return logging.getLevelName(framework_level(verbosity))


def setup_logging(verbosity: int, token: str | None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(TokenRedactingFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(framework_level(verbosity))
    for package in OWN_PACKAGES:
        logging.getLogger(package).setLevel(own_level(verbosity))
    for name in QUIET_ALWAYS:
        logging.getLogger(name).setLevel(logging.WARNING)
