"""The typed form of the operator's config: pydantic models of outlets.yaml and watchlists.yaml,
each field checked as it is read, and the `Config` the rest of newsradar uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crawler.url_pattern import UrlPatternError, compile_url_pattern
from newsradar.config_problems import shown
from notifier.query import Query, any_of, parse_query

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def parse_duration(text: str) -> timedelta:
    """'15m', '24h', '7d' and the like."""
    found = _DURATION.match(str(text))
    if not found:
        raise ValueError(f"not a duration: {shown(text)} (write e.g. 30s, 15m, 24h, 7d)")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def parse_crontab(line: str) -> CronTrigger:
    """A five-field crontab line ('*/15 * * * *'), in UTC; the one place one is read."""
    try:
        return CronTrigger.from_crontab(line, timezone=UTC)
    except ValueError as exc:
        raise ValueError(
            f"{shown(line)} is not a crontab line ({exc}); write five fields: minute hour "
            "day-of-month month day-of-week, e.g. '*/15 * * * *' or '0 6 * * 1-5'"
        ) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BudgetSettings(_Strict):
    """What one outlet may spend in one run: requests (discovery, redirects and retries
    included), megabytes and wall time. An outlet that spends one stops there and is reported;
    the defaults are far above what a normal outlet needs."""

    requests: int = Field(default=1000, ge=1)
    mb: float = Field(default=200, gt=0)
    time: str = "20m"

    @field_validator("time")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class OutletBudgetSettings(_Strict):
    """An outlet's own budget; a field left out is the crawl-wide one (`crawl.budget`)."""

    requests: int | None = Field(default=None, ge=1)
    mb: float | None = Field(default=None, gt=0)
    time: str | None = None

    @field_validator("time")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class CrawlSettings(_Strict):
    """Settings shared by every outlet; each may be overridden where the outlet allows."""

    backfill: str = "24h"
    contact_url: str = "https://github.com/newsradar/newsradar"
    timeout: str = "30s"
    max_page_mb: float = Field(default=10, gt=0)
    per_host_concurrency: int = Field(default=2, ge=1, le=8)
    download_delay: float = Field(default=1.0, ge=0)
    # A URL not listed by any discovery source for this long is forgotten (the store stays small).
    seen_url_ttl: str = "90d"
    # Operators hear about an outlet after this many failed runs in a row.
    alert_after_failures: int = Field(default=3, ge=1)
    # A host's robots.txt is read again once the copy kept is this old.
    robots_ttl: str = "24h"
    # Each outlet's budget per run (an outlet may set its own: `budget:`).
    budget: BudgetSettings = BudgetSettings()
    # The longest one page may take, its retries included (`timeout` is per try).
    response_time: str = "60s"
    # A response's status line and headers: at most this many lines and this many KiB.
    max_header_lines: int = Field(default=200, ge=10)
    max_header_kb: int = Field(default=128, ge=8)

    @field_validator("backfill", "timeout", "seen_url_ttl", "robots_ttl", "response_time")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def backfill_window(self) -> timedelta:
        return parse_duration(self.backfill)

    @property
    def seen_url_window(self) -> timedelta:
        return parse_duration(self.seen_url_ttl)

    @property
    def robots_window(self) -> timedelta:
        return parse_duration(self.robots_ttl)


