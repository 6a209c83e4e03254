"""Tests that set logging up as a command does put the process's logging back afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from newsradar.operations.log_setup import OWN_PACKAGES


@contextmanager
def logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    named = {name: logging.getLogger(name).level for name in OWN_PACKAGES}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in named.items():
            logging.getLogger(name).setLevel(old)
