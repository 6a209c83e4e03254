"""Match articles against every watchlist at once.

All terms of all watchlists go into one Aho-Corasick automaton over the normalised token stream
(``" iraq "`` for a word, ``" al asad "`` for a phrase, ``" milit"`` for a prefix), so an article
is scanned once however many watchlists there are. Each watchlist is indexed under an anchor: a
set of its positive terms at least one of which occurs whenever the query is true (for
``a b OR c`` just ``a``; at worst all its positive terms). Only watchlists whose anchor was hit are
evaluated, each through one compiled function, so watchlists about other things cost nothing.
``a NEAR/n b`` adds a position check to that function, on the same scan: no second pass, and
``lang:xx`` a comparison with the language the article was given in, never a word to scan for.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Literal, NamedTuple

import ahocorasick

from notifier.query import And, Lang, Near, Not, Or, Query, Term, Token, tokenize
from notifier.query_anchors import cheapest_anchor

HitField = Literal["title", "text"]
# A NEAR side as compiled: (pattern id, title only) of each of its positive terms.
_Side = tuple[tuple[int, bool], ...]
# Whether a NEAR holds in this article: (left side, right side, distance in words) -> truth.
_NearCheck = Callable[[_Side, _Side, int], bool]
# Compiled query: (pattern ids anywhere, pattern ids in the title, NEAR check, language) -> truth.
_Evaluator = Callable[[AbstractSet[int], AbstractSet[int], _NearCheck, str | None], bool]


@dataclass(frozen=True)
class Hit:
    """One occurrence of a term; offsets index the original title or text given to match()."""

    term: str
    field: HitField
    start: int
    end: int


class Match:
    """A watchlist whose query is true for an article, with the positive terms that fired.

    Only ``watchlist_id`` is known up front; ``terms`` and ``hits`` are worked out when first read.
    With thousands of watchlists, building every match's hits cost more than finding the matches,
    yet most are dropped unread (a watchlist not covering the outlet) or need terms only (a
    watchlist nobody subscribes to).
    """

    __slots__ = ("_article", "_hits", "_terms", "_watchlist", "watchlist_id")

    def __init__(self, watchlist: _CompiledWatchlist, article: _ScannedArticle) -> None:
        self.watchlist_id = watchlist.watchlist_id
        self._watchlist = watchlist
        self._article = article
        self._terms: tuple[str, ...] | None = None
        self._hits: tuple[Hit, ...] | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        """Positive terms that fired, in the order of their first hit (title before text)."""
        if self._terms is None:
            self._terms = _ordered_terms(self._watchlist, self._article)
        return self._terms

    @property
    def hits(self) -> tuple[Hit, ...]:
        """Every hit of those terms: the title's by position, then the text's."""
        if self._hits is None:
            self._hits = _collected_hits(self._watchlist, self._article)
        return self._hits

    def _key(self) -> tuple[str, tuple[str, ...], tuple[Hit, ...]]:
        return self.watchlist_id, self.terms, self.hits

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Match) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Match({self.watchlist_id!r}, terms={self.terms!r}, hits={self.hits!r})"


class _TermSlot(NamedTuple):
    """A term compiled to its pattern id; ``title_only`` terms ignore hits in the text."""

    pattern_id: int
    title_only: bool
    source: str


@dataclass(frozen=True)
class _CompiledWatchlist:
    watchlist_id: str
    evaluate: _Evaluator
    positive: tuple[_TermSlot, ...]
    min_hits: int


class _ScannedArticle(NamedTuple):
    title: _ScannedText
    text: _ScannedText


def pattern_for(term: Term) -> str:
    """The automaton key: whole tokens are space-delimited, a prefix leaves its end open."""
    body = " " + " ".join(term.words)
    return body if term.kind == "prefix" else body + " "


class Matcher:
    """One matcher for all watchlists; build once, call :meth:`match` per article."""

    def __init__(
        self,
        watchlists: Iterable[tuple[str, Query]],
        *,
        min_hits: Mapping[str, int] | None = None,
        title_only: Collection[str] = (),
    ) -> None:
        min_hits = dict(min_hits or {})
        for watchlist_id, minimum in min_hits.items():
            if minimum < 1:
                raise ValueError(f"min_hits for {watchlist_id!r} must be at least 1")
        self._pattern_ids: dict[str, int] = {}
        self._pattern_words: list[int] = []
        self._pattern_lengths: list[int] = []
        self._watchlists: list[_CompiledWatchlist] = []
        # pattern id -> positions in self._watchlists anchored on it
        self._index: dict[int, list[int]] = {}
        seen_ids: set[str] = set()
        for watchlist_id, query in watchlists:
            if watchlist_id in seen_ids:
                raise ValueError(f"duplicate watchlist id {watchlist_id!r}")
            seen_ids.add(watchlist_id)
            if watchlist_id in title_only:
                query = query.with_field("title")
            self._add(watchlist_id, query, min_hits.get(watchlist_id, 1))
        self._automaton = ahocorasick.Automaton()
        for pattern, pattern_id in self._pattern_ids.items():
            self._automaton.add_word(pattern, pattern_id)
        if self._pattern_ids:
            self._automaton.make_automaton()

    def _add(self, watchlist_id: str, query: Query, minimum: int) -> None:
        position = len(self._watchlists)
        # One slot per distinct pattern and field: "Iraq OR IRAQ" is one term, not two.
        slots: dict[tuple[int, bool], _TermSlot] = {}
        for term in query.terms():
            slot = self._slot(term)
            slots.setdefault((slot.pattern_id, slot.title_only), slot)
        positive = tuple(slots.values())
        if query.evaluate(lambda _term: False):
            raise ValueError(f"watchlist {watchlist_id!r} would match articles without its words")
        self._watchlists.append(
            _CompiledWatchlist(watchlist_id, self._compile(watchlist_id, query), positive, minimum)
        )
        anchors = cheapest_anchor(query) or query.terms()
        for pattern_id in dict.fromkeys(self._slot(term).pattern_id for term in anchors):
            self._index.setdefault(pattern_id, []).append(position)

    def _slot(self, term: Term) -> _TermSlot:
        pattern = pattern_for(term)
        pattern_id = self._pattern_ids.setdefault(pattern, len(self._pattern_ids))
        if pattern_id == len(self._pattern_words):
            self._pattern_words.append(len(term.words))
            self._pattern_lengths.append(len(pattern))
        return _TermSlot(pattern_id, term.field == "title", term.source)

    def _compile(self, watchlist_id: str, query: Query) -> _Evaluator:
        """Turn the query into one plain function, so a candidate costs a single call.

        The generated source holds only pattern ids, checked two-letter language codes, operators
        and the parameter names, never other text from the query, so nothing a user writes runs.
        """
        source = f"lambda anywhere, in_title, near, language: {self._expression(query)}"
        try:
            code = compile(source, f"<watchlist {watchlist_id}>", "eval")
        except (SyntaxError, RecursionError, MemoryError) as error:
            raise ValueError(f"watchlist {watchlist_id!r}: query nested too deeply") from error
        return eval(code, {"__builtins__": {}})

    def _expression(self, query: Query) -> str:
        if isinstance(query, Term):
            slot = self._slot(query)
            return f"{slot.pattern_id} in {'in_title' if slot.title_only else 'anywhere'}"
        if isinstance(query, Lang):  # two ASCII letters, checked: safe to write as a literal
            if not (len(query.code) == 2 and query.code.isascii() and query.code.isalpha()):
                raise ValueError(f"{query.code!r} is not a language code")
            return f"language == {query.code.lower()!r}"
        if isinstance(query, Not):
            return f"not ({self._expression(query.operand)})"
        if isinstance(query, And | Or):
            joiner = ") and (" if isinstance(query, And) else ") or ("
            return "(" + joiner.join(self._expression(o) for o in query.operands) + ")"
        if isinstance(query, Near):
            sides = [self._side(side) for side in (query.left, query.right)]
            both = f"({self._expression(query.left)}) and ({self._expression(query.right)})"
            return f"({both} and near({sides[0]!r}, {sides[1]!r}, {query.distance}))"
        raise TypeError(f"unknown query node {query!r}")

    def _side(self, side: Query) -> _Side:
        """Where a NEAR side is: at any of its positive terms (a group's words count)."""
        slots = (self._slot(term) for term in side.terms())
        return tuple(dict.fromkeys((slot.pattern_id, slot.title_only) for slot in slots))

    def _scan(self, text: str) -> _ScannedText:
        """Find every pattern in ``text``; offsets are worked out later, for matches only."""
        if not self._pattern_ids or not text:
            return _ScannedText([], {}, [], self._pattern_lengths, self._pattern_words)
        tokens = tokenize(text)
        stream, token_at = _token_stream(tokens)
        found = list(self._automaton.iter(stream))
        return _ScannedText(tokens, token_at, found, self._pattern_lengths, self._pattern_words)

    def match(self, title: str, text: str, *, language: str | None = None) -> list[Match]:
        """Every watchlist whose query is true for this article, in the order given; ``language``
        (ISO 639-1, None when unknown: no ``lang:`` check holds) is what ``lang:xx`` tests."""
        title_scan = self._scan(title)
        text_scan = self._scan(text)
        in_title = title_scan.first_ends.keys()
        anywhere = in_title | text_scan.first_ends.keys()
        candidates: set[int] = set()
        for pattern_id in anywhere:
            if watchlists := self._index.get(pattern_id):
                candidates.update(watchlists)
        article = _ScannedArticle(title_scan, text_scan)
        near = functools.partial(_near, article)
        matches = []
        for position in sorted(candidates):
            watchlist = self._watchlists[position]
            if not watchlist.evaluate(anywhere, in_title, near, language):
                continue
            if watchlist.min_hits > 1:
                fired = sum(
                    slot.pattern_id in (in_title if slot.title_only else anywhere)
                    for slot in watchlist.positive
                )
                if fired < watchlist.min_hits:
                    continue
            matches.append(Match(watchlist, article))
        return matches


class _ScannedText:
    """Automaton output for one string, mapped back to original offsets on demand."""

    def __init__(
        self,
        tokens: list[Token],
        token_at: dict[int, int],
        found: list[tuple[int, int]],
        pattern_lengths: list[int],
        pattern_words: list[int],
    ) -> None:
        self._tokens = tokens
        self._token_at = token_at
        self._found = found
        self._pattern_lengths = pattern_lengths
        self._pattern_words = pattern_words
        self._hits: dict[tuple[int, str], tuple[Hit, ...]] = {}

    @functools.cached_property
    def first_ends(self) -> dict[int, int]:
        """Each pattern found, with where its first occurrence ends in the token stream."""
        return {pattern_id: end for end, pattern_id in reversed(self._found)}

    def hits(self, pattern_id: int, source: str, field: HitField) -> tuple[Hit, ...]:
        """Every occurrence of a pattern as hits, in order; shared by the watchlists that match."""
        key = (pattern_id, source)
        cached = self._hits.get(key)
        if cached is None:
            spans = self._spans.get(pattern_id, ())
            cached = tuple(Hit(source, field, start, end) for start, end in spans)
            self._hits[key] = cached
        return cached

    @functools.cached_property
    def places(self) -> dict[int, list[tuple[int, int, int]]]:
        """(paragraph, first token, last token) of each occurrence, by pattern: for NEAR."""
        paragraph, paragraphs = 0, []
        for token in self._tokens:
            paragraph += token.line_break_before
            paragraphs.append(paragraph)
        places: dict[int, list[tuple[int, int, int]]] = {}
        for end, pattern_id in self._found:
            first = self._token_at[end - self._pattern_lengths[pattern_id] + 2]
            last = first + self._pattern_words[pattern_id] - 1
            places.setdefault(pattern_id, []).append((paragraphs[first], first, last))
        return places

    def first_span(self, pattern_id: int) -> tuple[int, int]:
        """Where a pattern found here first occurs, in the original string."""
        return self._span(self.first_ends[pattern_id], pattern_id)

    @functools.cached_property
    def _spans(self) -> dict[int, list[tuple[int, int]]]:
        """(start, end) in the original string of each occurrence, by pattern."""
        spans: dict[int, list[tuple[int, int]]] = {}
        for end, pattern_id in self._found:
            spans.setdefault(pattern_id, []).append(self._span(end, pattern_id))
        return spans

    def _span(self, end: int, pattern_id: int) -> tuple[int, int]:
        """The original (start, end) of the occurrence ending at ``end`` in the token stream."""
        first = self._token_at[end - self._pattern_lengths[pattern_id] + 2]  # skip leading space
        last = self._tokens[first + self._pattern_words[pattern_id] - 1]
        return self._tokens[first].start, last.end


def _near(article: _ScannedArticle, left: _Side, right: _Side, distance: int) -> bool:
    """Some place of each side at most `distance` words apart, in one paragraph of the title or
    of the text (never one in each)."""
    for scan, in_text in ((article.title, False), (article.text, True)):
        places = scan.places
        lefts = [p for pid, only in left if not (in_text and only) for p in places.get(pid, ())]
        if not lefts:
            continue
        for r_paragraph, r_first, r_last in (
            p for pid, only in right if not (in_text and only) for p in places.get(pid, ())
        ):
            for l_paragraph, l_first, l_last in lefts:
                gap = max(r_first - l_last, l_first - r_last)
                if l_paragraph == r_paragraph and gap <= distance:
                    return True
    return False


def _token_stream(tokens: list[Token]) -> tuple[str, dict[int, int]]:
    """Tokens joined by single spaces, a newline between lines; maps stream offsets to tokens."""
    parts = [" "]
    token_at: dict[int, int] = {}
    position = 1
    for index, token in enumerate(tokens):
        if token.line_break_before:
            parts.append("\n ")
            position += 2
        token_at[position] = index
        parts.append(token.text)
        parts.append(" ")
        position += len(token.text) + 1
    return "".join(parts), token_at


def _ordered_terms(watchlist: _CompiledWatchlist, article: _ScannedArticle) -> tuple[str, ...]:
    """The positive terms that fired, ordered as their hits sort: title first, then by position."""
    title_scan, text_scan = article.title, article.text
    fired: list[tuple[int, int, str]] = []  # (0 title / 1 text, slot order, term)
    in_title, in_text = title_scan.first_ends, text_scan.first_ends
    for order, (pattern_id, title_only, source) in enumerate(watchlist.positive):
        if pattern_id in in_title:
            fired.append((0, order, source))
        elif not title_only and pattern_id in in_text:
            fired.append((1, order, source))
    if len(fired) == 1:  # the usual case: nothing to order, so no offsets to work out
        return (fired[0][2],)
    scans = (title_scan, text_scan)
    positive = watchlist.positive
    firsts = sorted(
        (field, scans[field].first_span(positive[order].pattern_id), order, source)
        for field, order, source in fired
    )
    return tuple(dict.fromkeys(first[-1] for first in firsts))


def _collected_hits(watchlist: _CompiledWatchlist, article: _ScannedArticle) -> tuple[Hit, ...]:
    """The hits of the positive terms that fired: title first, then text, by position."""
    title_scan, text_scan = article.title, article.text
    title_groups: list[tuple[Hit, ...]] = []
    text_groups: list[tuple[Hit, ...]] = []
    in_title, in_text = title_scan.first_ends, text_scan.first_ends
    for pattern_id, title_only, source in watchlist.positive:
        if pattern_id in in_title:
            title_groups.append(title_scan.hits(pattern_id, source, "title"))
        if not title_only and pattern_id in in_text:
            text_groups.append(text_scan.hits(pattern_id, source, "text"))
    return _merged(title_groups) + _merged(text_groups)


def _merged(groups: list[tuple[Hit, ...]]) -> tuple[Hit, ...]:
    """Hits of several terms in one string, by position (each group is already in order)."""
    if len(groups) <= 1:
        return groups[0] if groups else ()
    return tuple(sorted(itertools.chain.from_iterable(groups), key=_POSITION))


_POSITION = operator.attrgetter("start", "end")
