"""The watchlist query language: parsing, canonical form and errors."""

from __future__ import annotations

import dataclasses

import pytest

from notifier.query import And, Lang, Not, Or, QueryError, Term, any_of, parse_query


def word(text: str, field: str = "any") -> Term:
    return Term("word", tuple(text.split()), field)  # type: ignore[arg-type]


def phrase(text: str, field: str = "any") -> Term:
    return Term("phrase", tuple(text.split()), field)  # type: ignore[arg-type]


def prefix(text: str, field: str = "any") -> Term:
    return Term("prefix", tuple(text.split()), field)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- structure


def test_or_binds_tighter_than_and() -> None:
    assert parse_query("a b OR c") == And((word("a"), Or((word("b"), word("c")))))
    assert parse_query("a OR b c") == And((Or((word("a"), word("b"))), word("c")))


def test_explicit_and_is_the_same_as_juxtaposition() -> None:
    assert parse_query("a AND b OR c") == parse_query("a b OR c")
    assert parse_query("a AND b AND c") == And((word("a"), word("b"), word("c")))


def test_lowercase_or_and_are_words() -> None:
    assert parse_query("war or peace") == And((word("war"), word("or"), word("peace")))


def test_nested_parentheses() -> None:
    query = parse_query("((a OR b) (c OR (d e)))")
    assert query == And((Or((word("a"), word("b"))), Or((word("c"), And((word("d"), word("e")))))))
    assert parse_query("((a))") == word("a")


def test_design_example() -> None:
    query = parse_query('"Al Asad" OR (Iraq AND (militia* OR strike*)) -sports')
    expected = And(
        (
            Or((phrase("al asad"), And((word("iraq"), Or((prefix("militia"), prefix("strike"))))))),
            Not(word("sports")),
        )
    )
    assert query == expected
    assert [t.source for t in query.terms()] == ['"Al Asad"', "Iraq", "militia*", "strike*"]


def test_negation_of_word_phrase_and_group() -> None:
    assert parse_query("a -b") == And((word("a"), Not(word("b"))))
    assert parse_query('a -"b c"') == And((word("a"), Not(phrase("b c"))))
    assert parse_query("a -(b OR c)") == And((word("a"), Not(Or((word("b"), word("c"))))))
    assert parse_query("a -b*") == And((word("a"), Not(prefix("b"))))


def test_title_field() -> None:
    query = parse_query('title:Iraq title:"Al Asad" title:milit* Baghdad')
    in_title = (word("iraq", "title"), phrase("al asad", "title"), prefix("milit", "title"))
    assert query == And((*in_title, word("baghdad")))
    assert [t.source for t in query.terms()] == [
        "title:Iraq",
        'title:"Al Asad"',
        "title:milit*",
        "Baghdad",
    ]
    assert parse_query("a -title:b") == And((word("a"), Not(word("b", "title"))))
    assert parse_query("TITLE:a") == word("a", "title")


def test_title_applies_to_a_group() -> None:
    assert parse_query("title:(a OR b)") == Or((word("a", "title"), word("b", "title")))


def test_lang_is_a_check_on_the_article_not_a_term() -> None:
    iraq = Term("word", ("iraq",), "any", "Iraq")
    assert parse_query("Iraq lang:en") == And((iraq, Lang("en")))
    assert parse_query("Iraq -LANG:FR") == And((iraq, Not(Lang("fr"))))
    query = parse_query("(lang:en OR lang:de) militia*")
    assert query == And((Or((Lang("en"), Lang("de"))), Term("prefix", ("militia",), "any", "x")))
    assert [t.source for t in query.all_terms()] == ["militia*"]  # no term for the language
    assert str(parse_query("Iraq -lang:fr")) == "iraq -lang:fr"


def test_curly_and_low_quotes_make_phrases() -> None:
    expected = phrase("al asad")
    for text in ('"Al Asad"', "\u201cAl Asad\u201d", "\u201eAl Asad\u201c", "\u201dAl Asad\u201d"):
        assert parse_query(text) == expected
    assert parse_query("\u201cAl Asad\u201d").terms()[0].source == "\u201cAl Asad\u201d"


def test_hyphenated_and_punctuated_words_become_multi_word_terms() -> None:
    assert parse_query("anti-ISIS") == word("anti isis")
    assert parse_query("U.S.") == word("u s")
    assert parse_query("anti-IS*") == prefix("anti is")
    assert parse_query("Iraq's") == word("iraq")


def test_terms_are_positive_and_distinct_in_written_order() -> None:
    query = parse_query("c -a (b OR c) -(d -e)")
    assert [t.source for t in query.terms()] == ["c", "b", "e"]  # e is excluded twice over
    assert [t.source for t in query.all_terms()] == ["c", "a", "b", "d", "e"]


@pytest.mark.parametrize(
    "text",
    [
        "a b OR c",
        '"al asad" OR (iraq (militia* OR strike*)) -sports',
        'title:iraq -title:"al asad" anti-isis u-s',
        "(a b) OR (c d) -(e OR f)",
        "-(a b) c",
        'title:"al as"*',
        "(lang:en OR lang:de) militia* -lang:fr",
    ],
)
def test_canonical_text_parses_back_to_the_same_query(text: str) -> None:
    query = parse_query(text)
    assert parse_query(str(query)) == query
    assert str(parse_query(str(query))) == str(query)


