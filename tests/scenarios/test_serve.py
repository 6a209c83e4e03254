"""`newsradar serve` started as a service manager would: real process, schedules, signals."""

from __future__ import annotations

import json
import re
import time

import yaml

from newsradar.demo.server import SampleOutlets
from tests.support import hostile
from tests.support.botapi import FakeBotApi
from tests.support.config_bombs import billion_laughs
from tests.support.hostile import HostileSite, article_html, listing_html, page
from tests.support.sample_articles import fresh_article as _fresh
from tests.support.sample_watchlists import GROUP, IRAQ_ALERTS, PRIVATE, WATCHLISTS
from tests.support.sample_watchlists import alert_titles as _titles
from tests.support.serve_process import eventually, serving, stop
from tests.support.serve_process import outlets_every as _fast
from tests.support.workspace import Workspace

OPERATOR = 4242


ERBIL = [
    "A drone launched by an Iraqi militia struck a base near Erbil on Monday, days after "
    "officials in Baghdad warned that such an attack was coming.",
    "Analysts said the militia wanted to test Washington's patience in Iraq without provoking "
    "a war, and that more strikes of this kind were likely before the winter.",
]


def test_serve_crawls_on_schedule_alerts_reports_metrics_and_stops_on_sigterm(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    workspace.write_config(_fast(sample_outlets, "3s"), WATCHLISTS)

    with serving(workspace, **telegram_env) as service:
        eventually(
            lambda: sorted(_titles(bot_api, PRIVATE)) == sorted(IRAQ_ALERTS),
            60,
            "the first alerts",
        )
        # Crawls repeat on the schedule, each outlet on its own.
        eventually(
            lambda: all(
                service.metric("newsradar_crawls_total", outlet=o, result="ok") >= 3
                for o in ("statecraft", "wp", "wix")
            ),
            60,
            "three scheduled crawls of every outlet",
        )
        assert service.metric("newsradar_pages_fetched_total", status="304") > 0
        eventually(
            lambda: service.metric("newsradar_alerts_sent_total") == len(bot_api.sent),
            20,
            "the sent counter to catch up with the finished delivery round",
        )
        assert service.metric("newsradar_outlet_last_success_timestamp_seconds", outlet="wp") > 0
        status, body = service.get("/healthz")
        assert status == 200 and '"ok": true' in body

        published = time.monotonic()
        sample_outlets.publish(_fresh("militia-drone-strike-erbil", "A drone strike near Erbil"))
        eventually(
            lambda: "A drone strike near Erbil" in _titles(bot_api, PRIVATE),
            3 + 5 + 10,  # the schedule interval, the target's 5 s, and slack for a busy machine
            "the alert for a newly published article",
        )
        latency = time.monotonic() - published

        took = stop(service)

    assert took < 30
    assert _titles(bot_api, PRIVATE).count("A drone strike near Erbil") == 1
    assert "Traceback" not in service.stderr()
    assert latency < 18


def test_serve_reloads_a_valid_edit_and_keeps_the_last_good_config_on_a_broken_one(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    watch_nothing = [{"id": "nothing", "title": "Nothing yet", "query": "zanzibar", "chats": [1]}]
    workspace.write_config(_fast(sample_outlets, "2s"), watch_nothing)
    watchlists = workspace.config_dir / "watchlists.yaml"

    with serving(workspace, NEWSRADAR_OPERATOR_CHATS=str(OPERATOR), **telegram_env) as service:
        eventually(
            lambda: service.metric("newsradar_crawls_total", outlet="wp", result="ok") >= 1,
            60,
            "a first crawl",
        )
        assert bot_api.sent == []

        iraq = {"id": "iraq", "title": "Iraq", "query": "Iraq militia*", "chats": [PRIVATE]}
        watchlists.write_text(yaml.safe_dump({"watchlists": [iraq]}))
        eventually(
            lambda: service.metric("newsradar_config_reloads_total", result="ok") >= 1,
            20,
            "the valid edit to be loaded",
        )
        sample_outlets.publish(_fresh("erbil-strike", "Strike near Erbil", 1))
        eventually(
            lambda: _titles(bot_api, PRIVATE) == ["Strike near Erbil"],
            30,
            "an alert from the reloaded watchlist",
        )

        broken = "watchlists:\n  - id: iraq\n    title: Iraq\n    query: '\"Iraq militia'\n"
        watchlists.write_text(broken + "    chats: [1001]\n")
        eventually(
            lambda: service.metric("newsradar_config_reloads_total", result="refused") >= 1,
            20,
            "the broken edit to be refused",
        )
        assert re.search(r"watchlists\.yaml:4", service.stderr()), service.stderr()
        notice = eventually(
            lambda: bot_api.messages_to(OPERATOR), 20, "the operator to hear of the refusal"
        )
        assert "refused" in notice[0]["text"] and "watchlists.yaml" in notice[0]["text"]
        assert "config_error" in service.get("/healthz")[1]

        sample_outlets.publish(_fresh("erbil-strike-two", "Second strike near Erbil", 2))
        eventually(
            lambda: "Second strike near Erbil" in _titles(bot_api, PRIVATE),
            30,
            "an alert from the last good watchlists",
        )
        stop(service)
    assert len(bot_api.messages_to(OPERATOR)) == 1  # one broken state, one notice


def test_serve_refuses_hostile_edits_in_few_words_and_keeps_reloading(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    """A query nested 1,200 deep once killed the reload task (later edits were never loaded);
    a 600-byte alias bomb once wrote a 72 MB log line and a 172 MB notice."""
    watch_nothing = [{"id": "nothing", "title": "Nothing yet", "query": "zanzibar", "chats": [1]}]
    workspace.write_config(_fast(sample_outlets, "1h"), watch_nothing)
    watchlists = workspace.config_dir / "watchlists.yaml"

    with serving(workspace, NEWSRADAR_OPERATOR_CHATS=str(OPERATOR), **telegram_env) as service:
        nested = "title:" * 1200 + "iraq"
        watchlists.write_text(f"watchlists:\n  - id: w\n    title: W\n    query: '{nested}'\n")
        eventually(
            lambda: service.metric("newsradar_config_reloads_total", result="refused") >= 1,
            20,
            "the nested query to be refused",
        )
        assert re.search(r"watchlists\.yaml:4:\d+: .*nested too deeply", service.stderr())

        watchlists.write_text(billion_laughs())
        eventually(
            lambda: service.metric("newsradar_config_reloads_total", result="refused") >= 2,
            20,
            "the alias bomb to be refused",
        )
        iraq = {"id": "iraq", "title": "Iraq", "query": "Iraq militia*", "chats": [PRIVATE]}
        watchlists.write_text(yaml.safe_dump({"watchlists": [iraq]}))
        eventually(
            lambda: service.metric("newsradar_config_reloads_total", result="ok") >= 1,
            20,
            "the valid edit after them to be loaded",
        )
        notices = eventually(
            lambda: len(bot_api.messages_to(OPERATOR)) >= 2 and bot_api.messages_to(OPERATOR),
            20,
            "the operators to hear of both refusals",
        )
        stop(service)
    assert all(len(n["text"]) < 4096 for n in notices)
    assert "aliases" in notices[1]["text"]
    assert len(service.stderr()) < 20_000 and "Traceback" not in service.stderr()


def test_an_alert_goes_out_while_its_outlets_crawl_still_waits_on_a_slow_source(
    workspace: Workspace, bot_api: FakeBotApi, telegram_env
) -> None:
    """Articles are matched as they are stored, not when the outlet's last source answers."""
    story = "A drone strike near Erbil"
    routes = {
        "/": page(listing_html(["/news/drone-strike"])),
        "/news/drone-strike": page(article_html(story, ERBIL)),
        "/sitemap.xml": hostile.stall(60),
    }
    with HostileSite("127.0.0.13", routes) as site:
        outlet = {
            "id": "slow",
            "name": "Slow sitemap",
            "listing_pages": [site.url("/")],
            "sitemaps": [site.url("/sitemap.xml")],
            "article_url_pattern": "/news/",
            "every": "1m",
        }
        iraq = {"id": "iraq", "title": "Iraq", "query": "Iraq militia*", "chats": [PRIVATE]}
        workspace.write_config([outlet], [iraq], crawl={"timeout": "30s"})

        with serving(workspace, **telegram_env) as service:
            eventually(lambda: story in _titles(bot_api, PRIVATE), 20, "the alert")
            assert site.requests()["/sitemap.xml"] == 1
            health = json.loads(service.get("/healthz")[1])
            assert "slow" not in health["last_crawl"]  # the crawl is still waiting on its sitemap
        assert _titles(bot_api, PRIVATE).count(story) == 1


def test_a_group_being_sent_a_long_queue_does_not_hold_back_other_chats_alerts(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    """A group takes 3 s a message (Telegram's 20 a minute): while its queue of eight goes out,
    an alert for a private chat queued meanwhile goes out at once, not after the group's."""
    watchlists = [
        {"id": "desk", "title": "Desk", "query": 'title:"Desk story"', "chats": [GROUP]},
        {"id": "basra", "title": "Basra", "query": 'title:"near Basra"', "chats": [PRIVATE]},
    ]
    workspace.write_config(_fast(sample_outlets, "2s"), watchlists)
    queue = [f"Desk story {n}" for n in range(8)]

    with serving(workspace, **telegram_env) as service:
        eventually(
            lambda: service.metric("newsradar_crawls_total", outlet="wp", result="ok") >= 1,
            60,
            "a first crawl",
        )
        for n, title in enumerate(queue):
            sample_outlets.publish(_fresh(f"desk-story-{n}", title, 10 + n))
        eventually(lambda: _titles(bot_api, GROUP), 30, "the group's queue to start")
        sample_outlets.publish(_fresh("basra-strike", "A strike near Basra", 2))
        eventually(lambda: _titles(bot_api, PRIVATE), 20, "the private chat's alert")
        assert len(_titles(bot_api, GROUP)) < len(queue)  # not after the group's queue
        eventually(lambda: len(_titles(bot_api, GROUP)) == len(queue), 60, "the group's queue")
        stop(service)
    assert _titles(bot_api, PRIVATE) == ["A strike near Basra"]
    assert sorted(_titles(bot_api, GROUP)) == queue


def test_serve_answers_bot_commands_and_a_self_subscription_gets_alerts(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    reader = 777
    iraq = {"id": "iraq", "title": "Iraq militias", "query": "Iraq militia*", "open": True}
    workspace.write_config(_fast(sample_outlets, "2s"), [iraq])

    with serving(workspace, **telegram_env) as service:
        eventually(lambda: bot_api.calls("setMyCommands"), 30, "the bot to register commands")
        bot_api.push_message(reader, "/subscribe iraq")
        reply = eventually(lambda: bot_api.messages_to(reader), 30, "a reply to /subscribe")
        assert "iraq" in reply[0]["text"].lower()

        sample_outlets.publish(_fresh("basra-strike", "A strike near Basra", 2))
        eventually(
            lambda: any("A strike near Basra" in m["text"] for m in bot_api.messages_to(reader)),
            30,
            "the subscriber's first alert",
        )
        stop(service)
