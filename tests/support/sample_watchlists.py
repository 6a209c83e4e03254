"""The watchlists the end-to-end scenarios run with over the sample outlets, their chat ids, the
alert titles they must produce, and the titles a chat was sent."""

from __future__ import annotations

import html

from tests.support.botapi import FakeBotApi

PRIVATE, GROUP, UKRAINE_READER, WP_ONLY = 1001, -1002003004005, 1002, 1003

IRAQ_ALERTS = {
    "US strikes in Iraq show risk of escalation to wider war",
    'Militias <and> the "A&B" of Iraq strikes',
    "The attack on US troops in Iraq, explained",
    "Cornered in Iraq",
}
WATCHLISTS = [
    {
        "id": "iraq-escalation",
        "title": "US-Iraq escalation",
        "query": '"Al Asad" OR (Iraq AND (militia* OR strike*)) -sports',
        "chats": [PRIVATE, GROUP],
    },
    {
        "id": "ukraine-landmines",
        "title": "Landmines in Ukraine",
        "query": "Ukraine landmine*",
        "chats": [UKRAINE_READER],
    },
    {
        "id": "iraq-wp-only",
        "title": "Iraq, explainers only",
        "query": "Iraq",
        "outlets": ["wp"],
        "chats": [WP_ONLY],
    },
]


def alert_titles(bot_api: FakeBotApi, chat_id: int) -> list[str]:
    """The linked titles of the alerts a chat received, unescaped."""
    titles = []
    for message in bot_api.messages_to(chat_id):
        raw = message["text"]
        link = raw.index("<a ")
        titles.append(html.unescape(raw[raw.index(">", link) + 1 : raw.index("</a>", link)]))
    return titles
