"""`newsradar add-outlet` and `newsradar try-outlet`: their arguments and what they print."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsradar.config import (
    OUTLETS_FILE,
    Config,
    CrawlSettings,
    config_file,
)
from newsradar.operations.log_setup import framework_level_name
from newsradar.processes.exit_codes import EXIT_CONFIG, EXIT_FAILED, EXIT_OK
from newsradar.settings import Settings

if TYPE_CHECKING:
    from newsradar.onboarding.outlet_discovery import Discovery

Command = Callable[[str, object, str], argparse.ArgumentParser]
ID_HINT = "lower-case letters, digits, '-' and '_', starting with a letter or digit"


def add_commands(command: Command) -> None:
    add = command(
        "add-outlet",
        add_outlet,
        "from a home page URL: find feeds, sitemaps and the listing page, infer the article URL "
        "pattern, preview a few articles and print the outlet's YAML entry",
    )
    add.add_argument("url", metavar="URL", help="the outlet's home page")
    add.add_argument("--id", help="the outlet's id (default: from the host name)")
    add.add_argument("--name", help="the outlet's name (default: as the home page says)")
    add.add_argument(
        "--write", action="store_true", help="add the entry to config/outlets.yaml, comments kept"
    )
    try_ = command(
        "try-outlet",
        try_outlet,
        "dry run of one outlet (an id from config/outlets.yaml, or a home page URL): what its "
        "sources list, which URLs match and are new, what extraction yields; stores nothing",
    )
    try_.add_argument("target", metavar="ID|URL")


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"newsradar: {message}", file=sys.stderr)
    return code


def _config(settings: Settings, *, required: bool) -> Config | None:
    """The operator's config; without an outlets.yaml (and not required) the default settings."""
    directory = Path(settings.config_dir)
    if not required and not config_file(directory, OUTLETS_FILE).exists():
        return Config(directory, CrawlSettings(), (), ())
    from newsradar.processes.cli import load_or_report

    config = load_or_report(settings)
    if config is None:
        print("newsradar: fix it first (newsradar check-config)", file=sys.stderr)
    return config


def _valid_id(ident: str) -> bool:
    """As config/outlets.yaml takes it (the config's own check)."""
    from pydantic import ValidationError

    from newsradar.config import Outlet

    try:
        Outlet.model_validate({"id": ident, "name": ident})
    except ValidationError as exc:  # the entry is incomplete here: only the id's errors count
        return not any(error["loc"][:1] == ("id",) for error in exc.errors())
    return True


def _home_url(text: str) -> str | None:
    from crawler.discovery import fetchable_url

    url = fetchable_url(text)
    if url is None:
        return None
    return url if urlsplit(url).path else url + "/"


def add_outlet(args: argparse.Namespace, settings: Settings) -> int:
    from newsradar.onboarding.outlet_entry import EntryRefused, check_new, derive_id

    home = _home_url(args.url)
    if home is None:
        return _fail(
            f"not an http(s) URL: {args.url!r} (give the home page, e.g. https://example.org/)",
            EXIT_CONFIG,
        )
    config = _config(settings, required=False)
    if config is None:
        return EXIT_CONFIG
    ident = args.id or derive_id(home)
    if not _valid_id(ident):
        return _fail(f"not a valid outlet id: {ident!r} (use {ID_HINT})", EXIT_CONFIG)
    entry: dict[str, object] = {"id": ident}
    try:
        if args.write:
            check_new(entry, home, config.outlets)
    except EntryRefused as exc:
        return _fail(str(exc))
    found = _discover(config, home, ident, args.verbose)
    print("\n".join(discovery_lines(found)))
    if found.pattern is None or not (
        found.chosen_feeds or found.chosen_sitemaps or found.chosen_listing
    ):
        return _fail(
            f"found no feed, sitemap or listing page with articles at {home}; "
            "add the outlet's sources to config/outlets.yaml by hand"
        )
    entry = _entry(found, ident, args.name)
    return _emit(entry, found, config, args.write)


