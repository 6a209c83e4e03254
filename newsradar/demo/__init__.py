"""Sample outlets served on loopback addresses, for the offline demo and end-to-end tests."""

from __future__ import annotations

from typing import Any

from newsradar.demo.content import ARTICLE_IS_NEW, SAMPLE_ARTICLES, SampleArticle

__all__ = ["ARTICLE_IS_NEW", "SAMPLE_ARTICLES", "SampleArticle", "SampleOutlets", "SampleSite"]


def __getattr__(name: str) -> Any:
    # The server module is loaded on first use so `python -m newsradar.demo.server` runs cleanly.
    if name in {"SampleOutlets", "SampleSite"}:
        from newsradar.demo import server

        return getattr(server, name)
    raise AttributeError(name)
