"""Watchlist query language: where its public names are imported from.

The language is in three parts: :mod:`notifier.text_folding` (the normalisation text and query
share), :mod:`notifier.query_parser` (query text to tree, with column and hint on bad input) and
:mod:`notifier.query_tree` (the immutable tree that matching evaluates).
"""

from notifier.query_parser import any_of, parse_query
from notifier.query_tree import And, Lang, Near, Not, Or, Query, QueryError, Term
from notifier.text_folding import Token, normalize, tokenize

__all__ = [
    "And",
    "Lang",
    "Near",
    "Not",
    "Or",
    "Query",
    "QueryError",
    "Term",
    "Token",
    "any_of",
    "normalize",
    "parse_query",
    "tokenize",
]
