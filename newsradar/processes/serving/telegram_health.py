"""What `serve` knows of Telegram (ok, unreachable, unauthorized), for /healthz and the log.

Delivery rounds and the bot both report here; a change is logged once, so a refused token is
one line in the log, not one per round or per reconnection.
"""

from __future__ import annotations

import logging

log = logging.getLogger("newsradar.serve")

OK, UNREACHABLE, UNAUTHORIZED = "ok", "unreachable", "unauthorized"
_SAY = {
    OK: "Telegram: reachable, the bot token is accepted",
    UNREACHABLE: "Telegram: unreachable; alerts stay queued and are sent when it answers",
    UNAUTHORIZED: "Telegram refused the bot token (unauthorized): nothing can be sent or "
    "answered until NEWSRADAR_TELEGRAM_TOKEN is fixed; alerts stay queued, crawling goes on",
}


class TelegramHealth:
    def __init__(self) -> None:
        self.state = OK

    def report(self, state: str | None) -> None:
        """Record what a send or the bot just learnt (None: nothing); log it if it changed."""
        if state is None or state == self.state:
            return
        previous, self.state = self.state, state
        if state == UNAUTHORIZED:
            log.error("%s", _SAY[state])
        elif state == UNREACHABLE or previous == UNAUTHORIZED:
            log.warning("%s", _SAY[state])
        else:
            log.info("%s", _SAY[state])
