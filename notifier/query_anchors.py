"""Which terms a watchlist is indexed under in the matcher: a set of its positive terms at least
one of which occurs whenever the query is true, the cheapest such set."""

from __future__ import annotations

from notifier.query_tree import And, Lang, Near, Not, Or, Query, Term


def _anchor_options(query: Query, positive: bool = True) -> list[frozenset[Term]]:
    """Sets of terms of which at least one must occur whenever the query is true.

    Indexing a watchlist under one such set, rather than under all its terms, keeps watchlists
    like ``a b c`` from being evaluated for every article that merely mentions ``b``.
    """
    if isinstance(query, Term):
        return [frozenset((query,))] if positive else []
    if isinstance(query, Lang):  # a check on the article, not a word: it anchors nothing
        return []
    if isinstance(query, Not):
        return _anchor_options(query.operand, not positive)
    if isinstance(query, And | Or | Near):
        operands = (query.left, query.right) if isinstance(query, Near) else query.operands
        children = [_anchor_options(operand, positive) for operand in operands]
        if isinstance(query, And | Near) == positive:  # every operand must hold: any one anchors
            return [option for options in children for option in options]
        if not all(children):  # some operand can hold without any positive term
            return []
        return [frozenset().union(*(min(options, key=_anchor_cost) for options in children))]
    raise TypeError(f"unknown query node {query!r}")


def _anchor_cost(option: frozenset[Term]) -> tuple[int, int, int]:
    """Fewer terms first, then fewer prefixes, then longer (rarer) words."""
    prefixes = sum(term.kind == "prefix" for term in option)
    length = sum(len(" ".join(term.words)) for term in option)
    return len(option), prefixes, -length


def cheapest_anchor(query: Query) -> tuple[Term, ...]:
    options = _anchor_options(query)
    if not options:
        return ()
    cheapest = min(options, key=_anchor_cost)
    return tuple(sorted(cheapest, key=str))
