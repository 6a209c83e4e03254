"""Parsing watchlist queries: a lexer and a recursive-descent parser into the query tree.

Queries follow the search operators people already know: words (AND by default, ``AND`` may be
written), ``OR``, ``"exact phrase"``, ``-excluded`` (also ``-"a phrase"`` and ``-(group)``),
``prefix*``, ``( )``, ``title:`` for the title only, ``lang:xx`` for the article's language
(ISO 639-1) and ``a NEAR/n b``. NEAR binds tightest, then
``OR``, then AND, so ``a b OR c`` means ``a AND (b OR c)`` and ``a OR b NEAR/3 c`` means
``a OR (b NEAR/3 c)``. Every refusal names the column and a hint.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal, NamedTuple

from notifier.query_tree import Lang, Near, Not, Query, QueryError, Term, TermKind, and_of, or_of
from notifier.text_folding import QUOTES, normalize

MAX_NESTING = 20
# Groups and title: prefixes together: each level is a frame of the recursive descent, so an
# operator's `title:title:…` written a thousand times must be refused before Python's stack is.
MAX_DEPTH = 64


NEAR_HINT = "write NEAR/ and a number of words from 1, e.g. Kataib NEAR/5 strike*"
LANG_HINT = "write lang: and a two-letter language code (ISO 639-1), e.g. Iraq lang:en"


class _Lexeme(NamedTuple):
    kind: Literal["term", "(", ")", "OR", "AND", "-", "title:", "NEAR", "lang"]
    column: int
    term: Term | None = None
    distance: int = 0
    code: str = ""


def _lex(text: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    i = 0
    while i < len(text):
        char = text[i]
        column = i + 1
        if char.isspace():
            i += 1
        elif char in "()":
            lexemes.append(_Lexeme("(" if char == "(" else ")", column))
            i += 1
        elif char == "-":
            if i + 1 < len(text) and text[i + 1] == "-":
                raise QueryError("double '-'", column, "write a single '-' before a word")
            if i + 1 >= len(text) or text[i + 1].isspace() or text[i + 1] == ")":
                raise QueryError(
                    "'-' with nothing to exclude",
                    column,
                    "write -word, -\"a phrase\" or -(group) with no space after '-'",
                )
            lexemes.append(_Lexeme("-", column))
            i += 1
        elif char in QUOTES:
            i = _lex_phrase(text, i, lexemes)
        else:
            i = _lex_bare(text, i, lexemes)
    return lexemes


def _lex_phrase(text: str, i: int, lexemes: list[_Lexeme]) -> int:
    close = next((j for j in range(i + 1, len(text)) if text[j] in QUOTES), -1)
    if close < 0:
        raise QueryError("unbalanced quote", i + 1, 'close the phrase with "')
    source = text[i : close + 1]
    words = normalize(text[i + 1 : close])
    if not words:
        raise QueryError(
            "empty phrase", i + 1, 'put words between the quotes, e.g. "Al Asad", or remove them'
        )
    kind: TermKind = "phrase"
    end = close + 1
    if end < len(text) and text[end] == "*":
        kind, source, end = "prefix", source + "*", end + 1
    lexemes.append(_Lexeme("term", i + 1, Term(kind, tuple(words.split()), "any", source)))
    return end


def _lex_bare(text: str, i: int, lexemes: list[_Lexeme]) -> int:
    end = i
    while end < len(text) and not (text[end].isspace() or text[end] in "()" + QUOTES):
        end += 1
    raw = text[i:end]
    column = i + 1
    if raw.lower().startswith("title:"):
        after = i + len("title:")
        if after >= len(text) or text[after].isspace() or text[after] == ")":
            raise QueryError(
                "title: with nothing after it",
                column,
                'write title:word or title:"a phrase" with no space after the colon',
            )
        if text[after] == "-":
            raise QueryError(
                "'-' after title:", after + 1, "write -title:word to exclude a word from titles"
            )
        lexemes.append(_Lexeme("title:", column))
        return after
    if raw.lower().startswith("lang:"):
        code = raw[len("lang:") :]
        if len(code) != 2 or not (code.isascii() and code.isalpha()):
            raise QueryError(f"{raw!r} is not a language", column, LANG_HINT)
        lexemes.append(_Lexeme("lang", column, code=code.lower()))
        return end
    if raw in ("OR", "AND"):
        lexemes.append(_Lexeme("OR" if raw == "OR" else "AND", column))
        return end
    if raw.startswith("NEAR/"):
        count = raw[len("NEAR/") :]
        if not (count.isascii() and count.isdigit()) or int(count) < 1:
            raise QueryError(f"{raw!r} is not a distance in words", column, NEAR_HINT)
        lexemes.append(_Lexeme("NEAR", column, distance=int(count)))
        return end
    lexemes.append(_Lexeme("term", column, _bare_term(raw, column)))
    return end


def _bare_term(raw: str, column: int) -> Term:
    body = raw[:-1] if raw.endswith("*") else raw
    if "*" in body:
        raise QueryError(
            "'*' inside a word",
            column + body.index("*"),
            "'*' only works at the end of a word, e.g. militia*",
        )
    words = tuple(normalize(body).split())
    if not words:
        if raw.endswith("*"):
            raise QueryError(
                "'*' with no word before it", column, "write the start of a word, e.g. militia*"
            )
        raise QueryError(
            f"{raw!r} has no letters or digits to look for", column, "remove it from the query"
        )
    return Term("prefix" if raw.endswith("*") else "word", words, "any", raw)


# --------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent: query := or_group ([AND] or_group)*; or_group := unary (OR unary)*."""

    def __init__(self, text: str) -> None:
        self.lexemes = _lex(text)
        self.position = 0
        self.depth = 0
        self.nesting = 0
        self.end_column = len(text) + 1

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.position] if self.position < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.position]
        self.position += 1
        return lexeme

    def parse(self) -> Query:
        query = self.parse_and()
        stray = self.peek()
        if stray is not None:  # only a ')' can stop parse_and early
            raise QueryError(
                "')' without a matching '('", stray.column, "remove it or add '(' before it"
            )
        return query

    def parse_and(self) -> Query:
        operands: list[Query] = []
        while (lexeme := self.peek()) is not None and lexeme.kind != ")":
            if lexeme.kind == "AND":
                self.take()
                if not operands:
                    raise QueryError(
                        "AND with nothing before it", lexeme.column, "put a word before AND"
                    )
                if not self._starts_operand(self.peek()):
                    raise QueryError(
                        "AND with nothing after it", lexeme.column, "put a word after AND"
                    )
            operands.append(self.parse_or())
        if not operands:
            column = lexeme.column if lexeme is not None else 1
            raise QueryError("empty query", column, "write at least one word, e.g. Iraq")
        return and_of(operands)

    def parse_or(self) -> Query:
        operands = [self.parse_near()]
        while (lexeme := self.peek()) is not None and lexeme.kind == "OR":
            self.take()
            if not self._starts_operand(self.peek()):
                raise QueryError(
                    "OR with nothing after it", lexeme.column, "put a word after OR, e.g. a OR b"
                )
            operands.append(self.parse_near())
        return or_of(operands)

    def parse_near(self) -> Query:
        """``side (NEAR/n side)*``; a side is a word, prefix, phrase or group, never excluded."""
        query = self.parse_unary()
        while (lexeme := self.peek()) is not None and lexeme.kind == "NEAR":
            self.take()
            after = self.peek()
            if after is None or after.kind not in ("term", "(", "title:", "-", "lang"):
                raise QueryError(
                    f"NEAR/{lexeme.distance} with nothing after it",
                    lexeme.column,
                    "put a word after it, e.g. Kataib NEAR/5 strike*",
                )
            right = self.parse_unary()
            for side in (query, right):
                if isinstance(side, Lang):
                    raise QueryError(
                        "lang: beside NEAR",
                        lexeme.column,
                        "a language is not a word: write (a NEAR/5 b) lang:en",
                    )
                if isinstance(side, Not):
                    raise QueryError(
                        "an excluded word beside NEAR",
                        lexeme.column,
                        "NEAR finds words close together: write -(a NEAR/5 b) to exclude the pair",
                    )
            query = Near(query, right, lexeme.distance)
        return query

    def parse_unary(self) -> Query:
        lexeme = self.peek()
        if lexeme is not None and lexeme.kind == "-":
            self.take()
            return Not(self.parse_atom())
        return self.parse_atom()

    def parse_atom(self) -> Query:
        lexeme = self.take() if self.peek() is not None else None
        if lexeme is None:
            raise QueryError("query ends too early", self.end_column, "finish the query")
        if lexeme.kind == "term":
            assert lexeme.term is not None
            return lexeme.term
        if lexeme.kind == "lang":
            return Lang(lexeme.code)
        if lexeme.kind == "title:":
            inner = self.nested_atom(lexeme)
            if isinstance(inner, Term):
                return Term(inner.kind, inner.words, "title", "title:" + inner.source)
            return inner.with_field("title")
        if lexeme.kind == "(":
            self.enter(lexeme)
            group = self.parse_group(lexeme)
            self.nesting -= 1
            return group
        if lexeme.kind == "NEAR":
            raise QueryError(
                f"NEAR/{lexeme.distance} with nothing before it",
                lexeme.column,
                "put a word before it, e.g. Kataib NEAR/5 strike*",
            )
        if lexeme.kind in ("OR", "AND"):
            raise QueryError(
                f"{lexeme.kind} with nothing before it",
                lexeme.column,
                f"put a word before {lexeme.kind}, e.g. a {lexeme.kind} b",
            )
        if lexeme.kind == "-":
            raise QueryError("double '-'", lexeme.column, "write a single '-' before a word")
        raise QueryError(
            "')' without a matching '('", lexeme.column, "remove it or add '(' before it"
        )

    def nested_atom(self, prefix: _Lexeme) -> Query:
        """The atom after a `title:` prefix, one level deeper."""
        self.enter(prefix)
        inner = self.parse_atom()
        self.nesting -= 1
        return inner

    def enter(self, lexeme: _Lexeme) -> None:
        """One level deeper; refused past MAX_DEPTH, where the recursion would be unbounded."""
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise QueryError(
                "query nested too deeply",
                lexeme.column,
                f"use at most {MAX_DEPTH} levels of title: and ( ) together;"
                " one title: before a word or group is enough",
            )

    def parse_group(self, opening: _Lexeme) -> Query:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise QueryError(
                "too many nested parentheses",
                opening.column,
                f"use at most {MAX_NESTING} levels of ( )",
            )
        closing = self.peek()
        if closing is None:
            raise QueryError("unclosed '('", opening.column, "add ')' to close the group")
        if closing.kind == ")":
            raise QueryError("empty parentheses", opening.column, "put words inside or remove them")
        inner = self.parse_and()
        closing = self.peek()
        if closing is None:
            raise QueryError("unclosed '('", opening.column, "add ')' to close the group")
        self.take()
        self.depth -= 1
        return inner

    @staticmethod
    def _starts_operand(lexeme: _Lexeme | None) -> bool:
        return lexeme is not None and lexeme.kind in ("term", "(", "-", "title:", "lang")

    def first_exclusion_column(self) -> int:
        return next((lx.column for lx in self.lexemes if lx.kind == "-"), 1)


