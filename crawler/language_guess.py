"""The article's language (ISO 639-1) for ``lang:xx`` in watchlist queries.

What the page declares wins: the outlet knows its language better than any statistics. Only when
it declares none is the language identified from the text, with a model shipped inside the
``langid`` package, so nothing is downloaded while crawling.
"""

from __future__ import annotations

import functools
import re

from langid.langid import LanguageIdentifier, model

DECLARED = re.compile(r"^\s*([a-zA-Z]{2})(?:[-_][a-zA-Z0-9]{2,8})*\s*$")
# Enough text for a steady answer; more only costs time, and the start says it as well.
SAMPLE_CHARS = 2000
# Below this (normalised) probability the guess is too unsure to filter on.
MIN_CONFIDENCE = 0.5
MIN_LETTERS = 20


def normalized(declared: str | None) -> str | None:
    """``en-US``, ``en_GB`` or ``EN`` -> ``en``; None for anything not led by a two-letter code."""
    match = DECLARED.match(declared or "")
    return match.group(1).lower() if match else None


@functools.cache
def _identifier() -> LanguageIdentifier:
    """Loaded once, on first need: unpacking the model takes about a second."""
    return LanguageIdentifier.from_modelstring(model, norm_probs=True)


def identified(text: str) -> str | None:
    """The language the text is most likely in, or None if too short or unsure to say."""
    sample = text[:SAMPLE_CHARS]
    if sum(char.isalpha() for char in sample) < MIN_LETTERS:
        return None
    language, confidence = _identifier().classify(sample)
    return str(language) if confidence >= MIN_CONFIDENCE else None


def article_language(declared: str | None, text: str) -> str | None:
    """The declared language, normalised; else the one identified from the text."""
    return normalized(declared) or identified(text)