class Outlet(_Strict):
    id: str
    name: str
    feeds: list[str] = []
    sitemaps: list[str] = []
    listing_pages: list[str] = []
    article_url_pattern: str | None = None
    every: str = "15m"
    cron: str | None = None  # a crontab line; when given it replaces `every`
    enabled: bool = True
    backfill: str | None = None
    content_xpath: str | None = None
    remove_xpath: list[str] = []
    budget: OutletBudgetSettings = OutletBudgetSettings()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '-' and '_' only")
        return value

    @field_validator("feeds", "sitemaps", "listing_pages")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f"not an http(s) URL: {shown(url)}")
        return urls

    @field_validator("article_url_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                compile_url_pattern(value)
            except UrlPatternError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> Any:
        if isinstance(value, str) and _DURATION.match(value):
            return value
        if not isinstance(value, str) or len(value.split()) != 5:
            raise ValueError(
                f"{shown(value)} is not an interval: write a number and a unit, s, m, h, d or "
                "w (30s, 15m, 2h, 1d, 1w), or a five-field crontab line ('*/15 * * * *')"
            )
        parse_crontab(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            parse_crontab(value)
        return value

    @field_validator("backfill")
    @classmethod
    def _backfill(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _has_source(self) -> Outlet:
        if not (self.feeds or self.sitemaps or self.listing_pages):
            raise ValueError("an outlet needs at least one of feeds, sitemaps or listing_pages")
        return self

    @model_validator(mode="after")
    def _one_schedule(self) -> Outlet:
        if self.cron is not None and "every" in self.model_fields_set:
            raise ValueError(
                f"give either every: ({shown(self.every)}) or cron: ({shown(self.cron)}), not both"
            )
        return self

    @property
    def crontab(self) -> str | None:
        """The cron line the outlet runs on (`cron:`, or a cron line in `every:`); None when
        `every:` is an interval."""
        return self.cron or (None if _DURATION.match(self.every) else self.every)


class OutletsFile(_Strict):
    crawl: CrawlSettings = CrawlSettings()
    outlets: list[Outlet]


class Watchlist(_Strict):
    id: str
    title: str
    query: Query
    # The query as the operator wrote it, shown by /list: the parsed form lower-cases words and
    # drops brackets it does not need, which reads as if the bot had rewritten the query.
    query_text: str = ""
    outlets: Literal["all"] | list[str] = "all"
    chats: list[int] = []
    open: bool = False
    min_hits: int = Field(default=1, ge=1)
    title_only: bool = False

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '-' and '_' only")
        return value

    @field_validator("chats", mode="before")
    @classmethod
    def _chats(cls, chats: Any) -> Any:
        if not isinstance(chats, list):
            return chats  # the list type names it: "Input should be a valid list"
        for chat in chats:
            if isinstance(chat, bool) or not isinstance(chat, int):
                raise ValueError(
                    f"chat ids are numbers (as Telegram gives them), not {shown(chat)}"
                )
        return chats

    @model_validator(mode="before")
    @classmethod
    def _query(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "query_text" in data:
            raise ValueError("query_text is not a setting: write the query as `query`")
        if "keywords" in data:
            keywords = data.pop("keywords")
            if "query" in data:
                raise ValueError("give either query or keywords, not both")
            if (
                not isinstance(keywords, list)
                or not keywords
                or not all(isinstance(k, str) and k.strip() for k in keywords)
            ):
                raise ValueError("keywords must be a non-empty list of words or phrases")
            data["query"] = any_of(keywords)
            data["query_text"] = " OR ".join(
                f'"{k.strip()}"' if len(k.split()) > 1 else k.strip() for k in keywords
            )
        elif "query" not in data:
            if set(data) - set(cls.model_fields):
                return data  # likely a misspelt `query`: let the unknown key be named at its line
            raise ValueError("a watchlist needs a query (or a keywords list)")
        else:
            query = data["query"]
            data["query_text"] = query.strip() if isinstance(query, str) else str(query)
        return data

    @field_validator("query", mode="before")
    @classmethod
    def _parse(cls, query: Any) -> Any:
        if isinstance(query, str):
            return parse_query(query)
        if isinstance(query, Query):
            return query
        raise ValueError("a query is text, e.g. 'Iraq militia*'")

    def applies_to(self, outlet_id: str) -> bool:
        return self.outlets == "all" or outlet_id in self.outlets


class WatchlistsFile(_Strict):
    watchlists: list[Watchlist]


@dataclass(frozen=True)
class Config:
    directory: Path
    crawl: CrawlSettings
    outlets: tuple[Outlet, ...]
    watchlists: tuple[Watchlist, ...]

    def outlet(self, outlet_id: str) -> Outlet | None:
        return self._outlets_by_id.get(outlet_id)

    @cached_property
    def _outlets_by_id(self) -> dict[str, Outlet]:
        """Looked up once per outlet and alert: a scan would make a cycle quadratic."""
        return {o.id: o for o in self.outlets}

    @property
    def enabled_outlets(self) -> tuple[Outlet, ...]:
        return tuple(o for o in self.outlets if o.enabled)
