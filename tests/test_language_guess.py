"""The article's language: declared values normalised, otherwise identified from the text with the
model the package ships (nothing downloaded)."""

from __future__ import annotations

import pytest

from crawler.language_guess import article_language, identified, normalized

ENGLISH = (
    "The government announced on Tuesday that the new budget would increase spending on schools"
    " and hospitals across the country, while cutting subsidies for fuel."
)
FRENCH = (
    "Le gouvernement a annoncé mardi que le nouveau budget augmenterait les dépenses pour les"
    " écoles et les hôpitaux dans tout le pays, tout en réduisant les subventions au carburant."
)
GERMAN = (
    "Die Regierung kündigte am Dienstag an, dass der neue Haushalt die Ausgaben für Schulen und"
    " Krankenhäuser im ganzen Land erhöhen und die Subventionen für Treibstoff kürzen werde."
)


@pytest.mark.parametrize(("text", "language"), [(ENGLISH, "en"), (FRENCH, "fr"), (GERMAN, "de")])
def test_undeclared_language_is_identified_from_the_text(text: str, language: str) -> None:
    assert identified(text) == language
    assert article_language(None, text) == language


@pytest.mark.parametrize(
    ("declared", "language"),
    [("en-US", "en"), ("EN", "en"), ("fr_FR", "fr"), ("de", "de"), ("zh-Hant-TW", "zh")],
)
def test_declared_language_is_normalised(declared: str, language: str) -> None:
    assert normalized(declared) == language


def test_what_the_page_declares_wins_over_the_text() -> None:
    assert article_language("en-US", GERMAN) == "en"


@pytest.mark.parametrize("declared", ["english", "e", "", None, "123"])
def test_unusable_declarations_fall_back_to_the_text(declared: str | None) -> None:
    assert normalized(declared) is None
    assert article_language(declared, FRENCH) == "fr"


def test_too_little_text_is_not_guessed() -> None:
    assert identified("Ok.") is None
    assert article_language(None, "") is None
