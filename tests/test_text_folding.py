"""Text folding: the one normalisation articles and queries share."""

from __future__ import annotations

import pytest

from notifier.text_folding import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IRAQ", "iraq"),
        ("Iraq's militias", "iraq militias"),
        ("Iraq\u2019s militias", "iraq militias"),
        ("Shi\u2019a and Shi'a", "shia and shia"),
        ("anti-ISIS", "anti isis"),
        ("BAGHDÂD", "baghdad"),
        ("\u1e62adr", "sadr"),  # precomposed S with dot below
        ("S\u0323adr", "sadr"),  # S followed by a combining dot below
        ("Łódź, Straße", "lodz strasse"),
        ("U.S. troops\u2014again!", "u s troops again"),
        ("militias\u2019 bases", "militias bases"),
        ("\u201cAl Asad\u201d", "al asad"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected
