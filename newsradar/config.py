"""The operator's `config/` directory, loaded into typed models.

Every error names the file, the line and what is wrong, so an operator can fix a hand edit without
reading code. Loading never half-succeeds: either both files are valid or `ConfigError` lists all
problems found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from notifier.query import Query, QueryError, any_of, parse_query

# libyaml's parser when it is built in: thousands of outlets load several times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
OUTLETS_FILE = "outlets.yaml"
WATCHLISTS_FILE = "watchlists.yaml"

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_M = TypeVar("_M", bound=BaseModel)


def parse_duration(text: str) -> timedelta:
    """'15m', '24h', '7d' and the like."""
    found = _DURATION.match(str(text))
    if not found:
        raise ValueError(f"not a duration: {text!r} (write e.g. 30s, 15m, 24h, 7d)")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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

    @field_validator("backfill", "timeout", "seen_url_ttl", "robots_ttl")
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
                raise ValueError(f"not an http(s) URL: {url!r}")
        return urls

    @field_validator("article_url_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @field_validator("every")
    @classmethod
    def _every(cls, value: str) -> str:
        if _DURATION.match(value):
            return value
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(
                f"neither a duration (15m, 1h) nor a cron expression ('*/15 * * * *'): {exc}"
            ) from None
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"not a cron expression ('*/15 * * * *'): {exc}") from None
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
        for chat in chats or []:
            if isinstance(chat, bool) or not isinstance(chat, int):
                raise ValueError(f"chat ids are numbers (as Telegram gives them), not {chat!r}")
        return chats

    @model_validator(mode="before")
    @classmethod
    def _query(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
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
        elif "query" not in data:
            if set(data) - set(cls.model_fields):
                return data  # likely a misspelt `query`: let the unknown key be named at its line
            raise ValueError("a watchlist needs a query (or a keywords list)")
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


@dataclass(frozen=True)
class ConfigProblem:
    file: Path
    line: int | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_config(directory: Path | str) -> Config:
    """Load and validate both files; raise `ConfigError` naming every problem."""
    directory = Path(directory)
    problems: list[ConfigProblem] = []
    outlets = _load(directory / OUTLETS_FILE, OutletsFile, problems)
    watchlists = _load(directory / WATCHLISTS_FILE, WatchlistsFile, problems)
    if outlets is not None:
        ids = [o.id for o in outlets.model.outlets]
        _check_unique(directory / OUTLETS_FILE, outlets, "outlets", ids, problems)
    if watchlists is not None:
        path = directory / WATCHLISTS_FILE
        ids = [w.id for w in watchlists.model.watchlists]
        _check_unique(path, watchlists, "watchlists", ids, problems)
        if outlets is not None:
            known = {o.id for o in outlets.model.outlets}
            for index, watchlist in enumerate(watchlists.model.watchlists):
                if watchlist.outlets == "all":
                    continue
                for position, outlet_id in enumerate(watchlist.outlets):
                    if outlet_id not in known:
                        problems.append(
                            ConfigProblem(
                                path,
                                watchlists.line_of(("watchlists", index, "outlets", position)),
                                f"watchlist {watchlist.id!r}: unknown outlet id {outlet_id!r}"
                                f" (known: {', '.join(sorted(known))})",
                            )
                        )
    if problems or outlets is None or watchlists is None:
        raise ConfigError(problems)
    return Config(
        directory,
        outlets.model.crawl,
        tuple(outlets.model.outlets),
        tuple(watchlists.model.watchlists),
    )


@dataclass(frozen=True)
class _Loaded(Generic[_M]):
    """A validated file and its YAML node tree, kept for the line numbers of later checks."""

    model: _M
    root: yaml.Node

    def line_of(self, location: tuple[Any, ...]) -> int | None:
        node = _node_at(self.root, location)
        return node.start_mark.line + 1 if node is not None else None


def _load(path: Path, model: type[_M], problems: list[ConfigProblem]) -> _Loaded[_M] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(ConfigProblem(path, None, "file not found"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ConfigProblem(path, None, f"cannot read: {exc}"))
        return None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problems.append(ConfigProblem(path, line, f"invalid YAML: {exc.problem}", column))
        return None
    except yaml.YAMLError as exc:
        problems.append(ConfigProblem(path, None, f"invalid YAML: {exc}"))
        return None
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        problems.append(ConfigProblem(path, 1, f"expected a mapping with '{_top_key(model)}:'"))
        return None
    try:
        return _Loaded(model.model_validate(data), root)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(_problem_from(path, root, error))
        return None


def _top_key(model: type[BaseModel]) -> str:
    return "outlets" if model is OutletsFile else "watchlists"


def _problem_from(path: Path, root: yaml.Node | None, error: Any) -> ConfigProblem:
    location = tuple(error["loc"])
    node = _node_at(root, location)
    line = node.start_mark.line + 1 if node is not None else None
    context = error.get("ctx", {}).get("error")
    column = None
    if isinstance(context, QueryError):
        query_node = node if isinstance(node, yaml.ScalarNode) else _child(node, "query")
        column = _query_column(query_node, context.column)
        if query_node is not None:
            line = query_node.start_mark.line + 1
        message = context.message + (f"; {context.hint}" if context.hint else "")
        if column is None:
            message += f" (at column {context.column} of the query)"
    elif error["type"] in _PLAIN_MESSAGES:
        message = _PLAIN_MESSAGES[error["type"]]
    else:
        message = error["msg"].removeprefix("Value error, ")
    label = _label(root, location)
    return ConfigProblem(path, line, f"{label}: {message}" if label else message, column)


_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown key (a typo?); see the README for the keys this section takes",
    "missing": "required but missing",
}


def _query_column(node: yaml.Node | None, query_column: int) -> int | None:
    """Column in the file for a column inside the query, when the query sits on one line."""
    if not isinstance(node, yaml.ScalarNode) or node.start_mark.line != node.end_mark.line:
        return None
    quoted = 1 if node.style in ("'", '"') else 0
    return node.start_mark.column + quoted + query_column


def _label(root: yaml.Node | None, location: tuple[Any, ...]) -> str:
    """'outlet "rs"' or 'watchlist "iraq"' plus the field, so the message reads on its own."""
    parts: list[str] = []
    if len(location) >= 2 and isinstance(location[1], int):
        item = _node_at(root, location[:2])
        kind = location[0][:-1]
        ident = _scalar(item, "id")
        parts.append(f"{kind} {ident!r}" if ident else f"{kind} #{location[1] + 1}")
        rest = location[2:]
    else:
        rest = location
    fields = [str(p) for p in rest if not isinstance(p, int) and not str(p).startswith("function")]
    if fields:
        parts.append(".".join(fields))
    return " ".join(parts)


def _scalar(node: yaml.Node | None, key: str) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key and isinstance(v, yaml.ScalarNode):
                return v.value
    return None


def _node_at(root: yaml.Node | None, location: tuple[Any, ...]) -> yaml.Node | None:
    """The deepest YAML node along a validation error's location (for its line number)."""
    node = root
    for part in location:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return node


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def _check_unique(
    path: Path, loaded: _Loaded[Any], key: str, ids: list[str], problems: list[ConfigProblem]
) -> None:
    seen: dict[str, int] = {}
    for index, ident in enumerate(ids):
        if ident in seen:
            problems.append(
                ConfigProblem(
                    path,
                    loaded.line_of((key, index, "id")),
                    f"duplicate id {ident!r} (first used by entry #{seen[ident] + 1})",
                )
            )
        else:
            seen[ident] = index