def test_canonical_text_is_normalised() -> None:
    assert str(parse_query("IRAQ  AND  (Militia* OR Strike*)")) == "iraq militia* OR strike*"
    assert str(parse_query("(a b) OR c")) == "(a b) OR c"


def test_query_tree_is_immutable() -> None:
    query = parse_query("a b")
    assert isinstance(query, And)
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.operands = ()  # type: ignore[misc]
    assert hash(parse_query("a OR b")) == hash(parse_query("A OR B"))


# --------------------------------------------------------------------------- any_of


def test_any_of_takes_keywords_literally() -> None:
    query = any_of(["Al Asad", "OR", "militia*", "Iraq"])
    assert query == Or((phrase("al asad"), word("or"), word("militia"), word("iraq")))
    assert [t.source for t in query.terms()] == ["Al Asad", "OR", "militia*", "Iraq"]
    assert any_of(["Iraq"]) == word("iraq")


def test_any_of_refuses_empty_keywords() -> None:
    with pytest.raises(QueryError, match="no keywords"):
        any_of([])
    with pytest.raises(QueryError, match="keyword 2"):
        any_of(["Iraq", "--"])


# --------------------------------------------------------------------------- errors


def test_error_text_names_column_message_and_hint() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query('Iraq  "Al Asad')
    error = caught.value
    assert (error.column, error.message) == (7, "unbalanced quote")
    assert str(error) == 'column 7: unbalanced quote — close the phrase with "'
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("text", "column", "message", "hint"),
    [
        ("", 1, "empty query", "at least one word"),
        ("   ", 1, "empty query", "at least one word"),
        ('a "b c', 3, "unbalanced quote", "close the phrase"),
        ("(a OR b", 1, "unclosed '('", "add ')'"),
        ("a (b (c)", 3, "unclosed '('", "add ')'"),
        ("a OR b)", 7, "')' without a matching '('", "remove it"),
        ("a OR", 3, "OR with nothing after it", "after OR"),
        ("OR a", 1, "OR with nothing before it", "before OR"),
        ("a OR OR b", 3, "OR with nothing after it", "after OR"),
        ("(a OR) b", 4, "OR with nothing after it", "after OR"),
        ("a AND", 3, "AND with nothing after it", "after AND"),
        ("AND a", 1, "AND with nothing before it", "before AND"),
        ("a ()", 3, "empty parentheses", "put words inside"),
        ('a ""', 3, "empty phrase", "between the quotes"),
        ("a \u201c \u201d", 3, "empty phrase", "between the quotes"),
        ("a *", 3, "'*' with no word before it", "militia*"),
        ("a mil*tia", 6, "'*' inside a word", "end of a word"),
        ("a - b", 3, "'-' with nothing to exclude", "no space after '-'"),
        ("a --b", 3, "double '-'", "single '-'"),
        ("-a", 1, "only excludes words", "add a word to look for"),
        ('-"a b" -(c OR d)', 1, "only excludes words", "add a word to look for"),
        ("a OR -b", 6, "contain none of its words", "outside OR groups"),
        ("title: a", 1, "title: with nothing after it", "no space after the colon"),
        ("a title:-b", 9, "'-' after title:", "-title:word"),
        ("a & b", 3, "no letters or digits", "remove it"),
        ("Iraq lang:eng", 6, "'lang:eng' is not a language", "two-letter language code"),
        ("Iraq lang:", 6, "'lang:' is not a language", "two-letter language code"),
        ("Iraq lang:e1", 6, "'lang:e1' is not a language", "e.g. Iraq lang:en"),
        ("lang:en", 1, "lang: with no word to look for", "add a word to look for"),
        ("-lang:fr", 2, "lang: with no word to look for", "add a word to look for"),
        ("Iraq OR lang:en", 1, "contain none of its words", "outside OR groups"),
        ("Iraq OR -lang:en", 9, "contain none of its words", "outside OR groups"),
        ("lang:en NEAR/3 Iraq", 9, "lang: beside NEAR", "(a NEAR/5 b) lang:en"),
    ],
)
def test_errors(text: str, column: int, message: str, hint: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    error = caught.value
    assert error.column == column, str(error)
    assert message in error.message
    assert hint in error.hint
    assert str(error).startswith(f"column {column}: ")


def test_deep_nesting_is_refused_not_crashing() -> None:
    with pytest.raises(QueryError, match="nested"):
        parse_query("(" * 500 + "a" + ")" * 500)


def test_a_thousand_title_prefixes_are_refused_with_their_column() -> None:
    """Each title: is a level of the recursive descent: past the bound a QueryError (which
    check-config, /watch and /try report) instead of a RecursionError."""
    with pytest.raises(QueryError) as caught:
        parse_query("title:" * 1200 + "iraq")
    error = caught.value
    assert "nested too deeply" in error.message and "title:" in error.hint
    assert error.column == 64 * len("title:") + 1
    assert parse_query("title:" * 3 + "iraq") == parse_query("title:iraq")


def test_title_prefixes_and_groups_share_the_depth_bound() -> None:
    with pytest.raises(QueryError, match="nested too deeply"):
        parse_query("title:(" * 20 + "title:" * 30 + "a" + ")" * 20)
    parse_query("title:(" * 20 + "title:" * 20 + "a" + ")" * 20)
