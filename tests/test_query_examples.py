"""Every query the bot's /start and /help show, and every example in the README's query table, is
run: it parses, and it does what the text beside it says.

tests/test_query_table.py already holds the README's code spans and "X matches "Y" but not "Z""
sentences to its rows; this file adds the bot's own texts and the table's "matches" column, so a
new example in either cannot go untested (the guards below fail until it has rows here).
"""

from __future__ import annotations

import html
import re

import pytest

from notifier.bot.help_text import HELP, WELCOME
from notifier.query import QueryError, parse_query
from tests.support.query_cases import README, Row, matches

BOT_TEXTS = {"welcome": WELCOME, "help": HELP}
SYNTAX_NAMES = {"OR", "( )"}  # spans that name syntax rather than being queries
COMMAND = re.compile(r"^/(?:watch|try) (.+)$")

# What each example in the bot's texts is said to do, as rows. An exclusion alone is refused by
# design (the parser asks for a word to look for), so it is shown after one.
BOT_EXAMPLES: dict[str, list[Row]] = {
    "Iraq militia* -sports": [  # words all must appear, a prefix, an exclusion
        Row("Iraq militia* -sports", "Militiamen were seen in Iraq.", True),
        Row("Iraq militia* -sports", "Iraq votes.", False),
        Row("Iraq militia* -sports", "Iraq militia sports day", False),
    ],
    "Iraq militia*": [
        Row("Iraq militia*", "Iraq: militias regroup", True),
        Row("Iraq militia*", "Iraq regroups", False),
    ],
    '"exact phrase"': [
        Row('"exact phrase"', "an Exact Phrase here", True),
        Row('"exact phrase"', "a phrase, not exact", False),
    ],
    "-excluded": [
        Row("news -excluded", "the news", True),
        Row("news -excluded", "the news, excluded", False),
    ],
    "prefix*": [
        Row("prefix*", "prefixes", True),
        Row("prefix*", "prefix", True),
        Row("prefix*", "a suffix", False),
    ],
    "title:word": [
        Row("title:word", "", True, title="A word"),
        Row("title:word", "word", False, title="Elsewhere"),
    ],
    "Iraq": [  # "case and accents do not matter; words match whole"
        Row("Iraq", "ÍRÂQ votes", True),
        Row("Iraq", "the Iraqiyya list", False),
    ],
    "Iraq*": [Row("Iraq*", "the Iraqiyya list", True)],
    "Kataib NEAR/5 strike*": [  # "both within 5 words, either order"
        Row("Kataib NEAR/5 strike*", "Kataib Hezbollah claimed the drone strike", True),
        Row("Kataib NEAR/5 strike*", "strikes by Kataib", True),
        Row("Kataib NEAR/5 strike*", "Kataib said nothing at all about the strike", False),
    ],
    "Iraq lang:en": [  # "articles in English"
        Row("Iraq lang:en", "Iraq votes", True, language="en"),
        Row("Iraq lang:en", "Iraq vote", False, language="fr"),
        Row("Iraq lang:en", "Iraq votes", False, language=None),
    ],
    "-lang:fr": [  # "all but French", beside a word as every exclusion
        Row("Iraq -lang:fr", "Iraq votes", True, language="en"),
        Row("Iraq -lang:fr", "Iraq vote", False, language="fr"),
    ],
}


def bot_examples() -> list[str]:
    """The queries in the bot's texts: <code> spans, with a /watch or /try command taken off."""
    found = []
    for text in BOT_TEXTS.values():
        for span in re.findall(r"<code>(.+?)</code>", text, flags=re.DOTALL):
            span = html.unescape(span)
            command = COMMAND.match(span)
            if command:
                found.append(command.group(1))
            elif span not in SYNTAX_NAMES:
                found.append(span)
    return list(dict.fromkeys(found))


_HELP_CLAIM = re.compile(r'<code>([^<]+)</code> is not "([^"]+)", <code>([^<]+)</code> is')


def bot_claims() -> list[Row]:
    """The help's "`Iraq` is not "Iraqiyya", `Iraq*` is", as rows."""
    rows = []
    for text in BOT_TEXTS.values():
        flat = " ".join(text.split())
        for negative, word, positive in _HELP_CLAIM.findall(flat):
            rows += [Row(negative, word, False), Row(positive, word, True)]
    return rows


def readme_table() -> list[tuple[list[str], str]]:
    """The README's query table: the queries of each row, and what the row says they match."""
    text = README.read_text(encoding="utf-8")
    start = text.index("### Query language")
    section = text[start : text.index("\n## ", start)]  # kept in lines: a table row is one
    return [
        (re.findall(r"`([^`]+)`", write), says)
        for write, says in re.findall(r"^\| (`.+?) \| (.+?) \|$", section, flags=re.MULTILINE)
    ]


# ----- the bot's texts ----------------------------------------------------------------------------
def test_the_bot_texts_still_show_examples() -> None:
    """Guards the tests below against passing because nothing was found."""
    assert len(bot_examples()) >= 6 and bot_claims()


@pytest.mark.parametrize("example", bot_examples())
def test_every_bot_example_has_rows(example: str) -> None:
    assert BOT_EXAMPLES.get(example), f"add rows for {example!r} to BOT_EXAMPLES"


@pytest.mark.parametrize(
    "row",
    [row for rows in BOT_EXAMPLES.values() for row in rows] + bot_claims(),
    ids=lambda r: f"{r.query} | {r.title} | {r.text}",
)
def test_bot_examples_do_what_the_text_says(row: Row) -> None:
    assert matches(row) is row.expected


# ----- the README's table -------------------------------------------------------------------------
def _parses_where_used(query: str) -> None:
    """A query of the table parses; an exclusion, which is never a query alone, after a word."""
    try:
        parse_query(query)
    except QueryError as exc:
        assert query.startswith("-") and "e.g." in exc.hint, (query, exc.message)
        parse_query(f"Iraq {query}")


def test_every_readme_table_query_parses() -> None:
    queries = [q for written, _ in readme_table() for q in written if q != "( … )"]
    assert len(queries) >= 10
    for query in queries:
        _parses_where_used(query)


def test_the_words_a_readme_table_row_lists_are_matched() -> None:
    """`militia*` | words starting with `militia` (militia, militias, militiamen): each listed
    word is matched by the row's query."""
    checked = 0
    for written, says in readme_table():
        listed = re.search(r"\((\w+(?:, \w+)+)\)\s*$", says)  # "(a, b, c)", a list of words
        if not listed:
            continue
        for word in (w.strip() for w in listed.group(1).split(",")):
            for query in written:
                assert matches(Row(query, word, True)), (query, word)
                checked += 1
    assert checked >= 3
