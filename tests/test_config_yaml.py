"""Hostile config files: aliases that expand to gigabytes, brackets nested past the parser's
stack, files of many megabytes. Each is refused at file:line:col with a short message, in bounded
memory and time; check-config runs in a child process with a memory limit, as an operator's
machine would be hurt by them."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from newsradar.config import ConfigError, load_config
from newsradar.config_yaml import MAX_FILE_BYTES
from tests.support.config_bombs import billion_laughs
from tests.support.config_files import OUTLETS

MEMORY_LIMIT = 1 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _check_config(directory: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from newsradar.processes.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "check-config", "--config", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )


def _write(tmp_path: Path, outlets: str, watchlists: str) -> Path:
    (tmp_path / "outlets.yaml").write_text(outlets)
    (tmp_path / "watchlists.yaml").write_text(watchlists)
    return tmp_path


def test_billion_laughs_is_refused_at_the_alias_in_bounded_memory(tmp_path: Path) -> None:
    watchlists = billion_laughs()
    assert len(watchlists) < 700
    done = _check_config(_write(tmp_path, OUTLETS, watchlists))
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(done.stderr) < 2000
    assert f"{tmp_path / 'watchlists.yaml'}:" in done.stderr and "aliases" in done.stderr


def test_brackets_nested_past_the_bound_are_refused_not_a_crash(tmp_path: Path) -> None:
    depth = 100_000
    watchlists = "watchlists: " + "[" * depth + "]" * depth + "\n"
    done = _check_config(_write(tmp_path, OUTLETS, watchlists))
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{tmp_path / 'watchlists.yaml'}:1:" in done.stderr
    assert "nested more than 64 levels" in done.stderr


def test_aliases_within_the_bound_still_load(tmp_path: Path) -> None:
    watchlists = (
        "watchlists:\n"
        "  - id: a\n    title: A\n    query: Iraq\n    chats: &team [1, 2, 3]\n"
        "  - id: b\n    title: B\n    query: Syria\n    chats: *team\n"
    )
    config = load_config(_write(tmp_path, OUTLETS, watchlists))
    assert [w.chats for w in config.watchlists] == [[1, 2, 3], [1, 2, 3]]


def test_an_alias_expansion_past_the_bound_names_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, OUTLETS, billion_laughs(levels=6)))
    (problem,) = (str(p) for p in caught.value.problems)
    assert problem.startswith(f"{tmp_path / 'watchlists.yaml'}:9:"), problem
    assert "aliases" in problem and len(problem) < 400


def test_a_file_over_the_size_bound_is_refused_unread(tmp_path: Path) -> None:
    padding = "# " + "x" * 98 + "\n"
    outlets = OUTLETS + padding * (MAX_FILE_BYTES // len(padding) + 1)
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, outlets, "watchlists: []\n"))
    (problem,) = (str(p) for p in caught.value.problems)
    assert problem.startswith(f"{tmp_path / 'outlets.yaml'}: cannot read: the file is 8.4 MB")
    assert "at most 8 MiB" in problem
