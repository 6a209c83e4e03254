"""What an alert row carries besides its article: the watchlists that matched for the chat, the
terms, and where the first match in the text is. Stored as JSON in the outbox row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlertPayload:
    watchlists: tuple[tuple[str, str], ...]  # (id, title), in the order they matched
    terms: tuple[str, ...]
    hit: tuple[int, int] | None  # first match in the article text: [start, end)

    @property
    def first_watchlist(self) -> tuple[str, str] | None:
        return self.watchlists[0] if self.watchlists else None

    def to_json(self) -> dict[str, Any]:
        return {
            "watchlists": [[watchlist_id, title] for watchlist_id, title in self.watchlists],
            "terms": list(self.terms),
            "hit": list(self.hit) if self.hit is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> AlertPayload:
        """Read a stored payload; missing keys (rows of older versions) read as empty."""
        data = data or {}
        hit = data.get("hit")
        return cls(
            watchlists=tuple((str(w[0]), str(w[1])) for w in data.get("watchlists") or ()),
            terms=tuple(str(t) for t in data.get("terms") or ()),
            hit=(int(hit[0]), int(hit[1])) if hit else None,
        )
