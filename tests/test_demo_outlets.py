"""The sample outlets serve well-formed feeds, sitemaps and listings over real HTTP."""

from __future__ import annotations

import re
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree, html

from newsradar.demo import ARTICLE_IS_NEW, SAMPLE_ARTICLES, SampleOutlets
from newsradar.demo.content import article

NOW = datetime(2024, 1, 5, 12, 0, tzinfo=UTC)
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
NEWS_NS = {**SITEMAP_NS, "news": "http://www.google.com/schemas/sitemap-news/0.9"}


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


@pytest.fixture(scope="module")
def outlets():
    with SampleOutlets(now=NOW) as running:
        yield running


def links(page_url: str) -> set[str]:
    tree = html.fromstring(fetch(page_url), base_url=page_url)
    tree.make_links_absolute(page_url)
    return {href for href in tree.xpath("//a/@href")}


def test_outlets_are_distinct_loopback_hosts(outlets):
    hosts = {urlsplit(site.base_url).hostname for site in outlets.sites.values()}
    assert hosts == {"127.0.0.1", "127.0.0.2", "127.0.0.3"}


def test_new_flags_follow_the_article_ages():
    assert {a.key: a.age <= timedelta(hours=24) for a in SAMPLE_ARTICLES} == ARTICLE_IS_NEW
    for outlet in ("statecraft", "wp", "wix"):
        flags = {ARTICLE_IS_NEW[a.key] for a in SAMPLE_ARTICLES if a.outlet == outlet}
        assert flags == {True, False}, outlet


def test_statecraft_feed_lists_canonical_urls_with_dates(outlets):
    feed = feedparser.parse(fetch(outlets.outlets_config()[0]["feeds"][0]))
    assert not feed.bozo
    expected = {
        outlets.article_url(a): NOW - a.age for a in SAMPLE_ARTICLES if a.outlet == "statecraft"
    }
    got = {e.link: datetime(*e.published_parsed[:6], tzinfo=UTC) for e in feed.entries}
    assert got == {url: when.replace(microsecond=0) for url, when in expected.items()}
    assert all(re.search(r"/2024/01/0\d/|/2023/\d\d/\d\d/", url) for url in got)


def test_wp_atom_feed_and_sitemaps(outlets):
    config = {c["id"]: c for c in outlets.outlets_config()}["wp"]
    feed = feedparser.parse(fetch(config["feeds"][0]))
    assert not feed.bozo and feed.version == "atom10"
    wp_urls = {outlets.article_url(a) for a in SAMPLE_ARTICLES if a.outlet == "wp"}
    assert {e.link for e in feed.entries} == wp_urls

    index = etree.fromstring(fetch(config["sitemaps"][0]))
    children = index.xpath("//sm:sitemap/sm:loc/text()", namespaces=SITEMAP_NS)
    listed: dict[str, set[str]] = {}
    for child in children:
        urlset = etree.fromstring(fetch(child))
        listed[urlsplit(child).path] = set(
            urlset.xpath("//sm:url/sm:loc/text()", namespaces=SITEMAP_NS)
        )
        dates = urlset.xpath("//news:publication_date/text()", namespaces=NEWS_NS)
        assert all(datetime.fromisoformat(d).tzinfo is not None for d in dates)
    # As a real WordPress site: posts, pages, categories, tags and authors, and the news sitemap.
    assert list(listed) == [
        "/post-sitemap.xml",
        "/page-sitemap.xml",
        "/category-sitemap.xml",
        "/post_tag-sitemap.xml",
        "/author-sitemap.xml",
        "/news-sitemap.xml",
    ]
    assert listed.pop("/post-sitemap.xml") == listed.pop("/news-sitemap.xml") == wp_urls
    site_pages = set().union(*listed.values())
    assert not site_pages & wp_urls
    kinds = {urlsplit(u).path.strip("/").split("/")[0] for u in site_pages}
    assert kinds == {"", "about", "contact", "privacy-policy", "category", "tag", "author"}
    assert all(b"<h1" in fetch(u) or b"<a" in fetch(u) for u in site_pages)  # served, not 404
    robots = fetch(config["feeds"][0].replace("/feed/atom/", "/robots.txt")).decode()
    assert f"Sitemap: {config['sitemaps'][0]}" in robots


def test_statecraft_with_rebelmouse_post_ids():
    """The option the onboarding scenario uses: `/slug-2661234567` posts, as on real RebelMouse
    sites, in the feed, the listing page and the configured pattern."""
    with SampleOutlets(now=NOW, rebelmouse_ids=True) as outlets:
        config = {c["id"]: c for c in outlets.outlets_config()}["statecraft"]
        base = outlets.sites["statecraft"].base_url
        feed = feedparser.parse(fetch(config["feeds"][0]))
        posts = {outlets.article_url(a) for a in SAMPLE_ARTICLES if a.outlet == "statecraft"}
        assert {e.link for e in feed.entries} == posts
        assert all(re.fullmatch(re.escape(base) + r"/[a-z0-9-]+-\d{10}", url) for url in posts)
        pattern = re.compile(config["article_url_pattern"])
        home = links(base + "/")
        assert posts <= {u for u in home if pattern.search(u)}
        assert not {u for u in home if pattern.search(u) and ("/tag/" in u or "/author/" in u)}
        first = SAMPLE_ARTICLES[0]
        assert first.title in fetch(outlets.article_url(first)).decode()
        assert outlets.requests("statecraft")["/feeds/feed.rss"] == 1


