"""The snippet of an alert: a window of the text around the first match, cut at word boundaries."""

from __future__ import annotations

from notifier.alert_snippet import SNIPPET_CHARS, make_snippet
from notifier.telegram_message import ELLIPSIS

ARTICLE = (
    "Iraqi officials said on Tuesday that the drone attack on the Al Asad air base in western "
    "Iraq was the third this month. Militia leaders denied involvement, while Washington "
    "promised a measured response and called for restraint from all parties involved. "
) * 4
HIT = ARTICLE.index("Al Asad")
SECOND_HIT = ARTICLE.index("Al Asad", HIT + 1)


def test_snippet_cuts_at_word_boundaries_around_the_hit() -> None:
    snippet = make_snippet(ARTICLE, (SECOND_HIT, SECOND_HIT + 7))
    assert snippet.hit == "Al Asad"
    assert snippet.before.startswith(ELLIPSIS) and snippet.after.endswith(ELLIPSIS)
    whole = snippet.before[1:] + snippet.hit + snippet.after[:-1]
    assert whole in " ".join(ARTICLE.split())
    first_word, last_word = whole.split()[0], whole.split()[-1]
    assert f" {first_word} " in ARTICLE and f" {last_word} " in ARTICLE  # no half words
    assert SNIPPET_CHARS - 30 <= len(whole) <= SNIPPET_CHARS


def test_snippet_near_edges_and_without_hit() -> None:
    at_start = make_snippet(ARTICLE, (0, 5))
    assert (at_start.before, at_start.hit) == ("", "Iraqi")
    assert at_start.after.endswith(ELLIPSIS)

    no_hit = make_snippet(ARTICLE, None)
    assert no_hit.hit == "" and no_hit.after.startswith("Iraqi officials said")
    assert no_hit.after.endswith(ELLIPSIS) and len(no_hit.after) <= SNIPPET_CHARS + 1

    short = make_snippet("Only  a\nshort text.", (6, 7))
    assert (short.before, short.hit, short.after) == ("Only ", "a", " short text.")

    assert make_snippet(ARTICLE, (10, 5)).hit == ""  # nonsense offsets: treated as no hit
