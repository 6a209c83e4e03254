"""Operator URL patterns (`article_url_pattern`) compiled for a linear-time engine (RE2).

A backtracking engine can spend minutes, and hold the event loop, on one hostile link against a
pattern like `([a-z0-9]+-?)+/$`; RE2 matches in time linear in the URL whatever the pattern, so
no link on a page nobody controls can stall a crawl. The price is that RE2 has no lookarounds
and no backreferences: such patterns are refused with an error saying what to change.
"""

from __future__ import annotations

from typing import Protocol

import re2

# Memory RE2 may use to compile one pattern: far above any sane pattern, a bound on absurd ones.
MAX_PATTERN_MEMORY = 8 << 20
_UNSUPPORTED_HINT = (
    "URL patterns run on a linear-time engine (RE2), which has no lookarounds"
    " ((?=...), (?!...), (?<=...), (?<!...)), no backreferences (\\1, (?P=name)) and no \\Z"
    " (write $); rewrite the pattern without them"
)


class UrlPatternError(ValueError):
    """A pattern the engine cannot take; the message says why and what to change."""


class UrlPattern(Protocol):
    def search(self, text: str) -> object | None: ...


def compile_url_pattern(pattern: str) -> UrlPattern:
    """The compiled pattern; raises `UrlPatternError` for one RE2 cannot take."""
    options = re2.Options()
    options.log_errors = False  # the refusal is reported by the caller, not printed on stderr
    options.max_mem = MAX_PATTERN_MEMORY
    try:
        compiled: UrlPattern = re2.compile(pattern, options=options)
    except re2.error as exc:
        raise UrlPatternError(f"{_reason(exc)}; {_UNSUPPORTED_HINT}") from None
    return compiled


def _reason(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else str(exc)
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return f"not a regular expression this engine can run ({str(detail)[:200]})"
