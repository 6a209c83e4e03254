"""The operator's `config/` directory, loaded into typed models.

Every error names the file, the line and what is wrong, so an operator can fix a hand edit without
reading code. Loading never half-succeeds: either both files are valid or `ConfigError` lists all
problems found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from newsradar.config_models import (
    Config,
    CrawlSettings,
    Outlet,
    OutletsFile,
    Watchlist,
    WatchlistsFile,
    parse_crontab,
    parse_duration,
)
from newsradar.config_problems import (
    ConfigError,
    ConfigProblem,
    cut,
    node_at,
    problem_from,
    shown,
)
from newsradar.config_syntax import explain
from newsradar.config_yaml import Mark, YamlBoundError, check_bounds, read_bounded

# The models and errors stay importable from here, where the rest of newsradar looks for them.
__all__ = [
    "OUTLETS_FILE",
    "WATCHLISTS_FILE",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "CrawlSettings",
    "Outlet",
    "Watchlist",
    "config_file",
    "load_config",
    "parse_crontab",
    "parse_duration",
]

# libyaml's parser when it is built in: thousands of outlets load several times faster.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A value YAML's constructors fail on with a plain exception (`2020-13-45` read as a date,
    `!!float abc`) becomes a YAML error at its line, as every other invalid edit is."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {cut(str(exc))}", node.start_mark
            ) from None


OUTLETS_FILE = "outlets.yaml"
WATCHLISTS_FILE = "watchlists.yaml"
_M = TypeVar("_M", bound=BaseModel)
# Problems reported per file: a file with thousands of them needs fixing at the first few.
MAX_PROBLEMS = 50


def load_config(directory: Path | str) -> Config:
    """Load and validate both files; raise `ConfigError` naming every problem."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError([ConfigProblem(directory, None, _NO_DIRECTORY)])
    problems: list[ConfigProblem] = []
    outlets_path = config_file(directory, OUTLETS_FILE, problems)
    watchlists_path = config_file(directory, WATCHLISTS_FILE, problems)
    outlets = _load(outlets_path, OutletsFile, problems)
    watchlists = _load(watchlists_path, WatchlistsFile, problems)
    if outlets is not None:
        ids = [o.id for o in outlets.model.outlets]
        _check_unique(outlets_path, outlets, "outlets", ids, problems)
    if watchlists is not None:
        path = watchlists_path
        ids = [w.id for w in watchlists.model.watchlists]
        _check_unique(path, watchlists, "watchlists", ids, problems)
        if outlets is not None:
            known = {o.id for o in outlets.model.outlets}
            _check_outlet_ids(path, watchlists, known, problems)
    if problems or outlets is None or watchlists is None:
        raise ConfigError(_capped(directory, problems))
    return Config(
        directory,
        outlets.model.crawl,
        tuple(outlets.model.outlets),
        tuple(watchlists.model.watchlists),
    )


_NO_DIRECTORY = (
    "no such directory: give the config directory with --config DIR or NEWSRADAR_CONFIG_DIR "
    "(default ./config)"
)


def config_file(directory: Path, name: str, problems: list[ConfigProblem] | None = None) -> Path:
    """`outlets.yaml`, or `outlets.yml` where only that one exists (both: a problem)."""
    path = directory / name
    short = path.with_suffix(".yml")
    if path.exists() and short.exists() and problems is not None:
        problems.append(
            ConfigProblem(short, None, f"both {name} and {short.name} exist: keep one, {name}")
        )
    return short if short.exists() and not path.exists() else path


def _capped(directory: Path, problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """The first problems, and how many more there are: the error is read by a person."""
    if len(problems) <= 2 * MAX_PROBLEMS:
        return problems
    more = len(problems) - 2 * MAX_PROBLEMS
    return [*problems[: 2 * MAX_PROBLEMS], ConfigProblem(directory, None, f"... and {more:,} more")]


@dataclass(frozen=True)
class _Loaded(Generic[_M]):
    """A validated file and its YAML node tree, kept for the line numbers of later checks."""

    model: _M
    root: yaml.Node

    def line_of(self, location: tuple[Any, ...]) -> int | None:
        node = node_at(self.root, location)
        return node.start_mark.line + 1 if node is not None else None


def _load(path: Path, model: type[_M], problems: list[ConfigProblem]) -> _Loaded[_M] | None:
    parsed = _parse(path, problems)
    if parsed is None:
        return None
    root, data = parsed
    if root is None or not isinstance(data, dict):
        problems.append(ConfigProblem(path, 1, f"expected a mapping with '{_top_key(model)}:'"))
        return None
    try:
        return _Loaded(model.model_validate(data), root)
    except ValidationError as exc:
        errors = exc.errors()
        problems.extend(problem_from(path, root, error) for error in errors[:MAX_PROBLEMS])
        if len(errors) > MAX_PROBLEMS:
            more = len(errors) - MAX_PROBLEMS
            problems.append(ConfigProblem(path, None, f"... and {more:,} more problems"))
        return None
    except Exception as exc:  # a check that failed on a value nobody foresaw: still one line
        reason = cut(f"{type(exc).__name__}: {exc}")
        problems.append(ConfigProblem(path, None, f"could not be checked ({reason})"))
        return None


def _parse(path: Path, problems: list[ConfigProblem]) -> tuple[yaml.Node | None, Any] | None:
    """The file's node tree and data, or None after adding why it cannot be read. The bounds
    are checked on the event stream first, so nothing is built from a file past them."""
    try:
        text = read_bounded(path)
    except FileNotFoundError:
        looked = f"no {path.name} (or {path.with_suffix('.yml').name}) in {path.parent.resolve()}"
        problems.append(ConfigProblem(path.parent, None, looked))
        return None
    except (OSError, UnicodeDecodeError, YamlBoundError) as exc:
        problems.append(ConfigProblem(path, None, f"cannot read: {exc}"))
        return None
    try:
        check_bounds(_Loader, text)
        return _compose(text)
    except YamlBoundError as exc:
        problems.append(_marked(path, exc.mark, exc.message))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(_marked(path, mark, f"invalid YAML: {_explained(text, exc)}"))
    except yaml.YAMLError as exc:
        problems.append(ConfigProblem(path, None, f"invalid YAML: {exc}"))
    return None


def _explained(text: str, exc: yaml.MarkedYAMLError) -> str:
    mark, opened = exc.problem_mark or exc.context_mark, exc.context_mark
    if mark is None:
        return str(exc.problem)
    return explain(
        text,
        str(exc.problem),
        mark.line,
        mark.column,
        exc.context or "",
        opened.line if opened else None,
    )


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def _marked(path: Path, mark: Mark | None, message: str) -> ConfigProblem:
    line = mark.line + 1 if mark else None
    return ConfigProblem(path, line, message, mark.column + 1 if mark else None)


def _top_key(model: type[BaseModel]) -> str:
    return "outlets" if model is OutletsFile else "watchlists"


def _check_outlet_ids(
    path: Path, watchlists: _Loaded[WatchlistsFile], known: set[str], problems: list[ConfigProblem]
) -> None:
    """Every outlet a watchlist names must be one of the configured outlets."""
    for index, watchlist in enumerate(watchlists.model.watchlists):
        if watchlist.outlets == "all":
            continue
        for position, outlet_id in enumerate(watchlist.outlets):
            if outlet_id not in known:
                problems.append(
                    ConfigProblem(
                        path,
                        watchlists.line_of(("watchlists", index, "outlets", position)),
                        f"watchlist {shown(watchlist.id)}: unknown outlet id {shown(outlet_id)}"
                        f" (known: {cut(', '.join(sorted(known)))})",
                    )
                )


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
                    f"duplicate id {shown(ident)} (first used by entry #{seen[ident] + 1})",
                )
            )
        else:
            seen[ident] = index
