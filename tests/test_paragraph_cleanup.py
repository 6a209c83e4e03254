"""Paragraph furniture recognised by its wording: newsletter pitches, follow-us lines at the
end, unrendered shortcodes; a description that is the body's own first paragraph stays."""

from __future__ import annotations

from trafilatura.utils import load_html

from crawler.paragraph_cleanup import clean_paragraphs, dek_is_separate

BODY = [
    "The ministry confirmed on Tuesday that the new border crossing will open in the spring.",
    "Officials said the crossing would cut waiting times for freight lorries by several hours.",
    "Local traders, who have campaigned for the crossing for a decade, welcomed the decision.",
    "The project was delayed twice by disputes over customs staffing and the cost of the road.",
    "Opposition members asked for the full budget to be published before construction begins.",
]


def cleaned(paragraphs: list[str]) -> list[str]:
    return clean_paragraphs(paragraphs, title=None, dek=None, author=None)


def test_newsletter_pitches_go_but_a_sentence_about_a_newsletter_stays():
    pitches = [
        "Get the latest updates right in your inbox. Subscribe to the Gazette's newsletters.",
        "Start your day with the Morning Bell. Sign up for the free daily newsletter.",
    ]
    mention = "You can also subscribe to this newsletter here, the editors wrote on Monday."
    assert cleaned([BODY[0], pitches[0], *BODY[1:3], mention, pitches[1]]) == [
        BODY[0],
        *BODY[1:3],
        mention,
    ]


def test_follow_us_lines_go_at_the_end_only():
    follow = [
        "Email Ana Petrova at ana@gazette.example or follow her @anapetrova.",
        "Follow The Example Gazette Opinion section on Facebook, Twitter and Instagram.",
    ]
    early = "Follow the Gazette on Twitter, the ministry's spokesperson told reporters."
    assert cleaned([early, *BODY, *follow]) == [early, *BODY]


def test_unrendered_shortcodes_go():
    shortcode = '[button link="/submit/" type="big"] Send us your review[/button]'
    assert cleaned([*BODY[:2], shortcode, *BODY[2:]]) == BODY


def test_a_description_repeated_as_the_first_paragraph_before_an_ad_is_not_a_dek():
    lead = BODY[0]
    tree = load_html(
        f"<html><body><article><p>{lead}</p><section class='ad'><div>Ad</div></section>"
        f"<p>{BODY[1]}</p><p>{BODY[2]}</p></article></body></html>"
    )
    assert tree is not None
    assert not dek_is_separate(tree, lead, BODY[:3])
    dek_page = load_html(
        f"<html><body><header><h1>Border</h1><p>{lead}</p></header>"
        f"<article><p>{BODY[1]}</p></article></body></html>"
    )
    assert dek_page is not None
    assert dek_is_separate(dek_page, lead, BODY[:2])
