"""What a YAML syntax error means for the person who made it.

The parser says "mapping values are not allowed in this context" or "did not find expected '-'
indicator" where the cause is nearly always a line indented differently from the lines it
belongs with, a tab, or a colon in an unquoted value. Given the file's text and where the
parser stopped, `explain` says which it is and what to change.
"""

from __future__ import annotations

import re

# Parser complaints that a line sits at the wrong depth (libyaml's and PyYAML's wording).
_STRUCTURE = (
    "mapping values are not allowed",
    "did not find expected '-' indicator",
    "did not find expected key",
    "expected <block end>",
    "could not find expected ':'",
)
# A block line's key: after the indentation and any '- ' list markers, up to ': ' or ':' at the
# end. Each part can only give back what the next cannot take, so a match is linear in the line.
_KEY_LINE = re.compile(
    r"^(?P<lead>[ ]*(?:-[ ]+)*)(?P<key>[^\s#:'\"\[\]{},&*!|>%@`-][^:#]*):(?:[ ]|$)"
)
# Only a line's start is looked at (keys are short), and a key is quoted at most this long.
MAX_LINE_START = 500
MAX_KEY_SHOWN = 60
_LIST_ITEM = re.compile(r"^(?P<lead>[ ]*)-(?:[ ]|$)")


def explain(
    text: str, problem: str, line: int, column: int, context: str = "", opened: int | None = None
) -> str:
    """The parser's `problem`, at 0-based `line` and `column`, said as what to fix; `context`
    and `opened` are the parser's "while scanning ..." and the 0-based line it began on."""
    lines = text.splitlines()
    here = lines[line] if 0 <= line < len(lines) else ""
    if "\t" in here[: len(here) - len(here.lstrip())] or _char(here, column) == "\t":
        return (
            f"a tab in the indentation of line {line + 1}: YAML indents with spaces only "
            "(replace the tab with spaces, lined up with the lines around it)"
        )
    unclosed = _unclosed(context, opened)
    if unclosed:
        return unclosed
    if not problem.startswith(_STRUCTURE):
        return problem
    before = _previous_content_line(lines, line)
    indentation = _indentation_hint(lines, line, before)
    if indentation:
        return indentation
    if problem.startswith("mapping values are not allowed") and _key_match(here):
        return (
            f"line {line + 1} has a second ': ' after {_key_name(here)}; "
            "a value containing ': ' must be quoted, e.g. title: 'Iraq: the next war'"
        )
    return problem


def _unclosed(context: str, opened: int | None) -> str | None:
    where = f" on line {opened + 1}" if opened is not None else ""
    if "quoted scalar" in context:
        return f"the quote opened{where} is never closed: end the value with the same quote"
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[ ]" if "sequence" in context else "{ }"
        return (
            f"the {bracket[0]} opened{where} is not closed by {bracket[2]}, or an item in it "
            "holds ': ' or ',' and needs quotes"
        )
    return None


def _indentation_hint(lines: list[str], line: int, before: int | None) -> str | None:
    """Line `line` (or, when it is the parser's look-ahead, the one before it) is indented
    unlike the lines it belongs with."""
    if before is None:
        return None
    for current, previous in ((line, before), (before, _previous_content_line(lines, before))):
        if previous is None or current >= len(lines):
            continue
        found = _misaligned(lines, current, previous)
        if found:
            return found
    return None


def _misaligned(lines: list[str], current: int, previous: int) -> str | None:
    item = _misaligned_item(lines, current)
    if item:
        return item
    here = _key_column(lines[current])
    if here is None:
        return None
    if here > (_key_column(lines[previous]) or 0) and lines[previous].rstrip().endswith(":"):
        return None  # the first key under a key without a value: deeper is right
    levels = _open_levels(lines, previous)
    if not levels or here in levels:
        return None
    target = min(levels, key=lambda column: (abs(column - here), -column))
    belongs = levels[target]
    return (
        f"indentation: {_key_name(lines[current])} on line {current + 1} starts at column "
        f"{here + 1}, but {_key_name(lines[belongs])} on line {belongs + 1} at column "
        f"{target + 1}; keys of one entry line up under each other (indent with spaces)"
    )


def _misaligned_item(lines: list[str], current: int) -> str | None:
    """A list item ('- ...') at a column no earlier item of an enclosing list starts at."""
    found = _LIST_ITEM.match(lines[current][:MAX_LINE_START])
    if not found:
        return None
    here = len(found.group("lead"))
    earlier: dict[int, int] = {}
    for index in range(current - 1, -1, -1):
        item = _LIST_ITEM.match(lines[index][:MAX_LINE_START])
        if item:
            earlier.setdefault(len(item.group("lead")), index)
        if _key_column(lines[index]) == 0:
            break
    if not earlier or here in earlier:
        return None
    target = min(earlier, key=lambda column: abs(column - here))
    return (
        f"indentation: the list item on line {current + 1} starts at column {here + 1}, but "
        f"the one on line {earlier[target] + 1} at column {target + 1}; items of one list "
        "line up under each other (indent with spaces)"
    )


def _open_levels(lines: list[str], previous: int) -> dict[int, int]:
    """Key columns a line after `previous` may start at (the key of `previous` and of each
    entry it is nested in), with the line that has each."""
    levels: dict[int, int] = {}
    ceiling: int | None = None
    for index in range(previous, -1, -1):
        column = _key_column(lines[index])
        if column is None or (ceiling is not None and column >= ceiling):
            continue
        levels[column] = index
        ceiling = column
        if column == 0:
            break
    return levels


def _key_match(text: str) -> re.Match[str] | None:
    return _KEY_LINE.match(text[:MAX_LINE_START])


def _key_column(text: str) -> int | None:
    found = _key_match(text)
    return len(found.group("lead")) if found else None


def _key_name(text: str) -> str:
    found = _key_match(text)
    if found is None:
        return repr(text.strip()[:MAX_KEY_SHOWN])
    return f"'{found.group('key').strip()[:MAX_KEY_SHOWN]}:'"


def _previous_content_line(lines: list[str], line: int) -> int | None:
    for index in range(min(line, len(lines)) - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            return index
    return None


def _char(text: str, column: int) -> str:
    return text[column] if 0 <= column < len(text) else ""
