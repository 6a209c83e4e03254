"""The `newsradar` command line (DESIGN.md "Command line")."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from newsradar.config import Config, ConfigError, load_config
from newsradar.config_problems import cut
from newsradar.operations.log_setup import framework_level_name, setup_logging
from newsradar.processes.exit_codes import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TOKEN_REFUSED,
    known_failure,
)
from newsradar.settings import Settings
from notifier.redaction import protect_token

if TYPE_CHECKING:
    from newsradar.processes.run_once import CycleReport


def main(argv: Sequence[str] | None = None) -> int:
    # Opt in to the Telegram client's timedelta API now rather than being warned about it per 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    parser = _parser()
    args = parser.parse_args(argv)
    args.verbose = args.verbose_before + args.verbose_after  # how many -v, wherever given
    try:
        settings = Settings.from_env(args.config)
    except ValueError as exc:
        print(f"newsradar: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(args.verbose, settings.telegram_token)
    if settings.telegram_token:
        # Known to every redaction from now on: logs, stored rows, notices, /healthz.
        protect_token(settings.telegram_token)
    try:
        status: int = args.handler(args, settings)
    except Exception as exc:
        failure = known_failure(exc)
        if failure is None:
            raise
        print(f"newsradar: {failure.line} (exit {failure.code})", file=sys.stderr)
        return failure.code
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsradar",
        description="Watch news outlets for new articles and alert Telegram chats on matches.",
        parents=[_verbosity("verbose_before")],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('newsradar')}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    # -v counts the same before or after the command's name: one option, two places.
    common = _verbosity("verbose_after")
    common.add_argument(
        "--config",
        metavar="DIR",
        help="configuration directory (default ./config, or $NEWSRADAR_CONFIG_DIR)",
    )

    def command(name: str, handler: object, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    run_once = command(
        "run-once", _run_once, "one full cycle: crawl, extract, store, match, deliver"
    )
    run_once.add_argument(
        "--wait",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for a run still in progress before giving up with exit code 75 "
        "(default 5)",
    )
    serve = command("serve", _serve, "long-running service: scheduler, bot and delivery")
    serve.add_argument(
        "--metrics-port", type=int, metavar="P", help="serve /metrics and /healthz on this port"
    )
    serve.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="ADDR",
        help="address for /metrics and /healthz (default 127.0.0.1: this machine only)",
    )
    serve.add_argument(
        "--prefix",
        default="newsradar",
        help="with NEWSRADAR_REDIS_URL: Redis key prefix of the workers' frontier",
    )
    worker = command("worker", _worker, "crawl worker on the shared Redis frontier")
    worker.add_argument(
        "--prefix", default="newsradar", help="Redis key prefix of the frontier (default newsradar)"
    )
    worker.add_argument(
        "--lease",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="a worker silent this long is presumed dead; its requests go to others (default 30)",
    )
    command("check-config", _check_config, "validate config/; exit 2 on any error")
    extract = command("extract", _extract, "extract articles from saved HTML files ('-': stdin)")
    extract.add_argument("paths", nargs="+", metavar="PATH")
    extract.add_argument("--url", help="the URL the page was served from")
    backtest = command(
        "backtest", _backtest, "which stored articles a watchlist or query would have matched"
    )
    backtest.add_argument("watchlist", nargs="?", metavar="ID")
    backtest.add_argument("--query", "-q", help="an ad-hoc query instead of a watchlist")
    backtest.add_argument("--since", default="7d", help="how far back to look (default 7d)")
    command("status", _status, "per-outlet health table")
    demo = command(
        "demo", _demo, "offline demo: sample outlets on localhost, one cycle, alerts printed"
    )
    demo.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the demo's config/ and newsradar.db in DIR, to try status and backtest there",
    )
    # add-outlet and try-outlet: newsradar/onboarding/commands.py
    from newsradar.onboarding.commands import add_commands

    add_commands(command)
    return parser


def _verbosity(dest: str) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "-v",
        "--verbose",
        dest=dest,
        action="count",
        default=0,
        help="log newsradar's progress to stderr; -vv adds the frameworks' lines (Scrapy, ...)",
    )
    return options


def load_or_report(settings: Settings) -> Config | None:
    """The config, or None once its problems are said on stderr, one line each."""
    try:
        return load_config(settings.config_dir)
    except ConfigError as exc:
        print(f"newsradar: invalid configuration in {settings.config_dir}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
    except Exception as exc:  # whatever a hand edit can make the loader raise: one line
        if known_failure(exc) is not None:
            raise
        reason = cut(f"{type(exc).__name__}: {exc}")
        print(f"newsradar: {settings.config_dir} could not be checked ({reason})", file=sys.stderr)
    return None


def _run_once(args: argparse.Namespace, settings: Settings) -> int:
    from newsradar.database import Database
    from newsradar.processes import event_loop
    from newsradar.processes.run_once import cycle

    config = load_or_report(settings)
    if config is None:
        return EXIT_CONFIG
    from newsradar.processes.run_lock import EXIT_BUSY, RunLockBusy, run_lock

    try:
        with run_lock(settings.database_url, wait=args.wait):
            db = Database(settings.database_url)
            try:
                level = framework_level_name(args.verbose)
                report = event_loop.run(lambda: cycle(config, settings, db, log_level=level))
            finally:
                db.close()
    except RunLockBusy as busy:
        print(
            f"newsradar: another run-once is still in progress ({busy.where}); waited "
            f"{busy.waited:g}s, exiting without crawling (exit {EXIT_BUSY})",
            file=sys.stderr,
        )
        return EXIT_BUSY
    return _summarise(report)


def _summarise(report: CycleReport) -> int:
    """The run's one-line summary on stderr (and a line for each thing the operator must act on)."""
    failed = [outlet_id for outlet_id, run in report.runs.items() if run.failed]
    stored = sum(run.articles for run in report.runs.values())
    delivery = report.delivery
    extra = "".join(
        f", {count} {what}"
        for count, what in (
            (delivery.uncertain, "sent with their answer lost (sent once more later)"),
            (delivery.printed, "printed, not delivered (no bot token)"),
        )
        if count
    )
    print(
        f"newsradar: {len(report.runs)} outlets crawled ({len(failed)} failed"
        f"{': ' + ', '.join(failed) if failed else ''}), {stored} new articles, "
        f"{report.matching.alerts_queued} alerts queued, {delivery.sent} delivered, "
        f"{delivery.retry_later} waiting for retry{extra}",
        file=sys.stderr,
    )
    printed = report.printed_earlier.describe()
    if printed:
        print(f"newsradar: {printed}", file=sys.stderr)
    if delivery.unauthorized:
        print(
            "newsradar: Telegram refused the bot token (unauthorized): nothing was sent; "
            "alerts stay queued until NEWSRADAR_TELEGRAM_TOKEN is fixed "
            f"(exit {EXIT_TOKEN_REFUSED})",
            file=sys.stderr,
        )
        return EXIT_TOKEN_REFUSED
    return EXIT_OK


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from newsradar.database import Database
    from newsradar.processes import event_loop
    from newsradar.processes.serving.service import ServeOptions, Service

    config = load_or_report(settings)
    if config is None:
        return EXIT_CONFIG
    options = ServeOptions(
        metrics_host=args.metrics_host,
        metrics_port=args.metrics_port,
        log_level=framework_level_name(args.verbose),
        frontier_prefix=args.prefix,
    )
    db = Database(settings.database_url)
    try:
        return event_loop.run(lambda: Service(settings, config, db, options).run())
    finally:
        db.close()


