"""Text compared across markup and punctuation variants: a title against a headline, a dek
against a paragraph, one outlet's repeated block against itself on another page."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Casefolded words only, joined by single spaces."""
    return " ".join(_WORD.findall(text.casefold()))
