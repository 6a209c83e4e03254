"""The config watcher behind `serve`'s hot reload: settle, load, refuse once, keep the last good."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from newsradar.config import Config, ConfigError, load_config
from newsradar.database import Database
from newsradar.database.models import OutboxRow
from newsradar.operations.metrics import Metrics
from newsradar.processes.config_reload import ConfigWatcher
from newsradar.processes.serving.reload_loop import ReloadLoop
from notifier.outbox_states import OutboxKind
from notifier.query import parse_query
from tests.support.workspace import Workspace

OPERATOR = 4242
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


def _settle(watcher: ConfigWatcher) -> None:
    """Two looks: the first sees the change, the second loads it."""
    assert watcher.poll() is None


def test_an_edit_yaml_cannot_construct_is_refused_and_later_edits_still_load(
    workspace: Workspace,
) -> None:
    workspace.write_config([OUTLET], [_watchlist("Iraq")])
    watcher = ConfigWatcher(load_config(workspace.config_dir))
    good = watcher.current
    path = workspace.config_dir / "watchlists.yaml"
    path.write_text("watchlists:\n  - id: w\n    title: 2020-13-45\n    query: Iraq\n")
    _settle(watcher)
    with pytest.raises(ConfigError) as refused:
        watcher.poll()
    assert "watchlists.yaml:3:" in str(refused.value) and watcher.current is good

    _touch(workspace, "Syria", 2)
    _settle(watcher)
    fixed = watcher.poll()
    assert fixed is not None and fixed.watchlists[0].query == parse_query("Syria")


def test_whatever_loading_raises_is_a_refused_edit_with_a_bounded_message(
    workspace: Workspace,
) -> None:
    """Loading may fail in ways no check foresaw (here: a stack overflow); the watcher reports
    it as an invalid edit rather than ending the reload task."""
    workspace.write_config([OUTLET], [_watchlist("Iraq")])
    failures = [RecursionError("maximum recursion depth exceeded " + "x" * 100_000)]

    def load(directory: Path) -> Config:
        if failures:
            raise failures.pop()
        return load_config(directory)

    watcher = ConfigWatcher(load_config(workspace.config_dir), load=load)
    good = watcher.current
    _touch(workspace, "Syria", 1)
    _settle(watcher)
    with pytest.raises(ConfigError) as refused:
        watcher.poll()
    (problem,) = refused.value.problems
    assert "could not be loaded (RecursionError: maximum recursion" in str(problem)
    assert len(str(problem)) < 600 and watcher.current is good

    _touch(workspace, "Iraq OR Syria", 2)
    _settle(watcher)
    fixed = watcher.poll()
    assert fixed is not None and fixed.watchlists[0].query == parse_query("Iraq OR Syria")


def test_the_reload_task_refuses_a_huge_edit_in_one_short_notice_and_lives_on(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    """An edit with hundreds of long problems: one log record and one notice of bounded
    length; an edit whose putting in force fails is refused too; a valid one then loads."""
    workspace.write_config([OUTLET], [_watchlist("Iraq")])
    db = Database(workspace.database_url)
    watcher = ConfigWatcher(load_config(workspace.config_dir))
    good = watcher.current
    applied: list[Config] = []

    def on_change(config: Config) -> None:
        if config.watchlists[0].title == "explodes":
            raise RuntimeError("cannot schedule " + "y" * 100_000)
        applied.append(config)

    loop = ReloadLoop(
        watcher, db, [OPERATOR], Metrics(), interval=0.0, stopping=asyncio.Event(),
        on_change=on_change, on_notice=lambda: None,
    )  # fmt: skip
    path = workspace.config_dir / "watchlists.yaml"

    def edit(text: str, bump: int) -> None:
        path.write_text(text)
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))
        asyncio.run(loop.reload())  # the first look sees it, the second loads it
        asyncio.run(loop.reload())

    bad_chat = "c" * 2_000
    broken = [
        {"id": f"w{n}", "title": "W", "query": "Iraq", "chats": [bad_chat]} for n in range(300)
    ]
    with caplog.at_level(logging.ERROR, logger="newsradar.serve"):
        edit(yaml.safe_dump({"watchlists": broken}), 1)
    assert watcher.current is good and loop.config_error is not None
    (record,) = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(record.getMessage()) < 30_000
    (notice,) = _notices(db)
    assert "refused" in notice and len(notice) < 4096

    explodes = {"id": "w", "title": "explodes", "query": "Iraq", "chats": [1]}
    edit(yaml.safe_dump({"watchlists": [explodes]}), 2)
    assert watcher.current is good and applied[-1] is good
    assert len(_notices(db)) == 2 and len(_notices(db)[-1]) < 4096

    edit(yaml.safe_dump({"watchlists": [_watchlist("Syria")]}), 3)
    assert watcher.current is applied[-1] and loop.config_error is None
    assert watcher.current.watchlists[0].query == parse_query("Syria")
    db.close()


def _notices(db: Database) -> list[str]:
    with db.session() as session:
        rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        return [row.payload["text"] for row in rows if row.kind == OutboxKind.NOTICE]
