"""A dry run of one outlet: what each source lists, which URLs match its pattern and which of
those are new, and what extraction yields for a few. Nothing is stored and nothing is sent:
the database is only asked which URLs it already knows."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field

from crawler.dedupe import canonical_url
from crawler.discovery import Candidate
from crawler.outlet_spec import OutletSpec
from newsradar.config import Config, Outlet
from newsradar.database import Database
from newsradar.database.article_store import ArticleStore, BackfillPolicy
from newsradar.database.engine import DatabaseMissing
from newsradar.onboarding.article_preview import Sample, preview, sample_lines, sample_warnings
from newsradar.onboarding.outlet_discovery import (
    Discovery,
    discover,
    discovered_spec,
    probe_spec,
)
from newsradar.onboarding.outlet_entry import derive_id
from newsradar.onboarding.site_probe import SiteProbe
from newsradar.onboarding.source_reading import (
    SourceListing,
    read_feeds,
    read_listings,
    read_sitemaps,
)
from newsradar.operations.log_setup import framework_level_name
from newsradar.processes.crawling import outlet_spec
from newsradar.processes.exit_codes import EXIT_FAILED, EXIT_OK
from newsradar.settings import Settings

MAX_SHOWN = 100  # article URLs shown per source
MAX_OTHERS_SHOWN = 8  # links shown per source that do not match
SAMPLES = 3

KnownUrls = Callable[[Collection[str]], set[str]]


@dataclass
class SourceReport:
    listing: SourceListing
    matching: list[str] = field(default_factory=list)
    new: set[str] = field(default_factory=set)
    others: list[str] = field(default_factory=list)


@dataclass
class DryRun:
    sources: list[SourceReport]
    samples: list[Sample]
    new_total: int
    matching_total: int


async def dry_run(probe: SiteProbe, known_urls: KnownUrls, max_bytes: int) -> DryRun:
    outlet = probe.outlet
    listings = [
        *await read_feeds(probe, outlet.feeds),
        *await read_sitemaps(probe, outlet.sitemaps, max_bytes),
        *await read_listings(probe, outlet.listing_pages),
    ]
    reports = [_matched(listing, probe) for listing in listings]
    every = {url for report in reports for url in report.matching}
    known = await asyncio.to_thread(known_urls, every) if every else set()
    for report in reports:
        report.new = {url for url in report.matching if url not in known}
    hints = _newest_first(listings, {url for report in reports for url in report.new})
    chosen = [c.url for c in hints][:SAMPLES]
    samples = await preview(probe, chosen, {c.url: c for c in hints})
    return DryRun(reports, samples, len(every - known), len(every))


def _matched(listing: SourceListing, probe: SiteProbe) -> SourceReport:
    report = SourceReport(listing)
    for url in dict.fromkeys(canonical_url(u) for u in listing.urls):
        (report.matching if probe.outlet.is_article_url(url) else report.others).append(url)
    return report


def _newest_first(listings: Sequence[SourceListing], new: set[str]) -> list[Candidate]:
    found: dict[str, Candidate] = {}
    for listing in listings:
        for candidate in listing.candidates:
            url = canonical_url(candidate.url)
            if url in new and url not in found:
                found[url] = Candidate(url, candidate.published, candidate.title)
    return sorted(
        found.values(),
        key=lambda c: c.published.timestamp() if c.published else float("-inf"),
        reverse=True,
    )


def report_lines(run: DryRun) -> list[str]:
    lines: list[str] = []
    for report in run.sources:
        listing = report.listing
        if listing.error:
            lines.append(f"{listing.kind} {listing.url}: FAILED: {listing.error}")
            continue
        extra = ""
        if listing.sitemaps_read or listing.sitemaps_left:
            extra = f" ({listing.sitemaps_read} child sitemaps read"
            extra += f", {listing.sitemaps_left} not read)" if listing.sitemaps_left else ")"
        lines.append(
            f"{listing.kind} {listing.url}: {len(listing.candidates)} URLs{extra}, "
            f"{len(report.matching)} match the pattern, {len(report.new)} new"
        )
        for url in report.matching[:MAX_SHOWN]:
            lines.append(f"  {'new  ' if url in report.new else 'known'} {url}")
        if len(report.matching) > MAX_SHOWN:
            lines.append(f"  ... and {len(report.matching) - MAX_SHOWN} more")
        if report.others:
            shown = ", ".join(report.others[:MAX_OTHERS_SHOWN])
            more = (
                f" and {len(report.others) - MAX_OTHERS_SHOWN} more"
                if len(report.others) > MAX_OTHERS_SHOWN
                else ""
            )
            lines.append(f"  not matching ({len(report.others)}): {shown}{more}")
    return lines


def run_try(
    config: Config, settings: Settings, outlet: Outlet | None, home: str | None, verbosity: int
) -> int:
    """Runs the dry run of a configured outlet, or of a home page with the inferred settings."""
    from newsradar.onboarding.commands import discovery_lines
    from newsradar.processes import event_loop

    level = framework_level_name(verbosity)
    max_bytes = int(config.crawl.max_page_mb * 1024 * 1024)
    with _known_urls(settings) as known:

        async def run() -> tuple[Discovery | None, OutletSpec | None, DryRun | None]:
            if outlet is not None:
                spec = outlet_spec(outlet, config.crawl)
                return None, spec, await dry_run(SiteProbe(config, spec, level), known, max_bytes)
            assert home is not None
            ident = derive_id(home)
            probe = SiteProbe(config, probe_spec(home, ident), level)
            found = await discover(probe, home, max_bytes)
            if found.pattern is None:
                return found, None, None
            spec = discovered_spec(found, ident)
            second = SiteProbe(config, spec, level)
            second.robots.kept = {**probe.robots.kept, **probe.robots.fetched}
            return found, spec, await dry_run(second, known, max_bytes)

        found, spec, result = event_loop.run(run)
    if found is not None:
        print("\n".join(discovery_lines(found)))
    if spec is None or result is None:
        print(f"newsradar: found no articles at {home}; nothing to try", file=sys.stderr)
        return EXIT_FAILED
    print(f"Dry run of outlet {spec.id} ({spec.name}): nothing is stored or sent")
    print(f"  article_url_pattern: {spec.article_url_pattern or '(none: every link)'}")
    print("\n".join(report_lines(result)))
    if result.samples:
        print(f"Extraction of {len(result.samples)} new articles:")
        print("\n".join(sample_lines(result.samples)))
    for warning in sample_warnings(result.samples):
        print(f"  warning: {warning}")
    print(f"{result.matching_total} article URLs match the pattern, {result.new_total} new.")
    failed = [r for r in result.sources if r.listing.error]
    return EXIT_FAILED if failed and len(failed) == len(result.sources) else EXIT_OK


@contextlib.contextmanager
def _known_urls(settings: Settings) -> Iterator[KnownUrls]:
    """Which URLs the database already knows; a database not made yet knows none (and is not
    made: a dry run leaves no file behind)."""
    try:
        db = Database(settings.database_url, read_only=True)
    except DatabaseMissing:
        yield lambda urls: set()
        return
    try:
        store = ArticleStore(db, BackfillPolicy(window={}, first_crawl=frozenset()))
        yield store.known_urls
    finally:
        db.close()
