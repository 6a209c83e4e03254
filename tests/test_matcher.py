"""Matching articles against watchlists: word semantics, offsets, seeds, many watchlists at once."""

from __future__ import annotations

import random

import pytest

from notifier.matcher import Hit, Match, Matcher
from notifier.query import normalize, parse_query
from tests.support import SEEDS

DESIGN_QUERY = '"Al Asad" OR (Iraq AND (militia* OR strike*)) -sports'


def matches(query: str, text: str, title: str = "") -> bool:
    return bool(Matcher([("w", parse_query(query))]).match(title, text))


def only_match(query: str, text: str, title: str = "") -> Match:
    found = Matcher([("w", parse_query(query))]).match(title, text)
    assert len(found) == 1
    return found[0]


def seed_text(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- semantics


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("Iraq", "troops in Iraq.", True),
        ("Iraq", "Iraq's militias", True),
        ("Iraq", "Iraq\u2019s militias", True),
        ("Iraq", "IRAQ AND SYRIA", True),
        ("Iraq", "the Iraqiyya list", False),
        ("Iraq", "Iraqi militias", False),
        ("Iraq*", "the Iraqiyya list", True),
        ("Iraq*", "Iraqi militias", True),
        ("Iraq*", "an Iraqiyya", True),
        ("raq*", "Iraq", False),
        ("Iraq's", "in Iraq today", True),
    ],
)
def test_whole_words_and_prefixes(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("Sadr", "Muqtada al-\u1e62adr"),
        ("Sadr", "Muqtada al-S\u0323adr"),
        ("\u1e62adr", "Muqtada al-Sadr"),
        ("Baghdad", "strikes in BAGHDÂD"),
        ("BAGHDÂD", "strikes in baghdad"),
        ("Lodz", "Łódź"),
    ],
)
def test_accents_and_case_do_not_matter(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize("query", ['"Al Asad"', "\u201cAl Asad\u201d", "\u201eAl Asad\u201c"])
@pytest.mark.parametrize("text", ["at Al Asad air base", "at \u201cAl Asad\u201d", "at al-Asad"])
def test_phrases_with_any_quotes(query: str, text: str) -> None:
    assert matches(query, text)


def test_phrase_needs_its_words_in_order_and_adjacent() -> None:
    assert not matches('"Al Asad"', "Asad al")
    assert not matches('"Al Asad"', "Al-Qaeda and Asad")
    assert matches("Al Asad", "Asad met al")  # without quotes the words may be anywhere


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("anti-ISIS", "the anti-ISIS coalition"),
        ("anti-ISIS", "the anti ISIS coalition"),
        ('"anti ISIS"', "the anti-ISIS coalition"),
        ("anti-IS*", "the anti\u2013ISIS coalition"),
    ],
)
def test_hyphen_separates_words_both_ways(query: str, text: str) -> None:
    assert matches(query, text)


def test_hyphenated_query_still_needs_both_words_together() -> None:
    assert not matches("anti-ISIS", "anti-war protests against ISIS")


@pytest.mark.parametrize(
    ("query", "text"),
    [("Shia", "Shi\u2019a militias"), ("Shi\u2019a", "Shia"), ("Shi'a", "SHI\u2019A")],
)
def test_apostrophes_do_not_matter(query: str, text: str) -> None:
    assert matches(query, text)


def test_exclusions() -> None:
    assert matches("Iraq -sports", "Iraq votes")
    assert not matches("Iraq -sports", "Iraq sports news")
    assert not matches("Iraq -sports", "Iraq news", title="SPORTS roundup")
    assert not matches('Iraq -"world cup"', "Iraq at the World Cup")
    assert matches('Iraq -"world cup"', "Iraq: world trade and a cup of tea")
    assert not matches("Iraq -(football OR cup)", "Iraq football")
    assert matches("Iraq -(football cup)", "Iraq football")


def test_title_field_looks_at_the_title_only() -> None:
    assert matches("title:Iraq militia", "militia attacks", title="Iraq")
    assert not matches("title:Iraq militia", "militia attacks in Iraq", title="Syria")
    assert matches('title:"Al Asad"', "", title="Attack on al-Asad")
    assert not matches("Iraq -title:opinion", "Iraq", title="Opinion: Iraq")
    assert matches("Iraq -title:opinion", "my opinion on Iraq", title="Analysis")


def test_lang_checks_the_language_matching_is_given() -> None:
    matcher = Matcher(
        [
            ("en", parse_query("title:Iraq lang:en")),
            ("not-fr", parse_query("Iraq -lang:fr")),
            ("en-de", parse_query("(lang:en OR lang:de) militia*")),
            ("near", parse_query("(Kataib NEAR/3 strike*) lang:en")),
        ]
    )

    def ids(title: str, text: str, language: str | None) -> list[str]:
        return [m.watchlist_id for m in matcher.match(title, text, language=language)]

    assert ids("Iraq", "militias", "en") == ["en", "not-fr", "en-de"]
    assert ids("Iraq", "militias", "de") == ["not-fr", "en-de"]
    assert ids("Iraq", "militias", "fr") == []
    assert ids("Iraq", "militias", None) == ["not-fr"]  # unknown: no lang: check holds
    assert ids("News", "Iraq", "en") == ["not-fr"]  # title: still looks at the title only
    assert ids("", "Kataib strikes", "en") == ["near"]
    assert ids("", "Kataib strikes", "de") == []
    hits = matcher.match("Iraq", "Iraq militias", language="en")[0].hits
    assert [(hit.term, hit.field) for hit in hits] == [("title:Iraq", "title")]


