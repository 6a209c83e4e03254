"""Canonical URLs and content fingerprints: the same article is recognised, different ones not."""

from __future__ import annotations

from crawler.dedupe import canonical_url, fingerprint
from tests.support import SEEDS


def test_tracking_parameters_fragments_and_case_do_not_count() -> None:
    base = canonical_url("https://responsiblestatecraft.org/us-strikes-iraq/")
    for variant in (
        "https://ResponsibleStatecraft.org/us-strikes-iraq/?utm_source=twitter&utm_medium=social",
        "https://responsiblestatecraft.org:443/us-strikes-iraq/#comments",
        "https://responsiblestatecraft.org/us-strikes-iraq/?fbclid=IwAR0abc",
    ):
        assert canonical_url(variant) == base
    assert canonical_url("http://127.0.0.2:8080/a?b=2&a=1") == "http://127.0.0.2:8080/a?a=1&b=2"
    assert canonical_url("https://x.org/a?page=2") != canonical_url("https://x.org/a?page=3")


def _body(seed: str) -> str:
    return (SEEDS / seed).read_text(encoding="utf-8")


def test_small_edits_keep_the_fingerprint_near() -> None:
    text = "\n\n".join(p for p in _body("001_f0e448838c8e65df.txt").split("\n\n")[4:24])
    edited = text.replace("grim", "bleak").replace("Yesterday", "On Tuesday") + "\n\nUpdated."
    original, changed = fingerprint(text), fingerprint(edited)
    assert original.near(changed.simhash)


def test_different_articles_are_far_apart() -> None:
    a = fingerprint(_body("001_f0e448838c8e65df.txt"))
    b = fingerprint(_body("004_ba0d1f7edb4551af.txt"))
    c = fingerprint(_body("002_74a24966ff1a162a.txt"))
    assert not a.near(b.simhash) and not a.near(c.simhash) and not b.near(c.simhash)
    assert len({a.lead, b.lead, c.lead}) == 3


def test_same_lead_is_recognised_even_with_other_stories_appended() -> None:
    lead = "\n".join(_body("003_7aad2de8e4d28ce5.txt").splitlines()[:6])
    alone = fingerprint(lead)
    with_followers = fingerprint(_body("003_7aad2de8e4d28ce5.txt"))
    assert alone.lead == with_followers.lead


def test_fingerprints_stay_comparable_with_stored_rows() -> None:
    """Stored articles keep the fingerprints they were given: a change to how fingerprints are
    computed would let every old story back in under a new URL. These values were stored by
    earlier versions."""
    pinned = {
        _body("000_c4b162fda6885b4b.txt"): (-6936611833741011909, "8e636bb88afffe33"),
        _body("001_f0e448838c8e65df.txt"): (1634870305357446628, "adc2f8f805d73ba7"),
        "Café déjà vu: Ørsted’s naïve résumé, ﬁnal.": (7800594166864555531, "a43e391501c6f461"),
        "one two": (561697725256166493, "07cb8d1ae909ec5d"),
    }
    for text, (simhash, lead) in pinned.items():
        print_ = fingerprint(text)
        assert (print_.simhash, print_.lead) == (simhash, lead), text[:40]
