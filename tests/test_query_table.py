"""Queries as users write them, against short texts: one row per case, each operator, folding, word
boundaries and the tricky cases. The README's query examples are rows too, read out of README.md
itself, so the documentation cannot drift from what the matcher does.
"""

from __future__ import annotations

import re

import pytest

from notifier.query import QueryError, parse_query
from tests.support.query_cases import README, Row, matches

ROWS: list[Row] = [
    # words, implied and written AND
    Row("Iraq militia", "A militia fired on a base in Iraq.", True),
    Row("Iraq militia", "A militia fired on a base in Syria.", False),
    Row("Iraq AND militia", "Iraq's militia leaders met.", True),
    Row("Iraq AND militia", "Iraq's leaders met.", False),
    Row("Iraq and militia", "Iraq militia", False),  # lower-case "and" is a word to find
    # OR, and OR binding tighter than AND
    Row("Iraq OR Syria", "Fighting in Syria again.", True),
    Row("Iraq OR Syria", "Fighting in Yemen again.", False),
    Row("a b OR c", "a and c", True),
    Row("a b OR c", "b and c", False),
    Row("a AND (b OR c)", "b and c", False),
    Row("a AND (b OR c)", "c, then a", True),
    Row("Iraq Syria OR Iran", "Iraq and Iran talk.", True),
    Row("Iraq Syria OR Iran", "Syria and Iran talk.", False),  # not (Iraq AND Syria) OR Iran
    Row("(Iraq Syria) OR Iran", "Syria and Iran talk.", True),
    # phrases, straight and curly quotes
    Row('"Al Asad"', "Rockets hit Al Asad air base.", True),
    Row('"Al Asad"', "Rockets hit Al-Asad air base.", True),
    Row('"Al Asad"', "Asad said al Qaeda was behind it.", False),
    Row("\u201cAl Asad\u201d", "Rockets hit al asad.", True),
    Row("\u201eAl Asad\u201d", "Rockets hit AL ASAD.", True),
    Row('"air base"', "the air\nbase", False),  # a phrase never spans paragraphs
    Row('"Al Asad" OR (Iraq AND (militia* OR strike*)) -sports', "Strikes in Iraq.", True),
    Row('"Al Asad" OR (Iraq AND (militia* OR strike*)) -sports', "Iraq sports strike", False),
    Row('"Al Asad" OR (Iraq AND (militia* OR strike*)) -sports', "Al Asad at dawn.", True),
    Row('"Al Asad" OR (Iraq AND (militia* OR strike*)) -sports', "Iraq votes.", False),
    # exclusions: words, phrases, groups
    Row("Iraq -sports", "Iraq sports news", False),
    Row("Iraq -sports", "Iraq news, sportswriters aside", True),  # whole words only
    Row('Iraq -"press release"', "Iraq: a press release", False),
    Row('Iraq -"press release"', "Iraq: the release of the press", True),
    Row("Iraq -(a OR b)", "Iraq b", False),
    Row("Iraq -(a OR b)", "Iraq c", True),
    Row("Iraq -(football OR soccer)", "Iraq wins at soccer", False),
    # prefixes
    Row("militia*", "Militiamen were seen.", True),
    Row("militia*", "militias", True),
    Row("militia*", "militia", True),
    Row("Iraq militia*", "Iraqi militiamen", False),
    Row("Iraq militia*", "militiamen in Iraq", True),
    Row("militia*", "paramilitary units", False),  # a prefix starts at the word's start
    Row("Iraq*", "the Iraqiyya list", True),
    Row('"Kataib Hez"*', "Kataib Hezbollah claimed it.", True),
    Row('"Kataib Hez"*', "Kataib said Hezbollah", False),
    # whole words
    Row("Iraq", "the Iraqiyya list", False),
    Row("Iraq", "Iraqi forces", False),
    Row("Iran", "Iranian drones", False),
    Row("ISIS", "crisis talks", False),
    # case, accents, apostrophes
    Row("Iraq", "IRAQ AND SYRIA", True),
    Row("Iraq", "IRAQ's neighbours", True),
    Row("Iraq", "Iraq\u2019s neighbours", True),
    Row("iraq", "Iraq.", True),
    Row("Iraq's", "in Iraq today", True),
    Row("Sadr", "Muqtada al-\u1e62adr spoke.", True),
    Row("\u1e62adr", "Muqtada al-Sadr spoke.", True),
    Row("Mosul", "M\u00f3sul fell.", True),
    Row("Shia", "Shi\u2019a militias", True),
    Row("Shi'a", "Shia militias", True),
    Row("Shi\u2019a", "Shi'a militias", True),
    Row("Erdogan", "Erdo\u011fan said", True),
    # hyphens: both spellings, both ways, but the words stay together
    Row("anti-ISIS", "an anti-ISIS coalition", True),
    Row("anti-ISIS", "an anti ISIS coalition", True),
    Row("anti ISIS", "an anti-ISIS coalition", True),
    Row("anti-ISIS", "anti-war groups fought ISIS", False),
    Row('"anti ISIS"', "the anti\u2011ISIS campaign", True),  # non-breaking hyphen
    # title:
    Row("title:Iraq", "nothing here", True, title="Iraq votes"),
    Row("title:Iraq", "Iraq votes", False, title="Elections"),
    Row('title:"air base"', "", True, title="Rockets hit an air base"),
    Row('title:"air base"', "the air base", False, title="Rockets"),
    Row("title:(troops OR forces)", "", True, title="Forces withdraw"),
    Row("title:(troops OR forces)", "troops", False, title="Withdrawal"),
    Row("Iraq -title:sports", "Iraq", False, title="Sports roundup"),
    Row("Iraq -title:sports", "Iraq sports", True, title="Politics"),
    Row("TITLE:Iraq", "", True, title="Iraq"),
    # lang: (the article's language, as matching is given it)
    Row("Iraq lang:en", "Iraq votes", True, language="en"),
    Row("Iraq lang:en", "Iraq votes", False, language="fr"),
    Row("Iraq lang:en", "Iraq votes", False),  # language unknown: no lang: check holds
    Row("Iraq lang:EN", "Iraq votes", True, language="en"),
    Row("Iraq -lang:fr", "Iraq votes", True, language="en"),
    Row("Iraq -lang:fr", "L'Iraq vote", False, language="fr"),
    Row("Iraq -lang:fr", "Iraq votes", True),
    Row("(lang:en OR lang:de) militia*", "Milizen, militias", True, language="de"),
    Row("(lang:en OR lang:de) militia*", "militias", False, language="fr"),
    Row("(lang:en OR lang:de) militia*", "no such word", False, language="en"),
    Row("title:Iraq lang:de", "", True, title="Iraq wählt", language="de"),
    # NEAR/n: within n words, either order, one paragraph; sides words, prefixes, phrases, groups
    Row("Kataib NEAR/5 strike*", "Kataib Hezbollah claimed the drone strike.", True),
    Row("Kataib NEAR/5 strike*", "Strikes, said Kataib.", True),
    Row("Kataib NEAR/3 strike*", "Kataib Hezbollah claimed the drone strike.", False),
    Row("Kataib NEAR/5 strike*", "Kataib spoke.\nStrikes followed.", False),  # not across lines
    Row("Kataib NEAR/5 strike*", "Kataib spoke of peace, and much later of a strike.", False),
    Row('(Iran OR Iraq) NEAR/3 "air base"', "an Iraq air base", True),
    Row('(Iran OR Iraq) NEAR/3 "air base"', "Iraq: air raids near the base", False),
    Row("title:(Kataib NEAR/5 strike*)", "", True, title="Kataib strike again"),
    Row("title:(Kataib NEAR/5 strike*)", "Kataib strike again", False, title="News"),
    Row("a OR b NEAR/3 c", "a", True),
    Row("a OR b NEAR/3 c", "b and c", True),
    Row("a OR b NEAR/3 c", "b x x x x c", False),
    Row("a OR (b NEAR/3 c)", "c x b", True),
    # written AND with everything else
    Row("title:Iraq AND militia*", "militiamen", True, title="Iraq"),
    Row("(Iraq OR Syria) AND -sports", "Syria", True),
]

# Queries a user might write that must be refused with an actionable error, not crash.
REFUSED = [
    "lang:eng Iraq",
    "Iraq lang:",
    "Iraq lang:e1",
    "lang:en",
    "-lang:fr",
    "Iraq OR lang:en",
    "lang:en NEAR/3 Iraq",
    '"Al Asad',
    "(Iraq OR Syria",
    "Iraq OR",
    "OR Iraq",
    "Iraq)",
    "-sports",
    "()",
    "",
    "title:",
    "mili*tia",
    "Iraq OR -sports",
    "Kataib NEAR/x strike",
    "Kataib NEAR/0 strike",
    "Kataib NEAR/5",
    "NEAR/5 strike",
    "-Kataib NEAR/5 strike",
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.query} | {r.title} | {r.text}")
def test_row(row: Row) -> None:
    assert matches(row) is row.expected


def test_or_binds_tighter_as_the_readme_says() -> None:
    assert parse_query("a b OR c") == parse_query("a AND (b OR c)")
    assert parse_query("a b OR c") != parse_query("(a b) OR c")
    assert parse_query("a OR b NEAR/3 c") == parse_query("a OR (b NEAR/3 c)")
    assert parse_query("a b NEAR/3 c") == parse_query("a AND (b NEAR/3 c)")