def _discover(config: Config, home: str, ident: str, verbosity: int) -> Discovery:
    from newsradar.onboarding.article_preview import preview
    from newsradar.onboarding.outlet_discovery import discover, probe_spec
    from newsradar.onboarding.site_probe import SiteProbe
    from newsradar.processes import event_loop

    max_bytes = int(config.crawl.max_page_mb * 1024 * 1024)

    async def run() -> Discovery:
        probe = SiteProbe(config, probe_spec(home, ident), framework_level_name(verbosity))
        found = await discover(probe, home, max_bytes)
        urls = [c.url for c in found.articles[:4]]
        found.samples = await preview(probe, urls, {c.url: c for c in found.articles})
        return found

    return event_loop.run(run)


def _entry(found: Discovery, ident: str, name: str | None) -> dict[str, object]:
    return {
        "id": ident,
        "name": name or found.name or urlsplit(found.home_url).netloc,
        "feeds": found.chosen_feeds,
        "sitemaps": found.chosen_sitemaps,
        "listing_pages": [found.chosen_listing] if found.chosen_listing else [],
        "article_url_pattern": found.pattern,
        "every": "15m",
        "enabled": True,
    }


def _emit(entry: dict[str, object], found: Discovery, config: Config, write: bool) -> int:
    from pydantic import ValidationError

    from newsradar.config import Outlet
    from newsradar.onboarding.outlet_entry import EntryRefused, add_to_file, check_new, entry_yaml

    try:
        Outlet.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return _fail(f"the entry is not valid ({where}: {first['msg']}); give it with --id/--name")
    path = config_file(Path(config.directory), OUTLETS_FILE)
    print(f"\nEntry for {path}:")
    print(entry_yaml(entry), end="")
    if not write:
        print(f"\nAdd it with --write, or paste it under 'outlets:' in {path}.")
        return EXIT_OK
    try:
        check_new(entry, found.home_url, config.outlets)
        add_to_file(path, entry, f"Added with: newsradar add-outlet {found.home_url}")
    except EntryRefused as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write {path}: {exc.strerror or exc}")
    print(f"\nAdded outlet {entry['id']!r} to {path}; check it with: newsradar check-config")
    return EXIT_OK


def discovery_lines(found: Discovery) -> list[str]:
    from newsradar.onboarding.article_preview import sample_lines, sample_warnings

    lines = [f"Outlet at {found.home_url}" + (f": {found.name}" if found.name else "")]
    for source in (*found.feeds, *found.sitemaps):
        kind = "news sitemap" if source.news else source.kind
        state = f"FAILED: {source.error}" if source.error else f"{len(source.candidates)} URLs"
        chosen = " (used)" if source.url in (*found.chosen_feeds, *found.chosen_sitemaps) else ""
        lines.append(f"  {kind} {source.url}: {state}{chosen}")
    if not found.feeds and not found.sitemaps:
        lines.append("  no feed and no sitemap found")
    lines.append(f"  listing page: {found.chosen_listing or 'none linking articles found'}")
    inference = found.inference
    if found.pattern and inference is not None:
        lines.append(f"  article_url_pattern: {found.pattern}")
        lines.append(
            f"    matches {inference.covered} of {inference.total} article URLs listed; "
            f"leaves out {len(inference.excluded)} other pages seen" + _such_as(inference.excluded)
        )
    if found.samples:
        lines.append(f"Sample articles ({len(found.samples)} of {len(found.articles)} found):")
        lines += sample_lines(found.samples)
    warnings = found.warnings + sample_warnings(found.samples)
    if warnings:
        lines.append("Warnings:")
        lines += [f"  - {warning}" for warning in warnings]
    return lines


def _such_as(pages: Sequence[str]) -> str:
    """A few of the pages left out, the home page last: it says least."""
    if not pages:
        return ""
    telling = sorted(pages, key=lambda url: urlsplit(url).path in ("", "/"))[:3]
    return f" (such as {', '.join(telling)})"


def try_outlet(args: argparse.Namespace, settings: Settings) -> int:
    from newsradar.onboarding.try_outlet import run_try

    config = _config(settings, required=True)
    if config is None:
        return EXIT_CONFIG
    target = args.target.strip()
    outlet = config.outlet(target)
    home = None if outlet is not None else _home_url(target)
    if outlet is None and (home is None or "://" not in target):
        known = ", ".join(o.id for o in config.outlets) or "none"
        return _fail(
            f"no outlet {target!r} in {config_file(Path(config.directory), OUTLETS_FILE)} (known: "
            f"{known}); give an outlet id or a home page URL",
            EXIT_CONFIG,
        )
    return run_try(config, settings, outlet, home, args.verbose)
