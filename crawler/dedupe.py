"""Recognising the same article: canonical URLs and content fingerprints.

Two URLs are the same article when they canonicalise to the same string (tracking parameters,
fragments and parameter order do not count). Two texts are the same article when their 64-bit
SimHash fingerprints differ in at most `NEAR_BITS` bits, or when they open with the same lead;
the former survives small edits and leftovers, the latter survives a page that appends other
stories after the article.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
    "utm_name", "utm_reader", "utm_brand", "utm_social", "utm_social-type",
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "_ga", "_gl",
    "igshid", "yclid", "ref", "ref_src", "ref_url", "cmpid", "ncid", "sr_share", "smid",
    "mkt_tok", "__twitter_impression", "ocid", "rss", "rssfeed", "ito", "CMP", "share",
)  # fmt: skip
NEAR_BITS = 3
LEAD_WORDS = 40
SHINGLE = 3
_WORD = re.compile(r"\w+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def canonical_url(url: str) -> str:
    """Tracking parameters, fragment and default port gone; host lower-case; parameters sorted."""
    try:
        cleaned = url_query_cleaner(url.strip(), TRACKING_PARAMS, remove=True, keep_fragments=False)
        canonical = canonicalize_url(cleaned, keep_fragments=False)
        parts = urlsplit(canonical)
        port = parts.port
    except ValueError:  # not a URL (bad IPv6 host, port out of range): kept as given, never fetched
        return url.strip()
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 address keeps its brackets
        netloc = f"[{netloc}]"
    if port and not (
        (parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)
    ):
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall(_NON_ASCII.sub(_without_marks, folded))


def _without_marks(run: re.Match[str]) -> str:
    """Accents dropped; only non-ASCII runs are looked at, since ASCII has none."""
    return "".join(c for c in run.group() if not unicodedata.combining(c))


@dataclass(frozen=True)
class Fingerprint:
    simhash: int  # signed 64-bit, as databases store BIGINT
    lead: str  # hex digest of the first LEAD_WORDS words

    @property
    def bands(self) -> tuple[int, int, int, int]:
        """Four 16-bit slices; texts within NEAR_BITS bits share at least one (pigeonhole)."""
        unsigned = self.simhash & 0xFFFFFFFFFFFFFFFF
        return (
            unsigned & 0xFFFF,
            (unsigned >> 16) & 0xFFFF,
            (unsigned >> 32) & 0xFFFF,
            (unsigned >> 48) & 0xFFFF,
        )

    def near(self, other: int) -> bool:
        return ((self.simhash ^ other) & 0xFFFFFFFFFFFFFFFF).bit_count() <= NEAR_BITS


def fingerprint(text: str) -> Fingerprint:
    tokens = words(text)
    lead = hashlib.blake2b(" ".join(tokens[:LEAD_WORDS]).encode(), digest_size=8).hexdigest()
    return Fingerprint(_simhash(_shingles(tokens)), lead)


def _shingles(tokens: list[str]) -> Iterable[str]:
    if len(tokens) < SHINGLE:
        return [" ".join(tokens)]
    return map(" ".join, zip(*(tokens[i:] for i in range(SHINGLE)), strict=False))


# A hasher to copy for each feature: cheaper than building one from its arguments every time.
_FEATURE_HASH = hashlib.blake2b(digest_size=8)


def _simhash(features: Iterable[str]) -> int:
    """Each bit is set when most features' 64-bit hashes have it set."""
    parts = []
    for feature in set(features):
        hasher = _FEATURE_HASH.copy()
        hasher.update(feature.encode())
        parts.append(hasher.digest())
    count = len(parts)
    if not count:
        return 0
    digests = b"".join(parts)
    half = count / 2
    # Byte `position` of every hash as one big integer; ANDed with a mask holding one bit in
    # every byte, its bit count is how many hashes have that bit set, counted in C.
    masks = [int.from_bytes(bytes((1 << shift,)) * count) for shift in range(7, -1, -1)]
    unsigned = 0
    for position in range(8):
        column = int.from_bytes(digests[position::8])
        for mask in masks:
            unsigned = (unsigned << 1) | ((column & mask).bit_count() > half)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned
