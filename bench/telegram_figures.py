"""Figures that end at the localhost Bot API server: delivery rate and publish-to-alert latency.

Arrivals are timed by the Bot API server itself (`FakeBotApi.sent[...]["time"]`, the monotonic
clock of this process), so limits are checked where Telegram would check them.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import json
import random
import signal
import socket
import subprocess
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import insert

from bench.crawl_figures import scratch
from bench.outlets import make_article
from bench.report import Section, median, rounded
from bench.runonce import NEWSRADAR, Workspace
from newsradar.database import Article, Database, OutboxRow, utcnow
from newsradar.demo.server import SampleOutlets
from notifier.alert_payload import AlertPayload
from notifier.outbox_states import OutboxKind, OutboxStatus
from tests.support.botapi import FakeBotApi

TOKEN = "123456:BENCH-token"
CEILING = 30.0  # Telegram's overall messages per second
GROUP_PER_MINUTE = 20
CRAWL_GAP = 10.0  # seconds: requests to an outlet closer together than this are one crawl


# ----- delivery ------------------------------------------------------------------------------
def delivery(quick: bool) -> Section:
    """The same alerts to private chats only, and with one chat in ten a group."""
    section = Section("delivery")
    chats_count, per_chat = (100, 3) if quick else (100, 10)
    details = {}
    for label, groups in (("private chats", 0), ("1 in 10 a group", chats_count // 10)):
        details[label] = _delivery_case(section, label, chats_count, groups, per_chat)
    section.details = details
    return section


def _delivery_case(
    section: Section, label: str, chats_count: int, groups: int, per_chat: int
) -> dict[str, object]:
    chats = [2000 + n for n in range(chats_count - groups)] + [-3000 - n for n in range(groups)]
    with scratch("delivery") as root, FakeBotApi(TOKEN) as api:
        workspace = Workspace(root)
        workspace.write_config([])
        db = workspace.prepare_database()
        try:
            _queue_alerts(db, chats, per_chat)
        finally:
            db.close()
        # Delivery as a timer runs it: `run-once` with no outlets to crawl sends what is queued.
        run = workspace.run_once(NEWSRADAR_TELEGRAM_TOKEN=TOKEN, NEWSRADAR_TELEGRAM_API_URL=api.url)
        arrivals = [(m["time"], m["chat_id"]) for m in api.sent]
    sent = len(arrivals)
    total = len(chats) * per_chat
    times = sorted(t for t, _ in arrivals)
    wall = times[-1] - times[0] if len(times) > 1 else float("nan")
    rate = (len(times) - 1) / wall if len(times) > 1 else 0.0
    # The best any sender could do: the overall ceiling, or a group's 20 messages a minute.
    ideal = max(total / CEILING, (per_chat - 1) * 60 / GROUP_PER_MINUTE if groups else 0.0)
    best_rate = min(CEILING, (total - 1) / ideal)
    overall = _max_in_window(times, 1.0)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for moment, chat in sorted(arrivals):
        by_chat[chat].append(moment)
    private_gap = min(
        (b - a for chat, ts in by_chat.items() if chat > 0 for a, b in itertools.pairwise(ts)),
        default=float("inf"),
    )
    group_max = max(
        (_max_in_window(ts, 60.0) for chat, ts in by_chat.items() if chat < 0), default=0
    )
    finished = {chat: ts[-1] - times[0] for chat, ts in by_chat.items()}
    private_done = max((v for c, v in finished.items() if c > 0), default=0.0)
    group_done = max((v for c, v in finished.items() if c < 0), default=0.0)
    share = rate / best_rate
    unbroken = overall <= CEILING and private_gap >= 1.0 and group_max <= GROUP_PER_MINUTE
    name = f"delivery, {total} alerts to {len(chats)} {label}"
    section.add(f"{name}: share of 30 msg/s", f"{share:.0%}", "", "≥ 90%", share >= 0.9)
    section.add(
        f"{name}: no Telegram limit broken",
        "yes" if unbroken else f"NO ({overall} in 1 s)",
        "",
        "yes",
        unbroken,
    )
    section.tables.append(
        (
            f"Delivery: {total} alerts ({per_chat} per chat) to {len(chats) - groups} private "
            f"chats and {groups} groups, sent by `run-once` through the real client to the "
            "localhost Bot API server (arrival times taken by the server)",
            ["measure", "value", "limit"],
            [
                ["messages accepted", f"{sent} of {total}", ""],
                ["first to last arrival", f"{wall:.1f} s", f"best possible {ideal:.1f} s"],
                ["messages/s (first to last arrival)", f"{rate:.1f}", "30"],
                [
                    "last private / last group message after",
                    f"{private_done:.1f} s / {group_done:.1f} s",
                    "",
                ],
                ["run-once process: wall / CPU", f"{run.wall:.1f} s / {run.cpu:.1f} s", ""],
                ["most arrivals in any 1-s window", overall, "≤ 30"],
                [
                    "shortest gap between two messages to one private chat",
                    f"{private_gap:.2f} s",
                    "≥ 1 s",
                ],
                ["most messages to one group in any 60-s window", group_max, "≤ 20"],
            ],
        )
    )
    return {
        "alerts": total,
        "chats": len(chats),
        "groups": groups,
        "sent": sent,
        "first_to_last_arrival_s": rounded(wall, 2),
        "messages_per_s": rounded(rate, 2),
        "last_private_s": rounded(private_done, 2),
        "last_group_s": rounded(group_done, 2),
        "run_once": run.as_dict(),
        "max_per_1s_window": overall,
        "min_private_gap_s": rounded(private_gap, 3),
        "max_group_per_60s": group_max,
    }


def _queue_alerts(db: Database, chats: list[int], per_chat: int) -> None:
    now = utcnow()
    sources = [make_article(90_000, n) for n in range(per_chat)]
    with db.engine.begin() as connection:
        connection.execute(
            insert(Article),
            [
                {
                    "id": n + 1,
                    "outlet_id": "bench0",
                    "url": f"https://bench.example.org/{a.slug}/",
                    "canonical_url": f"https://bench.example.org/{a.slug}/",
                    "title": a.title,
                    "author": a.author,
                    "published": now - a.age,
                    "language": "en",
                    "text": a.body_text,
                    "fingerprint": n,
                    "fp_band0": n,
                    "fp_band1": 0,
                    "fp_band2": 0,
                    "fp_band3": 0,
                    "lead": f"{n:016x}",
                    "fetched_at": now,
                    "alertable": True,
                    "matched_at": now,
                }
                for n, a in enumerate(sources)
            ],
        )
        payload = AlertPayload((("bench-0", "Bench watchlist 0"),), ("Iraq",), None).to_json()
        connection.execute(
            insert(OutboxRow),
            [
                {
                    "kind": OutboxKind.ALERT,
                    "article_id": n + 1,
                    "chat_id": chat,
                    "payload": payload,
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                }
                for n in range(per_chat)
                for chat in chats
            ],
        )


def _max_in_window(times: list[float], width: float) -> int:
    """Most events in any half-open window [t, t + width)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + width) - i for i, t in enumerate(ordered)), default=0
    )


