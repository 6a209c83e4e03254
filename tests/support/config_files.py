"""Config file texts shared by the config loader's tests and the `check-config` command's."""

from __future__ import annotations

OUTLETS = """\
outlets:
  - id: rs
    name: Responsible Statecraft
    feeds: [https://responsiblestatecraft.org/feeds/feed.rss]
    every: 15m
"""
