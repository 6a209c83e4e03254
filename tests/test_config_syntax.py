"""YAML syntax errors said as what to fix, from what both YAML parsers (libyaml's and PyYAML's
own) report for the slips people make by hand."""

from __future__ import annotations

import pytest
import yaml

from newsradar.config_syntax import explain

PARSERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]


def explained(text: str, loader: type) -> str:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        loader(text).get_single_node()
    error = caught.value
    mark = error.problem_mark or error.context_mark
    assert mark is not None
    opened = error.context_mark.line if error.context_mark else None
    return explain(text, str(error.problem), mark.line, mark.column, error.context or "", opened)


CASES = [
    (  # a key one space short of its siblings
        "outlets:\n  - id: a\n    name: A\n   feeds: []\n",
        "indentation: 'feeds:' on line 4 starts at column 4, but 'name:' on line 3 at column 5",
    ),
    (  # a key two spaces deeper than its siblings
        "outlets:\n  - id: a\n    name: A\n      feeds: []\n",
        "indentation: 'feeds:' on line 4 starts at column 7, but 'name:' on line 3 at column 5",
    ),
    (  # the second entry's key one space deeper than the key after its dash
        "outlets:\n  - id: a\n    name: A\n  - id: b\n     name: B\n",
        "indentation: 'name:' on line 5 starts at column 6, but 'id:' on line 4 at column 5",
    ),
    (  # a key of the entry pulled back to the list's column
        "watchlists:\n  - id: a\n    title: T\n  query: x\n",
        "indentation: 'query:' on line 4 starts at column 3, but 'title:' on line 3 at column 5",
    ),
    (  # a list item out of line with the first
        "outlets:\n  - id: a\n    name: A\n - id: b\n",
        "the list item on line 4 starts at column 2, but the one on line 2 at column 3",
    ),
    (
        "outlets:\n\t- id: a\n",
        "a tab in the indentation of line 2: YAML indents with spaces only",
    ),
    (  # ': ' in a plain value, after a nested mapping (so not an indentation slip)
        "outlets:\n  - id: a\n    budget:\n      requests: 5\n    name: Iraq: a war\n",
        "line 5 has a second ': ' after 'name:'; a value containing ': ' must be quoted",
    ),
    (
        "watchlists:\n  - id: a\n    title: 'Iraq\n    query: x\n",
        "the quote opened on line 3 is never closed",
    ),
    (
        "watchlists:\n  - id: a\n    chats: [1, 2\n    query: x\n",
        "the [ opened on line 3 is not closed by ]",
    ),
]


@pytest.mark.parametrize("loader", PARSERS, ids=lambda loader: loader.__name__)
@pytest.mark.parametrize(("text", "says"), CASES, ids=[says[:30] for _, says in CASES])
def test_each_slip_is_said_as_what_to_fix(loader: type, text: str, says: str) -> None:
    assert says in explained(text, loader)


def test_other_errors_keep_the_parsers_words() -> None:
    assert explain("a: b\n", "found undefined alias 'x'", 0, 3) == "found undefined alias 'x'"


def test_deeper_lines_under_a_key_without_a_value_are_not_blamed() -> None:
    """'requests:' sits deeper than 'budget:' as it should; the slip is the quote on line 4."""
    text = "outlets:\n  - budget:\n      requests: 5\n      mb: 'x\n"
    assert "quote opened on line 4" in explained(text, yaml.SafeLoader)


def test_a_line_built_to_make_a_pattern_backtrack_is_read_once() -> None:
    """A million spaces after a word that reads like a key but has no colon, and the slip on
    the next line: each line's start is read once, whatever its length (trying every split of
    those spaces between the key and the colon would never end)."""
    text = "outlets:\n  - id: a\n    name" + " " * 1_000_000 + "A\n   feeds: []\n"
    said = explained(text, yaml.SafeLoader)
    assert said.startswith("indentation: 'feeds:' on line 4 starts at column 4")
    assert len(said) < 300
