"""Reading one operator YAML file within bounds, before anything is built from it.

YAML lets a 600-byte file stand for gigabytes: anchors and aliases nest ("billion laughs"), and
every later step (validation, error messages, the reload's log line and operator notice) walks
the expanded value. Brackets nested a hundred thousand deep crash the C parser's composer. So
the file's size, its nesting depth and the number of values it expands to (aliases counted as
what they stand for) are checked on the event stream, which costs no memory, and a file past a
bound is refused at the line and column where it crossed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

# A config of 20,000 outlets is about 4 MB and 360,000 values; these bounds leave room for that.
MAX_FILE_BYTES = 8 << 20
MAX_VALUES = 1_000_000
# Of those, what aliases may add: a shared list of chats reused by a few hundred watchlists.
MAX_ALIAS_VALUES = 100_000
MAX_DEPTH = 64


class Mark(Protocol):
    """Where in the file (0-based), as both the Python and the C parser give it."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


class YamlBoundError(Exception):
    """The file crosses a bound; `mark` is where (None for the file's size)."""

    def __init__(self, message: str, mark: Mark | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def read_bounded(path: Path) -> str:
    """The file's text; raises `YamlBoundError` past MAX_FILE_BYTES without reading the rest."""
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        size = path.stat().st_size
        raise YamlBoundError(
            f"the file is {size / 1e6:.1f} MB; config files may be at most "
            f"{MAX_FILE_BYTES >> 20} MiB (split it or remove unused entries)"
        )
    return data.decode("utf-8")


@dataclass
class _Tally:
    """Expanded values so far, the open collections' sizes, and each anchor's size."""

    total: int = 0
    aliased: int = 0
    open: list[tuple[str | None, int]] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)

    def add(self, size: int, mark: Mark | None) -> None:
        self.total += size
        if self.total > MAX_VALUES:
            raise YamlBoundError(
                f"the file expands to more than {MAX_VALUES:,} values (anchors and aliases "
                "count as what they stand for); write the values out instead of nesting aliases",
                mark,
            )
        if self.open:
            anchor, count = self.open[-1]
            self.open[-1] = (anchor, count + size)


def check_bounds(loader_class: Callable[[str], Any], text: str) -> None:
    """Raise `YamlBoundError` where the document nests too deep or expands too far; YAML syntax
    errors propagate as the parser raises them."""
    loader = loader_class(text)
    tally = _Tally()
    try:
        while loader.check_event():
            _count(loader.get_event(), tally)
    finally:
        loader.dispose()


def _count(event: yaml.Event, tally: _Tally) -> None:
    mark = event.start_mark
    if isinstance(event, yaml.CollectionStartEvent):
        if len(tally.open) >= MAX_DEPTH:
            raise YamlBoundError(f"nested more than {MAX_DEPTH} levels deep", mark)
        tally.add(1, mark)
        tally.open.append((event.anchor, 0))
    elif isinstance(event, yaml.CollectionEndEvent):
        anchor, size = tally.open.pop()
        if anchor is not None:
            tally.anchors[anchor] = size + 1
        if tally.open:
            parent_anchor, count = tally.open[-1]
            tally.open[-1] = (parent_anchor, count + size)
    elif isinstance(event, yaml.ScalarEvent):
        if event.anchor is not None:
            tally.anchors[event.anchor] = 1
        tally.add(1, mark)
    elif isinstance(event, yaml.AliasEvent):
        size = tally.anchors.get(event.anchor or "", 1)
        tally.aliased += size
        if tally.aliased > MAX_ALIAS_VALUES:
            raise YamlBoundError(
                f"aliases here make the file expand by more than {MAX_ALIAS_VALUES:,} values; "
                "write the values out instead of nesting aliases",
                mark,
            )
        tally.add(size, mark)
