"""The compiled form of a watchlist query: an immutable tree of terms, language checks, NOT, AND,
OR and NEAR, and the error a query the parser refuses raises."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal

TermKind = Literal["word", "phrase", "prefix"]
TermField = Literal["any", "title"]


class Query:
    """Base of the immutable query tree."""

    __slots__ = ()

    def evaluate(self, is_hit: Callable[[Term | Lang], bool]) -> bool:
        """Truth of the query given which terms occur (and which ``lang:`` checks hold)."""
        raise NotImplementedError

    def polar_terms(self, positive: bool = True) -> Iterator[tuple[Term, bool]]:
        """Every term with its polarity (False under an odd number of negations)."""
        raise NotImplementedError

    def terms(self) -> tuple[Term, ...]:
        """Distinct positive terms, in the order they are written."""
        return tuple(dict.fromkeys(t for t, positive in self.polar_terms() if positive))

    def all_terms(self) -> tuple[Term, ...]:
        """Distinct terms, positive and excluded, in the order they are written."""
        return tuple(dict.fromkeys(t for t, _ in self.polar_terms()))

    def with_field(self, new_field: TermField) -> Query:
        """The same query with every term restricted to ``new_field``."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Term(Query):
    """A word, phrase or prefix; ``words`` are normalised, ``source`` is as the user wrote it."""

    kind: TermKind
    words: tuple[str, ...]
    field: TermField = "any"
    source: str = dataclass_field(default="", compare=False)

    def evaluate(self, is_hit: Callable[[Term | Lang], bool]) -> bool:
        return is_hit(self)

    def polar_terms(self, positive: bool = True) -> Iterator[tuple[Term, bool]]:
        yield self, positive

    def with_field(self, new_field: TermField) -> Term:
        return Term(self.kind, self.words, new_field, self.source)

    def __str__(self) -> str:
        prefix = "title:" if self.field == "title" else ""
        if self.kind == "phrase":
            return f'{prefix}"{" ".join(self.words)}"'
        star = "*" if self.kind == "prefix" else ""
        return f"{prefix}{'-'.join(self.words)}{star}"


@dataclass(frozen=True, slots=True)
class Lang(Query):
    """``lang:xx``: the article is in language ``code`` (ISO 639-1, lower case).

    A check on the article rather than a word in it, so it has no terms: it can narrow a query
    but never anchor one, and a query of language checks alone is refused like one of exclusions.
    """

    code: str

    def evaluate(self, is_hit: Callable[[Term | Lang], bool]) -> bool:
        return is_hit(self)

    def polar_terms(self, positive: bool = True) -> Iterator[tuple[Term, bool]]:
        return iter(())

    def with_field(self, new_field: TermField) -> Lang:
        return self

    def __str__(self) -> str:
        return f"lang:{self.code}"


@dataclass(frozen=True, slots=True)
class Not(Query):
    operand: Query

    def evaluate(self, is_hit: Callable[[Term | Lang], bool]) -> bool:
        return not self.operand.evaluate(is_hit)

    def polar_terms(self, positive: bool = True) -> Iterator[tuple[Term, bool]]:
        return self.operand.polar_terms(not positive)

    def with_field(self, new_field: TermField) -> Not:
        return Not(self.operand.with_field(new_field))

    def __str__(self) -> str:
        if isinstance(self.operand, Term | Lang):
            return f"-{self.operand}"
        return f"-({self.operand})"


@dataclass(frozen=True, slots=True)
class And(Query):
    operands: tuple[Query, ...]

    def evaluate(self, is_hit: Callable[[Term | Lang], bool]) -> bool:
        return all(operand.evaluate(is_hit) for operand in self.operands)

    def polar_terms(self, positive: bool = True) -> Iterator[tuple[Term, bool]]:
        for operand in self.operands:
            yield from operand.polar_terms(positive)

    def with_field(self, new_field: TermField) -> And:
        return And(tuple(o.with_field(new_field) for o in self.operands))

    def __str__(self) -> str:
        return " ".join(str(operand) for operand in self.operands)


@dataclass(frozen=True, slots=True)
class Or(Query):
    operands: tuple[Query, ...]

    def evaluate(self, is_hit: Callable[[Term | Lang], bool]) -> bool:
        return any(operand.evaluate(is_hit) for operand in self.operands)

    def polar_terms(self, positive: bool = True) -> Iterator[tuple[Term, bool]]:
        for operand in self.operands:
            yield from operand.polar_terms(positive)

    def with_field(self, new_field: TermField) -> Or:
        return Or(tuple(o.with_field(new_field) for o in self.operands))

    def __str__(self) -> str:
        return " OR ".join(
            f"({operand})" if isinstance(operand, And) else str(operand)
            for operand in self.operands
        )


@dataclass(frozen=True, slots=True)
class Near(Query):
    """Both sides within ``distance`` words of each other, in either order, in one paragraph.

    ``evaluate`` only says both sides hold: the words between them are counted by the matcher,
    which knows positions. That is also what the anchors and the "true without its words" check
    need: NEAR is never true where AND is not."""

    left: Query
    right: Query
    distance: int

    def evaluate(self, is_hit: Callable[[Term | Lang], bool]) -> bool:
        return self.left.evaluate(is_hit) and self.right.evaluate(is_hit)

    def polar_terms(self, positive: bool = True) -> Iterator[tuple[Term, bool]]:
        yield from self.left.polar_terms(positive)
        yield from self.right.polar_terms(positive)

    def with_field(self, new_field: TermField) -> Near:
        return Near(
            self.left.with_field(new_field), self.right.with_field(new_field), self.distance
        )

    def __str__(self) -> str:
        sides = [s if isinstance(s, Term | Lang) else f"({s})" for s in (self.left, self.right)]
        return f"{sides[0]} NEAR/{self.distance} {sides[1]}"


def and_of(operands: list[Query]) -> Query:
    """AND of the operands, nested ANDs flattened; a single operand stands alone."""
    flat: list[Query] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, And) else (operand,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_of(operands: list[Query]) -> Query:
    """OR of the operands, nested ORs flattened; a single operand stands alone."""
    flat: list[Query] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, Or) else (operand,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


class QueryError(ValueError):
    """A query the parser refuses, with the 1-based column and a hint on how to fix it."""

    def __init__(self, message: str, column: int, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint

    def __str__(self) -> str:
        return f"column {self.column}: {self.message} — {self.hint}"
