"""The `newsradar` command's entry point: whatever a command is doing when Ctrl-C comes (importing
its modules, reading the config, waiting for another run, migrating the database, crawling), it
ends with one line and exit 130, never a traceback. This module imports nothing of newsradar but
the exit codes before that is in place.

`serve` and `worker` handle SIGINT themselves once running (a graceful stop, exit 0); before
that, they end here like any other command.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import NoReturn

from newsradar.processes.exit_codes import EXIT_INTERRUPTED


def main() -> int:
    try:
        from newsradar.processes.cli import main as run_command

        return run_command()
    except KeyboardInterrupt:
        # A second Ctrl-C from here on ends the process at once, as the signal's default does.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        print(f"newsradar: interrupted (exit {EXIT_INTERRUPTED})", file=sys.stderr)
        _exit_now(EXIT_INTERRUPTED)


def _exit_now(code: int) -> NoReturn:
    """Exit without waiting for the worker threads an interrupted crawl leaves idle (Twisted's
    thread pool would hold the process open for ever): the `finally` blocks on the way here have
    closed the database and released the run lock; what is buffered is written first."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)
