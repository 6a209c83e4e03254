"""The config watcher behind `serve`'s hot reload: settle, load, refuse once, keep the last good."""

from __future__ import annotations

import os

import pytest
import yaml

from newsradar.config import ConfigError, load_config
from newsradar.processes.config_reload import ConfigWatcher
from notifier.query import parse_query
from tests.support.workspace import Workspace

OUTLET = {"id": "wp", "name": "WP", "feeds": ["http://127.0.0.1:9/feed"]}


def _watchlist(query: str) -> dict[str, object]:
    return {"id": "w", "title": "W", "query": query, "chats": [1]}


def _touch(workspace: Workspace, query: str, bump: int) -> None:
    path = workspace.config_dir / "watchlists.yaml"
    path.write_text(yaml.safe_dump({"watchlists": [_watchlist(query)]}))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


def test_an_edit_is_loaded_once_the_files_have_settled(workspace: Workspace) -> None:
    workspace.write_config([OUTLET], [_watchlist("Iraq")])
    watcher = ConfigWatcher(load_config(workspace.config_dir))
    assert watcher.poll() is None

    _touch(workspace, "Syria", 1)
    assert watcher.poll() is None  # seen once: the editor may still be writing
    config = watcher.poll()
    assert config is not None and watcher.current is config
    assert config.watchlists[0].query == parse_query("Syria")
    assert watcher.poll() is None


def test_a_broken_edit_is_refused_once_and_the_last_good_config_stays(
    workspace: Workspace,
) -> None:
    workspace.write_config([OUTLET], [_watchlist("Iraq")])
    watcher = ConfigWatcher(load_config(workspace.config_dir))
    good = watcher.current

    _touch(workspace, '"Iraq militia', 1)  # an unbalanced quote
    assert watcher.poll() is None
    with pytest.raises(ConfigError) as refused:
        watcher.poll()
    assert "watchlists.yaml" in str(refused.value.problems[0])
    assert watcher.current is good
    assert watcher.poll() is None  # the same broken state is not reported again

    _touch(workspace, "Iraq OR Syria", 2)
    watcher.poll()
    fixed = watcher.poll()
    assert fixed is not None and fixed.watchlists[0].query == parse_query("Iraq OR Syria")
