"""Alert rendering: escaping, the bold hit, the snippet and Telegram's length limit.

Every rendered message is also sent through the real bot client to the local Bot API server,
whose parser refuses anything Telegram would refuse: that is the check of "valid Telegram HTML".
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from telegram import Bot, Message
from telegram.constants import ParseMode

from notifier.render import (
    ELLIPSIS,
    TELEGRAM_MESSAGE_LIMIT,
    AlertView,
    DigestItem,
    DigestSection,
    render_alert,
    render_digest,
    render_plain,
    utf16_length,
)
from tests.support.botapi import FakeBotApi

ARTICLE = (
    "Iraqi officials said on Tuesday that the drone attack on the Al Asad air base in western "
    "Iraq was the third this month. Militia leaders denied involvement, while Washington "
    "promised a measured response and called for restraint from all parties involved. "
) * 4
HIT = ARTICLE.index("Al Asad")


def alert(**changes: object) -> AlertView:
    fields: dict[str, object] = {
        "title": "Drone strike on Al Asad air base",
        "url": "https://responsiblestatecraft.org/2025/01/02/al-asad/",
        "outlet_name": "Responsible Statecraft",
        "published": datetime(2025, 1, 2, 14, 5, tzinfo=UTC),
        "watchlists": [("iraq-escalation", "US-Iraq escalation")],
        "terms": ['"Al Asad"', "militia*"],
        "text": ARTICLE,
        "first_hit": (HIT, HIT + len("Al Asad")),
    }
    fields.update(changes)
    return AlertView(**fields)  # type: ignore[arg-type]


def deliver(server: FakeBotApi, html_text: str, chat_id: int = 42) -> Message:
    """Send through the real client; raises BadRequest when the server's parser refuses it."""

    async def send() -> Message:
        bot = Bot(server.token, base_url=f"{server.url}/bot")
        async with bot:
            return await bot.send_message(chat_id, html_text, parse_mode=ParseMode.HTML)

    return asyncio.run(send())


def bold_texts(message: Message) -> list[str]:
    return [message.parse_entity(e) for e in message.entities if e.type == "bold"]


def test_alert_shows_link_outlet_date_watchlist_terms_and_bold_hit(bot_api: FakeBotApi) -> None:
    view = alert()
    message = deliver(bot_api, render_alert(view))

    links = [e for e in message.entities if e.type == "text_link"]
    assert [(message.parse_entity(e), e.url) for e in links] == [(view.title, view.url)]
    assert "Responsible Statecraft · 2025-01-02 14:05 UTC" in message.text
    assert "US-Iraq escalation" in message.text and "iraq-escalation" in message.text
    assert '"Al Asad"' in message.text and "militia*" in message.text
    assert "Al Asad" in bold_texts(message)
    snippet_line = message.text.splitlines()[-1]
    assert "the drone attack on the Al Asad air base" in snippet_line


def test_hostile_page_content_is_escaped_and_survives_round_trip(bot_api: FakeBotApi) -> None:
    title = "<script>alert('x')</script> AT&T \"quoted\" </b><i>"
    url = 'https://example.org/a?x=1&y="><script>alert(1)</script>'
    text = "Before <b>fake bold</b> & &amp; entities. The <i>hit</i> word here. After </a> text."
    hit_start = text.index("<i>hit</i>")
    view = alert(
        title=title,
        url=url,
        outlet_name="Outlet <&>",
        watchlists=[("w<1>", "Title & <b>")],
        terms=['"<i>hit</i>"'],
        text=text,
        first_hit=(hit_start, hit_start + len("<i>hit</i>")),
    )
    rendered = render_alert(view)
    assert "<script>" not in rendered
    assert "&lt;script&gt;" in rendered

    message = deliver(bot_api, rendered)
    # What the reader sees is exactly the page's text, not markup interpreted from it.
    assert title in message.text
    assert "Outlet <&>" in message.text
    assert "Title & <b> (w<1>)" in message.text
    assert "Before <b>fake bold</b> & &amp; entities." in message.text
    assert bold_texts(message)[-1] == "<i>hit</i>"
    [link] = [e for e in message.entities if e.type == "text_link"]
    assert link.url == url


def test_non_web_urls_are_not_linked(bot_api: FakeBotApi) -> None:
    rendered = render_alert(alert(url="javascript:alert(document.cookie)"))
    assert "href" not in rendered
    message = deliver(bot_api, rendered)
    assert not [e for e in message.entities if e.type == "text_link"]