def test_title_only_watchlists_ignore_the_text() -> None:
    matcher = Matcher(
        [("t", parse_query("Iraq -sports")), ("a", parse_query("Iraq -sports"))],
        title_only={"t"},
    )
    assert [m.watchlist_id for m in matcher.match("Analysis", "Iraq news")] == ["a"]
    assert [m.watchlist_id for m in matcher.match("Iraq", "sports")] == ["t"]
    assert [m.watchlist_id for m in matcher.match("Iraq", "votes")] == ["t", "a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("attack on Al Asad base", True),
        ("attack on Al  Asad base", True),
        ("attack on Al\tAsad base", True),
        ("attack on Al\u00a0Asad base", True),
        ("attack on Al,\u2009Asad base", True),
        ("attack on Al\nAsad base", False),
        ("attack on Al\r\nAsad base", False),
        ("first paragraph ends with Al\n\nAsad starts the next", False),
        ("Al\u2029Asad", False),
    ],
)
def test_phrase_spans_normal_whitespace_but_not_lines(text: str, expected: bool) -> None:
    assert matches('"Al Asad"', text) is expected
    assert matches("Al Asad", text)  # separate words do not care about lines


def test_query_and_text_share_one_normalisation() -> None:
    text = "Shi\u2019a militias attacked Al\u2011Asad (BAGHDÂD)"
    for word in normalize(text).split():
        assert matches(word, text), word


# --------------------------------------------------------------------------- min_hits


def test_min_hits_counts_distinct_positive_terms() -> None:
    query = parse_query("Iraq OR IRAQ OR militia* OR strike*")
    matcher = Matcher([("w", query)], min_hits={"w": 2})
    assert matcher.match("", "Iraq and IRAQ and iraq") == []  # one term, written twice
    assert matcher.match("", "Iraq militias")[0].terms == ("Iraq", "militia*")
    assert matcher.match("", "militia strikes")[0].terms == ("militia*", "strike*")
    with pytest.raises(ValueError, match="at least 1"):
        Matcher([("w", query)], min_hits={"w": 0})


# --------------------------------------------------------------------------- hits and offsets


def test_hits_point_into_the_original_strings() -> None:
    title = "Ṣadr\u2019s men at al-Asad"
    text = (
        "The \u201cS\u0323adr\u201d bloc \u2014 BAGHDÂD\u2019s rulers \u2014 met at"
        " Al\u00a0Asad, then militias\u2019 leaders left Baghdâd.\nṢadr’s reply."
    )
    match = only_match('Sadr "Al Asad" Baghdad militia* -sports', text, title)
    found = [
        (hit.term, hit.field, (title if hit.field == "title" else text)[hit.start : hit.end])
        for hit in match.hits
    ]
    assert found == [
        ("Sadr", "title", "Ṣadr"),
        ('"Al Asad"', "title", "al-Asad"),
        ("Sadr", "text", "S\u0323adr"),
        ("Baghdad", "text", "BAGHDÂD"),
        ('"Al Asad"', "text", "Al\u00a0Asad"),
        ("militia*", "text", "militias"),
        ("Baghdad", "text", "Baghdâd"),
        ("Sadr", "text", "Ṣadr"),
    ]
    assert match.terms == ("Sadr", '"Al Asad"', "Baghdad", "militia*")


def test_hit_fields_and_term_order() -> None:
    match = only_match("Iraq OR militia* OR title:strike*", "militias in Iraq", "Strikes")
    assert match.hits == (
        Hit("title:strike*", "title", 0, 7),
        Hit("militia*", "text", 0, 8),
        Hit("Iraq", "text", 12, 16),
    )
    assert match.terms == ("title:strike*", "militia*", "Iraq")


@pytest.mark.parametrize(
    ("query", "title", "text", "terms"),
    [
        ("title:Iraq OR Iraq", "", "in Iraq", ("Iraq",)),
        ("title:Iraq OR Iraq", "Iraq", "in Iraq", ("title:Iraq", "Iraq")),
        ("title:Iraq OR Syria", "Iraq", "Syria", ("title:Iraq", "Syria")),
        ("Syria OR militia*", "", "militias of Syria", ("militia*", "Syria")),
        ("Syria OR Iraq", "", "Iraq, Iraq", ("Iraq",)),
    ],
)
def test_terms_and_hits_are_the_same_whichever_is_read_first(
    query: str, title: str, text: str, terms: tuple[str, ...]
) -> None:
    terms_first, hits_first = only_match(query, text, title), only_match(query, text, title)
    assert terms_first.terms == terms
    assert hits_first.hits == terms_first.hits
    assert hits_first.terms == terms
    assert terms == tuple(dict.fromkeys(hit.term for hit in hits_first.hits))


