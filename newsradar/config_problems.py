"""What is wrong with the config and where: each problem names the file, line (and column, when
known) and what is wrong, found from the YAML node tree of the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from notifier.query import QueryError

# An echoed value is cut to this many characters, a whole message to MAX_MESSAGE_CHARS: a value
# can be megabytes (a long scalar, an expanded alias) and the message goes to a log line, the
# terminal and the operators' Telegram notice.
MAX_SHOWN_CHARS = 300
MAX_MESSAGE_CHARS = 1000


def cut(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """The text, or its start and how long the whole was: '… (cut, 722 MB)'."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (cut, {_size(len(text))})"


def shown(value: Any) -> str:
    """A value as an error message quotes it (its repr), cut."""
    return cut(repr(value))


def _size(length: int) -> str:
    if length < 10_000:
        return f"{length:,} characters"
    if length < 10_000_000:
        return f"{length / 1e3:,.0f} kB"
    return f"{length / 1e6:,.0f} MB"


@dataclass(frozen=True)
class ConfigProblem:
    file: Path
    line: int | None
    message: str
    column: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", cut(self.message, MAX_MESSAGE_CHARS))

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def problem_from(path: Path, root: yaml.Node | None, error: Any) -> ConfigProblem:
    location = tuple(error["loc"])
    node = node_at(root, location)
    line = node.start_mark.line + 1 if node is not None else None
    context = error.get("ctx", {}).get("error")
    column = None
    if isinstance(context, QueryError):
        query_node = node if isinstance(node, yaml.ScalarNode) else _child(node, "query")
        column = _query_column(query_node, context.column)
        if query_node is not None:
            line = query_node.start_mark.line + 1
        message = context.message + (f"; {context.hint}" if context.hint else "")
        if column is None:
            message += f" (at column {context.column} of the query)"
    elif error["type"] in _PLAIN_MESSAGES:
        message = _PLAIN_MESSAGES[error["type"]]
    else:
        message = error["msg"].removeprefix("Value error, ")
    label = _label(root, location)
    return ConfigProblem(path, line, f"{label}: {message}" if label else message, column)


_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown key (a typo?); see the README for the keys this section takes",
    "missing": "required but missing",
}


def _query_column(node: yaml.Node | None, query_column: int) -> int | None:
    """Column in the file for a column inside the query, when the query sits on one line."""
    if not isinstance(node, yaml.ScalarNode) or node.start_mark.line != node.end_mark.line:
        return None
    quoted = 1 if node.style in ("'", '"') else 0
    return node.start_mark.column + quoted + query_column


def _label(root: yaml.Node | None, location: tuple[Any, ...]) -> str:
    """'outlet "rs"' or 'watchlist "iraq"' plus the field, so the message reads on its own."""
    parts: list[str] = []
    if len(location) >= 2 and isinstance(location[1], int):
        item = node_at(root, location[:2])
        kind = location[0][:-1]
        ident = _scalar(item, "id")
        parts.append(f"{kind} {shown(ident)}" if ident else f"{kind} #{location[1] + 1}")
        rest = location[2:]
    else:
        rest = location
    fields = [str(p) for p in rest if not isinstance(p, int) and not str(p).startswith("function")]
    if fields:
        parts.append(".".join(fields))
    return " ".join(parts)


def _scalar(node: yaml.Node | None, key: str) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key and isinstance(v, yaml.ScalarNode):
                return v.value
    return None


def node_at(root: yaml.Node | None, location: tuple[Any, ...]) -> yaml.Node | None:
    """The deepest YAML node along a validation error's location (for its line number)."""
    node = root
    for part in location:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return node


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None
