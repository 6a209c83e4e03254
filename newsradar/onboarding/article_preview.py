"""A few articles of an outlet fetched and extracted as a crawl would, to show what it yields:
title, date, first line and length of the text. Nothing is stored."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from crawler.discovery import Candidate
from crawler.extract import extract_article
from crawler.outlet_spec import OutletSpec
from crawler.spiders.fetch_spider import Fetched
from newsradar.onboarding.site_probe import SiteProbe

SHORT_TEXT_CHARS = 500  # an article shorter than this is likely a teaser or a cut-off page
FIRST_LINE_CHARS = 100


@dataclass(frozen=True)
class Sample:
    url: str
    title: str | None = None
    published: datetime | None = None
    first_line: str = ""
    length: int = 0
    error: str | None = None


async def preview(
    probe: SiteProbe, urls: Sequence[str], hints: Mapping[str, Candidate]
) -> list[Sample]:
    fetched = await probe.fetch(urls)
    return [
        await asyncio.to_thread(sample_of, fetched[url], probe.outlet, hints.get(url))
        for url in urls
        if url in fetched
    ]


def sample_of(answer: Fetched, outlet: OutletSpec, hint: Candidate | None) -> Sample:
    """What one fetched page yields as the crawl would extract it; the feed's title and date
    (`hint`) stand in where the page has none."""
    if not answer.ok:
        return Sample(answer.url, error=answer.error or f"HTTP {answer.status}")
    if answer.page is None:
        return Sample(answer.url, error=f"not an HTML page ({answer.content_type or 'no type'})")
    try:
        article = extract_article(
            answer.body,
            answer.final_url or answer.url,
            content_xpath=outlet.content_xpath,
            remove_xpath=outlet.remove_xpath,
        )
    except Exception as exc:  # a hostile page must not stop the preview
        return Sample(answer.url, error=f"extraction failed: {type(exc).__name__}")
    if article is None:
        return Sample(answer.url, error="no article text found")
    first = article.text.split("\n", 1)[0]
    if len(first) > FIRST_LINE_CHARS:
        first = first[:FIRST_LINE_CHARS].rsplit(" ", 1)[0] + " ..."
    return Sample(
        answer.url,
        title=article.title or (hint.title if hint else None),
        published=article.published or (hint.published if hint else None),
        first_line=first,
        length=len(article.text),
    )


def sample_lines(samples: Sequence[Sample]) -> list[str]:
    lines: list[str] = []
    for sample in samples:
        lines.append(f"  {sample.url}")
        if sample.error:
            lines.append(f"    nothing extracted: {sample.error}")
            continue
        date = sample.published.strftime("%Y-%m-%d %H:%M UTC") if sample.published else "none"
        lines += [
            f"    title:      {sample.title or '(none)'}",
            f"    date:       {date}",
            f"    first line: {sample.first_line}",
            f"    text:       {sample.length:,} characters",
        ]
    return lines


def sample_warnings(samples: Sequence[Sample]) -> list[str]:
    """What looks wrong in the samples, one line each."""
    warnings: list[str] = []
    extracted = [s for s in samples if not s.error]
    failed = [s for s in samples if s.error]
    if failed:
        warnings.append(
            f"{len(failed)} of {len(samples)} sample pages gave no article "
            f"({failed[0].url}: {failed[0].error})"
        )
    undated = [s for s in extracted if s.published is None]
    if undated:
        warnings.append(
            f"{len(undated)} of {len(extracted)} sample articles have no date: on the first "
            "crawl undated articles are stored without alerting"
        )
    short = [s for s in extracted if s.length < SHORT_TEXT_CHARS]
    if short:
        warnings.append(
            f"{len(short)} of {len(extracted)} sample articles are shorter than "
            f"{SHORT_TEXT_CHARS} characters (teasers or paywalled?); set content_xpath if the "
            "text is elsewhere on the page"
        )
    return warnings
