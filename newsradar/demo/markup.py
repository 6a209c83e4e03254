"""HTML helpers shared by the sample outlet renderers.

Real CMS output splits words across inline tags and ``&nbsp;``
(``retaliatory&nbsp;<a>airstrikes</a>``): a scraper that concatenates text nodes glues such
words, so the samples reproduce it on purpose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from html import escape

_LONG_WORD = re.compile(r" ([A-Za-z]{9,})\b")
_ALWAYS_LINKED = re.compile(r" (airstrikes|militias)\b")


def attr(value: str) -> str:
    return escape(value, quote=True)


def inline_html(text: str, href: str = "/tag/middle-east/") -> str:
    """Escape ``text`` and wrap some words in links joined to the previous word by ``&nbsp;``."""
    html = escape(text, quote=False)
    link = f'&nbsp;<a href="{attr(href)}">\\1</a>'
    html, linked = _ALWAYS_LINKED.subn(link, html, count=1)
    if not linked:
        html = _LONG_WORD.sub(link, html, count=1)
    return html


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def human_date(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment:%Y}"


def json_ld(data: Mapping[str, object]) -> str:
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{payload}</script>'


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