def test_listing_pages_link_articles_and_distractors(outlets):
    config = {c["id"]: c for c in outlets.outlets_config()}
    statecraft = outlets.sites["statecraft"]
    found = links(config["statecraft"]["listing_pages"][0])
    pattern = re.compile(config["statecraft"]["article_url_pattern"])
    articles = {u for u in found if pattern.search(u) and u.startswith(statecraft.base_url)}
    first = SAMPLE_ARTICLES[0]
    assert outlets.alternate_url(first) in articles
    assert outlets.article_url(first) in articles
    assert any("/tag/" in u for u in found) and any("/author/" in u for u in found)
    assert any(not u.startswith(statecraft.base_url) and pattern.search(u) for u in found)

    wix_found = links(config["wix"]["listing_pages"][0])
    wix_pattern = re.compile(config["wix"]["article_url_pattern"])
    wix_base = outlets.sites["wix"].base_url
    posts = {u for u in wix_found if wix_pattern.search(u) and u.startswith(wix_base)}
    assert posts == {outlets.article_url(a) for a in SAMPLE_ARTICLES if a.outlet == "wix"}
    assert any(u.endswith("/about") for u in wix_found)
    assert any(not u.startswith(wix_base) for u in wix_found)


def test_alternate_url_serves_same_article_without_canonical(outlets):
    first = SAMPLE_ARTICLES[0]
    canonical_page = html.fromstring(fetch(outlets.article_url(first)))
    alternate_page = html.fromstring(fetch(outlets.alternate_url(first)))
    assert canonical_page.xpath("//link[@rel='canonical']/@href") == [outlets.article_url(first)]
    assert alternate_page.xpath("//link[@rel='canonical']") == []
    for page in (canonical_page, alternate_page):
        headlines = [h.text_content() for h in page.xpath("//h1")]
        assert headlines[0] == first.title and len(headlines) == 3  # two scrolled-in articles


def test_publish_appears_in_feed_and_listing_and_requests_are_counted():
    with SampleOutlets(now=NOW) as outlets:
        fresh = article(
            "statecraft",
            "fresh-militia-strikes",
            text="militias-and-the-ab-of-iraq-strikes",
            title="Fresh strikes on militias",
            dek="A new round.",
            author="Staff",
            age=timedelta(minutes=5),
        )
        feed_url = outlets.outlets_config()[0]["feeds"][0]
        before = feedparser.parse(fetch(feed_url))
        url = outlets.publish(fresh)
        after = feedparser.parse(fetch(feed_url))
        assert url not in {e.link for e in before.entries}
        assert after.entries[0].link == url
        assert url in links(outlets.sites["statecraft"].base_url + "/")
        assert fresh.title in fetch(url).decode()
        with pytest.raises(urllib.error.HTTPError):
            fetch(outlets.sites["statecraft"].base_url + "/no/such/page/")
        counts = outlets.requests("statecraft")
        assert counts["/feeds/feed.rss"] == 2
        assert counts[urlsplit(url).path] == 1
        assert counts["/no/such/page/"] == 1
        assert outlets.requests("wp") == {}


def test_conditional_get_answers_not_modified(outlets):
    url = outlets.article_url(SAMPLE_ARTICLES[0])
    with urllib.request.urlopen(url, timeout=5) as response:
        etag = response.headers["ETag"]
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)
    assert error.value.code == 304


def test_home_pages_announce_feeds_and_robots_name_sitemaps(outlets):
    """What discovery from a home page finds, as on real sites of each style."""
    announced = {}
    for outlet_id, site in outlets.sites.items():
        page = html.fromstring(fetch(site.base_url + "/"))
        announced[outlet_id] = {
            (link.get("type"), link.get("href")) for link in page.xpath("//link[@rel='alternate']")
        }
    assert announced["statecraft"] == {("application/rss+xml", "/feeds/feed.rss")}
    assert announced["wp"] == {
        ("application/atom+xml", "/feed/atom/"),
        ("application/rss+xml", "/comments/feed/"),
    }
    assert announced["wix"] == {("application/rss+xml", "/blog-feed.xml")}

    wix = outlets.sites["wix"].base_url
    feed = feedparser.parse(fetch(wix + "/blog-feed.xml"))
    posts = {outlets.article_url(a) for a in SAMPLE_ARTICLES if a.outlet == "wix"}
    assert feed.version == "rss20" and {e.link for e in feed.entries} == posts
    assert f"Sitemap: {wix}/sitemap.xml" in fetch(wix + "/robots.txt").decode()
    index = etree.fromstring(fetch(wix + "/sitemap.xml"))
    listed: set[str] = set()
    for child in index.xpath("//sm:sitemap/sm:loc/text()", namespaces=SITEMAP_NS):
        listed |= set(
            etree.fromstring(fetch(child)).xpath("//sm:loc/text()", namespaces=SITEMAP_NS)
        )
    assert posts < listed
    assert {wix + "/about", wix + "/contact", wix + "/blog/categories/iraq"} < listed


def test_site_pages_are_served_and_linked(outlets):
    for outlet_id, paths in {
        "statecraft": ["/about/", "/tag/middle-east/", "/author/adam-weinstein/"],
        "wp": ["/about/", "/contact/", "/privacy-policy/", "/category/world/"],
        "wix": ["/about", "/contact", "/blog/categories/water"],
    }.items():
        base = outlets.sites[outlet_id].base_url
        for path in paths:
            assert b"<h1" in fetch(base + path) or b"<a" in fetch(base + path)
    wp_home = links(outlets.sites["wp"].base_url + "/")
    assert {u.rsplit("/", 2)[-2] for u in wp_home} >= {"about", "contact", "privacy-policy"}
