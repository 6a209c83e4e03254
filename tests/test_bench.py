"""The benchmark suite's own parts: the synthetic and sample outlet sets and the limit checks it
reports."""

from __future__ import annotations

import random
import time
import urllib.error
import urllib.request

from bench.bench_matcher import NEAR_EVERY, make_watchlists, near_pairs
from bench.outlet_sets import ManySampleOutlets
from bench.outlets import SyntheticOutlets, address, index_of, make_article, peak_rate
from bench.telegram_figures import _crawl_start, _max_in_window
from crawler.dedupe import fingerprint
from notifier.matcher import Matcher


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, b"", dict(error.headers)


def test_each_outlet_is_its_own_host_with_a_conditional_feed() -> None:
    with SyntheticOutlets(300, articles=2) as server:
        config = server.outlets_config()
        assert len({c["feeds"][0].split("/")[2].split(":")[0] for c in config}) == 300  # type: ignore[index]
        feed = config[299]["feeds"][0]  # type: ignore[index]
        status, body, headers = _get(feed)
        assert status == 200 and b"<rss" in body
        again, _, _ = _get(feed, {"If-None-Match": headers["ETag"]})
        since, _, _ = _get(feed, {"If-Modified-Since": headers["Last-Modified"]})
        assert again == since == 304
        base = feed.rsplit("/feed/", 1)[0]
        assert _get(base + "/robots.txt")[0] == 200
        url, html = server.article_pages()[-1]
        assert url.startswith(base) and _get(url)[1] == html
        assert server.take_counts() == {"feed_200": 1, "feed_304": 2, "robots": 1, "article": 1}
        assert server.take_counts() == {}


def test_addresses_round_trip_and_articles_are_distinct_stories() -> None:
    assert [index_of(address(i)) for i in (0, 249, 250, 4999)] == [0, 249, 250, 4999]
    prints = [fingerprint(make_article(o, n).body_text) for o in range(20) for n in range(2)]
    assert len({p.lead for p in prints}) == len(prints)
    assert all(not a.near(b.simhash) for i, a in enumerate(prints) for b in prints[i + 1 :])


def test_window_counts_the_busiest_second() -> None:
    assert _max_in_window([0.0, 0.5, 0.99, 1.0, 1.5], 1.0) == 3
    assert _max_in_window([], 1.0) == 0


def test_a_crawl_starts_at_its_first_request_after_the_last_pause_before_the_page() -> None:
    log = [
        (0.0, "/feed/"),
        (1.2, "/sitemap.xml"),
        (60.0, "/feed/"),
        (61.1, "/sitemap.xml"),
        (62.0, "/2026/11/21/probe/"),
        (120.0, "/feed/"),
    ]
    assert _crawl_start(log, "/2026/11/21/probe/") == 60.0
    assert _crawl_start(log, "/never-fetched/") is None


def test_a_fifth_of_the_matching_watchlists_use_near_and_paired_sides_fire() -> None:
    articles = [("Kataib strike", "Kataib Hezbollah claimed the drone strikes.\n\nOther words.")]
    pairs = near_pairs(articles)
    assert ("kataib", "hezbollah") in pairs and ("kataib", "strikes") in pairs
    assert all(len(a) >= 6 and len(b) >= 6 for a, b in pairs)
    rng = random.Random(3)
    watchlists = make_watchlists(20, 1.0, ["zzzzzz"], ["yyyyyy"], rng, [("hezbollah", "claimed")])
    near = {name for name, query in watchlists if "NEAR/" in str(query)}
    assert len(near) == 20 // NEAR_EVERY
    assert {match.watchlist_id for match in Matcher(watchlists).match(*articles[0])} == near


def test_peak_rate_is_the_busiest_second_of_any_one_host() -> None:
    assert peak_rate([[0.0, 0.5, 0.9, 1.0, 1.95], [0.0, 0.1]]) == 3
    assert peak_rate([]) == 0


def test_sample_set_serves_three_styles_on_distinct_hosts_and_refuses_requests_too_close() -> None:
    with ManySampleOutlets(3, 4, min_gap=0.3) as outlets:
        config = outlets.outlets_config()
        assert [o["id"] for o in config] == ["statecraft0", "wp1", "wix2"]
        assert len({site.host for site in outlets.sites.values()}) == 3
        urls = sorted(outlets.expected())
        assert len(urls) == 12
        wix = [url for url in urls if "/post/" in url]
        assert len(wix) == 4 and all("127.3.0.3" in url for url in wix)
        listing = config[2]["listing_pages"]
        assert isinstance(listing, list)
        status, body, _ = _get(listing[0])
        assert status == 200 and all(url.encode() in body for url in wix)
        time.sleep(0.35)
        status, body, _ = _get(wix[0])
        assert status == 200 and b"Dispatch" in body
        assert _get(wix[0])[0] == 429  # sooner than 0.3 s after the one before
        assert outlets.too_many() == 1
        assert outlets.peak_rate() >= 2  # the last two within a second, the listing likely too
        # wix[0] was asked twice, the other eleven never: none was asked exactly once.
        assert outlets.not_once() == 12
        other = next(url for url in urls if "127.3.0.1" in url)
        assert _get(other)[0] == 200
        assert outlets.not_once() == 11