def test_alert_without_hit_shows_text_start_without_bold(bot_api: FakeBotApi) -> None:
    message = deliver(bot_api, render_alert(alert(first_hit=None, published=None)))
    assert message.text.splitlines()[-1].startswith("Iraqi officials said")
    assert bold_texts(message) == [alert().title]  # only the title is bold
    assert "UTC" not in message.text


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "😀" * 5000},  # astral characters: two UTF-16 units each
        {"title": "𝕏" * 3000, "text": "🚀 " * 50_000, "first_hit": (40_000, 40_001)},
        {"title": "&<>\"'" * 2000},  # every character grows when escaped
        {"terms": [f"term{i}" for i in range(2000)]},
        {"watchlists": [(f"w{i}", f"Watchlist {i}") for i in range(1000)]},
        {"outlet_name": "Outlet " * 2000},
        {"url": "https://example.org/" + "a" * 5000},
    ],
)
def test_huge_inputs_fit_in_one_message(bot_api: FakeBotApi, changes: dict) -> None:
    rendered = render_alert(alert(**changes))
    assert utf16_length(rendered) <= TELEGRAM_MESSAGE_LIMIT
    deliver(bot_api, rendered)  # the server counts after entity parsing, as Telegram does


def test_snippet_shrinks_before_the_title() -> None:
    title = "Long title " * 340  # ~3,740 characters: fits only without most of the snippet
    rendered = render_alert(alert(title=title))
    assert utf16_length(rendered) <= TELEGRAM_MESSAGE_LIMIT
    assert title.strip() in rendered
    assert utf16_length(rendered) > TELEGRAM_MESSAGE_LIMIT - 80  # room was used, not wasted


def test_truncated_title_ends_with_ellipsis(bot_api: FakeBotApi) -> None:
    message = deliver(bot_api, render_alert(alert(title="😀" * 5000)))
    [link] = [e for e in message.entities if e.type == "text_link"]
    shown = message.parse_entity(link)
    assert shown.endswith(ELLIPSIS) and 1000 < len(shown) < 5000
    assert set(shown[:-1]) == {"😀"}  # never a broken surrogate pair


def test_unsendable_characters_are_dropped(bot_api: FakeBotApi) -> None:
    text = "Bad \x00 bytes \ud800 here and the hit word."
    hit = text.index("hit")
    rendered = render_alert(alert(title="Title\x07 \udfff", text=text, first_hit=(hit, hit + 3)))
    message = deliver(bot_api, rendered)
    assert "hit" in bold_texts(message)


def test_naive_datetime_is_taken_as_utc() -> None:
    rendered = render_alert(alert(published=datetime(2025, 3, 4, 5, 6)))
    assert "2025-03-04 05:06 UTC" in rendered


def test_plain_form_for_the_terminal() -> None:
    plain = render_plain(alert(title="A <b> & title"))
    lines = plain.splitlines()
    assert lines[0] == "A <b> & title"
    assert lines[1] == "https://responsiblestatecraft.org/2025/01/02/al-asad/"
    assert lines[2] == "Responsible Statecraft · 2025-01-02 14:05 UTC"
    assert "US-Iraq escalation (iraq-escalation)" in plain
    assert "**Al Asad**" in lines[-1]
    assert "<b>" not in plain.replace("A <b> & title", "")


def test_long_lists_are_capped_and_do_not_crowd_out_the_article(bot_api: FakeBotApi) -> None:
    view = alert(
        terms=[f"term{i}" for i in range(2000)],
        watchlists=[(f"w{i}", f"Watchlist {i}") for i in range(1000)],
    )
    message = deliver(bot_api, render_alert(view))
    assert view.title in message.text
    assert "Al Asad" in bold_texts(message)
    assert re.search(r"term0, term1, .* \+\d+ more", message.text)
    assert re.search(r"Watchlist 0 \(w0\), .* \+\d+ more", message.text)


def test_digest_parts_are_valid_html_and_carry_every_item_once(bot_api: FakeBotApi) -> None:
    items = [
        DigestItem(
            n, f"<script>{n}</script> Q&A " + "long " * 40, f"https://e.org/{n}?a&b", "RS", None
        )
        for n in range(80)
    ]
    sections = [
        DigestSection("iraq", "Iraq & <friends>", items[:40]),
        DigestSection("x", "X", items[40:]),
    ]
    parts = render_digest("Your daily digest: 80 articles", sections)

    assert len(parts) > 1
    assert sorted(k for p in parts for k in p.keys) == list(range(80))
    for part in parts:
        message = deliver(bot_api, part.text)
        assert all(f"<script>{k}</script> Q&A" in message.text for k in part.keys)
    assert "Iraq & <friends> (iraq) (continued)" in deliver(bot_api, parts[1].text).text