def _check_config(args: argparse.Namespace, settings: Settings) -> int:
    config = load_or_report(settings)
    if config is None:
        return EXIT_CONFIG
    print(
        f"{settings.config_dir}: ok ({len(config.outlets)} outlets, "
        f"{len(config.watchlists)} watchlists)"
    )
    return EXIT_OK


def _extract(args: argparse.Namespace, settings: Settings) -> int:
    from crawler.extract import extract_article

    status = EXIT_OK
    for path in args.paths:
        record: dict[str, object] = {"path": path, "url": args.url}
        try:
            html = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            record["error"] = f"cannot read: {exc.strerror or exc}"
            status = EXIT_FAILED
        else:
            article = extract_article(html, args.url)
            if article is None:
                record.update(title=None, author=None, published=None, language=None, text="")
                record["error"] = "no article text found"
                status = EXIT_FAILED
            else:
                record.update(
                    url=article.url or args.url,
                    title=article.title,
                    author=article.author,
                    published=article.published.isoformat() if article.published else None,
                    language=article.language,
                    text=article.text,
                )
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return status


def _backtest(args: argparse.Namespace, settings: Settings) -> int:
    from newsradar.operations.backtest import backtest

    config = load_or_report(settings)
    if config is None:
        return EXIT_CONFIG
    return backtest(config, settings, args.watchlist, args.query, args.since)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from newsradar.operations.status_table import print_status

    config = load_or_report(settings)
    if config is None:
        return EXIT_CONFIG
    print_status(config, settings)
    return EXIT_OK


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from newsradar.demo.run import run_demo

    return run_demo(verbose=args.verbose, keep=args.keep)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.redis_url:
        print("newsradar: worker needs NEWSRADAR_REDIS_URL (the shared frontier)", file=sys.stderr)
        return EXIT_CONFIG
    from newsradar.database import Database
    from newsradar.processes.worker import WorkerOptions, run_worker

    config = load_or_report(settings)
    if config is None:
        return EXIT_CONFIG
    options = WorkerOptions(
        prefix=args.prefix, lease=args.lease, log_level=framework_level_name(args.verbose)
    )
    db = Database(settings.database_url)
    try:
        return run_worker(settings, config, db, options)
    finally:
        db.close()


if __name__ == "__main__":
    sys.exit(main())