def test_excluded_and_unfired_terms_are_not_reported() -> None:
    match = only_match("(Iraq OR Syria) -(sports football) Iran*", "Iraq, Iran and sports")
    assert match.terms == ("Iraq", "Iran*")
    assert {hit.term for hit in match.hits} == {"Iraq", "Iran*"}


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_design_query_on_seed_articles(prefix: str) -> None:
    text = seed_text(prefix)
    matcher = Matcher([("iraq-escalation", parse_query(DESIGN_QUERY))])
    (match,) = matcher.match("", text)
    assert match.watchlist_id == "iraq-escalation"
    for hit in match.hits:
        assert normalize(text[hit.start : hit.end]).startswith(
            normalize(hit.term.rstrip("*").strip('"'))
        )
    assert matcher.match("", text + "\nMore sports news") == []
    assert matcher.match("Sports", text) == []


def test_seed_specifics() -> None:
    assert only_match(DESIGN_QUERY, seed_text("002")).terms[:2] == ("Iraq", '"Al Asad"')  # al-Asad
    assert '"Al Asad"' not in only_match(DESIGN_QUERY, seed_text("001")).terms
    assert not matches("retaliatory airstrikes", "no such words here")
    assert matches("Shia", seed_text("000"))  # written Shi'a in the article


# --------------------------------------------------------------------------- many watchlists


WATCHLISTS = {
    "design": DESIGN_QUERY,
    "hezbollah": "Hezbollah OR Hizbollah OR Kataib*",
    "title-iraq": "title:Iraq",
    "gaza": '"Israel-Hamas" OR Gaza* -Ukraine',
    "iran-strike": "Iran* (strike* OR attack*)",
    "soleimani": 'Soleimani OR "Muhandis"',
    "nothing": "Kyrgyzstan OR Bhutan",
    "shia": "Shi'a militia*",
    "escalate": "escalat* -(football OR sports)",
    "excluded": "Iraq -Syria",
    "biden": "title:Biden OR Biden administration",
    "prefix-phrase": '"al as"*',
}


def all_articles() -> list[tuple[str, str]]:
    articles = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title = next(line for line in text.splitlines() if len(line.split()) >= 5)
        articles.append((title, text))
    articles += [("Iraq", "nothing else"), ("", ""), ("Biden", "Iran attack"), ("x", "Syria Iraq")]
    return articles


def test_one_matcher_for_many_watchlists_equals_each_alone() -> None:
    queries = [(wid, parse_query(text)) for wid, text in WATCHLISTS.items()]
    combined = Matcher(queries, min_hits={"hezbollah": 2}, title_only={"soleimani"})
    alone = {
        wid: Matcher([(wid, q)], min_hits={"hezbollah": 2}, title_only={"soleimani"})
        for wid, q in queries
    }
    fired: set[str] = set()
    for title, text in all_articles():
        expected = [m for wid, _ in queries for m in alone[wid].match(title, text)]
        assert combined.match(title, text) == expected
        for match in expected:
            order = [(hit.field != "title", hit.start) for hit in match.hits]
            assert order == sorted(order)
            assert match.terms == tuple(dict.fromkeys(hit.term for hit in match.hits))
        fired.update(m.watchlist_id for m in expected)
    assert fired >= {"design", "hezbollah", "title-iraq", "gaza", "iran-strike", "shia", "biden"}
    assert "nothing" not in fired


def test_thousands_of_watchlists_keep_their_own_answers() -> None:
    rng = random.Random(7)
    vocabulary = sorted(set(normalize(seed_text("001")).split()) | {"zzyzx", "qwerty", "plugh"})
    shapes = ["{} {} OR {}", '"{} {}" -{}', "{}* ({} OR {})", "title:{} OR {} -{}"]
    queries = [(wid, parse_query(text)) for wid, text in WATCHLISTS.items()]
    for number in range(2000):
        words = rng.sample(vocabulary, 3)
        queries.append((f"r{number}", parse_query(rng.choice(shapes).format(*words))))
    combined = Matcher(queries)
    for title, text in all_articles()[:5]:
        by_id = {m.watchlist_id: m for m in combined.match(title, text)}
        for wid, query in rng.sample(queries, 60) + queries[: len(WATCHLISTS)]:
            assert by_id.get(wid) == next(iter(Matcher([(wid, query)]).match(title, text)), None)


def test_matcher_edge_cases() -> None:
    assert Matcher([]).match("Iraq", "Iraq") == []
    assert Matcher([("w", parse_query("Iraq"))]).match("", "") == []
    with pytest.raises(ValueError, match="duplicate"):
        Matcher([("w", parse_query("a")), ("w", parse_query("b"))])