# ----- latency -------------------------------------------------------------------------------
def latency(quick: bool) -> Section:
    """`serve` on a schedule: an article published at a random moment → its alert arrives."""
    section = Section("latency")
    every, articles, spread = ("20s", 5, 60.0) if quick else ("1m", 20, 240.0)
    interval = 20.0 if quick else 60.0
    chat = 5001
    rng = random.Random(11)
    port = _free_port()
    with SampleOutlets() as sites, FakeBotApi(TOKEN) as api, scratch("latency") as root:
        workspace = Workspace(root)
        outlets = [dict(o, every=every) for o in sites.outlets_config()]
        watchlist: dict[str, object] = {
            "id": "probe",
            "title": "Probes",
            "query": "title:probe",
            "chats": [chat],
        }
        # The operator's defaults (politeness on): what a real deployment would wait for.
        workspace.write_config(outlets, [watchlist], crawl={"download_delay": 1.0})
        workspace.prepare_database().close()
        env = workspace.env(NEWSRADAR_TELEGRAM_TOKEN=TOKEN, NEWSRADAR_TELEGRAM_API_URL=api.url)
        process = subprocess.Popen(
            [str(NEWSRADAR), "serve", "--metrics-port", str(port)],
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_first_crawls(port, len(outlets), process)
            published: dict[str, float] = {}
            pages: dict[str, tuple[str, str]] = {}  # title -> outlet, article path
            moments = sorted(rng.uniform(0, spread) for _ in range(articles))
            start = time.monotonic()
            for n, moment in enumerate(moments):
                time.sleep(max(0.0, start + moment - time.monotonic()))
                title, pages[title] = _publish(sites, n, rng)
                published[title] = time.monotonic()
            deadline = time.monotonic() + interval + 60
            while time.monotonic() < deadline and len(_arrivals(api, published)) < articles:
                time.sleep(0.5)
            arrived = _arrivals(api, published)
            crawl_started = {
                title: _crawl_start(sites.sites[outlet].request_log(), path)
                for title, (outlet, path) in pages.items()
            }
        finally:
            process.send_signal(signal.SIGINT)
            try:
                _out, err = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                _out, err = process.communicate()
    delays = sorted(arrived[t] - published[t] for t in arrived)
    # The crawl's own share: from the first request of the crawl that fetched the article to
    # its alert (the rest is waiting for that crawl). It includes the other new articles of the
    # same outlet fetched before this one, each a politeness delay after the last.
    in_crawl = sorted(
        arrived[t] - started for t in arrived if (started := crawl_started.get(t)) is not None
    )
    missing = articles - len(delays)
    worst = max(delays) if delays else float("inf")
    worst_crawl = max(in_crawl) if in_crawl else float("inf")
    target = interval + 5
    ok = missing == 0 and worst <= target
    section.add(
        f"latency, {every} schedule: median / worst over {articles} articles",
        f"{median(delays):.1f} s / {worst:.1f} s",
        "",
        f"≤ {target:g} s",
        ok,
    )
    section.add(
        "latency: crawl start → alert, median / worst",
        f"{median(in_crawl):.1f} s / {worst_crawl:.1f} s" if in_crawl else "–",
    )
    section.tables.append(
        (
            f"Latency: `serve` with `every: {every}` on the 3 sample outlets (download_delay "
            f"1 s), {articles} articles published at random moments over {spread:.0f} s",
            ["measure", "value"],
            [
                ["alerts received", f"{len(delays)} of {articles}"],
                ["median", f"{median(delays):.1f} s"],
                ["worst", f"{worst:.1f} s"],
                ["best", f"{min(delays):.1f} s" if delays else "–"],
                [
                    "crawl start → alert: median / worst",
                    f"{median(in_crawl):.1f} s / {worst_crawl:.1f} s" if in_crawl else "–",
                ],
                ["target", f"schedule interval + 5 s = {target:g} s"],
            ],
        )
    )
    section.details = {
        "every": every,
        "articles": articles,
        "delays_s": [rounded(d, 2) for d in delays],
        "crawl_start_to_alert_s": [rounded(d, 2) for d in in_crawl],
        "missing": missing,
        "serve_stderr_tail": (err or "").splitlines()[-10:],
    }
    return section


def _crawl_start(log: list[tuple[float, str]], path: str) -> float | None:
    """When the crawl that fetched `path` began: its first request, the one after the last
    pause of more than CRAWL_GAP seconds before the page was asked for."""
    times = [t for t, _ in log]
    fetched = next((i for i, (_, p) in enumerate(log) if p == path), None)
    if fetched is None:
        return None
    first = fetched
    while first > 0 and times[first] - times[first - 1] <= CRAWL_GAP:
        first -= 1
    return times[first]


def _publish(sites: SampleOutlets, n: int, rng: random.Random) -> tuple[str, tuple[str, str]]:
    outlet = rng.choice(sorted(sites.sites))
    body = make_article(80_000 + n, 0)
    now = datetime.now(UTC)
    title = f"Probe {n}: {body.title}"
    article = dataclasses.replace(
        body,
        outlet=outlet,
        slug=f"probe-{n}-{rng.randrange(10**6)}",
        title=title,
        age=sites.now - now,  # published now
    )
    url = sites.publish(article)
    return title, (outlet, urlsplit(url).path)


def _arrivals(api: FakeBotApi, published: dict[str, float]) -> dict[str, float]:
    found: dict[str, float] = {}
    for message in list(api.sent):
        for title in published:
            if title not in found and title in message["plain_text"]:
                found[title] = message["time"]
    return found


def _wait_first_crawls(port: int, outlets: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read() if process.stderr is not None else ""
            raise RuntimeError(f"serve exited {process.returncode}: {errors}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                health = json.load(answer)
            if len(health.get("last_crawl", {})) >= outlets:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("serve did not finish its first crawls within 120 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
