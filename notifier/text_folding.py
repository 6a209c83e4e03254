"""Text folding shared by articles and queries: one normalisation, so both sides agree.

Matching is case-, accent- and apostrophe-insensitive and works on whole words; hyphens and
punctuation separate words. (Article fingerprints use crawler.normalize, which differs on purpose:
changing either would change what is stored.)
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

APOSTROPHES = "'\u2019\u02bc"  # straight, right single quotation mark, modifier letter
QUOTES = '"\u201c\u201d\u201e'  # straight, left and right double, low double
# Combining marks written as separate characters still belong to the word they sit on.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u064b-\u065f\u0670"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_WORD_CHAR = rf"(?:[^\W_]|[{_MARKS}])"
_WORD_RE = re.compile(rf"{_WORD_CHAR}+(?:[{APOSTROPHES}]{_WORD_CHAR}+)*")
_LINE_BREAK_RE = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_APOSTROPHE_TABLE = str.maketrans("", "", APOSTROPHES)
# Latin letters that carry their "accent" in the letter itself, so decomposition leaves them be.
_PLAIN_LETTERS = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "\u0131": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)


class Token(NamedTuple):
    """One normalised word and where it came from in the original string."""

    text: str
    start: int
    end: int
    line_break_before: bool


@lru_cache(maxsize=200_000)
def _fold_word(raw: str) -> tuple[str, ...]:
    """Normalise one raw word; usually one token, more if folding exposes punctuation."""
    if len(raw) > 2 and raw[-2] in APOSTROPHES and raw[-1] in "sS":
        raw = raw[:-2]  # possessive: "Iraq's" is "Iraq"
    raw = raw.translate(_APOSTROPHE_TABLE)  # "Shi'a" is "Shia"
    if raw.isascii():
        return (raw.lower(),) if raw.isalnum() else tuple(_split_non_alnum(raw.lower()))
    folded = unicodedata.normalize("NFKD", raw.casefold().translate(_PLAIN_LETTERS))
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    return tuple(_split_non_alnum(stripped))


def _split_non_alnum(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text).split()


def _possessive_end(match: re.Match[str]) -> int:
    raw = match.group()
    if len(raw) > 2 and raw[-2] in APOSTROPHES and raw[-1] in "sS":
        return match.end() - 2
    return match.end()


def tokenize(text: str) -> list[Token]:
    """Split text into normalised words with offsets into ``text``.

    ``line_break_before`` marks a word that starts a new line: phrases never span lines, since
    extracted articles put one paragraph on each line.
    """
    breaks = [m.start() for m in _LINE_BREAK_RE.finditer(text)]
    next_break = 0
    tokens: list[Token] = []
    for match in _WORD_RE.finditer(text):
        start = match.start()
        line_break = False
        while next_break < len(breaks) and breaks[next_break] < start:
            line_break = True
            next_break += 1
        end = _possessive_end(match)
        for word in _fold_word(match.group()):
            tokens.append(Token(word, start, end, line_break and bool(tokens)))
            line_break = False
    return tokens


def normalize(text: str) -> str:
    """The one normalisation used for articles and queries alike, so both sides agree.

    Casefolds, strips accents, drops apostrophes (and a possessive ``'s``), and turns hyphens and
    punctuation into single spaces.
    """
    return " ".join(token.text for token in tokenize(text))
