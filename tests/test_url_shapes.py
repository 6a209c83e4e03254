"""Inferring `article_url_pattern` from realistic URL sets: the articles an outlet's feed and
sitemaps list match, its tag, author, category, section, about, contact, privacy and archive
pages do not, and the pattern runs on the RE2 engine."""

from __future__ import annotations

import pytest

from crawler.url_pattern import compile_url_pattern
from crawler.url_shapes import infer_pattern, is_article_shaped, looks_like_non_article

WP = "https://warontherocks.com"
WP_ARTICLES = [
    f"{WP}/2024/01/05/the-drone-war-over-iraq/",
    f"{WP}/2024/01/09/why-militias-strike-now/",
    f"{WP}/2023/12/28/red-sea-escalation-and-the-navy/",
    f"{WP}/2023/11/30/deterrence/",
    f"{WP}/2024/02/01/a-new-approach-to-syria-policy/",
]
WP_OTHERS = [
    f"{WP}/",
    f"{WP}/category/commentary/",
    f"{WP}/tag/iraq/",
    f"{WP}/author/jane-doe/",
    f"{WP}/about/",
    f"{WP}/contact/",
    f"{WP}/privacy-policy/",
    f"{WP}/2024/01/",
    f"{WP}/2024/01/05/",
    f"{WP}/page/2/",
    f"{WP}/membership-and-subscriptions-for-readers/",
]

RM = "https://www.rebelmouse-outlet.com"
RM_ARTICLES = [
    f"{RM}/us-strikes-iraq-risk-2667512345",
    f"{RM}/biden-landmines-ukraine-2667498812",
    f"{RM}/iran-2667123456",
    f"{RM}/gaza-ceasefire-talks-stall-2667001234.html",
]
RM_OTHERS = [
    f"{RM}/tag/middle-east",
    f"{RM}/author/adam-weinstein",
    f"{RM}/about",
    f"{RM}/sections/world",
    f"{RM}/us-foreign-policy",
    f"{RM}/newsletter-sign-up-for-free",
]

WIX = "https://www.policyforum.org"
WIX_ARTICLES = [
    f"{WIX}/post/cornered-in-iraq",
    f"{WIX}/post/water-scarcity-and-stability-in-southern-iraq",
    f"{WIX}/post/kirkuk",
]
WIX_OTHERS = [
    f"{WIX}/blog",
    f"{WIX}/blog/categories/iraq",
    f"{WIX}/blog/tags/water",
    f"{WIX}/blog/page/2",
    f"{WIX}/profile/jane-doe/profile",
    f"{WIX}/about",
    f"{WIX}/contact",
    f"{WIX}/events-and-roundtables",
]


@pytest.mark.parametrize(
    ("articles", "others"),
    [(WP_ARTICLES, WP_OTHERS), (RM_ARTICLES, RM_OTHERS), (WIX_ARTICLES, WIX_OTHERS)],
    ids=["wordpress-dated", "rebelmouse-slug-id", "wix-post"],
)
def test_articles_match_and_site_pages_do_not(articles: list[str], others: list[str]) -> None:
    inference = infer_pattern(articles, others)

    assert inference.pattern is not None
    compiled = compile_url_pattern(inference.pattern)  # RE2 takes it
    assert [u for u in articles if compiled.search(u) is None] == []
    assert [u for u in others if compiled.search(u) is not None] == []
    assert inference.covered == inference.total == len(articles)
    assert inference.still_matching == ()


def test_a_bare_slug_needs_more_words_than_the_site_pages_have() -> None:
    base = "https://responsiblestatecraft.org"
    articles = [
        f"{base}/us-strikes-iraq-risk/",
        f"{base}/why-the-iran-deal-failed/",
        f"{base}/biden-landmines-for-ukraine/",
    ]
    others = [f"{base}/about-us/", f"{base}/privacy-policy/", f"{base}/tag/iran/", f"{base}/"]

    inference = infer_pattern(articles, others)

    compiled = compile_url_pattern(inference.pattern or "")
    assert all(compiled.search(u) for u in articles)
    assert not any(compiled.search(u) for u in others)
    assert compiled.search(f"{base}/terms-of-use/") is None  # a site page a feed never lists
    assert compiled.search(f"{base}/gaza-truce-holds-again/")  # the next article