def parse_query(text: str) -> Query:
    """Parse a watchlist query; raises :class:`QueryError` with column and hint on bad input."""
    parser = _Parser(text)
    query = parser.parse()
    if _true_without_words(query, parser.lexemes):
        # A query true without any of its words would alert on every article (of a language).
        column = parser.first_exclusion_column()
        lang = next((lx for lx in parser.lexemes if lx.kind == "lang"), None)
        if not query.terms() and lang is not None and not query.all_terms():
            raise QueryError(
                "lang: with no word to look for",
                lang.column,
                "add a word to look for, e.g. Iraq lang:en",
            )
        if not query.terms():
            raise QueryError(
                "the query only excludes words",
                column,
                "add a word to look for, e.g. Iraq -sports",
            )
        raise QueryError(
            "the query matches articles that contain none of its words",
            column,
            "keep each -exclusion and lang: outside OR groups, e.g. (a OR b) -c lang:en",
        )
    return query


def _true_without_words(query: Query, lexemes: Sequence[_Lexeme]) -> bool:
    """Whether the query holds for some article with none of its words, in any language: each
    language it names, or one it does not."""
    languages: Sequence[str | None] = sorted({lx.code for lx in lexemes if lx.kind == "lang"})
    return any(
        query.evaluate(functools.partial(_is_language, language)) for language in (*languages, None)
    )


def _is_language(language: str | None, node: Term | Lang) -> bool:
    """No word occurs; a ``lang:`` check holds only for ``language``."""
    return isinstance(node, Lang) and node.code == language


def any_of(keywords: Sequence[str]) -> Query:
    """The ``keywords: [...]`` shorthand: any of the keywords, each a literal word or phrase."""
    terms: list[Query] = []
    for position, keyword in enumerate(keywords, start=1):
        words = tuple(normalize(keyword).split())
        if not words:
            raise QueryError(
                f"keyword {position} ({keyword!r}) has no letters or digits",
                1,
                "remove it from the keywords",
            )
        terms.append(Term("word" if len(words) == 1 else "phrase", words, "any", keyword))
    if not terms:
        raise QueryError("no keywords", 1, "list at least one keyword, e.g. [Iraq]")
    return or_of(list(dict.fromkeys(terms)))