@pytest.mark.parametrize("query", REFUSED)
def test_refused_with_a_column_and_a_hint(query: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.column >= 1 and caught.value.hint


# --------------------------------------------------------------------------- the README


def readme_query_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Query language")
    end = text.index("\n## ", start)
    return " ".join(text[start:end].split())  # prose wraps lines; claims may straddle them


PLACEHOLDERS = {"( … )", "AND", "OR"}  # spans that name syntax rather than being queries


def readme_queries() -> list[str]:
    """Every query the README shows: code spans of its query section and config examples."""
    queries = []
    for span in re.findall(r"`([^`]+)`", readme_query_section()):
        if span.startswith("newsradar "):
            queries.extend(re.findall(r"--query '([^']+)'", span))
        elif span not in PLACEHOLDERS:
            queries.append(span)
    text = README.read_text(encoding="utf-8")
    queries.extend(re.findall(r"^\s*query: '(.+)'", text, flags=re.MULTILINE))
    return list(dict.fromkeys(queries))


_QUOTED = r'(?:"[^"]+"(?:, | and )?)+'
_CLAIM = re.compile(rf"`([^`]+)` matches ({_QUOTED})(?: but not ({_QUOTED}))?")


def readme_claims() -> list[Row]:
    """Sentences like `Iraq` matches "Iraq" and "IRAQ" but not "Iraqiyya", as rows."""
    rows = []
    for query, yes, no in _CLAIM.findall(readme_query_section()):
        rows += [Row(query, text, True) for text in re.findall(r'"([^"]+)"', yes)]
        rows += [Row(query, text, False) for text in re.findall(r'"([^"]+)"', no or "")]
    return rows


def test_the_readme_still_documents_the_language() -> None:
    """Guards the two tests below against passing because nothing was found."""
    assert len(readme_queries()) >= 10
    assert len(readme_claims()) >= 6


@pytest.mark.parametrize("example", readme_queries())
def test_every_readme_example_is_a_row(example: str) -> None:
    assert any(example in row.query for row in ROWS), f"add a row using {example!r}"


@pytest.mark.parametrize("row", readme_claims(), ids=lambda r: f"{r.query} | {r.text}")
def test_readme_claims_hold(row: Row) -> None:
    assert matches(row) is row.expected