def test_section_names_become_a_list_and_ids_a_digit_run() -> None:
    base = "https://www.vox.com"
    articles = [
        f"{base}/world-politics/23456789/iraq-drone-strike-explained",
        f"{base}/world-politics/23456790/red-sea-shipping",
        f"{base}/politics/23456791/congress-war-powers",
        f"{base}/politics/23456799/senate-vote",
    ]

    inference = infer_pattern(articles, [f"{base}/world-politics", f"{base}/authors/jen-kirby"])

    compiled = compile_url_pattern(inference.pattern or "")
    assert inference.covered == 4
    assert compiled.search(f"{base}/politics/23456999/a-new-one")
    assert compiled.search(f"{base}/culture/23456999/a-film-review") is None
    assert compiled.search(f"{base}/world-politics") is None


def test_pages_a_feed_lists_that_are_not_articles_are_left_out() -> None:
    listed = [*WP_ARTICLES, f"{WP}/tag/iraq/", f"{WP}/about/"]

    inference = infer_pattern(listed)

    compiled = compile_url_pattern(inference.pattern or "")
    assert inference.total == len(WP_ARTICLES)
    assert compiled.search(f"{WP}/tag/iraq/") is None


def test_a_rare_shape_among_many_articles_is_not_added() -> None:
    dated = [f"{WP}/2024/01/{day:02d}/story-number-{day}/" for day in range(1, 21)]
    odd = f"{WP}/live/election-night-live-blog/"

    inference = infer_pattern([*dated, odd])

    compiled = compile_url_pattern(inference.pattern or "")
    assert inference.covered == 20 and inference.total == 21
    assert compiled.search(odd) is None


def test_two_shapes_of_one_outlet_both_match() -> None:
    dated = [f"{WP}/2024/01/{day:02d}/story-number-{day}/" for day in range(1, 9)]
    podcasts = [f"{WP}/episode/{n}/podcast-episode-{n}/" for n in range(100, 104)]

    inference = infer_pattern([*dated, *podcasts], WP_OTHERS)

    compiled = compile_url_pattern(inference.pattern or "")
    assert all(compiled.search(u) for u in [*dated, *podcasts])
    assert not any(compiled.search(u) for u in WP_OTHERS)


def test_a_big_dated_sitemap_gives_one_plain_alternative() -> None:
    """Slugs that end in numbers or are one word are still the dated shape, not others."""
    urls = [
        f"{WP}/{2000 + n % 25}/{n % 12 + 1:02d}/{n % 28 + 1:02d}/story-about-thing-{n}/"
        for n in range(50_000)
    ] + [f"{WP}/2024/01/05/deterrence/"]

    inference = infer_pattern(urls, WP_OTHERS)

    assert inference.pattern == r"^https?://[^/]+/\d{4}/\d{2}/\d{2}/[^/]+/?$"
    assert inference.covered == inference.total == len(urls)
    assert inference.still_matching == ()


def test_nothing_listed_gives_no_pattern() -> None:
    assert infer_pattern([], WP_OTHERS).pattern is None
    assert infer_pattern([f"{WP}/", f"{WP}/tag/iraq/"]).pattern is None


def test_hostile_urls_give_a_pattern_in_linear_time_engine_terms() -> None:
    """Odd characters, huge segments and regex syntax in URLs stay literal or become classes."""
    weird = [f"https://x.example/post/{'a' * 5000}-{n}" for n in range(3)] + [
        "https://x.example/post/(.*)+$[",
        "https://x.example/post/%E2%80%94-dash-%00",
    ]

    inference = infer_pattern(weird)

    compiled = compile_url_pattern(inference.pattern or "")
    assert compiled.search("https://x.example/post/another-one")
    assert compiled.search("https://x.example/about") is None


def test_shapes_of_single_links() -> None:
    assert is_article_shaped(f"{WP}/2024/01/05/the-drone-war-over-iraq/")
    assert is_article_shaped(f"{RM}/iran-2667123456")
    assert is_article_shaped(f"{WIX}/post/water-scarcity-and-stability")
    assert not is_article_shaped(f"{WP}/category/world-news-and-analysis/")
    assert not is_article_shaped(f"{WIX}/about")
    assert looks_like_non_article(f"{WP}/2024/01/")
    assert looks_like_non_article(f"{WIX}/profile/jane-doe/profile")
    assert not looks_like_non_article(f"{WP}/2024/01/05/deterrence/")
